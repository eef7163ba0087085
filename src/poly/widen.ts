/**
 * Wide sums (a pass after `order`, f32 only; issue 10): an f32 array that receives a long `+=`
 * sum in memory — its element indexed by an inner loop (column sums), or its nest fused with
 * other statements (the LeNet's bias gradients beside the relu backward) — accumulates in double
 * storage, so the sum is rounded to f32 once, as the interpreter rounds it. Nests that only add
 * into one element already get a double local (src/codegen/passes.ts `accumulate`); kernels keep
 * their own accumulators (src/poly/kernels.ts).
 *
 * Long: an element can receive more than SHORT_SUM terms, summed over the `+=` statements that
 * write the array. A statement whose write is injective on its domain adds one term per element;
 * otherwise the instances writing one element differ by vectors of D = deltas(W⁻¹ ∘ W), so an
 * element receives at most min(|D|, Π_k (max_k |D_k| + 1)) terms; a size-dependent bound (the
 * batch of a bias gradient) is unbounded. Short sums stay f32: error ≤ (K − 1)·u·Σ|x| for K ≤ 16
 * terms (u = 2^-24). Wide: ≤ u·|s| + (K − 1)·2^-53·Σ|x| (to first order), f32 accuracy up to
 * K ≈ 2^29 terms. Only long targets widen, so the memory traffic of short scatters (the pooling
 * backward, ≤ 4 terms) does not double.
 *
 * A wide array is a temp (PArray.wide; printed `double *`, read as `(float)`). An output, or an
 * array a kernel reads, keeps its f32 name: its writers and other readers move to a new wide
 * array `<name>w`, and a copy statement, which isl schedules like any other, rounds it once into
 * the f32 array after the last update.
 */
import type { LoopProgram } from "../loop/ast.js";
import { knownContext } from "./contract.js";
import type { IslMap, IslSet } from "./isl/index.js";
import { paramOf, reads, withParams, type PArray, type PExpr, type PolyProgram, type PStmt } from "./program.js";
import { countPoints } from "./verify.js";

/**
 * Most terms an element may receive and stay an f32 sum in memory. Measured on the LeNet step
 * (batch 64, one thread, the two builds interleaved in one process): widening every sum of more
 * than one term (the pooling backward's scatters, the per-image softmax sums) cost 6–10%; past 16
 * terms only the bias gradients and the loss widen, within the noise (±3%).
 */
export const SHORT_SUM = 16;

export interface WidenStats {
  /** The arrays that accumulate in double, each with its bound on terms per element (null: unbounded). */
  wide: { array: string; terms: number | null }[];
}

export function widenSums(p: PolyProgram): WidenStats {
  const known = knownContext(p);
  const stats: WidenStats = { wide: [] };
  try {
    for (const a of [...p.arrays.values()]) {
      const terms = sumTerms(p, a, known);
      if (terms === undefined || terms <= SHORT_SUM) continue;
      stats.wide.push({ array: a.name, terms: Number.isFinite(terms) ? terms : null });
      const floatReader = p.stmts.some((s) => s.kernel && reads(s.expr).some((r) => r.array === a.name));
      if (a.role === "temp" && !floatReader) a.wide = true;
      else wideCopy(p, a);
    }
  } finally {
    known.free();
  }
  return stats;
}

/**
 * Terms per element of `a`'s `+=` statements together (Infinity: unbounded); undefined when `a`
 * is no candidate: an input, no `+=` into it, or some kernel or other reduction writes it.
 */
function sumTerms(p: PolyProgram, a: PArray, known: IslSet): number | undefined {
  if (a.role === "input" || a.wide) return undefined;
  const writers = p.stmts.filter((s) => s.array === a.name);
  const sums = writers.filter((s) => s.kind === "update" && s.op === "+");
  if (!sums.length || writers.some((s) => s.kernel || (s.kind === "update" && s.op !== "+"))) return undefined;
  return sums.reduce((n, s) => n + stmtTerms(s, known), 0);
}

