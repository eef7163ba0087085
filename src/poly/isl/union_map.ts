// isl_union_map: a union of maps between different spaces, e.g. all accesses of a program
// "{ S0[i] -> A[i]; S1[i] -> A[i - 1] }", dependences, or a schedule. Operations work map by map;
// composition matches spaces.

import { IslObject, pieces, registerKind } from "./core.js";
import { IslMap } from "./map.js";
import { UnionSet } from "./union_set.js";

export class UnionMap extends IslObject {
  static readonly islType = "isl_union_map";
  static {
    registerKind(this);
  }

  /** Takes M, N; gives M ∪ N. */
  union(other: UnionMap): UnionMap {
    return this.give(UnionMap, "isl_union_map_union", other);
  }
  /** Takes M and a union set S; gives { x → y ∈ M : x ∈ S }. */
  intersectDomain(uset: UnionSet): UnionMap {
    return this.give(UnionMap, "isl_union_map_intersect_domain", uset);
  }
  /** Takes M and a union set S; gives { x → y ∈ M : y ∈ S }. */
  intersectRange(uset: UnionSet): UnionMap {
    return this.give(UnionMap, "isl_union_map_intersect_range", uset);
  }
  /** Takes M : A → B and N : B → C; gives N ∘ M : A → C. */
  applyRange(other: UnionMap): UnionMap {
    return this.give(UnionMap, "isl_union_map_apply_range", other);
  }
  /** Takes M : A → B and N : A → C; gives M ∘ N⁻¹ : C → B (N applied to M's domain). */
  applyDomain(other: UnionMap): UnionMap {
    return this.give(UnionMap, "isl_union_map_apply_domain", other);
  }
  /** Gives M⁻¹. */
  reverse(): UnionMap {
    return this.give(UnionMap, "isl_union_map_reverse");
  }
  /** Gives { x : ∃y, x → y ∈ M }. */
  domain(): UnionSet {
    return this.give(UnionSet, "isl_union_map_domain");
  }
  /** Gives { y : ∃x, x → y ∈ M }. */
  range(): UnionSet {
    return this.give(UnionSet, "isl_union_map_range");
  }
  /** Takes M whose maps have domain and range in the same space; gives { y - x }. */
  deltas(): UnionSet {
    return this.give(UnionSet, "isl_union_map_deltas");
  }
  isEmpty(): boolean {
    return this.test("isl_union_map_is_empty");
  }
  /** No two domain elements map to the same range element. */
  isInjective(): boolean {
    return this.test("isl_union_map_is_injective");
  }
  isEqual(other: UnionMap): boolean {
    return this.test("isl_union_map_is_equal", other);
  }
  /** The per-space maps; the caller owns them. */
  maps(): IslMap[] {
    return pieces(this, "isl_union_map_foreach_map", IslMap);
  }
  /** Gives M as a single map. Fails if M spans several space pairs. */
  toMap(): IslMap {
    return this.ctx.obj(IslMap, "isl_map_from_union_map", this);
  }
}
