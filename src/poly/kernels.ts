/**
 * Kernel recognition (a pass after contraction): a statement `z[w(i)] += a[f(i)] * b[g(i)]` whose
 * domain is a box clipped only by the arrays' bounds is a tensor contraction (a convolution or a
 * matrix product and their gradients). It becomes one register-blocked kernel call instead of
 * isl's loop nest: the printer (src/codegen/kernel_c.ts) keeps a tile of outputs in vector
 * registers over the whole reduction.
 *
 * The steps, each exact:
 *  1. change of variables so that z's index is one iterator per axis (a convolution's scatter form
 *     `z[y - ky + 2] += …` becomes the gather form `z[o] += a[o + ky - 2]…`), checked injective;
 *  2. the bounding box of the domain, checked to equal the box minus the points where some access
 *     leaves its array;
 *  3. an intermediate read outside its bounds is laid out once with a zero border that covers
 *     every kernel's reads (its producers write the interior; the printer zeroes the border); an
 *     input or output gets a zero-padded copy (init and copy statements). So the kernel runs over
 *     the whole box and the extra points add 0 · y;
 *  4. the statement becomes a single instance whose accesses are the whole regions it touches,
 *     so dependences and scheduling treat it as one step.
 * Multiplying padding zeros is what every framework's convolution does; its one visible
 * difference from the formula is an infinite or NaN partner, which then yields NaN.
 */
import type { KernelOperand, KernelPlan, KernelRole } from "../loop/ast.js";
import type { Dim } from "../core/shape.js";
import { knownContext } from "./contract.js";
import { planGemm } from "./gemm.js";
import type { IslMap, IslSet } from "./isl/index.js";
import { indexTerms, paramOf, reads, withParams, type IndexTerm, type PArray, type PExpr, type PolyProgram, type PStmt } from "./program.js";

type Read = Extract<PExpr, { k: "read" }>;
/** An affine index: a coefficient per iterator and a constant (known sizes folded in). */
interface Affine { coef: number[]; c: number }

export interface KernelStats { kernels: number; padded: number; names: string[] }

/**
 * What the kernel policy needs to know of a vector width the emitted code may run at: its bytes,
 * and how many accumulators a tile may keep (the register file less the loaded operands). At 32
 * bytes, 24: the tiles of issue 6, kept unchanged so -march=native runs as before (16 ymm
 * registers; GCC takes the shared operand from memory). At 16 bytes (SSE2's 16 xmm registers), 12: the same 24
 * spilled there and ran slower than the loop nests (issue 12: ~480 against ~855 images/s); 12
 * leaves room for the loaded operands (bench/RESULTS.md has the figures). At 64 bytes AVX-512's
 * 32 registers allow 28 (compiled and tested here, not timed: this machine has no AVX-512).
 */
export interface VectorTarget { bytes: number; accumulators: number }
export const VECTOR_TARGETS: VectorTarget[] = [
  { bytes: 64, accumulators: 28 },
  { bytes: 32, accumulators: 24 },
  { bytes: 16, accumulators: 12 },
];
/** The scalar fallback (no vector extensions): one element per "vector", scalar registers. */
const SCALAR_ACCUMULATORS = 12;
/**
 * A long reduction axis (symbolic, as a batch, or over 256 steps) is split into chunks so the
 * operands one chunk reads stay in L1 across the tiles that share them: 8 batch items, or 128
 * steps of a known axis (a few KiB of operands at the sizes of the LeNet step).
 */
const CHUNK = { symbolic: 8, known: 128, longer: 256 };

/** The widths the kernels are planned for; `elem` the element's bytes. Roles and padding use the 32-byte lanes. */
export function kernelTargets(elem: number): { roleLanes: number; variants: { bytes: number; lanes: number; accumulators: number }[] } {
  const variants = [...VECTOR_TARGETS.map((t) => ({ bytes: t.bytes, lanes: t.bytes / elem, accumulators: t.accumulators })), { bytes: 0, lanes: 1, accumulators: SCALAR_ACCUMULATORS }];
  return { roleLanes: 32 / elem, variants };
}

