/**
 * The packed GEMM (src/poly/gemm.ts, src/codegen/gemm_c.ts) against the interpreter: awkward
 * sizes (1, 7, 17, 33, 100: partial panels of A and B, partial kc blocks), rectangular shapes,
 * both kernel forms (axpy z[m, n] += a[m, k] b[k, n]; dot z[m, n] += a[n, k] b[m, k], where the
 * operands trade places), f32 and f64, the native width and the 16-byte and scalar builds; and
 * that every width's C compiles warning-free with and without OpenMP.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import type { DType, Tensor } from "../../src/core/tensor.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { GEMM_POLICY } from "../../src/poly/gemm.js";
import { loadNative } from "../../src/runtime/module.js";
import { cflags } from "../../src/runtime/native.js";

process.env.LIFT_CACHE = mkdtempSync(join(tmpdir(), "lift-cache-"));

let seed = 4242;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const tensor = (shape: number[]): Tensor => ({
  shape,
  data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd),
});

const matmul = (m: number, k: number, n: number, i = "") =>
  `A${i} :: (in ${m} ${k})\nB${i} :: (in ${k} ${n})\nC${i} :: (out ${m} ${n})\nC${i} := (((reduce 1 +)"2) (A${i} (*"1 2) B${i}))\n`;
/** Y[i, o] = Σ_f W[o, f] X[i, f]: a dot-form kernel whose z is contiguous along W's rows. */
const dotForm = (m: number, k: number, n: number, i = "") =>
  `X${i} :: (in ${m} ${k})\nW${i} :: (in ${n} ${k})\nY${i} :: (out ${m} ${n})\nY${i} := (W${i} ((dot"1 1)"2 1) X${i})\n`;

/** Largest |x − y| over the largest |x|. */
function relErr(x: Tensor, y: Tensor): number {
  assert.deepEqual(y.shape, x.shape);
  let scale = 1e-300,
    err = 0;
  x.data.forEach((v, i) => {
    scale = Math.max(scale, Math.abs(v));
    err = Math.max(err, Math.abs(v - y.data[i]!));
  });
  return err / scale;
}

/**
 * Compiles with the packed path forced (any size), checks it was taken for all `count` products,
 * runs every output at `widths` against the interpreter.
 */
function agreePacked(
  name: string,
  source: string,
  inputs: Record<string, Tensor>,
  count: number,
  widths: string[][],
): void {
  const p = load({ name: `${name}.lift`, text: source });
  const saved = { ...GEMM_POLICY };
  Object.assign(GEMM_POLICY, { minWork: 0, minSide: 1 });
  try {
    for (const dtype of ["f64", "f32"] as DType[]) {
      const { unit, stats } = compileGraph(p.graph, { dtype, name });
      assert.equal(stats.kernels.kernels, count, `${name}: kernels`);
      // Each width's #if branch defines its packing functions once per product.
      assert.equal(
        unit.source.match(/^static LIFT_NOINLINE void \w+_packa\(/gm)?.length,
        count * 4,
        `${name}: the packed path`,
      );
      const ref = p.run(inputs, { dtype });
      for (const w of widths) {
        const got = loadNative(p.graph, unit, dtype, [...cflags(true), ...w]).run(inputs);
        for (const out of Object.keys(ref)) {
          const err = relErr(ref[out]!, got[out]!);
          assert.ok(
            err <= (dtype === "f64" ? 1e-13 : 3e-6),
            `${name} ${out} ${dtype} ${w.join(" ") || "native"}: relative error ${err}`,
          );
        }
      }
    }
  } finally {
    Object.assign(GEMM_POLICY, saved);
  }
}

const WIDTHS = [[], ["-DLIFT_VBYTES=16"], ["-DLIFT_VBYTES=0"]];

test("packed matrix products of awkward and rectangular sizes equal the interpreter (f32, f64, three widths)", () => {
  const shapes = [
    [3, 9, 5],
    [7, 17, 33],
    [33, 7, 17],
    [100, 33, 7],
    [17, 100, 5],
    [2, 33, 100],
    [100, 300, 37],
  ] as const;
  const inputs = Object.fromEntries(
    shapes.flatMap(([m, k, n], i) => [
      [`A${i}`, tensor([m, k])],
      [`B${i}`, tensor([k, n])],
    ]),
  );
  agreePacked("gm", shapes.map(([m, k, n], i) => matmul(m, k, n, String(i))).join(""), inputs, shapes.length, WIDTHS);
});

test("a dot-form product is packed with its operands trading places, and equals the interpreter", () => {
  const shapes = [
    [33, 17, 7],
    [7, 100, 33],
  ] as const;
  const inputs = Object.fromEntries(
    shapes.flatMap(([m, k, n], i) => [
      [`X${i}`, tensor([m, k])],
      [`W${i}`, tensor([n, k])],
    ]),
  );
  agreePacked(
    "gd",
    `dot"1 1 := ((reduce 1 +) (x * y))\n${shapes.map(([m, k, n], i) => dotForm(m, k, n, String(i))).join("")}`,
    inputs,
    shapes.length,
    WIDTHS,
  );
});

test("the default policy packs a 170³ product and keeps a 128³ one unpacked", () => {
  const packed = compileGraph(load({ name: "g170.lift", text: matmul(170, 170, 170) }).graph, {
    dtype: "f32",
    name: "g170",
  });
  assert.match(packed.unit.source, /g170_kernel0_packa\(/);
  const small = compileGraph(load({ name: "g128.lift", text: matmul(128, 128, 128) }).graph, {
    dtype: "f32",
    name: "g128",
  });
  assert.equal(small.stats.kernels.kernels, 1);
  assert.doesNotMatch(small.unit.source, /_packa\(/);
});

test("the packed C compiles warning-free at every vector width, with and without OpenMP (gcc, clang)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lift-gemm-c-"));
  const { unit } = compileGraph(load({ name: "g130.lift", text: matmul(130, 70, 45) }).graph, {
    dtype: "f32",
    name: "gw",
  });
  writeFileSync(join(dir, "gw.c"), unit.source);
  writeFileSync(join(dir, "gw.h"), unit.header);
  for (const compiler of ["gcc", "clang-16"]) {
    for (const w of [["-DLIFT_VBYTES=0"], ["-DLIFT_VBYTES=16"], ["-mavx2", "-mfma"], ["-mavx512f"]])
      for (const omp of [[], ["-fopenmp"]]) {
        const r = spawnSync(
          compiler,
          ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O1", ...w, ...omp, "-c", "gw.c"],
          { cwd: dir, encoding: "utf8" },
        );
        assert.equal(r.status, 0, `${compiler} ${w.join(" ")} ${omp.join(" ")}: ${r.stderr}`);
      }
  }
});