/** The most instances of `s` that write one element (an upper bound; Infinity when size-dependent). */
function stmtTerms(s: PStmt, known: IslSet): number {
  return scoped(s.write.intersectDomain(s.domain), (w0) =>
    scoped(w0.intersectParams(known), (w) => {
      if (w.isInjective()) return 1;
      // instance → the instances writing its element, then their differences D
      const same = scoped(w.reverse(), (back) => w.applyRange(back));
      const d = scoped(same.toUnion(), (u) => scoped(u.deltas(), (x) => x.toSet()));
      same.free();
      return scoped(d, () => {
        const n = d.dim("set");
        let box = 1;
        // D is symmetric, so one element's instances span at most max_k + 1 values along axis k.
        for (let k = 0; k < n && box <= SHORT_SUM; k++) {
          const hi = scoped(d.projectOut("set", k + 1, n - k - 1), (x) =>
            scoped(x.projectOut("set", 0, k), (axis) => constantOf(axis.lexmax())),
          );
          box *= hi === undefined ? Infinity : hi + 1;
        }
        if (box <= SHORT_SUM || !Number.isFinite(box)) return box;
        // countPoints needs every parameter fixed: only a D that mentions no symbolic size is counted.
        const exact = /\bs\d+\b/.test(d.toString()) ? undefined : countPoints(d);
        return Math.min(box, exact ?? Infinity);
      });
    }),
  );
}

/** `f(o)`, then `o` freed. */
function scoped<T extends { free(): void }, R>(o: T, f: (o: T) => R): R {
  try {
    return f(o);
  } finally {
    o.free();
  }
}

/** The largest value of a one-dimensional set's lexmax pieces, freed; undefined if a piece depends on a size. */
function constantOf(point: IslSet): number | undefined {
  const t = point.toString();
  point.free();
  const pieces = t.slice(t.indexOf("{") + 1, t.lastIndexOf("}")).split(";");
  let max: number | undefined;
  for (const piece of pieces) {
    if (!piece.trim()) continue;
    const m = /^\s*\[(?:\w+ = )?(-?\d+)\]/.exec(piece);
    if (!m) return undefined;
    max = Math.max(max ?? -Infinity, Number(m[1]));
  }
  return max;
}

/**
 * `a` stays f32 for its user (an output) or a kernel; its writers and non-kernel readers move to
 * a new wide array, copied into `a` (its interior, if laid out with a border) after its last writer.
 */
function wideCopy(p: PolyProgram, a: PArray): void {
  let name = `${a.name}w`;
  while (p.arrays.has(name)) name += "w";
  p.arrays.set(name, { name, shape: a.shape, role: "temp", labels: [...a.labels], wide: true });
  let last = -Infinity;
  for (const s of p.stmts) {
    if (s.array === a.name) {
      s.write = renamed(s.write, name);
      s.array = name;
      last = Math.max(last, s.order);
    }
    if (!s.kernel) s.expr = readsRenamed(s.expr, a.name, name);
  }
  const floatReaders = p.stmts.filter((s) => s.kernel && reads(s.expr).some((r) => r.array === a.name));
  const first = Math.min(...floatReaders.map((s) => s.order));
  const S = `S${p.nextStmt++}`;
  const dims = a.shape.map((_, k) => `i${k}`);
  const at = dims.map((x, k) => (a.interior ? `${x} + ${a.interior.lo[k]}` : x)).join(", ");
  const shape = a.interior?.shape ?? a.shape;
  const box = shape.map((d, k) => `0 <= i${k} < ${paramOf(d, p.graph)}`).join(" and ");
  const text = (target: string) => `{ ${S}[${dims.join(", ")}] -> ${target}[${at}]${box ? ` : ${box}` : ""} }`;
  p.stmts.push({
    name: S,
    kind: "def",
    order: Number.isFinite(first) ? (last + first) / 2 : last + 0.5,
    domain: p.ctx.set(withParams(p, `{ ${S}[${dims.join(", ")}]${box ? ` : ${box}` : ""} }`)),
    array: a.name,
    write: p.ctx.map(withParams(p, text(a.name))),
    expr: { k: "read", array: name, access: p.ctx.map(withParams(p, text(name))) },
  });
}

/** `m` with its range named `array` (`m` may be shared between statements, so it is left to the context to free). */
const renamed = (m: IslMap, array: string): IslMap => m.setTupleName("out", array);

function readsRenamed(e: PExpr, from: string, to: string): PExpr {
  if (e.k === "read") return e.array === from ? { k: "read", array: to, access: renamed(e.access, to) } : e;
  if (e.k === "call") return { ...e, args: e.args.map((x) => readsRenamed(x, from, to)) };
  return e;
}

/** The loop AST's arrays get the Poly program's wide flags (isl's AST generator knows nothing of them). */
export function markWideArrays(p: PolyProgram, lp: LoopProgram): LoopProgram {
  for (const a of lp.arrays) if (p.arrays.get(a.name)?.wide) a.wide = true;
  return lp;
}
