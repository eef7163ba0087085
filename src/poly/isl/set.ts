// isl_set: a set of integer tuples in one space, given by affine constraints with
// parameters, e.g. "[N] -> { S[i] : 0 <= i < N }". Every operation returns a new set and
// leaves its operands usable.

import { IslObject, registerKind } from "./core.js";
import { IslUsageError } from "./error.js";
import { IslMap } from "./map.js";
import { PwAff } from "./affine.js";
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
  /** Takes A, B in the same space; gives A ∩ B. */
  intersect(other: IslSet): IslSet {
    return this.give(IslSet, "isl_set_intersect", other);
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
  /** Takes A and a context C; gives a simpler set equal to A on C (constraints implied by C dropped). */
  gist(context: IslSet): IslSet {
    return this.give(IslSet, "isl_set_gist", context);
  }
  /** Gives the complement of A in its space. */
  complement(): IslSet {
    return this.give(IslSet, "isl_set_complement");
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
  isDisjoint(other: IslSet): boolean {
    return this.test("isl_set_is_disjoint", other);
  }
  isBounded(): boolean {
    return this.test("isl_set_is_bounded");
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
  /** Gives A with implicit equalities made explicit. */
  detectEqualities(): IslSet {
    return this.give(IslSet, "isl_set_detect_equalities");
  }
  /** Gives the smallest affine subspace (equalities only) containing A. */
  affineHull(): IslSet {
    const hull = this.give(BasicSet, "isl_set_affine_hull");
    try {
      return this.ctx.obj(IslSet, "isl_set_from_basic_set", hull);
    } finally {
      hull.free();
    }
  }

  /** Gives the parameter domain of A: the parameter values for which A is non-empty. */
  params(): IslSet {
    return this.give(IslSet, "isl_set_params");
  }
  /** Takes A and a space; gives A with its parameters reordered/extended to those of the space. */
  alignParams(model: Space): IslSet {
    return this.give(IslSet, "isl_set_align_params", model);
  }
  /** Gives A with dims [first, first+n) of the kind existentially quantified and removed. */
  projectOut(type: DimType, first: number, n: number): IslSet {
    return this.give(IslSet, "isl_set_project_out", dimType(type), first, n);
  }
  /** Gives A with dims [first, first+n) unconstrained (kept in the space). */
  eliminate(type: DimType, first: number, n: number): IslSet {
    return this.give(IslSet, "isl_set_eliminate", dimType(type), first, n);
  }
  /** Gives A ∩ { dim(type, pos) = value }. */
  fix(type: DimType, pos: number, value: number): IslSet {
    return this.give(IslSet, "isl_set_fix_si", dimType(type), pos, value);
  }
  /** Gives A with the parameter `name` fixed to `value`. Throws if A has no such parameter. */
  fixParam(name: string, value: number): IslSet {
    const pos = this.findDim("param", name);
    if (pos < 0) throw new IslUsageError(`set has no parameter ${name}: ${this.toString()}`);
    return this.fix("param", pos, value);
  }
  /** Gives A with n fresh unconstrained dims of the kind inserted at pos. */
  insertDims(type: DimType, pos: number, n: number): IslSet {
    return this.give(IslSet, "isl_set_insert_dims", dimType(type), pos, n);
  }
  dim(type: DimType): number {
    return this.count("isl_set_dim", dimType(type));
  }
  dimName(type: DimType, pos: number): string | null {
    return this.ctx.cstr("isl_set_get_dim_name", this, dimType(type), pos);
  }
  setDimName(type: DimType, pos: number, name: string): IslSet {
    return this.give(IslSet, "isl_set_set_dim_name", dimType(type), pos, name);
  }
  /** Position of the named dim, or -1. */
  findDim(type: DimType, name: string): number {
    return this.ctx.invoke("isl_set_find_dim_by_name", [this, dimType(type), name]) as number;
  }
  tupleName(): string | null {
    return this.ctx.cstr("isl_set_get_tuple_name", this);
  }
  setTupleName(name: string): IslSet {
    return this.give(IslSet, "isl_set_set_tuple_name", name);
  }

  /** Gives the minimum of set dim `pos` as a piecewise affine function of the parameters. */
  dimMin(pos: number): PwAff {
    return this.give(PwAff, "isl_set_dim_min", pos);
  }
  /** Gives the maximum of set dim `pos` as a piecewise affine function of the parameters. */
  dimMax(pos: number): PwAff {
    return this.give(PwAff, "isl_set_dim_max", pos);
  }
  /** Gives the identity map { x -> x : x ∈ A }. */
  identity(): IslMap {
    return this.give(IslMap, "isl_set_identity");
  }
  space(): Space {
    return this.give(Space, "isl_set_get_space");
  }
  /** Gives A as a union set (with one space). */
  toUnion(): UnionSet {
    return this.ctx.obj(UnionSet, "isl_union_set_from_set", this);
  }
}

/** A single convex piece; only used as an intermediate (affine hulls). */
export class BasicSet extends IslObject {
  static readonly islType = "isl_basic_set";
  static {
    registerKind(this);
  }
}