export function recognizeKernels(p: PolyProgram, elem: number): KernelStats {
  const lanes = kernelTargets(elem);
  const stats: KernelStats = { kernels: 0, padded: 0, names: [] };
  const known = knownContext(p);
  const pads = new Map<string, { array: string; lo: number[] }>();
  const sorted = [...p.stmts].sort((a, b) => a.order - b.order);
  // First the ranges each kernel reads outside an intermediate array; those arrays are laid out
  // once with a zero border covering them all, so their producers write straight into it.
  // Only the statements that got that far are analysed again.
  const need = new Map<string, { lo: number[]; hi: number[] }>(), candidates: PStmt[] = [];
  for (const s of sorted) planFor(p, s, known, lanes, { pads, stats, need, candidates });
  for (const [array, range] of need) relayout(p, array, range);
  for (const s of candidates) {
    const plan = planFor(p, s, known, lanes, { pads, stats });
    if (plan) { stats.kernels++; stats.names.push(s.name); planGemm(p, plan, elem); }
  }
  return stats;
}

/** Moves an intermediate array into a larger layout whose border (zeros) covers `range`. */
function relayout(p: PolyProgram, array: string, range: { lo: number[]; hi: number[] }): void {
  const arr = p.arrays.get(array)!;
  const off = arr.shape.map((d, k) => (typeof d === "number" ? Math.max(0, -range.lo[k]!) : 0));
  const shape = arr.shape.map((d, k) => (typeof d === "number" ? Math.max(range.hi[k]!, d - 1) + off[k]! + 1 : d));
  const dims = shape.map((_, k) => `i${k}`).join(", ");
  const shift = p.ctx.map(withParams(p, `{ ${array}[${dims}] -> ${array}[${shape.map((_, k) => `i${k} + ${off[k]}`).join(", ")}] }`));
  const move = (e: PExpr): PExpr => (e.k === "read" ? (e.array === array ? { ...e, access: e.access.applyRange(shift) } : e) : e.k === "call" ? { ...e, args: e.args.map(move) } : e);
  for (const st of p.stmts) {
    st.expr = move(st.expr);
    if (st.array === array) st.write = st.write.applyRange(shift);
  }
  // The border is zeroed by the printed program before anything runs (a few memsets), not by a
  // statement: isl would fuse such a statement with the producer and guard its inner loop.
  arr.interior = { lo: off, shape: arr.shape };
  arr.shape = shape;
}

interface Phase {
  pads: Map<string, { array: string; lo: number[] }>;
  stats: KernelStats;
  /** Set while collecting: the ranges read outside intermediates, and the statements that reached padding. */
  need?: Map<string, { lo: number[]; hi: number[] }>;
  candidates?: PStmt[];
}

/** The access's index with every size known; null when it is not affine in those terms. */
function parseIndex(m: IslMap, n: number, p: PolyProgram): Affine[] | null {
  const terms = indexTerms(m, n, p.params);
  return terms.every((e): e is IndexTerm => e !== null && !e.symbolic) ? terms.map(({ coef, c }) => ({ coef, c })) : null;
}

const affText = (a: Affine): string => {
  const terms = a.coef.map((c, i) => (c === 0 ? "" : `${c === 1 ? "" : c === -1 ? "-" : c}i${i}`)).filter(Boolean);
  if (a.c !== 0 || !terms.length) terms.push(String(a.c));
  return terms.join(" + ").replace(/\+ -/g, "- ");
};

/** Flat element strides of an array's axes; undefined when a later axis is symbolic. */
function strides(shape: Dim[]): number[] | undefined {
  const out: number[] = new Array(shape.length).fill(0);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = acc;
    if (d > 0) { const e = shape[d]!; if (typeof e !== "number") return undefined; acc *= e; }
  }
  return out;
}

