// isl_union_map: a union of maps between different spaces, e.g. all accesses of a program
// "{ S0[i] -> A[i]; S1[i] -> A[i - 1] }", dependences, or a schedule. Operations work map
// by map; composition matches spaces.

import { IslObject, registerKind } from "./core.js";
import { MultiUnionPwAff, UnionPwMultiAff } from "./affine.js";
import { IslMap } from "./map.js";
import { IslSet } from "./set.js";
import { Space, dimType } from "./space.js";
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
  /** Takes M, N; gives M ∩ N. */
  intersect(other: UnionMap): UnionMap {
    return this.give(UnionMap, "isl_union_map_intersect", other);
  }
  /** Takes M, N; gives M \ N. */
  subtract(other: UnionMap): UnionMap {
    return this.give(UnionMap, "isl_union_map_subtract", other);
  }
  intersectParams(params: IslSet): UnionMap {
    return this.give(UnionMap, "isl_union_map_intersect_params", params);
  }
  /** Takes M and a union set S; gives { x → y ∈ M : x ∈ S }. */
  intersectDomain(uset: UnionSet): UnionMap {
    return this.give(UnionMap, "isl_union_map_intersect_domain", uset);
  }
  /** Takes M and a union set S; gives { x → y ∈ M : y ∈ S }. */
  intersectRange(uset: UnionSet): UnionMap {
    return this.give(UnionMap, "isl_union_map_intersect_range", uset);
  }
  /** Takes M and S; gives { x → y ∈ M : x ∉ S }. */
  subtractDomain(uset: UnionSet): UnionMap {
    return this.give(UnionMap, "isl_union_map_subtract_domain", uset);
  }
  /** Takes M and S; gives { x → y ∈ M : y ∉ S }. */
  subtractRange(uset: UnionSet): UnionMap {
    return this.give(UnionMap, "isl_union_map_subtract_range", uset);
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
  gistDomain(uset: UnionSet): UnionMap {
    return this.give(UnionMap, "isl_union_map_gist_domain", uset);
  }
  gistParams(params: IslSet): UnionMap {
    return this.give(UnionMap, "isl_union_map_gist_params", params);
  }

  isEmpty(): boolean {
    return this.test("isl_union_map_is_empty");
  }
  isSubset(other: UnionMap): boolean {
    return this.test("isl_union_map_is_subset", other);
  }
  isEqual(other: UnionMap): boolean {
    return this.test("isl_union_map_is_equal", other);
  }
  isInjective(): boolean {
    return this.test("isl_union_map_is_injective");
  }
  isSingleValued(): boolean {
    return this.test("isl_union_map_is_single_valued");
  }
  isBijective(): boolean {
    return this.test("isl_union_map_is_bijective");
  }

  lexmin(): UnionMap {
    return this.give(UnionMap, "isl_union_map_lexmin");
  }
  lexmax(): UnionMap {
    return this.give(UnionMap, "isl_union_map_lexmax");
  }
  coalesce(): UnionMap {
    return this.give(UnionMap, "isl_union_map_coalesce");
  }
  detectEqualities(): UnionMap {
    return this.give(UnionMap, "isl_union_map_detect_equalities");
  }
  affineHull(): UnionMap {
    return this.give(UnionMap, "isl_union_map_affine_hull");
  }
  params(): IslSet {
    return this.give(IslSet, "isl_union_map_params");
  }
  alignParams(model: Space): UnionMap {
    return this.give(UnionMap, "isl_union_map_align_params", model);
  }
  /** Gives M with parameters [first, first+n) projected out (only parameters are allowed). */
  projectOutParams(first: number, n: number): UnionMap {
    return this.give(UnionMap, "isl_union_map_project_out", dimType("param"), first, n);
  }

  /** Number of (domain space, range space) pairs. */
  nMap(): number {
    return this.count("isl_union_map_n_map");
  }
  /** The per-space maps; the caller owns (and frees) them. */
  maps(): IslMap[] {
    const out: IslMap[] = [];
    this.forEachMap((m) => out.push(m.copy()));
    return out;
  }
  /**
   * Calls fn on each per-space map. The map is freed when fn returns: copy() it to keep it.
   * An exception in fn stops the walk and is rethrown.
   */
  forEachMap(fn: (map: IslMap) => void): void {
    const ctx = this.ctx;
    const cb = (p: bigint, _user: unknown): number => {
      if (ctx.hasDeferredError) {
        ctx.adopt(IslMap, p).free();
        return -1;
      }
      const m = ctx.adopt(IslMap, p); // __isl_take: we own it
      try {
        fn(m);
        return 0;
      } catch (e) {
        ctx.deferError(e);
        return -1;
      } finally {
        if (!m.isFreed) m.free();
      }
    };
    ctx.invoke("isl_union_map_foreach_map", [this, cb, null]);
  }
  /** Takes M and a map space; gives the part of M in that space (possibly empty). */
  extractMap(space: Space): IslMap {
    return this.give(IslMap, "isl_union_map_extract_map", space);
  }
  /** Gives M as a single map. Fails if M spans several space pairs. */
  toMap(): IslMap {
    return this.ctx.obj(IslMap, "isl_map_from_union_map", this);
  }
  /** Gives the universe relation between the spaces in M. */
  universe(): UnionMap {
    return this.give(UnionMap, "isl_union_map_universe");
  }
  /**
   * Takes schedules M : D1 → T and N : D2 → T; gives { x → y : M(x) ≺ N(y) }, the pairs
   * ordered strictly by the schedules (used to test or build dependences).
   */
  lexLt(other: UnionMap): UnionMap {
    return this.give(UnionMap, "isl_union_map_lex_lt_union_map", other);
  }
  /** As lexLt, with ⪯. */
  lexLe(other: UnionMap): UnionMap {
    return this.give(UnionMap, "isl_union_map_lex_le_union_map", other);
  }
  space(): Space {
    return this.give(Space, "isl_union_map_get_space");
  }

  /** Takes D and R; gives every pair D → R. */
  static fromDomainAndRange(domain: UnionSet, range: UnionSet): UnionMap {
    return domain.ctx.obj(UnionMap, "isl_union_map_from_domain_and_range", domain, range);
  }
  static fromUnionPwMultiAff(upma: UnionPwMultiAff): UnionMap {
    return upma.ctx.obj(UnionMap, "isl_union_map_from_union_pw_multi_aff", upma);
  }
  static fromMultiUnionPwAff(mupa: MultiUnionPwAff): UnionMap {
    return mupa.ctx.obj(UnionMap, "isl_union_map_from_multi_union_pw_aff", mupa);
  }
}
