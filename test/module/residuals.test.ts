/**
 * Residuals by cost (src/module/residuals.ts): the stored forward values are the ones the rule
 * names (summing contractions of ratio ≥ MIN_RATIO, latest first, within the bound), the bytes a
 * residual holds are theirs plus the inputs backward still reads, and both choices — stored and
 * recomputed — give gradients equal to the whole program's (grad L W) in f64.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load, LiftError, type Tensor } from "../../src/api/index.js";
import { MIN_RATIO } from "../../src/module/residuals.js";
import { Mulberry32 } from "../../src/train/init.js";
import { assertClose } from "../helpers.js";

// H's pre-activation sums 16 products an element (stored); Y's sums 4 (below MIN_RATIO: but Y
// is the output, never stored). The gradients read relu's mask (from the stored sum) and H.
const MLP = `X :: (in N 16)
W1 :: (param 4 16)
B1 :: (param 4)
W2 :: (param 2 4)
dot"1 1 := ((reduce 1 +) (x * y))
H := (0 >. ((W1 ((dot"1 1)"2 1) X) (+"1 1) B1))
Y := (W2 ((dot"1 1)"2 1) H)
L := ((reduce 2 +) (Y * Y))
dW1 :: (grad L W1)
dB1 :: (grad L B1)
dW2 :: (grad L W2)
dX :: (grad L X)
`;
const WRT = ["W1", "B1", "W2", "X"];

function inputs(n: number, seed: number): Record<string, Tensor> {
  const g = new Mulberry32(seed);
  const t = (shape: number[]): Tensor => ({
    shape,
    data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g.next() * 2 - 1),
  });
  return { X: t([n, 16]), W1: t([4, 16]), B1: t([4]), W2: t([2, 4]) };
}

test("MLP: the cost rule stores the 16-term sum (not Y, the output); residual bytes are the rule's; gradients equal (grad L W) either way", () => {
  assert.equal(MIN_RATIO, 8);
  const p = load(MLP);
  const x = inputs(5, 3);
  const whole = p.run(x, { dtype: "f64" });
  const shapes = (m: ReturnType<typeof p.module>) =>
    m.graphs.residuals.map((r) => [
      r,
      [...m.graphs.forward.inputs, ...m.graphs.forward.outputs].find((d) => d.name === r)!.shape.join(" "),
    ]);
  for (const backend of ["c", "interp"] as const)
    for (const policy of ["cost", "inputs"] as const) {
      const m = p.module({
        outputs: ["Y"],
        wrt: WRT,
        backend,
        dtype: "f64",
        residuals: { policy },
        compile: { name: `res_${policy}` },
      });
      if (policy === "cost") {
        assert.deepEqual(m.graphs.stored, ["stored 0"]);
        // ∂W1 reads X, ∂X reads W1, ∂W2 reads H: all recomputed from the stored sum and B1 (relu's mask).
        assert.deepEqual(shapes(m), [
          ["stored 0", "N 4"],
          ["X", "N 16"],
          ["W1", "4 16"],
          ["B1", "4"],
          ["W2", "2 4"],
        ]);
      } else
        assert.deepEqual(shapes(m), [
          ["X", "N 16"],
          ["W1", "4 16"],
          ["B1", "4"],
          ["W2", "2 4"],
        ]);
      const { outputs, residuals } = m.forward(x);
      assert.equal(
        residuals.bytes,
        8 * ((policy === "cost" ? 5 * 4 : 0) + 5 * 16 + 64 + 4 + 8),
        `${backend} ${policy}`,
      );
      const Y = outputs.Y!;
      const g = m.backward(residuals, { Y: { shape: Y.shape, data: Y.data.map((v) => 2 * v) } });
      for (const w of WRT) assertClose(g[w]!.data, whole[`d${w}`]!.data, 1e-12, `${backend} ${policy} d${w}`);
    }
});

test("the bound: with maxElements below the sum's 4 elements an example nothing is stored", () => {
  const p = load(MLP);
  assert.deepEqual(
    p.module({ outputs: ["Y"], wrt: WRT, backend: "interp", residuals: { maxElements: 3 } }).graphs.stored,
    [],
  );
  assert.deepEqual(
    p.module({ outputs: ["Y"], wrt: WRT, backend: "interp", residuals: { maxElements: 4 } }).graphs.stored,
    ["stored 0"],
  );
  assert.throws(
    () => p.module({ outputs: ["Y"], wrt: WRT, residuals: { policy: "store" as "cost" } }),
    (e: unknown) => e instanceof LiftError && e.message === `residuals.policy must be "cost" or "inputs", not "store"`,
  );
});

test("the LeNet: the two convolutions' sums are stored (not the products under them), K1 is no longer kept; gradients equal (grad Loss W) with both choices (f64, interpreter)", () => {
  const LENET = readFileSync(join(process.cwd(), "examples", "fashion-lenet.lift"), "utf8");
  const wrt = ["K1", "B1", "K2", "B2", "W", "B"];
  const p = load(`${LENET}\n${["Logits", ...wrt].map((w) => `d${w} :: (grad Loss ${w})`).join("\n")}\n`);
  const g = new Mulberry32(11);
  const t = (shape: number[], s = 0.3): Tensor => ({
    shape,
    data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (g.next() * 2 - 1) * s),
  });
  const labels = t([2, 10]);
  labels.data.fill(0);
  labels.data[3] = 1;
  labels.data[17] = 1;
  const x = {
    Images: t([2, 28, 28], 1),
    Labels: labels,
    Scale: 0.5,
    K1: t([8, 5, 5]),
    B1: t([8]),
    K2: t([16, 8, 5, 5]),
    B2: t([16]),
    W: t([10, 16, 7, 7]),
    B: t([10]),
  };
  const whole = p.run(x, { dtype: "f64" });
  for (const policy of ["cost", "inputs"] as const) {
    const m = p.module({ outputs: ["Logits"], wrt, backend: "interp", dtype: "f64", residuals: { policy } });
    const { residuals } = m.forward(x);
    const bytes = (n: number) => 8 * n;
    if (policy === "cost") {
      // conv1: the diagonal sums of the 5×5 products, (N 8 32 32), 19.1 products an element;
      // conv2: the sum over 8 channels, (N 16 14 14). Backward reads Images (for ∂K1), not K1.
      assert.deepEqual(m.graphs.residuals, ["stored 0", "stored 1", "Images", "B1", "K2", "B2", "W"]);
      assert.deepEqual(
        m.graphs.stored.map((s) => m.graphs.forward.outputs.find((d) => d.name === s)!.shape.join(" ")),
        ["N 8 32 32", "N 16 14 14"],
      );
      assert.equal(residuals.bytes, bytes(2 * 8192 + 2 * 3136 + 2 * 784 + 8 + 3200 + 16 + 7840));
    } else {
      assert.deepEqual(m.graphs.residuals, ["Images", "K1", "B1", "K2", "B2", "W"]);
      assert.equal(residuals.bytes, bytes(2 * 784 + 200 + 8 + 3200 + 16 + 7840));
    }
    const got = m.backward(residuals, { Logits: whole.dLogits! });
    for (const w of wrt) assertClose(got[w]!.data, whole[`d${w}`]!.data, 1e-12, `${policy} d${w}`);
  }
});
