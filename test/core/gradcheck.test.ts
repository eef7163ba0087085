/**
 * Gradient checks (float64, deterministic): every primitive under several rank configurations, whole
 * models (the mattmazur network, the MNIST CNN, softmax cross-entropy), second-order Hessian–vector products,
 * the broadcast-sum identity of a convolution bias, and the original tie rule under `(ties full)` (reference §4.6, §4.9).
 *
 * First-order checks compare `dW :: (grad L W)` with central differences of L along random directions
 * (relative error < 1e-6); second-order checks compare `HV :: (grad (Σ G·V) W)` with central differences of
 * G = ∂L/∂W along V (max-norm error < 1e-6 · max |HV|). See gradcheck_util.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, type LiftProgram } from "../../src/api/index.js";
import { flatten } from "../helpers.js";
import { vectorById } from "../vectors/reference.js";
import { MNIST_GRAD, MNIST_MODEL, mnistGradAccumulators, mnistInputs } from "../vectors/mnist.js";
import { PRIM_NAMES } from "../../src/core/prims.js";
import { CASES } from "./prim_cases.js";
import {
  checkDirectional,
  checkExpr,
  checkHvp,
  computes,
  makeInputs,
  mulberry32,
  runF64,
  seedOf,
  tally,
  tensor,
  uniform,
  type ExprCase,
  type F64Tensor,
  type Inputs,
} from "./gradcheck_util.js";

const asTensor = (v: Parameters<typeof flatten>[0]): F64Tensor => {
  const { shape, data } = flatten(v);
  return { shape, data: Float64Array.from(data) };
};

/** Runs each case as a subtest named by its key. */
async function cases(
  t: { test: (name: string, fn: () => void) => Promise<void> },
  prefix: string,
  list: Record<string, ExprCase>,
): Promise<void> {
  for (const [name, c] of Object.entries(list)) await t.test(name, () => checkExpr(c, `${prefix}: ${name}`));
}

// ---------------------------------------------------------------------------------------------------------
// 1–2. Every primitive under several rank configurations

// The cases live in prim_cases.ts, one entry per primitive of the table (a mapped type, so a
// primitive without cases does not compile); each case must compute its primitive.
for (const p of PRIM_NAMES) {
  test(`gradient of ${p}: its cases in prim_cases.ts`, async (t) => {
    for (const c of CASES[p].grad) {
      await t.test(c.name, () => {
        const progs = checkExpr(c, `${p}: ${c.name}`);
        assert.ok(
          progs.some((q) => computes(q, p)),
          `${p}: the case ${c.name} never computes ${p}`,
        );
      });
    }
  });
}

test("gradient of compositions: matrix product, convolution, max-pooling, a verb using a global", async (t) =>
  cases(t, "composition", {
    'matrix product (((reduce 1 +)"2) (A (*"1 2) B))': {
      expr: '(((reduce 1 +)"2) (A (*"1 2) B))',
      inputs: { A: { shape: [3, 4] }, B: { shape: [4, 2] } },
    },
    'user dyad dot"1 1 as (A (dot"1 2) B)': {
      verbs: 'dot"1 1 := ((reduce 1 +) (x * y))',
      expr: '(A (dot"1 2) B)',
      inputs: { A: { shape: [2, 3] }, B: { shape: [4, 3] } },
    },
    'monad f"0 := (y * G) broadcasting a global': {
      verbs: 'f"0 := (y * G)',
      expr: "(f A)",
      inputs: { A: { shape: [2] }, G: { shape: [3] } },
    },
    "multi-channel convolution with channel diagonal (trim 2 1 1)": {
      expr: '(((trim 2 1 1)"3) (((oblique 3 +)"6) (K ((*"3 0)"3 3) I)))',
      inputs: { K: { shape: [2, 3, 3, 3] }, I: { shape: [3, 5, 5] } },
    },
    "max-pooling 2×2 stride 2 of R (6 6)": {
      expr: '(((stride 2 2)"2) (((trim 1 1)"2) (((oblique 2 >.)"4) (((duplicate 2 2)"0) R))))',
      inputs: { R: { shape: [6, 6], fill: "distinct" } },
    },
    "max-pooling 3×3 stride 3 of relu(R), R (2 6 6)": {
      verbs: 'relu"0 := (0.0 >. y)',
      expr: '(((stride 3 3)"2) (((trim 2 2)"2) (((oblique 2 >.)"4) (((duplicate 3 3)"0) (relu R)))))',
      inputs: { R: { shape: [2, 6, 6], fill: "distinct" } },
    },
  }));

