// isl_map: a relation between integer tuples of two spaces (domain → range), given by
// affine constraints with parameters, e.g. "[N] -> { S[i] -> A[i + 1] : 0 <= i < N }".
// Every operation returns a new map and leaves its operands usable.

import { IslObject, registerKind } from "./core.js";
import { PwMultiAff } from "./affine.js";
import { IslSet } from "./set.js";
import { Space, dimType, type DimType } from "./space.js";
import { UnionMap } from "./union_map.js";

// Named IslMap (not Map) so that importing it never shadows the JS built-in.
export class IslMap extends IslObject {
  static readonly islType = "isl_map";
  static {
    registerKind(this);
  }

  /** Takes M, N in the same space; gives M ∪ N. */
  union(other: IslMap): IslMap {
    return this.give(IslMap, "isl_map_union", other);
  }
  /** Takes M, N in the same space; gives M ∩ N. */
  intersect(other: IslMap): IslMap {
    return this.give(IslMap, "isl_map_intersect", other);
  }
  /** Takes M, N in the same space; gives M \ N. */
  subtract(other: IslMap): IslMap {
    return this.give(IslMap, "isl_map_subtract", other);
  }
  /** Takes M and a parameter set; gives M restricted to those parameter values. */
  intersectParams(params: IslSet): IslMap {
    return this.give(IslMap, "isl_map_intersect_params", params);
  }
  /** Takes M : D → R and S ⊆ D; gives { x → y ∈ M : x ∈ S }. */
  intersectDomain(set: IslSet): IslMap {
    return this.give(IslMap, "isl_map_intersect_domain", set);
  }
  /** Takes M : D → R and S ⊆ R; gives { x → y ∈ M : y ∈ S }. */
  intersectRange(set: IslSet): IslMap {
    return this.give(IslMap, "isl_map_intersect_range", set);
  }
  /** Takes M : A → B and N : B → C; gives N ∘ M : A → C. */
  applyRange(other: IslMap): IslMap {
    return this.give(IslMap, "isl_map_apply_range", other);
  }
  /** Takes M : A → B and N : A → C; gives M ∘ N⁻¹ : C → B (N applied to M's domain). */
  applyDomain(other: IslMap): IslMap {
    return this.give(IslMap, "isl_map_apply_domain", other);
  }
  /** Gives M⁻¹ : R → D. */
  reverse(): IslMap {
    return this.give(IslMap, "isl_map_reverse");
  }
  /** Gives { x : ∃y, x → y ∈ M }. */
  domain(): IslSet {
    return this.give(IslSet, "isl_map_domain");
  }
  /** Gives { y : ∃x, x → y ∈ M }. */
  range(): IslSet {
    return this.give(IslSet, "isl_map_range");
  }
  /** Takes M with domain and range in the same space; gives { y - x : x → y ∈ M }. */
  deltas(): IslSet {
    return this.give(IslSet, "isl_map_deltas");
  }
  /** Takes M and a context map; gives a simpler map equal to M on the context. */
  gist(context: IslMap): IslMap {
    return this.give(IslMap, "isl_map_gist", context);
  }
  complement(): IslMap {
    return this.give(IslMap, "isl_map_complement");
  }

  isEmpty(): boolean {
    return this.test("isl_map_is_empty");
  }
  isSubset(other: IslMap): boolean {
    return this.test("isl_map_is_subset", other);
  }
  isEqual(other: IslMap): boolean {
    return this.test("isl_map_is_equal", other);
  }
  /** No two domain elements map to the same range element. */
  isInjective(): boolean {
    return this.test("isl_map_is_injective");
  }
  /** Every domain element maps to at most one range element (M is a function). */
  isSingleValued(): boolean {
    return this.test("isl_map_is_single_valued");
  }
  isBijective(): boolean {
    return this.test("isl_map_is_bijective");
  }

  /** Gives, for each domain element, the lexicographically smallest image. */
  lexmin(): IslMap {
    return this.give(IslMap, "isl_map_lexmin");
  }
  /** Gives, for each domain element, the lexicographically largest image. */
  lexmax(): IslMap {
    return this.give(IslMap, "isl_map_lexmax");
  }
  coalesce(): IslMap {
    return this.give(IslMap, "isl_map_coalesce");
  }
  detectEqualities(): IslMap {
    return this.give(IslMap, "isl_map_detect_equalities");
  }
  /** Gives the smallest affine relation (equalities only) containing M. */
  affineHull(): IslMap {
    const hull = this.give(BasicMap, "isl_map_affine_hull");
    try {
      return this.ctx.obj(IslMap, "isl_map_from_basic_map", hull);
    } finally {
      hull.free();
    }
  }

  /** Gives the parameter values for which M is non-empty. */
  params(): IslSet {
    return this.give(IslSet, "isl_map_params");
  }
  alignParams(model: Space): IslMap {
    return this.give(IslMap, "isl_map_align_params", model);
  }
  /** Gives M with dims [first, first+n) of the kind existentially quantified and removed. */
  projectOut(type: DimType, first: number, n: number): IslMap {
    return this.give(IslMap, "isl_map_project_out", dimType(type), first, n);
  }
  /** Gives M with dims [first, first+n) unconstrained (kept in the space). */
  eliminate(type: DimType, first: number, n: number): IslMap {
    return this.give(IslMap, "isl_map_eliminate", dimType(type), first, n);
  }
  /** Gives M ∩ { dim(type, pos) = value }. */
  fix(type: DimType, pos: number, value: number): IslMap {
    return this.give(IslMap, "isl_map_fix_si", dimType(type), pos, value);
  }
  insertDims(type: DimType, pos: number, n: number): IslMap {
    return this.give(IslMap, "isl_map_insert_dims", dimType(type), pos, n);
  }
  dim(type: DimType): number {
    return this.count("isl_map_dim", dimType(type));
  }
  dimName(type: DimType, pos: number): string | null {
    return this.ctx.cstr("isl_map_get_dim_name", this, dimType(type), pos);
  }
  findDim(type: DimType, name: string): number {
    return this.ctx.invoke("isl_map_find_dim_by_name", [this, dimType(type), name]) as number;
  }
  /** Tuple name of the domain ("in") or range ("out"). */
  tupleName(type: "in" | "out"): string | null {
    return this.ctx.cstr("isl_map_get_tuple_name", this, dimType(type));
  }
  setTupleName(type: "in" | "out", name: string): IslMap {
    return this.give(IslMap, "isl_map_set_tuple_name", dimType(type), name);
  }
  space(): Space {
    return this.give(Space, "isl_map_get_space");
  }
  toUnion(): UnionMap {
    return this.ctx.obj(UnionMap, "isl_union_map_from_map", this);
  }
  /** Gives M as a piecewise multi-affine function. Fails unless M is single-valued. */
  toPwMultiAff(): PwMultiAff {
    return this.ctx.obj(PwMultiAff, "isl_pw_multi_aff_from_map", this);
  }

  /** Takes D and R; gives the product relation D → R (every pair). */
  static fromDomainAndRange(domain: IslSet, range: IslSet): IslMap {
    return domain.ctx.obj(IslMap, "isl_map_from_domain_and_range", domain, range);
  }
  static fromPwMultiAff(pma: PwMultiAff): IslMap {
    return pma.ctx.obj(IslMap, "isl_map_from_pw_multi_aff", pma);
  }
}

/** A single convex piece; only used as an intermediate (affine hulls). */
export class BasicMap extends IslObject {
  static readonly islType = "isl_basic_map";
  static {
    registerKind(this);
  }
}
