/**
 * Iterator order (a pass before scheduling). isl's scheduler keeps a statement's dimension order
 * where the dependences leave it free, so the order we give it becomes the loop order. For each
 * statement we put innermost the iterator that makes the most accesses contiguous, weighted by
 * its trip count (a 5-tap loop vectorises worse than a 28-wide row), and order the rest so that
 * iterators indexing later (faster) array axes sit deeper.
 */
import { indexTerms, reads, type PolyProgram, type PStmt } from "./program.js";
import type { IslMap } from "./isl/index.js";

type Affine = Map<string, number> | null; // iterator → coefficient; null when not affine in the iterators

/** Per axis of an access, iterator → coefficient (sizes and constants dropped); null when not affine. */
export function accessIndex(m: IslMap, iters: number): Affine[] {
  // Sizes only move the constant, which is dropped here: no size values needed.
  return indexTerms(m, iters, new Map()).map((e) => {
    if (!e) return null;
    const coeffs = new Map<string, number>();
    e.coef.forEach((c, i) => {
      if (c !== 0) coeffs.set(`i${i}`, c);
    });
    return coeffs;
  });
}

/** Extent of each iterator for the real sizes (symbolic sizes count as large). */
function extents(s: PStmt, p: PolyProgram): number[] {
  const n = s.domain.dim("set");
  const text = s.domain.toString();
  return Array.from({ length: n }, (_, i) => {
    const m = new RegExp(`i${i} < (\\w+)|i${i} <= (\\w+)`).exec(text);
    const bound = m ? (m[1] ?? m[2])! : "";
    const v = /^\d+$/.test(bound) ? Number(bound) + (m![2] ? 1 : 0) : p.params.get(bound);
    return typeof v === "number" ? v : 64;
  });
}

export function orderIterators(p: PolyProgram): number {
  let changed = 0;
  p.stmts = p.stmts.map((s) => {
    const n = s.domain.dim("set");
    if (n < 2) return s;
    const ext = extents(s, p);
    const accesses: { idx: Affine[]; weight: number; write: boolean }[] = [
      { idx: accessIndex(s.write, n), weight: 2, write: true },
      ...reads(s.expr).map((r) => ({ idx: accessIndex(r.access, n), weight: 1, write: false })),
    ];
    // How much each iterator would gain as the innermost loop.
    const inner = Array.from({ length: n }, (_, i) => {
      const it = `i${i}`;
      let gain = 0;
      for (const a of accesses) {
        const uses = a.idx.map((e, k) => (e === null ? NaN : (e.get(it) ?? 0)));
        if (uses.some(Number.isNaN)) continue;
        const last = uses.length - 1;
        const elsewhere = uses.some((c, k) => k !== last && c !== 0);
        if (!elsewhere && last >= 0 && Math.abs(uses[last]!) === 1)
          gain += a.weight; // contiguous
        else if (uses.every((c) => c === 0))
          gain += a.write ? 0.5 : 0.25; // invariant
        else gain -= a.weight * 0.5; // strided
      }
      return (gain * Math.min(ext[i]!, 16)) / 16;
    });
    // Depth of the rest: iterators indexing later axes go deeper.
    const depth = Array.from({ length: n }, (_, i) => {
      const it = `i${i}`;
      let d = 0;
      for (const a of accesses)
        a.idx.forEach((e, k) => {
          if (e?.get(it)) d = Math.max(d, (a.weight * (k + 1)) / a.idx.length);
        });
      return d;
    });
    const innermost = inner.indexOf(Math.max(...inner));
    const perm = Array.from({ length: n }, (_, i) => i)
      .filter((i) => i !== innermost)
      .sort((a, b) => depth[a]! - depth[b]! || a - b);
    perm.push(innermost);
    if (perm.every((v, i) => v === i)) return s;
    changed++;
    const its = Array.from({ length: n }, (_, i) => `i${i}`);
    const map = p.ctx.map(`{ ${s.name}[${its.join(", ")}] -> ${s.name}[${perm.map((v) => `i${v}`).join(", ")}] }`);
    const rebase = (m: IslMap) => m.applyDomain(map);
    const expr = (e: PStmt["expr"]): PStmt["expr"] =>
      e.k === "read" ? { ...e, access: rebase(e.access) } : e.k === "call" ? { ...e, args: e.args.map(expr) } : e;
    return { ...s, domain: s.domain.apply(map), write: rebase(s.write), expr: expr(s.expr) };
  });
  return changed;
}