/** The kernel for a statement, or undefined; while collecting (`need` set) it only records ranges. */
function planFor(p: PolyProgram, s: PStmt, known: IslSet, tg: ReturnType<typeof kernelTargets>, ph: Phase): KernelPlan | undefined {
  if (s.kind !== "update" || s.op !== "+" || s.expr.k !== "call" || s.expr.op !== "*") return undefined;
  let [ra, rb] = s.expr.args;
  if (ra?.k !== "read" || rb?.k !== "read" || ra.array === s.array || rb.array === s.array) return undefined;
  const zArr = p.arrays.get(s.array)!, aArr = p.arrays.get(ra.array)!, bArr = p.arrays.get(rb.array)!;
  const n = s.domain.dim("set");
  if (n < 2) return undefined;
  const w0 = parseIndex(s.write, n, p), a0 = parseIndex(ra.access, n, p), b0 = parseIndex(rb.access, n, p);
  if (!w0 || !a0 || !b0 || !w0.length) return undefined;

  // 1. New iterators: z's index expressions first, then the iterators no pivot eliminated.
  const pivots: number[] = [];
  for (const e of w0) {
    const piv = e.coef.findIndex((c, i) => Math.abs(c) === 1 && !pivots.includes(i));
    if (piv < 0) return undefined;
    pivots.push(piv);
  }
  const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !pivots.includes(i));
  const its = Array.from({ length: n }, (_, i) => `i${i}`).join(", ");
  const change = p.ctx.map(withParams(p, `{ ${s.name}[${its}] -> ${s.name}[${[...w0.map(affText), ...rest.map((i) => `i${i}`)].join(", ")}] }`));
  const onDomain = change.intersectDomain(s.domain);
  if (!onDomain.isInjective()) return undefined;
  const dom = s.domain.apply(change).intersectParams(known);
  const w = parseIndex(s.write.applyDomain(change), n, p);
  let a = parseIndex(ra.access.applyDomain(change), n, p);
  let b = parseIndex(rb.access.applyDomain(change), n, p);
  if (!w || !a || !b) return undefined;
  if (!w.every((e, d) => e.c === 0 && e.coef.every((c, i) => c === (i === d ? 1 : 0)))) return undefined;
  const Z = w.length;

  // 2. The bounding box: 0 ≤ i_k < the smallest known size or symbolic size that bounds it.
  const numbers = new Set<number>();
  for (const arr of p.arrays.values()) for (const d of arr.shape) if (typeof d === "number") numbers.add(d);
  for (const v of p.params.values()) if (typeof v === "number") numbers.add(v);
  const sizes = [...numbers].sort((x, y) => x - y), symbolic = [...p.params].filter(([, v]) => typeof v === "string").map(([q]) => q);
  const setOf = (cond: string) => p.ctx.set(withParams(p, `{ ${s.name}[${its}] : ${cond} }`)).intersectParams(known);
  const extents: (number | string)[] = [];
  for (let k = 0; k < n; k++) {
    if (!dom.isSubset(setOf(`i${k} >= 0`))) return undefined;
    // Bounded by a size is monotone in the size: bisect the known sizes, then try the symbolic ones.
    const bounded = (c: number | string) => dom.isSubset(setOf(`i${k} < ${c}`));
    let lo = 0, hi = sizes.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (bounded(sizes[mid]!)) hi = mid; else lo = mid + 1; }
    const e = lo < sizes.length ? sizes[lo] : symbolic.find(bounded);
    if (e === undefined) return undefined;
    extents.push(e);
  }
  // In bounds: inside the values, not the zero border of an array laid out for another kernel.
  const inBounds = (idx: Affine[], arr: PArray) => idx.map((e, d) => arr.interior
    ? `${arr.interior.lo[d]} <= ${affText(e)} < ${arr.interior.lo[d]} + ${dimText(p, arr.interior.shape[d]!)}`
    : `0 <= ${affText(e)} < ${dimText(p, arr.shape[d]!)}`);
  const boxCons = extents.map((e, k) => `0 <= i${k} < ${e}`);
  const clipped = setOf([...boxCons, ...inBounds(a, aArr), ...inBounds(b, bArr), ...inBounds(w, zArr)].join(" and "));
  if (!clipped.isEqual(dom)) return undefined;
  // Every box point writes inside z's values: the extra points read a zero of a or b instead.
  if (!setOf(boxCons.join(" and ")).isSubset(setOf(inBounds(w, zArr).join(" and ")))) return undefined;

  // A symbolic extent is allowed only for an iterator that indexes an axis of that size alone.
  const symbolicOk = (idx: Affine[], shape: Dim[]) => extents.every((e, k) => typeof e === "number" || idx.every((x, d) => x.coef[k] === 0 || (x.coef[k] === 1 && x.c === 0 && x.coef.every((c, j) => j === k || c === 0) && dimText(p, shape[d]!) === e)));
  if (!symbolicOk(a, aArr.shape) || !symbolicOk(b, bArr.shape) || !symbolicOk(w, zArr.shape)) return undefined;

  // 3. Roles, then padding.
  // Padding covers whole vectors of the 32-byte width (and so of every narrower one); the wider
  // width reads past v's extent only when it divides it, and otherwise loads its last vector partially.
  const lanes = tg.roleLanes;
  const roles = chooseRoles(w, a, b, extents, Z, lanes);
  if (!roles) return undefined;
  if (roles.swap) { [ra, rb] = [rb, ra]; [a, b] = [b, a]; }
  // Whole vectors are read past v's extent, up to the next multiple of the lanes: b in the axpy
  // form (those lanes are never stored), both operands in the dot form, where the extra lanes
  // are summed and so must read a zero of the padding in one of them.
  const vk = roles.role.indexOf("v"), ev = extents[vk] as number;
  const rounded = extents.map((e, k) => (k === vk ? Math.ceil(ev / lanes) * lanes : e));
  const zeroPast = (idx: Affine[], arr: PArray) => {
    const e = idx[idx.length - 1]!;
    let least = e.c + ev;
    e.coef.forEach((c, k) => { if (k !== vk && c < 0) least += c * ((extents[k] as number) - 1); });
    const last = arr.shape.length - 1;
    const end = arr.interior ? arr.interior.lo[last]! + (arr.interior.shape[last] as number) : (arr.shape[last] as number);
    return e.coef[vk] === 1 && least >= end;
  };
  const overread = roles.form === "axpy" || ev % lanes === 0 || zeroPast(a, p.arrays.get(ra.array)!) || zeroPast(b, p.arrays.get(rb.array)!);
  const aPad = padded(p, s, ra, a, roles.form === "dot" && overread ? rounded : extents, ph);
  const bPad = padded(p, s, rb, b, overread ? rounded : extents, ph);
  if (ph.need) { ph.candidates!.push(s); return undefined; }
  const zS = strides(zArr.shape);
  if (!zS || !aPad || !bPad) return undefined;
  const operand = (array: string, idx: Affine[], st: number[]): KernelOperand => ({
    array, offset: idx.reduce((o, e, d) => o + e.c * st[d]!, 0),
    stride: Array.from({ length: n }, (_, k) => idx.reduce((o, e, d) => o + e.coef[k]! * st[d]!, 0)),
  });
  const iters = extents.map((e, k) => ({ name: `i${k}`, extent: e, role: roles.role[k]! }));
  const plan: KernelPlan = {
    form: roles.form, iters,
    z: operand(s.array, w, zS), a: operand(aPad.array, aPad.idx, aPad.strides), b: operand(bPad.array, bPad.idx, bPad.strides),
    variants: tg.variants.map((t) => ({ bytes: t.bytes, lanes: t.lanes, ...tileBlocks(roles.form, iters, t.lanes, t.accumulators), overread: (overread && t.lanes <= lanes) || ev % t.lanes === 0 })),
    ...chunkOf(iters),
  };

  // 4. One instance touching whole regions.
  const box = boxCons.join(" and ");
  const region = (array: string, idx: Affine[]) => p.ctx.map(withParams(p, `{ ${s.name}[${its}] -> ${array}[${idx.map(affText).join(", ")}] : ${box} }`)).applyDomain(p.ctx.map(`{ ${s.name}[${its}] -> ${s.name}[] }`));
  s.domain = p.ctx.set(`{ ${s.name}[] }`);
  s.write = region(s.array, w);
  s.expr = { k: "call", op: "*", args: [{ k: "read", array: aPad.array, access: region(aPad.array, aPad.idx) }, { k: "read", array: bPad.array, access: region(bPad.array, bPad.idx) }] };
  s.kernel = plan;
  return plan;
}

