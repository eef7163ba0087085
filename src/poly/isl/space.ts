// isl_space: the named, typed dimensions (parameters, tuples) that sets and maps live in.

import { IslObject, registerKind } from "./core.js";

/** isl's enum isl_dim_type. "set" is the same as "out" (sets have only output dims). */
export type DimType = "cst" | "param" | "in" | "out" | "set" | "div" | "all";

const DIM_TYPES: Record<DimType, number> = { cst: 0, param: 1, in: 2, out: 3, set: 3, div: 4, all: 5 };

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

  /** Number of dimensions of the given kind. */
  dim(type: DimType): number {
    return this.count("isl_space_dim", dimType(type));
  }

  /** Same parameters and tuples (names included). */
  isEqual(other: Space): boolean {
    return this.test("isl_space_is_equal", other);
  }
}
