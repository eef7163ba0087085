// isl_union_set: a union of sets living in different spaces, e.g. the iteration domains of all
// statements "{ S0[i] : 0 <= i < 10; S1[i, j] : ... }". Operations work space by space.

import { IslObject, pieces, registerKind } from "./core.js";
import { IslSet } from "./set.js";
import type { Space } from "./space.js";

export class UnionSet extends IslObject {
  static readonly islType = "isl_union_set";
  static {
    registerKind(this);
  }

  /** Takes U, V; gives U ∪ V. */
  union(other: UnionSet): UnionSet {
    return this.give(UnionSet, "isl_union_set_union", other);
  }
  isEmpty(): boolean {
    return this.test("isl_union_set_is_empty");
  }
  /** The per-space sets; the caller owns them. */
  sets(): IslSet[] {
    return pieces(this, "isl_union_set_foreach_set", IslSet);
  }
  /** Takes U and a space; gives the part of U in that space (possibly empty). */
  extractSet(space: Space): IslSet {
    return this.give(IslSet, "isl_union_set_extract_set", space);
  }
  /** Gives U as a single set. Fails if U spans several spaces. */
  toSet(): IslSet {
    return this.ctx.obj(IslSet, "isl_set_from_union_set", this);
  }
}