/** A size in isl text: the number itself, or its symbolic parameter. */
function dimText(p: PolyProgram, d: Dim): string {
  return typeof d === "number" ? String(d) : String(paramOf(d, p.graph));
}

interface Roles { form: "axpy" | "dot"; role: KernelRole[]; swap: boolean }

/**
 * The register tile for one width: axpy, `block` rows of r by up to 4 vectors along v; dot,
 * `block` × `block2` dot products (up to 5 columns), the accumulators within the budget.
 */
function tileBlocks(form: "axpy" | "dot", iters: KernelPlan["iters"], lanes: number, acc: number): { block: number; block2: number } {
  const ext = (role: KernelRole) => { const it = iters.find((x) => x.role === role); return it ? (it.extent as number) : undefined; };
  const r = ext("r"), r2 = ext("r2"), v = ext("v")!;
  if (form === "axpy") {
    const nv = Math.min(Math.ceil(v / lanes), 4);
    return { block: r === undefined ? 1 : blockSize(r, Math.max(1, Math.floor(acc / nv))), block2: 1 };
  }
  const b2 = r2 === undefined ? 1 : blockSize(r2, 5);
  return { block: r === undefined ? 1 : blockSize(r, Math.max(1, Math.floor((acc - 4) / b2))), block2: b2 };
}

