// isl_map: a relation between integer tuples of two spaces (domain → range), given by affine
// constraints with parameters, e.g. "[N] -> { S[i] -> A[i + 1] : 0 <= i < N }". Every operation
// returns a new map and leaves its operands usable.

import { IslObject, registerKind } from "./core.js";
import { PwMultiAff } from "./affine.js";
import { IslSet } from "./set.js";
import { dimType, type DimType } from "./space.js";
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
  dim(type: DimType): number {
    return this.count("isl_map_dim", dimType(type));
  }
  /** Tuple name of the domain ("in") or range ("out"). */
  tupleName(type: "in" | "out"): string | null {
    return this.ctx.cstr("isl_map_get_tuple_name", this, dimType(type));
  }
  setTupleName(type: "in" | "out", name: string): IslMap {
    return this.give(IslMap, "isl_map_set_tuple_name", dimType(type), name);
  }
  toUnion(): UnionMap {
    return this.ctx.obj(UnionMap, "isl_union_map_from_map", this);
  }
  /** Gives M as a piecewise multi-affine function. Fails unless M is single-valued. */
  toPwMultiAff(): PwMultiAff {
    return this.ctx.obj(PwMultiAff, "isl_pw_multi_aff_from_map", this);
  }
}