test("(A ** 2) and (A ** 3) at A = 0 have gradient 0 there, not NaN; second order of (A ** 2) at 0 is 2", () => {
  const A = [0, 1.5, -2];
  for (const [p, want] of [
    [2, [0, 3, -4]],
    [3, [0, 6.75, 12]],
  ] as const) {
    const out = runF64(load(`A :: (in 3)\nL := ((reduce 1 +) (A ** ${p}))\ndA :: (grad L A)\n`), { A: asTensor(A) }, [
      "dA",
    ]);
    assert.deepEqual([...out.dA!.data], want, `d Σ A^${p} / dA`);
    tally.exact++;
  }
  // Hessian of Σ A² is 2·I: HV = 2·V, also at the zero entry.
  const prog = load(
    "A :: (in 3)\nV :: (in 3)\nL := ((reduce 1 +) (A ** 2))\nG :: (grad L A)\nS := ((reduce 1 +) (G * V))\nHV :: (grad S A)\n",
  );
  const out = runF64(prog, { A: asTensor(A), V: asTensor([0.5, -1, 2]) }, ["HV"]);
  assert.deepEqual([...out.HV!.data], [1, -2, 4]);
  tally.exact++;
});

test("** at base 0: d/dA of A^0, d/dB of A^B (B > 0), and higher orders of A^1, A^2 are 0, not NaN", () => {
  const grads = (src: string, inputs: Inputs, names: string[]) => runF64(load(src), inputs, names);
  const A = asTensor([0, 2]);
  const finite = (what: string, t: F64Tensor | undefined) =>
    assert.ok([...t!.data].every(Number.isFinite), `${what}: ${[...t!.data]}`);
  finite("d Σ A^0 / dA", grads("A :: (in 2)\nL := ((reduce 1 +) (A ** 0))\nG :: (grad L A)\n", { A }, ["G"]).G);
  finite(
    "d Σ A^B / dB",
    grads("A :: (in 2)\nB :: (in 2)\nL := ((reduce 1 +) (A ** B))\nG :: (grad L B)\n", { A, B: asTensor([2, 2]) }, [
      "G",
    ]).G,
  );
  finite(
    "second derivative of Σ A^1",
    grads(
      "A :: (in 2)\nL := ((reduce 1 +) (A ** 1))\nG :: (grad L A)\nS := ((reduce 1 +) G)\nH :: (grad S A)\n",
      { A },
      ["H"],
    ).H,
  );
  finite(
    "third derivative of Σ A^2",
    grads(
      "A :: (in 2)\nL := ((reduce 1 +) (A ** 2))\nG :: (grad L A)\nS := ((reduce 1 +) G)\n" +
        "H :: (grad S A)\nS2 := ((reduce 1 +) H)\nT :: (grad S2 A)\n",
      { A },
      ["T"],
    ).T,
  );
});

// ---------------------------------------------------------------------------------------------------------
// 3. Whole models

test("mattmazur network (T30): dW1 and dW2 by central differences, at the reference inputs and random ones", () => {
  const v = vectorById("T30");
  const prog = load(v.source);
  const given: Inputs = Object.fromEntries(Object.entries(v.inputs).map(([k, x]) => [k, asTensor(x)]));
  const rng = mulberry32(seedOf("T30"));
  const random: Inputs = {
    ...given,
    W1: uniform(rng, [2, 2]),
    W2: uniform(rng, [2, 2]),
    Input: uniform(rng, [2]),
    B1: uniform(rng, []),
  };
  for (const [which, inputs] of [
    ["reference", given],
    ["random", random],
  ] as const) {
    // Input is about 0.1, so Loss changes on a scale of ~10 in W1 and dW1 is ~1e-5: a step of 1e-5 keeps the
    // rounding error of the difference (~1e-16·Loss/ε) well below 1e-6 of it.
    for (const w of ["W1", "W2"])
      checkDirectional(prog, inputs, {
        loss: "Loss",
        wrt: w,
        grad: `d${w}`,
        rng,
        directions: 3,
        steps: [1e-5],
        label: `T30 (${which} inputs)`,
      });
  }
});

