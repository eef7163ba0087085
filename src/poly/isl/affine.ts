// Affine functions: isl_aff / isl_pw_aff (one quasi-affine expression, piecewise),
// isl_multi_aff / isl_pw_multi_aff (tuples of them), and the union forms used for
// schedules: isl_union_pw_multi_aff and isl_multi_union_pw_aff (a band's partial schedule).
// Conversions to maps live with the map classes, so this module imports nothing else.

import { IslObject, registerKind } from "./core.js";

export class Aff extends IslObject {
  static readonly islType = "isl_aff";
  static {
    registerKind(this);
  }
}

export class PwAff extends IslObject {
  static readonly islType = "isl_pw_aff";
  static {
    registerKind(this);
  }
}

export class MultiAff extends IslObject {
  static readonly islType = "isl_multi_aff";
  static {
    registerKind(this);
  }
}

export class PwMultiAff extends IslObject {
  static readonly islType = "isl_pw_multi_aff";
  static {
    registerKind(this);
  }
}

export class UnionPwMultiAff extends IslObject {
  static readonly islType = "isl_union_pw_multi_aff";
  static {
    registerKind(this);
  }
}

export class MultiUnionPwAff extends IslObject {
  static readonly islType = "isl_multi_union_pw_aff";
  static {
    registerKind(this);
  }

  /** Number of members (schedule dimensions). */
  size(): number {
    return this.count("isl_multi_union_pw_aff_size");
  }

  /** Gives the same function as a union of piecewise multi-affine pieces (one per statement). */
  toUnionPwMultiAff(): UnionPwMultiAff {
    return this.give(UnionPwMultiAff, "isl_union_pw_multi_aff_from_multi_union_pw_aff");
  }
}
