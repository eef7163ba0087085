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

export interface Constraints { domain: UnionSet; validity: UnionMap; reductions: UnionMap }

export function dependences(p: PolyProgram): Constraints {
  const ctx = p.ctx;
  let domain = ctx.emptyUnionSet();
  let validity = ctx.emptyUnionMap(), reductions = ctx.emptyUnionMap();
  const byArray = new Map<string, { first: UnionMap; upd: UnionMap; read: UnionMap }>();
  const slot = (a: string) => {
    let s = byArray.get(a);
    if (!s) byArray.set(a, (s = { first: ctx.emptyUnionMap(), upd: ctx.emptyUnionMap(), read: ctx.emptyUnionMap() }));
    return s;
  };
  for (const s of p.stmts) {
    domain = domain.union(s.domain.toUnion());
    const w = s.write.toUnion();
    const e = slot(s.array);
    if (s.kind === "update") e.upd = e.upd.union(w); else e.first = e.first.union(w);
    for (const r of reads(s.expr)) { const x = slot(r.array); x.read = x.read.union(r.access.toUnion()); }
  }
  for (const e of byArray.values()) {
    const writes = e.first.union(e.upd);
    validity = validity.union(writes.applyRange(e.read.reverse()));
    validity = validity.union(e.first.applyRange(e.upd.reverse()));
    reductions = reductions.union(e.upd.applyRange(e.upd.reverse()));
  }
  return { domain, validity, reductions };
}