/**
 * Loss, and which piece of the piecewise-smooth MNIST loss `inputs` lies on: the sign of every pre-activation
 * of Conv1 and Conv2, and for every pooling window (2×2 on Relu1, 3×3 on Relu2, both tiling their maps) whose
 * maximum is positive, the positions attaining it. Along a segment on which this does not change, every layer
 * is affine in a single parameter tensor up to the softmax, so the loss is smooth there.
 */
function mnistPiecewise(prog: LiftProgram): (inputs: Inputs) => { loss: number; pieces: string } {
  const seen = new WeakMap<Inputs, { loss: number; pieces: string }>();
  return (inputs) => {
    const hit = seen.get(inputs);
    if (hit) return hit;
    const out = runF64(prog, inputs, ["Conv1", "Conv2", "Loss"]);
    const parts: string[] = [];
    const windows = (c: Float64Array, maps: number, n: number, w: number) => {
      for (let f = 0; f < maps; f++)
        for (let i = 0; i < n; i += w)
          for (let j = 0; j < n; j += w) {
            let m = 0;
            const at: number[] = [];
            for (let a = 0; a < w; a++)
              for (let b = 0; b < w; b++) {
                const k = f * n * n + (i + a) * n + j + b,
                  r = Math.max(0, c[k]!);
                if (r > m) {
                  m = r;
                  at.length = 0;
                }
                if (r === m && m > 0) at.push(k);
              }
            parts.push(at.join(","));
          }
    };
    for (const c of [out.Conv1!.data, out.Conv2!.data])
      parts.push(Array.from(c, (v) => (v > 0 ? "+" : v < 0 ? "-" : "0")).join(""));
    windows(out.Conv1!.data, 8, 24, 2);
    windows(out.Conv2!.data, 16, 12, 3);
    const res = { loss: out.Loss!.data[0]!, pieces: parts.join(";") };
    seen.set(inputs, res);
    return res;
  };
}

const MNIST_PARAMS = ["K1", "B1", "K2", "B2", "W", "B"];
const MNIST_STEPS = [1e-6, 1e-7, 1e-8];

function mnistProgram(): LiftProgram {
  return load([
    { name: "mnist.model", text: MNIST_MODEL },
    { name: "mnist.grad", text: MNIST_GRAD },
  ]);
}

test("MNIST CNN at the reference inputs: dW, dB, dK2, dB2 by directional central differences", () => {
  const prog = mnistProgram();
  const inputs: Inputs = { ...mnistInputs(), ...mnistGradAccumulators() };
  const rng = mulberry32(seedOf("mnist reference"));
  const params = ["K2", "B2", "W", "B"];
  const grads = runF64(
    prog,
    inputs,
    params.map((p) => `d${p}`),
  );
  const piecewise = mnistPiecewise(prog);
  // Relu leaves many exact zeros, which tie inside pooling windows; these ties sit on negative
  // pre-activations (relu' = 0). The step is chosen so that no relu sign and no pooling argmax changes.
  for (const p of params) {
    checkDirectional(prog, inputs, {
      loss: "Loss",
      wrt: p,
      grad: `d${p}`,
      rng,
      directions: 1,
      label: "MNIST (reference inputs)",
      value: grads[`d${p}`]!.data,
      steps: MNIST_STEPS,
      piecewise,
    });
  }
});

