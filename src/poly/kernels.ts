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
import {
  indexTerms,
  paramOf,
  reads,
  withParams,
  type IndexTerm,
  type PArray,
  type PExpr,
  type PolyProgram,
  type PStmt,
} from "./program.js";

type Read = Extract<PExpr, { k: "read" }>;
/** An affine index: a coefficient per iterator and a constant (known sizes folded in). */
interface Affine {
  coef: number[];
  c: number;
}

export interface KernelStats {
  kernels: number;
  padded: number;
  names: string[];
}

/**
 * What the kernel policy needs to know of a vector width the emitted code may run at: its bytes,
 * and how many accumulators a tile may keep (the register file less the loaded operands). At 32
 * bytes, 24: the tiles of issue 6, kept unchanged so -march=native runs as before (16 ymm
 * registers; GCC takes the shared operand from memory). At 16 bytes (SSE2's 16 xmm registers), 12: the same 24
 * spilled there and ran slower than the loop nests (issue 12: ~480 against ~855 images/s); 12
 * leaves room for the loaded operands (bench/RESULTS.md has the figures). At 64 bytes AVX-512's
 * 32 registers allow 28 (compiled and tested here, not timed: this machine has no AVX-512).
 */
export interface VectorTarget {
  bytes: number;
  accumulators: number;
}
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
/**
 * The most terms one f32 register accumulator of a kernel adds before its partial sum is added
 * into the kernel's float64 shadow of z (issue 10): a blocked sum, blocks in f32 and their sum in
 * float64, so the error does not grow with the reduction's length. Counted at the narrowest vector
 * target (16 bytes, 4 lanes): a wider one adds fewer terms per lane. docs/language.md states the bound.
 */
export const SUM_BLOCK = 512;
const NARROW_LANES = 4;

/** The widths the kernels are planned for; `elem` the element's bytes. Roles and padding use the 32-byte lanes. */
export function kernelTargets(elem: number): {
  roleLanes: number;
  elem: number;
  variants: { bytes: number; lanes: number; accumulators: number }[];
} {
  const variants = [
    ...VECTOR_TARGETS.map((t) => ({ bytes: t.bytes, lanes: t.bytes / elem, accumulators: t.accumulators })),
    { bytes: 0, lanes: 1, accumulators: SCALAR_ACCUMULATORS },
  ];
  return { roleLanes: 32 / elem, elem, variants };
}

export function recognizeKernels(p: PolyProgram, elem: number): KernelStats {
  const lanes = kernelTargets(elem);
  const stats: KernelStats = { kernels: 0, padded: 0, names: [] };
  const known = knownContext(p);
  const pads: Pads = new Map();
  const sorted = [...p.stmts].sort((a, b) => a.order - b.order);
  // First the ranges each kernel reads outside an intermediate array; those arrays are laid out
  // once with a zero border covering them all, so their producers write straight into it.
  // Only the statements that got that far are analysed again.
  const need: Needs = new Map();
  const candidates = sorted.filter((s) => collectNeeds(p, s, known, lanes, need));
  for (const [array, range] of need) relayout(p, array, range);
  for (const s of candidates) {
    const plan = planFor(p, s, known, lanes, pads, stats);
    if (plan) {
      stats.kernels++;
      stats.names.push(s.name);
      planGemm(p, plan, elem);
    }
  }
  return stats;
}

