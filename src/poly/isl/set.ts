// isl_set: a set of integer tuples in one space, given by affine constraints with parameters,
// e.g. "[N] -> { S[i] : 0 <= i < N }". Every operation returns a new set and leaves its operands
// usable. Only what the compiler calls is wrapped; decls.ts lists the isl functions behind it.

import { IslObject, registerKind } from "./core.js";
import { IslMap } from "./map.js";
import { Space, dimType, type DimType } from "./space.js";
import { UnionSet } from "./union_set.js";

// Named IslSet (not Set) so that importing it never shadows the JS built-in.
export class IslSet extends IslObject {
  static readonly islType = "isl_set";
  static {
    registerKind(this);
  }

  /** Takes A, B in the same space; gives A ∪ B. */
  union(other: IslSet): IslSet {
    return this.give(IslSet, "isl_set_union", other);
  }
  /** Takes A, B in the same space; gives A \ B. */
  subtract(other: IslSet): IslSet {
    return this.give(IslSet, "isl_set_subtract", other);
  }
  /** Takes A and a parameter set P (`[N] -> { : N > 0 }`); gives A restricted to P. */
  intersectParams(params: IslSet): IslSet {
    return this.give(IslSet, "isl_set_intersect_params", params);
  }
  /** Takes A ⊆ D and a map M : D → R; gives the image M(A) ⊆ R. */
  apply(map: IslMap): IslSet {
    return this.give(IslSet, "isl_set_apply", map);
  }
  isEmpty(): boolean {
    return this.test("isl_set_is_empty");
  }
  /** A ⊆ B (same space). */
  isSubset(other: IslSet): boolean {
    return this.test("isl_set_is_subset", other);
  }
  /** A = B as sets of points (not a syntactic comparison). */
  isEqual(other: IslSet): boolean {
    return this.test("isl_set_is_equal", other);
  }
  /** Gives the lexicographic minimum of A, per value of the parameters. */
  lexmin(): IslSet {
    return this.give(IslSet, "isl_set_lexmin");
  }
  /** Gives the lexicographic maximum of A, per value of the parameters. */
  lexmax(): IslSet {
    return this.give(IslSet, "isl_set_lexmax");
  }
  /** Gives A with disjuncts merged where possible (same points, fewer pieces). */
  coalesce(): IslSet {
    return this.give(IslSet, "isl_set_coalesce");
  }
  /** Gives A with dims [first, first+n) of the kind existentially quantified and removed. */
  projectOut(type: DimType, first: number, n: number): IslSet {
    return this.give(IslSet, "isl_set_project_out", dimType(type), first, n);
  }
  /** Gives A ∩ { dim(type, pos) = value }. */
  fix(type: DimType, pos: number, value: number): IslSet {
    return this.give(IslSet, "isl_set_fix_si", dimType(type), pos, value);
  }
  dim(type: DimType): number {
    return this.count("isl_set_dim", dimType(type));
  }
  tupleName(): string | null {
    return this.ctx.cstr("isl_set_get_tuple_name", this);
  }
  setTupleName(name: string): IslSet {
    return this.give(IslSet, "isl_set_set_tuple_name", name);
  }
  space(): Space {
    return this.give(Space, "isl_set_get_space");
  }
  /** Gives A as a union set (with one space). */
  toUnion(): UnionSet {
    return this.ctx.obj(UnionSet, "isl_union_set_from_set", this);
  }
}