test("MNIST CNN with the input image moved off its lattice: all six parameter gradients by central differences", () => {
  const prog = mnistProgram();
  const reference: Inputs = { ...mnistInputs(), ...mnistGradAccumulators() };
  // At the reference inputs every Conv1 value is a multiple of 2e-4 in exact arithmetic, and one of them is
  // 0 (−2.8e-17 after rounding): Loss has a relu kink exactly there, so dK1/dB1 have no two-sided derivative
  // to compare with (the central difference averages the two one-sided ones). The same lattice makes tied
  // positive maxima in 2×2 pooling windows. A small random change of the image removes both.
  const conv1 = runF64(prog, reference, ["Conv1"]).Conv1!.data;
  assert.ok(Math.min(...Array.from(conv1, Math.abs)) < 1e-15, "the reference Conv1 has a pre-activation at 0");
  const rng = mulberry32(seedOf("mnist jittered"));
  const img = reference.Input!;
  const inputs: Inputs = { ...reference, Input: tensor(img.shape, (i) => img.data[i]! + 2e-3 * (rng() - 0.5)) };
  const grads = runF64(
    prog,
    inputs,
    MNIST_PARAMS.map((p) => `d${p}`),
  );
  const piecewise = mnistPiecewise(prog);
  for (const p of MNIST_PARAMS) {
    checkDirectional(prog, inputs, {
      loss: "Loss",
      wrt: p,
      grad: `d${p}`,
      rng,
      directions: 1,
      label: "MNIST (jittered image)",
      value: grads[`d${p}`]!.data,
      steps: MNIST_STEPS,
      piecewise,
    });
  }
});

const SOFTMAX_VERBS = 'ratio"1 := (y / ((reduce 1 +) y))\n';

/** A random probability vector per row (rows of the last axis sum to 1), or one-hot rows. */
function targets(rng: () => number, rows: number, n: number, oneHot: boolean): F64Tensor {
  const t = tensor([rows, n], () => (oneHot ? 0 : rng()));
  for (let r = 0; r < rows; r++) {
    if (oneHot) {
      t.data[r * n + Math.floor(rng() * n)] = 1;
      continue;
    }
    let s = 0;
    for (let j = 0; j < n; j++) s += t.data[r * n + j]!;
    for (let j = 0; j < n; j++) t.data[r * n + j]! /= s;
  }
  return t;
}

/** dF must equal Output − Target when every target row sums to 1. */
function assertSoftmaxIdentity(dF: Float64Array, O: Float64Array, T: Float64Array, what: string): void {
  for (let i = 0; i < dF.length; i++) {
    assert.ok(Math.abs(dF[i]! - (O[i]! - T[i]!)) < 1e-12, `${what}: dF[${i}] = ${dF[i]}, O − T = ${O[i]! - T[i]!}`);
  }
  tally.exact++;
}

test("softmax cross-entropy on a vector F (5): dF by central differences and dF = O − T", () => {
  const prog = load(
    `F :: (in 5)\nT :: (in 5)\n${SOFTMAX_VERBS}Max := ((reduce 1 >.) F)\nO := (ratio (exp (F - Max)))\n` +
      "L := ((reduce 1 +) (0 - ((log O) * T)))\ndF :: (grad L F)\n",
  );
  const rng = mulberry32(seedOf("softmax vector"));
  for (const oneHot of [true, false]) {
    const inputs: Inputs = {
      F: makeInputs(rng, { F: { shape: [5], fill: "distinct" } }).F!,
      T: { shape: [5], data: targets(rng, 1, 5, oneHot).data },
    };
    inputs.F!.data.forEach((v, i) => {
      inputs.F!.data[i] = 3 * v;
    });
    const out = runF64(prog, inputs, ["dF", "O"]);
    checkDirectional(prog, inputs, {
      loss: "L",
      wrt: "F",
      grad: "dF",
      rng,
      directions: 3,
      label: `softmax (${oneHot ? "one-hot" : "soft"} target)`,
      value: out.dF!.data,
    });
    assertSoftmaxIdentity(out.dF!.data, out.O!.data, inputs.T!.data, "softmax vector");
  }
});