/** The reduction axis the driver splits into chunks (the longest long one), and the chunk's length. */
function chunkOf(iters: KernelPlan["iters"]): { chunk?: { iter: string; size: number } } {
  const len = (e: number | string) => (typeof e === "string" ? Infinity : e);
  const long = iters.filter((x) => x.role === "red" && len(x.extent) > CHUNK.longer).sort((x, y) => len(y.extent) - len(x.extent))[0];
  return long ? { chunk: { iter: long.name, size: typeof long.extent === "string" ? CHUNK.symbolic : CHUNK.known } } : {};
}

/**
 * axpy: the vector runs along z's last axis (v), over an operand x that has v in its last axis
 * only; a block of r (an output axis of the other operand y only) shares each vector of x.
 * dot: the vector runs along a reduction axis that is the last axis of both operands; a block of
 * r (outputs of a only) by r2 (outputs of b only) shares the loaded vectors. The lane
 * efficiency decides between them.
 */
function chooseRoles(w: Affine[], a: Affine[], b: Affine[], ext: (number | string)[], Z: number, lanes: number): Roles | undefined {
  const n = ext.length;
  const uses = (idx: Affine[], k: number) => idx.some((e) => e.coef[k] !== 0);
  const onlyLast = (idx: Affine[], k: number) => idx.length > 0 && idx[idx.length - 1]!.coef[k] === 1 && idx.slice(0, -1).every((e) => e.coef[k] === 0);
  const num = (k: number) => (typeof ext[k] === "number" ? (ext[k] as number) : 0);
  const eff = (e: number) => e / (Math.ceil(e / lanes) * lanes);
  const pickBlock = (cands: number[]) => cands.filter((k) => num(k) > 1).sort((x, y) => num(y) - num(x))[0];

  let best: { score: number; roles: Roles } | undefined;
  // axpy, with b or a as the vector operand x (the plan's b is always x: swap when a is).
  const v = Z - 1;
  if (num(v) >= 2) {
    for (const [x, y] of [[b, a], [a, b]] as const) {
      if (!onlyLast(x, v) || uses(y, v)) continue;
      const r = pickBlock(Array.from({ length: Z }, (_, k) => k).filter((k) => k !== v && uses(y, k) && !uses(x, k)));
      const role: KernelRole[] = Array.from({ length: n }, (_, k) => (k === v ? "v" : k === r ? "r" : k < Z ? "plain" : "red"));
      const roles: Roles = { form: "axpy", role, swap: x !== b };
      const score = eff(Math.min(num(v), 4 * lanes));
      if (!best || score > best.score) best = { score, roles };
      break;
    }
  }
  // dot
  for (let k = Z; k < n; k++) {
    if (num(k) < 2 || !onlyLast(a, k) || !onlyLast(b, k)) continue;
    const r = pickBlock(Array.from({ length: Z }, (_, j) => j).filter((j) => uses(a, j) && !uses(b, j)));
    const r2 = pickBlock(Array.from({ length: Z }, (_, j) => j).filter((j) => uses(b, j) && !uses(a, j)));
    const role: KernelRole[] = Array.from({ length: n }, (_, j) => (j === k ? "v" : j === r ? "r" : j === r2 ? "r2" : j < Z ? "plain" : "red"));
    const roles: Roles = { form: "dot", role, swap: false };
    const score = eff(num(k)) - 0.01;
    if (!best || score > best.score) best = { score, roles };
    break;
  }
  if (!best || best.score < 0.5) return undefined;
  return best.roles;
}

/** A block size up to `cap`: a divisor of the extent when one is nearly as large, else `cap`. */
function blockSize(extent: number, cap: number): number {
  if (extent <= cap) return extent;
  for (let d = cap; d >= Math.ceil(cap * 0.66); d--) if (extent % d === 0) return d;
  return cap;
}

