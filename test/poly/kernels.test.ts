/**
 * Kernel recognition (src/poly/kernels.ts, src/codegen/kernel_c.ts): which statements become
 * kernels, and that the compiled results agree with the interpreter and with recognition off —
 * both forms, partial vectors, padding, symbolic batch sizes, f32 and f64.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { compileGraph } from "../../src/compiler/compile.js";
import type { Tensor } from "../../src/core/tensor.js";

process.env.LIFT_CACHE = mkdtempSync(join(tmpdir(), "lift-cache-"));

let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const tensor = (shape: number[]): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float64Array.from({ length: n }, rnd) };
};

function close(a: Record<string, Tensor>, b: Record<string, Tensor>, rel: number, what: string): void {
  for (const k of Object.keys(a)) {
    const x = a[k]!,
      y = b[k]!;
    assert.deepEqual(y.shape, x.shape, `${what}: ${k} shape`);
    let scale = 0;
    for (const v of x.data) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < x.data.length; i++) {
      assert.ok(
        Math.abs(x.data[i]! - y.data[i]!) <= rel * Math.max(scale, 1e-300),
        `${what}: ${k}[${i}] ${x.data[i]} vs ${y.data[i]}`,
      );
    }
  }
}

/** Compiles with kernels on and off; checks the count recognised and both against the interpreter. */
function agree(
  name: string,
  source: string,
  inputSets: Record<string, Tensor> | Record<string, Tensor>[],
  kernels: number,
): void {
  const p = load({ name: `${name}.lift`, text: source });
  const { stats, unit } = compileGraph(p.graph, { dtype: "f64", name });
  assert.equal(stats.kernels.kernels, kernels, `${name}: kernels recognised (${stats.kernels.names.join(" ")})`);
  assert.equal((unit.source.match(/_kernel\d+\(/g) ?? []).length > 0, kernels > 0);
  const off = compileGraph(p.graph, { dtype: "f64", name, kernels: false });
  assert.equal(off.stats.kernels.kernels, 0);
  assert.doesNotMatch(off.unit.source, /_kernel\d/);
  for (const dtype of ["f64", "f32"] as const)
    for (const inputs of [inputSets].flat()) {
      const ref = p.run(inputs, { dtype });
      const rel = dtype === "f64" ? 1e-12 : 2e-5;
      close(ref, p.compile({ dtype, name }).run(inputs), rel, `${name} ${dtype} kernels on`);
      close(ref, p.compile({ dtype, name, kernels: false }).run(inputs), rel, `${name} ${dtype} kernels off`);
    }
}

test("matrix products of awkward sizes: axpy kernels with partial vectors and row blocks with tails", () => {
  for (const [m, k, n] of [
    [13, 7, 11],
    [2, 5, 3],
    [9, 16, 24],
    [30, 3, 37],
  ] as const) {
    agree(
      `mm${m}x${k}x${n}`,
      `A :: (in ${m} ${k})\nB :: (in ${k} ${n})\nC :: (out ${m} ${n})\nC := (((reduce 1 +)"2) (A (*"1 2) B))\n`,
      { A: tensor([m, k]), B: tensor([k, n]) },
      1,
    );
  }
});

test("dot products along a shared last axis become dot kernels (with a partial last vector)", () => {
  // X (N 13) against W (5 13): every output a dot product along the 13-long last axis.
  const src = `X :: (in N 13)\nW :: (in 5 13)\nY :: (out N 5)\ndot"1 1 := ((reduce 1 +) (x * y))\nY := (W ((dot"1 1)"2 1) X)\n`;
  agree(
    "dot",
    src,
    [1, 4].map((n) => ({ X: tensor([n, 13]), W: tensor([5, 13]) })),
    1,
  );
});

test("the example convolution: padded 'same' convolution, a kernel, equal to the interpreter", () => {
  const src = readFileSync(join(process.cwd(), "examples", "conv.lift"), "utf8");
  agree("conv", src, { Image: tensor([6, 6]), K: tensor([2, 3, 3]), Bias: tensor([2]) }, 1);
});

test("the LeNet training step (model and gradients, symbolic batch): all eight contractions are kernels", () => {
  const model = readFileSync(join(process.cwd(), "examples", "fashion-lenet.lift"), "utf8");
  const grads = ["K1", "B1", "K2", "B2", "W", "B"].map((w) => `d${w} :: (grad Loss ${w})`).join("\n");
  const src = `${model}\n${grads}\n`;
  const inputs = [1, 3].map((n) => {
    const labels = tensor([n, 10]);
    labels.data.fill(0);
    for (let i = 0; i < n; i++) labels.data[i * 10 + (i % 10)] = 1;
    return {
      Images: tensor([n, 28, 28]),
      Labels: labels,
      Scale: { shape: [], data: Float64Array.of(1 / n) },
      K1: tensor([8, 5, 5]),
      B1: tensor([8]),
      K2: tensor([16, 8, 5, 5]),
      B2: tensor([16]),
      W: tensor([10, 16, 7, 7]),
      B: tensor([10]),
    };
  });
  agree("lenet", src, inputs, 8);
});

test("a product that is not a contraction (an element-wise product) stays a loop nest", () => {
  agree(
    "ew",
    `A :: (in 4 9)\nB :: (in 4 9)\nC :: (out 4 9)\nC := (A * B)\n`,
    { A: tensor([4, 9]), B: tensor([4, 9]) },
    0,
  );
});
