// isl_space: the named, typed dimensions (parameters, tuples) that sets and maps live in.

import { IslObject, registerKind } from "./core.js";

/** isl's enum isl_dim_type (the header test checks the values). "set" is "out": sets have only output dims. */
export const DIM_TYPES = { param: 1, in: 2, out: 3, set: 3 } as const;
export type DimType = keyof typeof DIM_TYPES;

export function dimType(t: DimType): number {
  const v = DIM_TYPES[t];
  if (v === undefined) throw new TypeError(`unknown isl dim type ${String(t)}`);
  return v;
}

export class Space extends IslObject {
  static readonly islType = "isl_space";
  static {
    registerKind(this);
  }
}