/**
 * The operand as the kernel reads it: itself when every box point reads inside it, else a
 * zero-padded copy covering the range the box reads (shared by kernels reading the same range).
 */
function padded(p: PolyProgram, s: PStmt, r: Read, idx: Affine[], ext: (number | string)[], ph: Phase): { array: string; idx: Affine[]; strides: number[] } | undefined {
  const { pads, stats, need } = ph;
  const arr = p.arrays.get(r.array)!;
  const lo: number[] = [], hi: number[] = [];
  idx.forEach((e, d) => {
    let l = e.c, h = e.c;
    e.coef.forEach((c, k) => {
      if (c === 0) return;
      const top = typeof ext[k] === "number" ? (ext[k] as number) - 1 : NaN;
      if (c > 0) h += c * top; else l += c * top;
    });
    lo.push(l); hi.push(h);
  });
  const inside = idx.every((_, d) => Number.isNaN(hi[d]!) || (lo[d]! >= 0 && hi[d]! < (arr.shape[d] as number)));
  if (inside) { const st = strides(arr.shape); return st ? { array: r.array, idx, strides: st } : undefined; }
  if (idx.some((_, d) => Number.isNaN(hi[d]!) && d !== 0)) return undefined;
  if (arr.role === "temp" && !arr.interior) {
    if (need) {
      const u = need.get(r.array);
      const lo1 = lo.map((l, d) => (Number.isNaN(hi[d]!) ? 0 : l)), hi1 = hi.map((h) => (Number.isNaN(h) ? 0 : h));
      need.set(r.array, u ? { lo: u.lo.map((l, d) => Math.min(l, lo1[d]!)), hi: u.hi.map((h, d) => Math.max(h, hi1[d]!)) } : { lo: lo1, hi: hi1 });
    }
    return undefined;
  }
  if (need) return undefined;
  const shape: Dim[] = arr.shape.map((d, k) => (Number.isNaN(hi[k]!) ? d : hi[k]! - lo[k]! + 1));
  const lo0 = lo.map((l, d) => (Number.isNaN(hi[d]!) ? 0 : l));
  const key = `${r.array}|${lo0.join(",")}|${shape.join(",")}`;
  let pad = pads.get(key);
  if (!pad) {
    const name = `${r.array}p${pads.size}`;
    const parr: PArray = { name, shape, role: "temp", labels: [`${arr.labels[0] ?? r.array} padded`] };
    p.arrays.set(name, parr);
    const dims = shape.map((_, d) => `i${d}`).join(", ");
    const S1 = `S${p.nextStmt++}`, S2 = `S${p.nextStmt++}`;
    const full = shape.map((d, k) => `0 <= i${k} < ${dimText(p, d)}`).join(" and ");
    const copy = arr.shape.map((d, k) => Number.isNaN(hi[k]!) ? `0 <= i${k} < ${dimText(p, d)}` : `${Math.max(0, lo0[k]!)} <= i${k} <= ${Math.min(hi[k]!, (d as number) - 1)}`).join(" and ");
    const shifted = arr.shape.map((_, k) => `i${k} - (${lo0[k]})`).join(", ");
    const t = (x: string) => p.ctx.set(withParams(p, x)), m = (x: string) => p.ctx.map(withParams(p, x));
    const order = s.order - 0.5;
    p.stmts.push({ name: S1, kind: "init", order, domain: t(`{ ${S1}[${dims}] : ${full} }`), array: name, write: m(`{ ${S1}[${dims}] -> ${name}[${dims}] : ${full} }`), expr: { k: "const", v: 0 } });
    p.stmts.push({
      name: S2, kind: "update", op: "+", order, domain: t(`{ ${S2}[${dims}] : ${copy} }`), array: name,
      write: m(`{ ${S2}[${dims}] -> ${name}[${shifted}] : ${copy} }`),
      expr: { k: "read", array: r.array, access: m(`{ ${S2}[${dims}] -> ${r.array}[${dims}] : ${copy} }`) },
    });
    pad = { array: name, lo: lo0 };
    pads.set(key, pad);
    stats.padded++;
  }
  const st = strides(shape);
  if (!st) return undefined;
  return { array: pad.array, idx: idx.map((e, d) => ({ coef: e.coef, c: e.c - pad!.lo[d]! })), strides: st };
}