/** Moves an intermediate array into a larger layout whose border (zeros) covers `range`. */
function relayout(p: PolyProgram, array: string, range: { lo: number[]; hi: number[] }): void {
  const arr = p.arrays.get(array)!;
  const off = arr.shape.map((d, k) => (typeof d === "number" ? Math.max(0, -range.lo[k]!) : 0));
  const shape = arr.shape.map((d, k) => (typeof d === "number" ? Math.max(range.hi[k]!, d - 1) + off[k]! + 1 : d));
  const dims = shape.map((_, k) => `i${k}`).join(", ");
  const shift = p.ctx.map(
    withParams(p, `{ ${array}[${dims}] -> ${array}[${shape.map((_, k) => `i${k} + ${off[k]}`).join(", ")}] }`),
  );
  const move = (e: PExpr): PExpr =>
    e.k === "read"
      ? e.array === array
        ? { ...e, access: e.access.applyRange(shift) }
        : e
      : e.k === "call"
        ? { ...e, args: e.args.map(move) }
        : e;
  for (const st of p.stmts) {
    st.expr = move(st.expr);
    if (st.array === array) st.write = st.write.applyRange(shift);
  }
  // The border is zeroed by the printed program before anything runs (a few memsets), not by a
  // statement: isl would fuse such a statement with the producer and guard its inner loop.
  arr.interior = { lo: off, shape: arr.shape };
  arr.shape = shape;
}

type Pads = Map<string, { array: string; lo: number[] }>;
type Needs = Map<string, { lo: number[]; hi: number[] }>;

/** The access's index with every size known; null when it is not affine in those terms. */
function parseIndex(m: IslMap, n: number, p: PolyProgram): Affine[] | null {
  const terms = indexTerms(m, n, p.params);
  return terms.every((e): e is IndexTerm => e !== null && !e.symbolic)
    ? terms.map(({ coef, c }) => ({ coef, c }))
    : null;
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
    if (d > 0) {
      const e = shape[d]!;
      if (typeof e !== "number") return undefined;
      acc *= e;
    }
  }
  return out;
}

/** A contraction `z[w] += a[·] * b[·]` in gather form over its exact bounding box (steps 1 and 2). */
interface Match {
  s: PStmt;
  ra: Read;
  rb: Read;
  /** the iterators, `i0, …` */
  its: string;
  w: Affine[];
  a: Affine[];
  b: Affine[];
  extents: (number | string)[];
  /** `0 <= i_k < extent` per iterator */
  boxCons: string[];
}

/** The statement as a contraction over a box, or undefined (both phases start here). */
function matchContraction(p: PolyProgram, s: PStmt, known: IslSet): Match | undefined {
  if (s.kind !== "update" || s.op !== "+" || s.expr.k !== "call" || s.expr.op !== "*") return undefined;
  const [ra, rb] = s.expr.args;
  if (ra?.k !== "read" || rb?.k !== "read" || ra.array === s.array || rb.array === s.array) return undefined;
  const g = gatherForm(p, s, ra, rb, known);
  if (!g) return undefined;
  const extents = boundingBox(p, s, g.its, g.dom, known);
  if (!extents) return undefined;
  const m: Match = {
    s,
    ra,
    rb,
    its: g.its,
    w: g.w,
    a: g.a,
    b: g.b,
    extents,
    boxCons: extents.map((e, k) => `0 <= i${k} < ${e}`),
  };
  return boxIsExact(p, m, g.dom, known) ? m : undefined;
}

/** Step 1: new iterators, z's index expressions first, then the iterators no pivot eliminated; checked injective. */
function gatherForm(
  p: PolyProgram,
  s: PStmt,
  ra: Read,
  rb: Read,
  known: IslSet,
): { its: string; dom: IslSet; w: Affine[]; a: Affine[]; b: Affine[] } | undefined {
  const n = s.domain.dim("set");
  if (n < 2) return undefined;
  const w0 = parseIndex(s.write, n, p),
    a0 = parseIndex(ra.access, n, p),
    b0 = parseIndex(rb.access, n, p);
  if (!w0 || !a0 || !b0 || !w0.length) return undefined;
  const pivots: number[] = [];
  for (const e of w0) {
    const piv = e.coef.findIndex((c, i) => Math.abs(c) === 1 && !pivots.includes(i));
    if (piv < 0) return undefined;
    pivots.push(piv);
  }
  const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !pivots.includes(i));
  const its = Array.from({ length: n }, (_, i) => `i${i}`).join(", ");
  const change = p.ctx.map(
    withParams(
      p,
      `{ ${s.name}[${its}] -> ${s.name}[${[...w0.map(affText), ...rest.map((i) => `i${i}`)].join(", ")}] }`,
    ),
  );
  if (!change.intersectDomain(s.domain).isInjective()) return undefined;
  const dom = s.domain.apply(change).intersectParams(known);
  const w = parseIndex(s.write.applyDomain(change), n, p);
  const a = parseIndex(ra.access.applyDomain(change), n, p);
  const b = parseIndex(rb.access.applyDomain(change), n, p);
  if (!w || !a || !b) return undefined;
  if (!w.every((e, d) => e.c === 0 && e.coef.every((c, i) => c === (i === d ? 1 : 0)))) return undefined;
  return { its, dom, w, a, b };
}

