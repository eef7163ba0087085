/**
 * Iterator order (a pass before scheduling). isl's scheduler keeps a statement's dimension order
 * where the dependences leave it free, so the order we give it becomes the loop order. For each
 * statement we put innermost the iterator that makes the most accesses contiguous, weighted by
 * its trip count (a 5-tap loop vectorises worse than a 28-wide row), and order the rest so that
 * iterators indexing later (faster) array axes sit deeper.
 */
import { reads, type PolyProgram, type PStmt } from "./program.js";
import type { IslMap } from "./isl/index.js";

type Affine = Map<string, number> | null; // iterator → coefficient; null when not affine in the iterators

/** The index expressions of an access, parsed from isl's text: `v5[i0, 2i1 + 1, -2 + n2 + i3 - i5]`. */
export function accessIndex(m: IslMap, iters: number): Affine[] {
  const s = m.toString();
  const arrow = s.indexOf("->", s.indexOf("{"));
  const open = s.indexOf("[", arrow), close = s.indexOf("]", open);
  const parts = s.slice(open + 1, close).split(",").map((x) => x.trim()).filter((x) => x.length);
  return parts.map((p) => {
    if (/floor|mod|\//.test(p)) return null;
    const coeffs = new Map<string, number>();
    for (const t of p.replace(/\s+/g, "").replace(/-/g, "+-").split("+").filter(Boolean)) {
      const m2 = /^(-?)(\d*)(i\d+)$/.exec(t);
      if (m2) { const c = (m2[1] ? -1 : 1) * (m2[2] ? Number(m2[2]) : 1); coeffs.set(m2[3]!, (coeffs.get(m2[3]!) ?? 0) + c); continue; }
      if (/^-?\d*[ns]\d+$/.test(t) || /^-?\d+$/.test(t)) continue; // parameters and constants
      return null;
    }
    for (const k of coeffs.keys()) if (Number(k.slice(1)) >= iters) return null;
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
        const uses = a.idx.map((e, k) => (e === null ? NaN : e.get(it) ?? 0));
        if (uses.some(Number.isNaN)) continue;
        const last = uses.length - 1;
        const elsewhere = uses.some((c, k) => k !== last && c !== 0);
        if (!elsewhere && last >= 0 && Math.abs(uses[last]!) === 1) gain += a.weight;      // contiguous
        else if (uses.every((c) => c === 0)) gain += a.write ? 0.5 : 0.25;              // invariant
        else gain -= a.weight * 0.5;                                                     // strided
      }
      return gain * Math.min(ext[i]!, 16) / 16;
    });
    // Depth of the rest: iterators indexing later axes go deeper.
    const depth = Array.from({ length: n }, (_, i) => {
      const it = `i${i}`;
      let d = 0;
      for (const a of accesses) a.idx.forEach((e, k) => { if (e?.get(it)) d = Math.max(d, a.weight * (k + 1) / a.idx.length); });
      return d;
    });
    const innermost = inner.indexOf(Math.max(...inner));
    const perm = Array.from({ length: n }, (_, i) => i).filter((i) => i !== innermost)
      .sort((a, b) => depth[a]! - depth[b]! || a - b);
    perm.push(innermost);
    if (perm.every((v, i) => v === i)) return s;
    changed++;
    const its = Array.from({ length: n }, (_, i) => `i${i}`);
    const map = p.ctx.map(`{ ${s.name}[${its.join(", ")}] -> ${s.name}[${perm.map((v) => `i${v}`).join(", ")}] }`);
    const rebase = (m: IslMap) => m.applyDomain(map);
    const expr = (e: PStmt["expr"]): PStmt["expr"] => e.k === "read" ? { ...e, access: rebase(e.access) } : e.k === "call" ? { ...e, args: e.args.map(expr) } : e;
    return { ...s, domain: s.domain.apply(map), write: rebase(s.write), expr: expr(s.expr) };
  });
  return changed;
}
