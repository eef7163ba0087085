/**
 * WebAssembly as a dialect of the C-like printer base (src/codegen/dialect.ts): C that clang
 * compiles for wasm32, and what that build needs around it.
 *
 * * Vectors: 16 bytes (SIMD128). The C dialect's prelude already chooses `LIFT_VBYTES` 16 from
 *   `__wasm_simd128__` (clang defines it under `-msimd128`), so kernels get the 16-byte tiles
 *   (4 lanes of f32, 2 of f64) of src/poly/kernels.ts; this dialect pins it (`-DLIFT_VBYTES`
 *   still overrides).
 * * No OpenMP: parallel loops print no pragma (their bodies stay outlined functions).
 * * No libc: a freestanding `math.h` and `string.h` (below). `memcpy`/`memset` are clang builtins,
 *   lowered to `memory.copy`/`memory.fill` under `-mbulk-memory`; `sqrt`, `fabs`, `fmin`, `fmax`,
 *   `floor` are builtins with their own wasm instructions. `exp`, `log`, `pow` and `sin` (f32 and
 *   f64) become imports of module `env`, filled by the host with JavaScript's `Math.exp`,
 *   `Math.log`, `Math.pow`, `Math.sin` (src/runtime/wasm_host.ts).
 *
 * Accuracy of the imported maths: V8 computes Math.exp/log/pow/sin in double precision with fdlibm's
 * algorithms (error below 1 ulp in f64). For f32 the double result is rounded once to float, so
 * `expf`/`logf`/`powf` are within 0.5 ulp plus a double rounding (≈ 1e-16 relative) of the exact
 * value — more accurate than glibc's `expf` (≤ 1 ulp). Math.pow differs from C's pow at two
 * corners: pow(1, NaN) and pow(−1, ±∞) are NaN in JavaScript and 1 in C; the interpreter (also
 * Math.pow) agrees with the wasm build there.
 */
import { MATH_ARITY, type MathFn } from "../core/prims.js";
import { C_DIALECT, type Dialect } from "./dialect.js";

export const WASM_VECTOR_BYTES = 16;

export const WASM_DIALECT: Dialect = {
  ...C_DIALECT,
  name: "wasm",
  vectorPrelude: (dtype) => [
    `/* wasm32 with SIMD128: ${WASM_VECTOR_BYTES}-byte vectors. */`,
    `#ifndef LIFT_VBYTES`,
    `#define LIFT_VBYTES ${WASM_VECTOR_BYTES}`,
    `#endif`,
    ...C_DIALECT.vectorPrelude(dtype),
  ],
  parallelFor: () => [],
};

/**
 * How the wasm32 build provides each math function of the table (core/prims.ts `MathFn`): a
 * clang builtin with its own wasm instruction, or an import of module `env` that the host fills
 * from JavaScript's Math (runtime/wasm_host.ts `MATH_IMPORTS`, typed by `WasmImportName`).
 */
export const WASM_MATH = {
  exp: "import",
  log: "import",
  pow: "import",
  sqrt: "builtin",
  sin: "import",
} as const satisfies {
  [F in MathFn]: "builtin" | "import";
};
type Imported = { [F in MathFn]: (typeof WASM_MATH)[F] extends "import" ? F : never }[MathFn];
/** The C names of the imported maths, f32 (`expf`) and f64 (`exp`). */
export type WasmImportName = `${Imported}f` | Imported;

const MATH_FNS = Object.keys(WASM_MATH) as MathFn[];
const IMPORTED = MATH_FNS.filter((f) => WASM_MATH[f] === "import");
export const WASM_MATH_IMPORTS = [...IMPORTED.map((f) => `${f}f`), ...IMPORTED] as readonly WasmImportName[];
/** Builtins the freestanding math.h defines besides the table's: used by the drivers' C. */
const OTHER_BUILTINS = ["fabs", "floor", "ceil", "fmin", "fmax"];

export function wasmHeaders(): Record<string, string> {
  const proto = (T: string, name: string, f: MathFn) => `${T} ${name}(${Array(MATH_ARITY[f]).fill(T).join(", ")});`;
  const decls = [...IMPORTED.map((f) => proto("float", `${f}f`, f)), ...IMPORTED.map((f) => proto("double", f, f))];
  const builtins = [...MATH_FNS.filter((f) => WASM_MATH[f] === "builtin"), ...OTHER_BUILTINS];
  return {
    "math.h": [
      "/* math.h for LiFT's wasm32 build: builtins where wasm has an instruction, imports otherwise. */",
      "#ifndef LIFT_WASM_MATH_H",
      "#define LIFT_WASM_MATH_H",
      '#define NAN __builtin_nanf("")',
      "#define INFINITY __builtin_inff()",
      ...builtins.flatMap((f) => [`#define ${f}f __builtin_${f}f`, `#define ${f} __builtin_${f}`]),
      ...decls,
      "#endif",
      "",
    ].join("\n"),
    "string.h": [
      "/* string.h for LiFT's wasm32 build: clang lowers these builtins to memory.copy / memory.fill. */",
      "#ifndef LIFT_WASM_STRING_H",
      "#define LIFT_WASM_STRING_H",
      "#include <stddef.h>",
      "#define memcpy __builtin_memcpy",
      "#define memset __builtin_memset",
      "#endif",
      "",
    ].join("\n"),
  };
}

/** The exports a module needs: the entry, its scratch size, and where free memory starts. */
export const wasmExports = (entry: { symbol: string; scratchSymbol: string }) => [
  entry.symbol,
  entry.scratchSymbol,
  "__heap_base",
];

/** clang's flags for one unit; `includeDir` holds `wasmHeaders()`, `importsFile` lists the maths imports. */
export function wasmFlags(includeDir: string, importsFile: string, exports: string[]): string[] {
  return [
    "--target=wasm32",
    "-nostdlib",
    "-std=c99",
    "-O3",
    "-msimd128",
    "-mbulk-memory",
    "-Wall",
    "-Wextra",
    "-Wno-unused-command-line-argument",
    "-isystem",
    includeDir,
    "-Wl,--no-entry",
    ...exports.map((e) => `-Wl,--export=${e}`),
    `-Wl,--allow-undefined-file=${importsFile}`,
    // The generated code keeps its arrays in the caller's memory; the C stack holds only locals.
    "-Wl,-z,stack-size=1048576",
  ];
}