/** Step 2: the bounding box, 0 ≤ i_k < the smallest known size or symbolic size that bounds it. */
function boundingBox(
  p: PolyProgram,
  s: PStmt,
  its: string,
  dom: IslSet,
  known: IslSet,
): (number | string)[] | undefined {
  const numbers = new Set<number>();
  for (const arr of p.arrays.values()) for (const d of arr.shape) if (typeof d === "number") numbers.add(d);
  for (const v of p.params.values()) if (typeof v === "number") numbers.add(v);
  const sizes = [...numbers].sort((x, y) => x - y),
    symbolic = [...p.params].filter(([, v]) => typeof v === "string").map(([q]) => q);
  const setOf = (cond: string) => p.ctx.set(withParams(p, `{ ${s.name}[${its}] : ${cond} }`)).intersectParams(known);
  const extents: (number | string)[] = [];
  for (let k = 0; k < dom.dim("set"); k++) {
    if (!dom.isSubset(setOf(`i${k} >= 0`))) return undefined;
    // Bounded by a size is monotone in the size: bisect the known sizes, then try the symbolic ones.
    const bounded = (c: number | string) => dom.isSubset(setOf(`i${k} < ${c}`));
    let lo = 0,
      hi = sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bounded(sizes[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    const e = lo < sizes.length ? sizes[lo] : symbolic.find(bounded);
    if (e === undefined) return undefined;
    extents.push(e);
  }
  return extents;
}

/** Step 2, checked: the domain is the box minus the points where an access leaves its array's values. */
function boxIsExact(p: PolyProgram, m: Match, dom: IslSet, known: IslSet): boolean {
  const { s, w, a, b, extents, boxCons } = m;
  const zArr = p.arrays.get(s.array)!,
    aArr = p.arrays.get(m.ra.array)!,
    bArr = p.arrays.get(m.rb.array)!;
  const setOf = (cond: string) => p.ctx.set(withParams(p, `{ ${s.name}[${m.its}] : ${cond} }`)).intersectParams(known);
  // In bounds: inside the values, not the zero border of an array laid out for another kernel.
  const inBounds = (idx: Affine[], arr: PArray) =>
    idx.map((e, d) =>
      arr.interior
        ? `${arr.interior.lo[d]} <= ${affText(e)} < ${arr.interior.lo[d]} + ${dimText(p, arr.interior.shape[d]!)}`
        : `0 <= ${affText(e)} < ${dimText(p, arr.shape[d]!)}`,
    );
  const clipped = setOf([...boxCons, ...inBounds(a, aArr), ...inBounds(b, bArr), ...inBounds(w, zArr)].join(" and "));
  if (!clipped.isEqual(dom)) return false;
  // Every box point writes inside z's values: the extra points read a zero of a or b instead.
  if (!setOf(boxCons.join(" and ")).isSubset(setOf(inBounds(w, zArr).join(" and ")))) return false;
  // A symbolic extent is allowed only for an iterator that indexes an axis of that size alone.
  const alone = (x: Affine, k: number) => x.coef[k] === 1 && x.c === 0 && x.coef.every((c, j) => j === k || c === 0);
  const symbolicOk = (idx: Affine[], shape: Dim[]) =>
    extents.every(
      (e, k) =>
        typeof e === "number" || idx.every((x, d) => x.coef[k] === 0 || (alone(x, k) && dimText(p, shape[d]!) === e)),
    );
  return symbolicOk(a, aArr.shape) && symbolicOk(b, bArr.shape) && symbolicOk(w, zArr.shape);
}

/** Step 3's roles: the operands in the plan's order (b is the vector operand of axpy), the extents each is read over. */
interface Layout {
  roles: Roles;
  ra: Read;
  rb: Read;
  a: Affine[];
  b: Affine[];
  aExt: (number | string)[];
  bExt: (number | string)[];
  overread: boolean;
}

/**
 * Roles, and how far each operand is read. Padding covers whole vectors of the 32-byte width
 * (and so of every narrower one); the wider width reads past v's extent only when it divides
 * it, and otherwise loads its last vector partially. Whole vectors are read past v's extent, up
 * to the next multiple of the lanes: b in the axpy form (those lanes are never stored), both
 * operands in the dot form, where the extra lanes are summed and so must read a zero of the
 * padding in one of them.
 */
function layoutOf(p: PolyProgram, m: Match, lanes: number): Layout | undefined {
  const { extents } = m;
  const roles = chooseRoles(m.w, m.a, m.b, extents, m.w.length, lanes);
  if (!roles) return undefined;
  const [ra, rb, a, b] = roles.swap ? [m.rb, m.ra, m.b, m.a] : [m.ra, m.rb, m.a, m.b];
  const vk = roles.role.indexOf("v"),
    ev = extents[vk] as number;
  const rounded = extents.map((e, k) => (k === vk ? Math.ceil(ev / lanes) * lanes : e));
  const zeroPast = (idx: Affine[], arr: PArray) => {
    const e = idx[idx.length - 1]!;
    let least = e.c + ev;
    e.coef.forEach((c, k) => {
      if (k !== vk && c < 0) least += c * ((extents[k] as number) - 1);
    });
    const last = arr.shape.length - 1;
    const end = arr.interior
      ? arr.interior.lo[last]! + (arr.interior.shape[last] as number)
      : (arr.shape[last] as number);
    return e.coef[vk] === 1 && least >= end;
  };
  const overread =
    roles.form === "axpy" ||
    ev % lanes === 0 ||
    zeroPast(a, p.arrays.get(ra.array)!) ||
    zeroPast(b, p.arrays.get(rb.array)!);
  return {
    roles,
    ra,
    rb,
    a,
    b,
    aExt: roles.form === "dot" && overread ? rounded : extents,
    bExt: overread ? rounded : extents,
    overread,
  };
}

/**
 * Collecting phase: records the ranges the statement's kernel would read outside intermediate
 * arrays (laid out afterwards with a zero border); true when the statement got that far.
 */
function collectNeeds(
  p: PolyProgram,
  s: PStmt,
  known: IslSet,
  tg: ReturnType<typeof kernelTargets>,
  need: Needs,
): boolean {
  const m = matchContraction(p, s, known);
  const lay = m && layoutOf(p, m, tg.roleLanes);
  if (!lay || !chunkOf(itersOf(m, lay), lay.roles.form, tg.elem)) return false;
  recordNeed(p, lay.ra, lay.a, lay.aExt, need);
  recordNeed(p, lay.rb, lay.b, lay.bExt, need);
  return true;
}

/** The kernel for a statement (after the layouts), or undefined; the statement is rewritten as its one instance. */
function planFor(
  p: PolyProgram,
  s: PStmt,
  known: IslSet,
  tg: ReturnType<typeof kernelTargets>,
  pads: Pads,
  stats: KernelStats,
): KernelPlan | undefined {
  const m = matchContraction(p, s, known);
  const lay = m && layoutOf(p, m, tg.roleLanes);
  if (!m || !lay) return undefined;
  const iters = itersOf(m, lay);
  const chunk = chunkOf(iters, lay.roles.form, tg.elem);
  if (!chunk) return undefined;
  const aPad = padded(p, s, lay.ra, lay.a, lay.aExt, pads, stats);
  const bPad = padded(p, s, lay.rb, lay.b, lay.bExt, pads, stats);
  const zS = strides(p.arrays.get(s.array)!.shape);
  if (!zS || !aPad || !bPad) return undefined;
  const n = m.extents.length,
    lanes = tg.roleLanes,
    { roles, overread } = lay;
  const ev = m.extents[roles.role.indexOf("v")] as number;
  const operand = (array: string, idx: Affine[], st: number[]): KernelOperand => ({
    array,
    offset: idx.reduce((o, e, d) => o + e.c * st[d]!, 0),
    stride: Array.from({ length: n }, (_, k) => idx.reduce((o, e, d) => o + e.coef[k]! * st[d]!, 0)),
  });
  const plan: KernelPlan = {
    form: roles.form,
    iters,
    z: operand(s.array, m.w, zS),
    a: operand(aPad.array, aPad.idx, aPad.strides),
    b: operand(bPad.array, bPad.idx, bPad.strides),
    variants: tg.variants.map((t) => ({
      bytes: t.bytes,
      lanes: t.lanes,
      ...tileBlocks(roles.form, iters, t.lanes, t.accumulators),
      overread: (overread && t.lanes <= lanes) || ev % t.lanes === 0,
      ...variantChunk(iters, roles.form, tg.elem, t.lanes, chunk),
    })),
    ...chunk,
    ...(chunk.chunk && tg.elem === 4 ? { wide: shadowOf(p, s.array) } : {}),
  };
  asOneInstance(p, m, aPad, bPad);
  s.kernel = plan;
  return plan;
}

/** Step 4: one instance touching whole regions, so dependences and scheduling treat it as one step. */
function asOneInstance(
  p: PolyProgram,
  m: Match,
  aPad: { array: string; idx: Affine[] },
  bPad: { array: string; idx: Affine[] },
): void {
  const { s, its } = m;
  const box = m.boxCons.join(" and ");
  const region = (array: string, idx: Affine[]) =>
    p.ctx
      .map(withParams(p, `{ ${s.name}[${its}] -> ${array}[${idx.map(affText).join(", ")}] : ${box} }`))
      .applyDomain(p.ctx.map(`{ ${s.name}[${its}] -> ${s.name}[] }`));
  s.domain = p.ctx.set(`{ ${s.name}[] }`);
  s.write = region(s.array, m.w);
  s.expr = {
    k: "call",
    op: "*",
    args: [
      { k: "read", array: aPad.array, access: region(aPad.array, aPad.idx) },
      { k: "read", array: bPad.array, access: region(bPad.array, bPad.idx) },
    ],
  };
}

/** A size in isl text: the number itself, or its symbolic parameter. */
function dimText(p: PolyProgram, d: Dim): string {
  return typeof d === "number" ? String(d) : String(paramOf(d, p.graph));
}

interface Roles {
  form: "axpy" | "dot";
  role: KernelRole[];
  swap: boolean;
}

/**
 * The register tile for one width: axpy, `block` rows of r by up to 4 vectors along v; dot,
 * `block` × `block2` dot products (up to 5 columns), the accumulators within the budget.
 */
function tileBlocks(
  form: "axpy" | "dot",
  iters: KernelPlan["iters"],
  lanes: number,
  acc: number,
): { block: number; block2: number } {
  const ext = (role: KernelRole) => {
    const it = iters.find((x) => x.role === role);
    return it ? (it.extent as number) : undefined;
  };
  const r = ext("r"),
    r2 = ext("r2"),
    v = ext("v")!;
  if (form === "axpy") {
    const nv = Math.min(Math.ceil(v / lanes), 4);
    return { block: r === undefined ? 1 : blockSize(r, Math.max(1, Math.floor(acc / nv))), block2: 1 };
  }
  const b2 = r2 === undefined ? 1 : blockSize(r2, 5);
  return { block: r === undefined ? 1 : blockSize(r, Math.max(1, Math.floor((acc - 4) / b2))), block2: b2 };
}

const itersOf = (m: Match, lay: Layout): KernelPlan["iters"] =>
  m.extents.map((e, k) => ({ name: `i${k}`, extent: e, role: lay.roles.role[k]! }));

type Chunk = { chunk?: { iter: string; size: number } };
const len = (e: number | string) => (typeof e === "string" ? Infinity : e);

/** The longest reduction axis: the one the driver splits into chunks. */
const longestReduction = (iters: KernelPlan["iters"]) =>
  iters.filter((x) => x.role === "red").sort((x, y) => len(y.extent) - len(x.extent))[0];

/**
 * The length of the chunks of the longest reduction axis at `lanes` lanes: short enough for
 * locality (a long axis: 8 batch items or 128 steps) and, for f32, for one chunk to add at most
 * SUM_BLOCK terms into a lane's accumulator (every reduction step, times the vectors along v in
 * the dot form; the chunks are summed in float64). Infinity: no chunks; 0: no chunking of one axis
 * bounds it (a dot product's vector axis alone too long).
 */
function chunkLength(iters: KernelPlan["iters"], form: "axpy" | "dot", elem: number, lanes: number): number {
  const axis = longestReduction(iters);
  const v = iters.find((x) => x.role === "v")!;
  const perStep = form === "dot" ? Math.ceil(len(v.extent) / lanes) : 1;
  const others = iters.reduce((t, x) => (x.role === "red" && x !== axis ? t * len(x.extent) : t), perStep);
  const bound = elem === 4 ? Math.floor(SUM_BLOCK / others) : Infinity;
  if (!axis) return bound >= 1 ? Infinity : 0;
  const local =
    len(axis.extent) > CHUNK.longer ? (typeof axis.extent === "string" ? CHUNK.symbolic : CHUNK.known) : Infinity;
  const size = Math.min(local, bound);
  return size >= len(axis.extent) ? Infinity : size;
}

/** The plan's chunks, at 4 lanes (so every vector width is bounded); undefined: left to the loops. */
function chunkOf(iters: KernelPlan["iters"], form: "axpy" | "dot", elem: number): Chunk | undefined {
  const size = chunkLength(iters, form, elem, NARROW_LANES);
  if (size === 0) return undefined;
  return size === Infinity ? {} : { chunk: { iter: longestReduction(iters)!.name, size } };
}

/**
 * A width's own chunk length where it is longer than the plan's: a wider vector adds fewer terms
 * per lane, so its chunks can be longer (fewer tile calls); the scalar build keeps the plan's
 * length, which bounds it only at 4 lanes (docs/language.md).
 */
function variantChunk(
  iters: KernelPlan["iters"],
  form: "axpy" | "dot",
  elem: number,
  lanes: number,
  plan: Chunk,
): { chunk?: number } {
  if (!plan.chunk || lanes <= NARROW_LANES) return {};
  const size = chunkLength(iters, form, elem, lanes);
  const whole = size === Infinity ? len(longestReduction(iters)!.extent) : size;
  return whole > plan.chunk.size ? { chunk: whole } : {};
}

/** A float64 shadow of the array z (a wide array of z's shape, so z's offsets index it), for a chunked f32 kernel. */
function shadowOf(p: PolyProgram, z: string): string {
  let name = `${z}w`;
  while (p.arrays.has(name)) name += "x";
  const shape = p.arrays.get(z)!.shape;
  p.arrays.set(name, { name, shape, role: "temp", labels: ["float64 partial sums"], wide: true });
  return name;
}

/**
 * axpy: the vector runs along z's last axis (v), over an operand x that has v in its last axis
 * only; a block of r (an output axis of the other operand y only) shares each vector of x.
 * dot: the vector runs along a reduction axis that is the last axis of both operands; a block of
 * r (outputs of a only) by r2 (outputs of b only) shares the loaded vectors. The lane
 * efficiency decides between them.
 */
function chooseRoles(
  w: Affine[],
  a: Affine[],
  b: Affine[],
  ext: (number | string)[],
  Z: number,
  lanes: number,
): Roles | undefined {
  const n = ext.length;
  const uses = (idx: Affine[], k: number) => idx.some((e) => e.coef[k] !== 0);
  const onlyLast = (idx: Affine[], k: number) =>
    idx.length > 0 && idx[idx.length - 1]!.coef[k] === 1 && idx.slice(0, -1).every((e) => e.coef[k] === 0);
  const num = (k: number) => (typeof ext[k] === "number" ? (ext[k] as number) : 0);
  const eff = (e: number) => e / (Math.ceil(e / lanes) * lanes);
  const pickBlock = (cands: number[]) => cands.filter((k) => num(k) > 1).sort((x, y) => num(y) - num(x))[0];

  let best: { score: number; roles: Roles } | undefined;
  // axpy, with b or a as the vector operand x (the plan's b is always x: swap when a is).
  const v = Z - 1;
  if (num(v) >= 2) {
    for (const [x, y] of [
      [b, a],
      [a, b],
    ] as const) {
      if (!onlyLast(x, v) || uses(y, v)) continue;
      const r = pickBlock(Array.from({ length: Z }, (_, k) => k).filter((k) => k !== v && uses(y, k) && !uses(x, k)));
      const role: KernelRole[] = Array.from({ length: n }, (_, k) =>
        k === v ? "v" : k === r ? "r" : k < Z ? "plain" : "red",
      );
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
    const role: KernelRole[] = Array.from({ length: n }, (_, j) =>
      j === k ? "v" : j === r ? "r" : j === r2 ? "r2" : j < Z ? "plain" : "red",
    );
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

/** The index range an access reads over the box; hi is NaN on an axis a symbolic extent reaches. */
function readRange(idx: Affine[], ext: (number | string)[]): { lo: number[]; hi: number[] } {
  const lo: number[] = [],
    hi: number[] = [];
  for (const e of idx) {
    let l = e.c,
      h = e.c;
    e.coef.forEach((c, k) => {
      if (c === 0) return;
      const top = typeof ext[k] === "number" ? (ext[k] as number) - 1 : NaN;
      if (c > 0) h += c * top;
      else l += c * top;
    });
    lo.push(l);
    hi.push(h);
  }
  return { lo, hi };
}

/** Whether every box point reads inside the array; else whether a padded copy can cover it (symbolic only on axis 0). */
function placement(arr: PArray, lo: number[], hi: number[]): "inside" | "pad" | "no" {
  if (hi.every((h, d) => Number.isNaN(h) || (lo[d]! >= 0 && h < (arr.shape[d] as number)))) return "inside";
  return hi.some((h, d) => Number.isNaN(h) && d !== 0) ? "no" : "pad";
}

/** Collecting: an intermediate read outside its bounds gets the range added to its zero border. */
function recordNeed(p: PolyProgram, r: Read, idx: Affine[], ext: (number | string)[], need: Needs): void {
  const arr = p.arrays.get(r.array)!;
  const { lo, hi } = readRange(idx, ext);
  if (placement(arr, lo, hi) !== "pad" || arr.role !== "temp" || arr.interior) return;
  const u = need.get(r.array);
  const lo1 = lo.map((l, d) => (Number.isNaN(hi[d]!) ? 0 : l)),
    hi1 = hi.map((h) => (Number.isNaN(h) ? 0 : h));
  need.set(
    r.array,
    u
      ? { lo: u.lo.map((l, d) => Math.min(l, lo1[d]!)), hi: u.hi.map((h, d) => Math.max(h, hi1[d]!)) }
      : { lo: lo1, hi: hi1 },
  );
}

/**
 * The operand as the kernel reads it: itself when every box point reads inside it, else a
 * zero-padded copy covering the range the box reads (shared by kernels reading the same range).
 * An intermediate without a border here was not laid out for it: no kernel.
 */
function padded(
  p: PolyProgram,
  s: PStmt,
  r: Read,
  idx: Affine[],
  ext: (number | string)[],
  pads: Pads,
  stats: KernelStats,
): { array: string; idx: Affine[]; strides: number[] } | undefined {
  const arr = p.arrays.get(r.array)!;
  const { lo, hi } = readRange(idx, ext);
  const where = placement(arr, lo, hi);
  if (where === "inside") {
    const st = strides(arr.shape);
    return st ? { array: r.array, idx, strides: st } : undefined;
  }
  if (where === "no" || (arr.role === "temp" && !arr.interior)) return undefined;
  const shape: Dim[] = arr.shape.map((d, k) => (Number.isNaN(hi[k]!) ? d : hi[k]! - lo[k]! + 1));
  const lo0 = lo.map((l, d) => (Number.isNaN(hi[d]!) ? 0 : l));
  const key = `${r.array}|${lo0.join(",")}|${shape.join(",")}`;
  let pad = pads.get(key);
  if (!pad) {
    pad = { array: paddedCopy(p, s, r.array, shape, lo0, hi, pads.size), lo: lo0 };
    pads.set(key, pad);
    stats.padded++;
  }
  const st = strides(shape);
  if (!st) return undefined;
  return { array: pad.array, idx: idx.map((e, d) => ({ coef: e.coef, c: e.c - pad!.lo[d]! })), strides: st };
}

/** A zero-padded copy of `array` (an init and a copy statement just before `s`); returns its name. */
function paddedCopy(
  p: PolyProgram,
  s: PStmt,
  array: string,
  shape: Dim[],
  lo0: number[],
  hi: number[],
  k: number,
): string {
  const arr = p.arrays.get(array)!;
  const name = `${array}p${k}`;
  p.arrays.set(name, { name, shape, role: "temp", labels: [`${arr.labels[0] ?? array} padded`] });
  const dims = shape.map((_, d) => `i${d}`).join(", ");
  const S1 = `S${p.nextStmt++}`,
    S2 = `S${p.nextStmt++}`;
  const full = shape.map((d, j) => `0 <= i${j} < ${dimText(p, d)}`).join(" and ");
  const copy = arr.shape
    .map((d, j) =>
      Number.isNaN(hi[j]!)
        ? `0 <= i${j} < ${dimText(p, d)}`
        : `${Math.max(0, lo0[j]!)} <= i${j} <= ${Math.min(hi[j]!, (d as number) - 1)}`,
    )
    .join(" and ");
  const shifted = arr.shape.map((_, j) => `i${j} - (${lo0[j]})`).join(", ");
  const t = (x: string) => p.ctx.set(withParams(p, x)),
    m = (x: string) => p.ctx.map(withParams(p, x));
  const order = s.order - 0.5;
  p.stmts.push({
    name: S1,
    kind: "init",
    order,
    domain: t(`{ ${S1}[${dims}] : ${full} }`),
    array: name,
    write: m(`{ ${S1}[${dims}] -> ${name}[${dims}] : ${full} }`),
    expr: { k: "const", v: 0 },
  });
  p.stmts.push({
    name: S2,
    kind: "update",
    op: "+",
    order,
    domain: t(`{ ${S2}[${dims}] : ${copy} }`),
    array: name,
    write: m(`{ ${S2}[${dims}] -> ${name}[${shifted}] : ${copy} }`),
    expr: { k: "read", array, access: m(`{ ${S2}[${dims}] -> ${array}[${dims}] : ${copy} }`) },
  });
  return name;
}
