/**
 * The packed GEMM (planned by src/poly/gemm.ts) as C, one set of functions per vector width
 * under `#if LIFT_VBYTES == …` like the other kernels. The design is BLIS's: the row operand A is
 * copied into panels of mr rows and the column operand B into panels of nr columns, each panel
 * k-major and zero-filled past the matrix's edge, so the micro-kernel reads both sequentially; a
 * kc-long slice of a B panel stays in L1 while the mr-row panels of an mc × kc block of A stream
 * from L2 past it. The micro-kernel keeps its mr × nr outputs in vector registers (a broadcast of
 * A times two vectors of B per row) and adds them into z once per kc block.
 *
 * Threads: one parallel region. The panels are packed by all threads (two worksharing loops),
 * then each thread owns the same static share of B's column panels in every (kc, mc) block, so
 * no two threads write one output and no barrier is needed after the packing.
 * The micro-kernel is compiled with FMA contraction (GCC's default under -std=c99 is to keep
 * `c + x * y` as two roundings; clang contracts by default).
 */
import type { Dialect } from "./dialect.js";
import type { GemmPlan, GemmTile, KernelOperand, KernelPlan } from "../loop/ast.js";
import type { KernelC } from "./kernel_c.js";

/** The GEMM's functions for every width, and the call of its driver. */
export function printGemm(k: KernelPlan, fn: string, T: string, parallelWork: number, d: Dialect): KernelC {
  const g = k.gemm!;
  const [rowOp, colOp] = g.swap ? [k.b, k.a] : [k.a, k.b];
  const arrays = [...new Set([k.z.array, rowOp.array, colOp.array])];
  const src: string[] = [
    `#ifndef LIFT_CONTRACT`,
    `#if defined(__GNUC__) && !defined(__clang__)`,
    `#define LIFT_CONTRACT __attribute__((optimize("fp-contract=fast")))`,
    `#else`,
    `#define LIFT_CONTRACT`,
    `#endif`,
    `#endif`,
    `#ifndef LIFT_PREFETCH`,
    `#if defined(__GNUC__) || defined(__clang__)`,
    `#define LIFT_PREFETCH(p) __builtin_prefetch((p), 1)`,
    `#else`,
    `#define LIFT_PREFETCH(p) ((void)(p))`,
    `#endif`,
    `#endif`,
  ];
  g.tiles.forEach((t, i) => {
    src.push(`#${i ? "elif" : "if"} LIFT_VBYTES == ${t.bytes}`);
    src.push(...printWidth(k, g, t, fn, T, parallelWork, d, arrays, rowOp, colOp));
  });
  src.push(`#else`, `#error "LIFT_VBYTES must be 0, 16, 32 or 64"`, `#endif`, "");
  return { source: src.join("\n"), call: `${fn}(${[...arrays, g.pack].join(", ")});` };
}

interface Shape {
  M: number;
  N: number;
  K: number;
  MP: number;
  NP: number;
}

