// isl_union_set: a union of sets living in different spaces, e.g. the iteration domains of
// all statements "{ S0[i] : 0 <= i < 10; S1[i, j] : ... }". Operations work space by space.

import { IslObject, registerKind } from "./core.js";
import { IslSet } from "./set.js";
import { Space, dimType } from "./space.js";
import { UnionMap } from "./union_map.js";

export class UnionSet extends IslObject {
  static readonly islType = "isl_union_set";
  static {
    registerKind(this);
  }

  /** Takes U, V; gives U ∪ V. */
  union(other: UnionSet): UnionSet {
    return this.give(UnionSet, "isl_union_set_union", other);
  }
  /** Takes U, V; gives U ∩ V (per space). */
  intersect(other: UnionSet): UnionSet {
    return this.give(UnionSet, "isl_union_set_intersect", other);
  }
  /** Takes U, V; gives U \ V. */
  subtract(other: UnionSet): UnionSet {
    return this.give(UnionSet, "isl_union_set_subtract", other);
  }
  /** Takes U and a parameter set; gives U restricted to those parameter values. */
  intersectParams(params: IslSet): UnionSet {
    return this.give(UnionSet, "isl_union_set_intersect_params", params);
  }
  /** Gives U with parameter `name` fixed to `value` (U need not mention it). */
  fixParam(name: string, value: number): UnionSet {
    const p = this.ctx.obj(IslSet, "isl_set_read_from_str", this.ctx, `[${name}] -> { : ${name} = ${value} }`);
    try {
      return this.intersectParams(p);
    } finally {
      p.free();
    }
  }
  /** Takes U and a union map M; gives the image M(U). */
  apply(umap: UnionMap): UnionSet {
    return this.give(UnionSet, "isl_union_set_apply", umap);
  }
  gist(context: UnionSet): UnionSet {
    return this.give(UnionSet, "isl_union_set_gist", context);
  }

  isEmpty(): boolean {
    return this.test("isl_union_set_is_empty");
  }
  isSubset(other: UnionSet): boolean {
    return this.test("isl_union_set_is_subset", other);
  }
  isEqual(other: UnionSet): boolean {
    return this.test("isl_union_set_is_equal", other);
  }

  /** Gives the lexicographic minimum in each space. */
  lexmin(): UnionSet {
    return this.give(UnionSet, "isl_union_set_lexmin");
  }
  /** Gives the lexicographic maximum in each space. */
  lexmax(): UnionSet {
    return this.give(UnionSet, "isl_union_set_lexmax");
  }
  coalesce(): UnionSet {
    return this.give(UnionSet, "isl_union_set_coalesce");
  }
  detectEqualities(): UnionSet {
    return this.give(UnionSet, "isl_union_set_detect_equalities");
  }
  /** Gives the affine hull of each space's part. */
  affineHull(): UnionSet {
    return this.give(UnionSet, "isl_union_set_affine_hull");
  }
  /** Gives the parameter values for which U is non-empty. */
  params(): IslSet {
    return this.give(IslSet, "isl_union_set_params");
  }
  alignParams(model: Space): UnionSet {
    return this.give(UnionSet, "isl_union_set_align_params", model);
  }
  /** Gives U with parameters [first, first+n) projected out (only parameters are allowed). */
  projectOutParams(first: number, n: number): UnionSet {
    return this.give(UnionSet, "isl_union_set_project_out", dimType("param"), first, n);
  }

  /** Number of spaces (statements) in U. */
  nSet(): number {
    return this.count("isl_union_set_n_set");
  }
  /** The per-space sets; the caller owns (and frees) them. */
  sets(): IslSet[] {
    const out: IslSet[] = [];
    this.forEachSet((s) => out.push(s.copy()));
    return out;
  }
  /**
   * Calls fn on each per-space set. The set is freed when fn returns: copy() it to keep it.
   * An exception in fn stops the walk and is rethrown.
   */
  forEachSet(fn: (set: IslSet) => void): void {
    const ctx = this.ctx;
    const cb = (p: bigint, _user: unknown): number => {
      if (ctx.hasDeferredError) {
        ctx.adopt(IslSet, p).free();
        return -1;
      }
      const s = ctx.adopt(IslSet, p); // __isl_take: we own it
      try {
        fn(s);
        return 0;
      } catch (e) {
        ctx.deferError(e);
        return -1;
      } finally {
        if (!s.isFreed) s.free();
      }
    };
    ctx.invoke("isl_union_set_foreach_set", [this, cb, null]);
  }
  /** Takes U and a space; gives the part of U in that space (possibly empty). */
  extractSet(space: Space): IslSet {
    return this.give(IslSet, "isl_union_set_extract_set", space);
  }
  /** Gives U as a single set. Fails if U spans several spaces. */
  toSet(): IslSet {
    return this.ctx.obj(IslSet, "isl_set_from_union_set", this);
  }
  /** Gives { x -> x : x ∈ U }. */
  identity(): UnionMap {
    return this.give(UnionMap, "isl_union_set_identity");
  }
  /** Gives the universe of every space in U. */
  universe(): UnionSet {
    return this.give(UnionSet, "isl_union_set_universe");
  }
  /** Takes U, V; gives { x -> y : x ∈ U, y ∈ V, x ≺ y } for tuples of equal arity. */
  lexLt(other: UnionSet): UnionMap {
    return this.give(UnionMap, "isl_union_set_lex_lt_union_set", other);
  }
  space(): Space {
    return this.give(Space, "isl_union_set_get_space");
  }
}
