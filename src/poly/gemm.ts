/**
 * Packed GEMM planning (after kernel recognition, src/poly/kernels.ts): a recognised contraction
 * over exactly three iterators — an output row m (z and a), an output column n (z and b) and a
 * reduction k (a and b) — that is large enough becomes a packed matrix product in the manner of
 * BLIS: the operands are copied into contiguous panels (a in mr-row panels, b in nr-column
 * panels, k-major) and a register tile of mr × nr outputs runs over a panel pair. The blocking
 * comes from the target description of each vector width (registers, lanes) and a cache model
 * (L1_B, L2_A below).
 * The printer is src/codegen/gemm_c.ts.
 */
import type { GemmTile, KernelPlan } from "../loop/ast.js";
import type { PolyProgram } from "./program.js";

/**
 * Vector registers of each width the C may be compiled for: AVX-512's 32 zmm, AVX's 16 ymm, SSE2's
 * 16 xmm (NEON has 32; 16 is the safe count), and the scalar build's 16 floating registers.
 */
const REGISTERS: Record<number, number> = { 64: 32, 32: 16, 16: 16, 0: 16 };
/** Vectors of b per tile row: two, so each broadcast of a feeds two FMAs. */
const NR_VECTORS = 2;
/**
 * Cache budgets: a kc × nr panel of B takes half of a 32 KiB L1 (A's panel and z's lines share the
 * rest); an mc × kc block of A a quarter of a 512 KiB L2. Measured on the 2-core Zen 3 (bench/RESULTS.md),
 * mc = 144 and 96 ran 10-20% faster than 252 (half the L2) at kc = 256, as BLIS's Zen blocking has it.
 */
const L1_B = 16 * 1024,
  L2_A = 128 * 1024;
/**
 * When a product is packed: at least `minWork` multiply-adds and every axis at least `minSide`
 * long; below, the unpacked kernel stays, since packing costs a pass over both operands that a
 * small product does not earn back. Measured on one Zen 3 core (CPU time, square n³ products,
 * packed vs unpacked GFLOP/s; bench/RESULTS.md): the C alone crosses over between n = 64 (40 vs 42)
 * and 96 (50–57 vs 36–39), but called from Node 128 still lost (27–28 vs 35) and 256 won (44–46
 * vs 27–36): 2^22 (161³) keeps 128³ unpacked. Tests lower both to run the packed path on awkward sizes.
 */
export const GEMM_POLICY = { minWork: 1 << 22, minSide: 16 };

/** The register tile and cache blocking for one width; `elem` the element's bytes. */
export function gemmTile(bytes: number, elem: number): GemmTile {
  const lanes = bytes ? bytes / elem : 1;
  const nr = NR_VECTORS * lanes;
  // The accumulators, the loaded vectors of b and one broadcast of a fill the register file.
  const mr = Math.min(16, Math.floor((REGISTERS[bytes]! - NR_VECTORS - 1) / NR_VECTORS));
  const kc = Math.max(16, Math.floor(L1_B / (nr * elem) / 8) * 8);
  const mc = Math.max(mr, Math.floor(L2_A / (kc * elem) / mr) * mr);
  return { bytes, lanes, mr, nr, kc, mc };
}

/** Marks `plan` as a packed GEMM when it is one and large enough, adding its pack buffer to `p`. */
export function planGemm(p: PolyProgram, plan: KernelPlan, elem: number): void {
  const g = gemmAxes(plan);
  if (!g) return;
  const ext = (name: string) => plan.iters.find((x) => x.name === name)!.extent as number;
  const [M, N, K] = [ext(g.m), ext(g.n), ext(g.k)];
  const tiles = plan.variants.map((v) => gemmTile(v.bytes, elem));
  if (M * N * K < GEMM_POLICY.minWork || Math.min(M, N, K) < GEMM_POLICY.minSide) return;
  // f32: the micro-kernel sums kc terms in registers and adds each block into z in f32, so the
  // error grows as kc + K/kc; up to K = kc², within 2·kc (issue 10). A longer product is left to
  // the unpacked kernel, whose chunks meet in float64.
  if (elem === 4 && tiles.some((t) => Math.ceil(K / t.kc) > t.kc)) return;
  const up = (x: number, q: number) => Math.ceil(x / q) * q;
  // Both packed operands, and 64 bytes to align them.
  const floats = Math.max(...tiles.map((t) => (up(M, t.mr) + up(N, t.nr)) * K)) + 64 / elem;
  let pack = `${plan.z.array}pk`;
  while (p.arrays.has(pack)) pack += "x";
  p.arrays.set(pack, { name: pack, shape: [floats], role: "temp", labels: ["packed operands"] });
  plan.gemm = { ...g, pack, tiles };
}

/**
 * m, n and k among exactly three iterators of known extent: n is the one along which z is
 * contiguous (the tile stores vectors there); a must not use n, b not m, z not k. When z is
 * contiguous along the iterator a uses, the operands trade places (`swap`: b is the row operand).
 */
function gemmAxes(plan: KernelPlan): { m: string; n: string; k: string; swap: boolean } | undefined {
  if (plan.iters.length !== 3 || plan.iters.some((x) => typeof x.extent !== "number")) return undefined;
  const at = (op: "z" | "a" | "b", i: number) => plan[op].stride[i]!;
  const idx = [0, 1, 2];
  const k = idx.find((i) => at("z", i) === 0);
  if (k === undefined || at("a", k) === 0 || at("b", k) === 0) return undefined;
  const n = idx.find((i) => i !== k && at("z", i) === 1);
  const m = idx.find((i) => i !== k && i !== n);
  if (n === undefined || m === undefined || at("z", m) === 0) return undefined;
  const name = (i: number) => plan.iters[i]!.name;
  const rows = (x: "a" | "b", y: "a" | "b") => at(x, n) === 0 && at(y, m) === 0 && at(x, m) !== 0 && at(y, n) !== 0;
  if (rows("a", "b")) return { m: name(m), n: name(n), k: name(k), swap: false };
  if (rows("b", "a")) return { m: name(m), n: name(n), k: name(k), swap: true };
  return undefined;
}