/** One width: the packing functions, the micro-kernel and the driver. */
function printWidth(
  k: KernelPlan,
  g: GemmPlan,
  t: GemmTile,
  fn: string,
  T: string,
  parallelWork: number,
  d: Dialect,
  arrays: string[],
  rowOp: KernelOperand,
  colOp: KernelOperand,
): string[] {
  const pos = (name: string) => k.iters.findIndex((x) => x.name === name);
  const [im, inn, ik] = [pos(g.m), pos(g.n), pos(g.k)];
  const ext = (i: number) => k.iters[i]!.extent as number;
  const M = ext(im),
    N = ext(inn),
    K = ext(ik);
  const s: Shape = { M, N, K, MP: Math.ceil(M / t.mr) * t.mr, NP: Math.ceil(N / t.nr) * t.nr };
  const R = d.restrict;
  const ptr = (a: string) => `${a !== k.z.array ? "const " : ""}${T} *${R} ${a}`;
  const packA = packFn(`${fn}_packa`, T, R, rowOp, im, ik, t.mr, M, s.MP, s, t.kc);
  const packB = packFn(`${fn}_packb`, T, R, colOp, inn, ik, t.nr, N, s.NP, s, t.kc);
  const ldc = k.z.stride[im]!;
  const omp = (pragma: string) => [`#ifdef _OPENMP`, `#pragma omp ${pragma}`, `#endif`];
  const drv = [
    `static ${d.noinline} void ${fn}(${[...arrays.map(ptr), `${T} *${R} ${g.pack}`].join(", ")}) {`,
    // Panels on a 64-byte boundary (the pack has room for it), so no vector load splits a cache line.
    `  ${T} *${R} ap = ${g.pack} + (64 - (size_t)${g.pack} % 64) % 64 / sizeof(${T});`,
    `  ${T} *${R} bp = ap + ${s.MP * K}L;`,
    ...omp(`parallel if(${M}L * ${N}L * ${K}L >= ${parallelWork}L)`),
    `  {`,
    ...omp(`for schedule(static)`),
    `    for (long q = 0; q < ${packA.perK ? K : s.MP / t.mr}; q++) ${fn}_packa(${rowOp.array}, ap, q);`,
    ...omp(`for schedule(static)`),
    `    for (long q = 0; q < ${packB.perK ? K : s.NP / t.nr}; q++) ${fn}_packb(${colOp.array}, bp, q);`,
    `    for (long pc = 0; pc < ${K}; pc += ${t.kc}) {`,
    `      const long kc = lift_imin(${t.kc}L, ${K}L - pc);`,
    `      for (long ic = 0; ic < ${M}; ic += ${t.mc}) {`,
    `        const long mc = lift_imin(${t.mc}L, ${M}L - ic);`,
    // The same iteration count and static schedule in every block: each thread keeps its columns.
    ...omp(`for schedule(static) nowait`),
    `        for (long jr = 0; jr < ${N}; jr += ${t.nr})`,
    `          for (long ir = ic; ir < ic + mc; ir += ${t.mr})`,
    `            ${fn}_ukr(kc, ap + pc * ${s.MP}L + ir * kc, bp + pc * ${s.NP}L + jr * kc,`,
    `                ${k.z.array} + ${k.z.offset}L + ir * ${ldc}L + jr,`,
    `                lift_imin(${t.mr}L, ${M}L - ir), lift_imin(${t.nr}L, ${N}L - jr));`,
    `      }`,
    `    }`,
    `  }`,
    `}`,
    "",
  ];
  return [...packA.lines, ...packB.lines, ...microKernel(`${fn}_ukr`, T, R, t, ldc, d), ...drv];
}

/**
 * Packs an operand (element (x, k) at offset + x·sx + k·sk) into `w`-wide panels: kc-blocks one
 * after another (each `span` × kc), within a block the panel of x0 at x0 · kc, element (x, k) at
 * k · w + x, zeros past the extent. Dense along k (a row-major A): one call per panel, reading
 * its rows. Dense along x (a row-major B): one call per k, reading that row across all panels, so
 * the reads walk memory in order instead of jumping a row per element.
 */
