/**
 * Schedule constraints (reference §8.5), from the access relations: every write of an element
 * precedes every read of it; an init precedes the updates of its element. Updates of one
 * element are not ordered among themselves (the reduction operators are associative and
 * commutative). Those pairs of updates are kept apart (`reductions`): handed to isl as coincidence
 * constraints they made its scheduler fail ("unable to carry dependences") on the MNIST training
 * step after seconds, so a loop's parallelism must be judged against them separately.
 */
import type { UnionMap, UnionSet } from "./isl/index.js";
import { reads, type PolyProgram } from "./program.js";

export interface Constraints {
  domain: UnionSet;
  validity: UnionMap;
  reductions: UnionMap;
}

export function dependences(p: PolyProgram): Constraints {
  const ctx = p.ctx;
  const domains: UnionSet[] = [];
  const byArray = new Map<string, { first: UnionMap[]; upd: UnionMap[]; read: UnionMap[] }>();
  const slot = (a: string) => {
    let s = byArray.get(a);
    if (!s) byArray.set(a, (s = { first: [], upd: [], read: [] }));
    return s;
  };
  for (const s of p.stmts) {
    domains.push(s.domain.toUnion());
    const w = s.write.toUnion();
    const e = slot(s.array);
    (s.kind === "update" ? e.upd : e.first).push(w);
    for (const r of reads(s.expr)) slot(r.array).read.push(r.access.toUnion());
  }
  const validity: UnionMap[] = [],
    reductions: UnionMap[] = [];
  for (const x of byArray.values()) {
    const first = unionAll(x.first, ctx.emptyUnionMap()),
      upd = unionAll(x.upd, ctx.emptyUnionMap()),
      read = unionAll(x.read, ctx.emptyUnionMap());
    validity.push(first.union(upd).applyRange(read.reverse()), first.applyRange(upd.reverse()));
    reductions.push(upd.applyRange(upd.reverse()));
  }
  return {
    domain: unionAll(domains, ctx.emptyUnionSet()),
    validity: unionAll(validity, ctx.emptyUnionMap()),
    reductions: unionAll(reductions, ctx.emptyUnionMap()),
  };
}

/**
 * The union of many maps (or sets), merged pairwise: a union copies its operands, so folding
 * 10^5 statements one by one into a growing union would take quadratic time.
 */
export function unionAll<T extends { union(o: T): T }>(xs: T[], empty: T): T {
  if (!xs.length) return empty;
  let level = xs;
  while (level.length > 1) {
    const next: T[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? level[i]!.union(level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}
