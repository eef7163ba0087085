// isl_pw_multi_aff: a piecewise tuple of quasi-affine functions, the form an access takes when
// the AST build turns it into index expressions (astgen.ts).

import { IslObject, registerKind } from "./core.js";

export class PwMultiAff extends IslObject {
  static readonly islType = "isl_pw_multi_aff";
  static {
    registerKind(this);
  }
}