function packFn(
  name: string,
  T: string,
  R: string,
  op: KernelOperand,
  ix: number,
  ik: number,
  w: number,
  extent: number,
  span: number,
  s: Shape,
  KC: number,
): { lines: string[]; perK: boolean } {
  const sx = op.stride[ix]!,
    sk = op.stride[ik]!;
  const src = (x: string, k: string) => `${op.array}[${op.offset}L + (${x}) * ${sx}L + (${k}) * ${sk}L]`;
  const head = `static LIFT_NOINLINE void ${name}(const ${T} *${R} ${op.array}, ${T} *${R} pk, long q) {`;
  if (Math.abs(sx) < Math.abs(sk)) {
    return {
      perK: true,
      lines: [
        head,
        `  const long pc = q / ${KC}L * ${KC}L, kc = lift_imin(${KC}L, ${s.K}L - pc), kk = q - pc;`,
        `  ${T} *${R} dst = pk + pc * ${span}L + kk * ${w}L;`,
        `  for (long x0 = 0; x0 < ${extent}; x0 += ${w}, dst += ${w}L * kc) {`,
        `    const long w = lift_imin(${w}L, ${extent}L - x0);`,
        `    for (long x = 0; x < w; x++) dst[x] = ${src("x0 + x", "q")};`,
        `    for (long x = w; x < ${w}; x++) dst[x] = 0;`,
        `  }`,
        `}`,
        "",
      ],
    };
  }
  return {
    perK: false,
    lines: [
      head,
      `  const long x0 = q * ${w}L, w = lift_imin(${w}L, ${extent}L - x0);`,
      `  for (long pc = 0; pc < ${s.K}; pc += ${KC}) {`,
      `    const long kc = lift_imin(${KC}L, ${s.K}L - pc);`,
      `    ${T} *${R} dst = pk + pc * ${span}L + x0 * kc;`,
      `    for (long x = 0; x < w; x++)`,
      `      for (long kk = 0; kk < kc; kk++) dst[kk * ${w}L + x] = ${src("x0 + x", "pc + kk")};`,
      `    if (w < ${w}) for (long kk = 0; kk < kc; kk++) for (long x = w; x < ${w}; x++) dst[kk * ${w}L + x] = 0;`,
      `  }`,
      `}`,
      "",
    ],
  };
}

/** The mr × nr register tile over one panel pair, added into z (row stride ldc); rows × cols of it are stored. */
function microKernel(name: string, T: string, R: string, t: GemmTile, ldc: number, d: Dialect): string[] {
  const nv = t.nr / t.lanes,
    L = t.lanes;
  const acc = (i: number, j: number) => `c${i}_${j}`;
  const rowsOf = <X>(f: (i: number) => X) => Array.from({ length: t.mr }, (_, i) => f(i));
  const each = (f: (i: number, j: number) => string) => rowsOf((i) => Array.from({ length: nv }, (_, j) => f(i, j)));
  const fmas = (i: number) =>
    Array.from({ length: nv }, (_, j) => ` ${acc(i, j)} = ${acc(i, j)} + x * b${j};`).join("");
  const addTo = (i: number, j: number) => {
    const at = `z + ${i * ldc + j * L}`;
    return `{ lift_vec u = lift_vload(${at}); u = u + ${acc(i, j)}; lift_vstore(${at}, u); }`;
  };
  const lines = [
    `static ${d.noinline} LIFT_CONTRACT void ${name}(long kc, const ${T} *${R} a, const ${T} *${R} b, ${T} *${R} z,`,
    `    long rows, long cols) {`,
    ...each((i, j) => `lift_vec ${acc(i, j)} = lift_vzero();`).map((r) => `  ${r.join(" ")}`),
    // The tile of z is read only after the loop: its lines are fetched meanwhile.
    ...rowsOf((i) => `  LIFT_PREFETCH(z + ${i * ldc}); LIFT_PREFETCH(z + ${i * ldc + t.nr - 1});`),
    `  for (long p = 0; p < kc; p++, a += ${t.mr}, b += ${t.nr}) {`,
    `    ${Array.from({ length: nv }, (_, j) => `const lift_vec b${j} = lift_vload(b + ${j * L});`).join(" ")}`,
    ...rowsOf((i) => `    { const ${T} x = a[${i}];${fmas(i)} }`),
    `  }`,
    `  if (rows == ${t.mr} && cols == ${t.nr}) {`,
    ...each(addTo)
      .flat()
      .map((l) => `    ${l}`),
    `  } else {`,
    `    ${T} u[${t.mr * t.nr}];`,
    ...each((i, j) => `lift_vstore(u + ${i * t.nr + j * L}, ${acc(i, j)});`).map((r) => `    ${r.join(" ")}`),
    `    for (long i = 0; i < rows; i++)`,
    `      for (long j = 0; j < cols; j++) z[i * ${ldc}L + j] += u[i * ${t.nr} + j];`,
    `  }`,
    `}`,
    "",
  ];
  return lines;
}
