/**
 * The dialect of a C-like target: everything the base printer (src/codegen/clike.ts) and the
 * kernel printer (src/codegen/kernel_c.ts) spell differently per target. C is the one here;
 * WebAssembly-C (C compiled by clang for wasm32, `wasm_simd128.h` vectors) and CUDA are the
 * next. A dialect only spells: what the loops are, which tiles run and how large, are decided
 * before printing (src/codegen/passes.ts, src/poly/kernels.ts).
 */
import type { MathFn } from "../core/prims.js";
import type { DType } from "../core/tensor.js";

export interface Dialect {
  name: string;
  /** The element type's name. */
  scalar(dtype: DType): string;
  /** The type of a local sum's accumulator (C: double for f32, so a long sum is rounded once). */
  accumulator(dtype: DType): string;
  /** The name of a math function of the table (core/prims.ts `MathFn`) for the element type (C: `expf`, `exp`). */
  math(f: MathFn, dtype: DType): string;
  /** The restrict qualifier as printed (a macro the header defines where the language lacks it). */
  restrict: string;
  /** Lines that define `restrict` for the header (C++ has no `restrict`); guarded, so two headers can meet. */
  restrictPrelude: string[];
  /** Header lines that open and close the declarations (C: `extern "C"` for C++). */
  linkage: { open: string[]; close: string[] };
  /** Attributes of a kernel's functions: kept out of line, so each tile is compiled alone. */
  noinline: string;
  /** Lines that define `noinline` and the vector-width macro `LIFT_VBYTES` (0: no vectors). */
  vectorPrelude(dtype: DType): string[];
  /** Lines before a parallel loop: `when` (C text) the condition for threads, `collapse` the loops it spans. */
  parallelFor(when: string | undefined, collapse?: number): string[];
}

/**
 * Vector widths in bytes the emitted C can choose from, widest first, with the predefined macros
 * that select each: the choice is made when the C is compiled, so one file serves every machine.
 */
export const C_WIDTHS: { bytes: number; when: string }[] = [
  { bytes: 64, when: "defined(__AVX512F__)" },
  { bytes: 32, when: "defined(__AVX__)" },
  { bytes: 16, when: "defined(__SSE2__) || defined(__ARM_NEON) || defined(__wasm_simd128__)" },
];

export const C_DIALECT: Dialect = {
  name: "c",
  scalar: (d) => (d === "f32" ? "float" : "double"),
  accumulator: () => "double",
  math: (f, d) => (d === "f32" ? `${f}f` : f),
  restrict: "LIFT_RESTRICT",
  restrictPrelude: [
    `#ifndef LIFT_RESTRICT`,
    `#if defined(__cplusplus)`,
    `#define LIFT_RESTRICT __restrict`,
    `#else`,
    `#define LIFT_RESTRICT restrict`,
    `#endif`,
    `#endif`,
  ],
  linkage: { open: [`#ifdef __cplusplus`, `extern "C" {`, `#endif`], close: [`#ifdef __cplusplus`, `}`, `#endif`] },
  noinline: "LIFT_NOINLINE",
  vectorPrelude: (dtype) => {
    const T = dtype === "f32" ? "float" : "double";
    return [
      `/* The vector width, chosen from the target's predefined macros (or -DLIFT_VBYTES=0|16|32|64). */`,
      `#ifndef LIFT_VBYTES`,
      ...C_WIDTHS.map((w, i) => `#${i ? "elif" : "if"} ${w.when}`.concat(`\n#define LIFT_VBYTES ${w.bytes}`)),
      `#else`,
      `#define LIFT_VBYTES 0`,
      `#endif`,
      `#endif`,
      `#if !defined(__GNUC__) && !defined(__clang__)`,
      `#undef LIFT_VBYTES`,
      `#define LIFT_VBYTES 0`,
      `#endif`,
      `#if defined(__GNUC__) || defined(__clang__)`,
      `#define LIFT_NOINLINE __attribute__((noinline))`,
      `#define LIFT_HELPER static inline __attribute__((unused))`,
      `#else`,
      `#define LIFT_NOINLINE`,
      `#define LIFT_HELPER static inline`,
      `#endif`,
      `/* Vectors are GCC/Clang vector extensions no wider than the target's registers; without them`,
      ` * a "vector" is one ${T}. Helpers are macros or static inline (unused in some widths), so no
 * vector crosses a call ABI. */`,
      `#if LIFT_VBYTES > 0`,
      `typedef ${T} lift_vec __attribute__((vector_size(LIFT_VBYTES)));`,
      `#define LIFT_LANES ((int)(LIFT_VBYTES / sizeof(${T})))`,
      `LIFT_HELPER ${T} lift_vsum(lift_vec v) {`,
      `  ${T} t[LIFT_LANES], s = 0;`,
      `  int i;`,
      `  memcpy(t, &v, sizeof v);`,
      `  for (i = 0; i < LIFT_LANES; i++) s += t[i];`,
      `  return s;`,
      `}`,
      // The lanes summed, or the first n added into p, in double: a blocked f32 sum's blocks
      // (kernel_c.ts, issue 10). No comment line here: unused helpers are dropped, a comment would stay.
      `LIFT_HELPER double lift_vsumw(lift_vec v) {`,
      `  ${T} t[LIFT_LANES];`,
      `  double s = 0;`,
      `  int i;`,
      `  memcpy(t, &v, sizeof v);`,
      `  for (i = 0; i < LIFT_LANES; i++) s += t[i];`,
      `  return s;`,
      `}`,
      `LIFT_HELPER void lift_vaddw(double *p, lift_vec v, int n) {`,
      `  ${T} t[LIFT_LANES];`,
      `  int i;`,
      `  memcpy(t, &v, sizeof v);`,
      `  for (i = 0; i < n; i++) p[i] += t[i];`,
      `}`,
      `#else`,
      `typedef ${T} lift_vec;`,
      `#define LIFT_LANES 1`,
      `#define lift_vsum(v) (v)`,
      `#define lift_vsumw(v) ((double)(v))`,
      `#define lift_vaddw(p, v, n) (*(p) += (double)(v))`,
      `#endif`,
      `#define lift_vfma(c, s, x) ((c) + (s) * (x))`,
      `#define lift_vfmav(c, x, y) ((c) + (x) * (y))`,
      `LIFT_HELPER lift_vec lift_vzero(void) { lift_vec v; memset(&v, 0, sizeof v); return v; }`,
      `LIFT_HELPER lift_vec lift_vload(const ${T} *p) { lift_vec v; memcpy(&v, p, sizeof v); return v; }`,
      `LIFT_HELPER lift_vec lift_vloadn(const ${T} *p, int n) {`,
      `  lift_vec v = lift_vzero();`,
      `  memcpy(&v, p, (size_t)n * sizeof(${T}));`,
      `  return v;`,
      `}`,
      `#define lift_vstore(p, v) memcpy((p), &(v), sizeof(lift_vec))`,
      `#define lift_vstoren(p, v, n) memcpy((p), &(v), (size_t)(n) * sizeof(${T}))`,
      "",
    ];
  },
  parallelFor: (when, collapse = 1) => [
    `#ifdef _OPENMP`,
    `#pragma omp parallel for${collapse > 1 ? ` collapse(${collapse})` : ""}${when ? ` if(${when})` : ""}`,
    `#endif`,
  ],
};