test('softmax cross-entropy batched over a leading axis, F (4 5): with "1 forms and as a user dyad', () => {
  const batched = load(
    `F :: (in 4 5)\nT :: (in 4 5)\n${SOFTMAX_VERBS}Max := (((reduce 1 >.)"1) F)\nO := (ratio (exp (F - Max)))\n` +
      "L := ((reduce 2 +) (0 - ((log O) * T)))\ndF :: (grad L F)\n",
  );
  const dyad = load(
    `F :: (in 4 5)\nT :: (in 4 5)\n${SOFTMAX_VERBS}` +
      'xent"1 1 := ((reduce 1 +) (0 - ((log (ratio (exp (x - ((reduce 1 >.) x))))) * y)))\n' +
      'O := (ratio (exp (F (-"1 0) (((reduce 1 >.)"1) F))))\nL := ((reduce 1 +) (F xent T))\ndF :: (grad L F)\n',
  );
  const rng = mulberry32(seedOf("softmax batched"));
  for (const [name, prog] of [
    ['"1 forms', batched],
    ['user dyad xent"1 1', dyad],
  ] as const) {
    for (const oneHot of [true, false]) {
      const F = makeInputs(rng, { F: { shape: [4, 5], fill: "distinct" } }).F!;
      F.data.forEach((v, i) => {
        F.data[i] = 4 * v;
      });
      const inputs: Inputs = { F, T: targets(rng, 4, 5, oneHot) };
      const out = runF64(prog, inputs, ["dF", "O"]);
      checkDirectional(prog, inputs, {
        loss: "L",
        wrt: "F",
        grad: "dF",
        rng,
        directions: 3,
        label: `batched softmax, ${name}`,
        value: out.dF!.data,
      });
      assertSoftmaxIdentity(out.dF!.data, out.O!.data, inputs.T!.data, `batched softmax, ${name}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// 4. Second order: Hessian–vector products as gradients of gradients

const MLP_VERBS = 'sigmoid"0 := (1 / ((exp (0 - y)) + 1))\ndot"1 1 := ((reduce 1 +) (x * y))\n';

test("second order: 2-layer sigmoid MLP, HV = ∂(Σ G·V)/∂W1 for G = ∂L/∂W1, against differences of G", () => {
  const rng = mulberry32(seedOf("mlp hvp"));
  const single = load(
    `X :: (in 3)\nW1 :: (in 4 3)\nW2 :: (in 2 4)\nV :: (in 4 3)\n${MLP_VERBS}` +
      "H := (sigmoid (W1 dot X))\nY := (W2 dot H)\nL := ((reduce 1 +) (Y * Y))\n" +
      "G :: (grad L W1)\nS := ((reduce 2 +) (G * V))\nHV :: (grad S W1)\n",
  );
  const inputs: Inputs = {
    X: uniform(rng, [3], -2, 2),
    W1: uniform(rng, [4, 3]),
    W2: uniform(rng, [2, 4]),
    V: uniform(rng, [4, 3]),
  };
  checkHvp(single, inputs, { grad: "G", hv: "HV", wrt: "W1", dir: "V", label: "MLP, one sample" });
  checkDirectional(single, inputs, { loss: "L", wrt: "W1", grad: "G", rng, label: "MLP, one sample (first order)" });
  checkDirectional(single, inputs, { loss: "S", wrt: "W1", grad: "HV", rng, label: "MLP, one sample (S = Σ G·V)" });

  // Batched over 5 samples, with a bias, a target and the second layer's HVP too.
  const batched = load(
    `X :: (in 5 3)\nTg :: (in 5 2)\nW1 :: (in 4 3)\nB1 :: (in 4)\nW2 :: (in 2 4)\nV1 :: (in 4 3)\nV2 :: (in 2 4)\n${MLP_VERBS}` +
      'H := (sigmoid ((X (dot"1 2) W1) (+"1 1) B1))\nY := (H (dot"1 2) W2)\nL := ((reduce 2 +) ((Y - Tg) ** 2))\n' +
      "G1 :: (grad L W1)\nG2 :: (grad L W2)\nS1 := ((reduce 2 +) (G1 * V1))\nS2 := ((reduce 2 +) (G2 * V2))\n" +
      "HV1 :: (grad S1 W1)\nHV2 :: (grad S2 W2)\n",
  );
  const bin: Inputs = {
    X: uniform(rng, [5, 3], -2, 2),
    Tg: uniform(rng, [5, 2]),
    W1: uniform(rng, [4, 3]),
    B1: uniform(rng, [4]),
    W2: uniform(rng, [2, 4]),
    V1: uniform(rng, [4, 3]),
    V2: uniform(rng, [2, 4]),
  };
  checkHvp(batched, bin, { grad: "G1", hv: "HV1", wrt: "W1", dir: "V1", label: "batched MLP, W1" });
  checkHvp(batched, bin, { grad: "G2", hv: "HV2", wrt: "W2", dir: "V2", label: "batched MLP, W2" });
});

test("second order: softmax cross-entropy, convolution + sigmoid, and convolution + relu + max-pooling", () => {
  const rng = mulberry32(seedOf("hvp models"));
  const softmax = load(
    `F :: (in 3 5)\nT :: (in 3 5)\nV :: (in 3 5)\n${SOFTMAX_VERBS}Max := (((reduce 1 >.)"1) F)\n` +
      "O := (ratio (exp (F - Max)))\nL := ((reduce 2 +) (0 - ((log O) * T)))\nG :: (grad L F)\nS := ((reduce 2 +) (G * V))\nHV :: (grad S F)\n",
  );
  const F = makeInputs(rng, { F: { shape: [3, 5], fill: "distinct" } }).F!;
  checkHvp(
    softmax,
    { F, T: targets(rng, 3, 5, false), V: uniform(rng, [3, 5]) },
    { grad: "G", hv: "HV", wrt: "F", dir: "V", label: "softmax cross-entropy" },
  );

  const conv = 'Conv := ((((trim 1 1)"2) (((oblique 2 +)"4) (K ((*"2 0)"2 2) I))) + Bias)\n';
  const smooth = load(
    `K :: (in 2 3 3)\nI :: (in 5 5)\nBias :: (in 2)\nP :: (in 2 5 5)\nV :: (in 2 3 3)\n${MLP_VERBS}${conv}` +
      "L := ((reduce 3 +) ((sigmoid Conv) * P))\nG :: (grad L K)\nS := ((reduce 3 +) (G * V))\nHV :: (grad S K)\n",
  );
  const sin: Inputs = {
    K: uniform(rng, [2, 3, 3]),
    I: uniform(rng, [5, 5]),
    Bias: uniform(rng, [2]),
    P: uniform(rng, [2, 5, 5]),
    V: uniform(rng, [2, 3, 3]),
  };
  checkHvp(smooth, sin, { grad: "G", hv: "HV", wrt: "K", dir: "V", label: "convolution + sigmoid, wrt K" });

  // Relu and pooling are piecewise linear; the squared loss makes the Hessian non-zero. I is tie-free so that
  // no pre-activation and no pair in a pooling window is within reach of the step.
  const pooled = load(
    `K :: (in 2 3 3)\nI :: (in 6 6)\nBias :: (in 2)\nV :: (in 2 3 3)\nrelu"0 := (0.0 >. y)\n${conv}` +
      'Pool := (((stride 2 2)"2) (((trim 1 1)"2) (((oblique 2 >.)"4) (((duplicate 2 2)"0) (relu Conv)))))\n' +
      "L := ((reduce 3 +) (Pool * Pool))\nG :: (grad L K)\nS := ((reduce 3 +) (G * V))\nHV :: (grad S K)\n",
  );
  const pin: Inputs = {
    ...makeInputs(rng, { I: { shape: [6, 6], fill: "distinct" } }),
    K: uniform(rng, [2, 3, 3]),
    Bias: tensor([2], () => 0.05),
    V: uniform(rng, [2, 3, 3]),
  };
  checkHvp(pooled, pin, { grad: "G", hv: "HV", wrt: "K", dir: "V", label: "convolution + relu + max-pooling, wrt K" });
  checkDirectional(pooled, pin, {
    loss: "L",
    wrt: "K",
    grad: "G",
    rng,
    label: "convolution + relu + max-pooling (first order)",
  });
});

// ---------------------------------------------------------------------------------------------------------
// 5. The bias gradient is the sum of the output gradient over positions

test("convolution bias: dConv = V and dBias[f] = Σ_ij dConv[f,i,j]; dK, dI, dBias by central differences", () => {
  const prog = load(
    "K :: (in 3 3 3)\nI :: (in 6 6)\nBias :: (in 3)\nV :: (in 3 6 6)\n" +
      'Conv := ((((trim 1 1)"2) (((oblique 2 +)"4) (K ((*"2 0)"2 2) I))) + Bias)\nL := ((reduce 3 +) (Conv * V))\n' +
      "dConv :: (grad L Conv)\ndBias :: (grad L Bias)\ndK :: (grad L K)\ndI :: (grad L I)\n",
  );
  const rng = mulberry32(seedOf("conv bias"));
  const inputs: Inputs = {
    K: uniform(rng, [3, 3, 3]),
    I: uniform(rng, [6, 6]),
    Bias: uniform(rng, [3]),
    V: uniform(rng, [3, 6, 6]),
  };
  const out = runF64(prog, inputs, ["dConv", "dBias"]);
  assert.deepEqual(out.dConv!.shape, [3, 6, 6]);
  assert.deepEqual([...out.dConv!.data], [...inputs.V!.data], "dConv = V");
  for (let f = 0; f < 3; f++) {
    let s = 0;
    for (let k = 0; k < 36; k++) s += out.dConv!.data[f * 36 + k]!;
    assert.ok(
      Math.abs(out.dBias!.data[f]! - s) <= 1e-12 * Math.max(1, Math.abs(s)),
      `dBias[${f}] = ${out.dBias!.data[f]}, Σ dConv[${f}] = ${s}`,
    );
  }
  tally.exact += 2;
  for (const w of ["K", "I", "Bias"])
    checkDirectional(prog, inputs, { loss: "L", wrt: w, grad: `d${w}`, rng, label: "convolution" });
});

// ---------------------------------------------------------------------------------------------------------
// 6. The original tie rule, kept under `(ties full)`: a tie sends the full gradient to every tied operand
//    (the default, split rule is checked in ties.test.ts)

test("(ties full): relu (0.0 >. A) at A = [0, 2, −3] gives [1, 1, 0]; (reduce 1 >.) of [2, 2, −3] gives [1, 1, 0]", () => {
  const grad = (src: string, A: number[]) => [
    ...runF64(load(`(ties full)\nA :: (in ${A.length})\n${src}\ndA :: (grad L A)\n`), { A: asTensor(A) }, ["dA"]).dA!
      .data,
  ];
  assert.deepEqual(grad("L := ((reduce 1 +) (0.0 >. A))", [0, 2, -3]), [1, 1, 0]);
  assert.deepEqual(grad('relu"0 := (0.0 >. y)\nL := ((reduce 1 +) (relu A))', [0, 2, -3]), [1, 1, 0]);
  assert.deepEqual(grad("L := ((reduce 1 >.) A)", [2, 2, -3]), [1, 1, 0]);
  assert.deepEqual(grad("L := ((reduce 1 <.) A)", [-3, 2, -3]), [1, 0, 1]);
  assert.deepEqual(grad("L := ((reduce 1 +) (A <. 1.0))", [1, 2, -3]), [1, 0, 1]);
  // (oblique 1 >.) of D[a,e] = A[a] (2×2, all equal): the main diagonal ties, so both of its elements get its
  // gradient, and dA[a] = Σ_e dD[a,e] = 2 (a first-only rule would give [2, 1]).
  assert.deepEqual(grad('L := ((reduce 1 +) ((oblique 1 >.) (((duplicate 2)"0) A)))', [5, 5]), [2, 2]);
  tally.exact += 6;
  // Both operands of a tied (A >. B) receive the whole gradient.
  const prog = load(
    "(ties full)\nA :: (in 2)\nB :: (in 2)\nL := ((reduce 1 +) (A >. B))\ndA :: (grad L A)\ndB :: (grad L B)\n",
  );
  const out = runF64(prog, { A: asTensor([1, 3]), B: asTensor([1, 2]) }, ["dA", "dB"]);
  assert.deepEqual([...out.dA!.data], [1, 1]);
  assert.deepEqual([...out.dB!.data], [1, 0]);
  tally.exact++;
});

test("summary of the checks made", (t) => {
  t.diagnostic(
    `${tally.directional} directional first-order checks, ${tally.hvp} Hessian–vector checks, ${tally.exact} exact-value checks`,
  );
});
