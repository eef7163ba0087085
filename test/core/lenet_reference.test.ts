/**
 * The LeNet of examples/fashion-lenet.lift against an independent float64 implementation written here
 * with direct loops (convolution, relu, 2×2 max-pooling, fully connected, softmax cross-entropy, and
 * their backward passes), on real Fashion-MNIST images from test/data/fashion-small. The images' black
 * background makes many pooling windows tie (every pixel of the window equals relu(bias)); the
 * reference splits a tie's gradient equally among the tied pixels, as PyTorch's gradient does when
 * its pooling splits ties and as LiFT does by default.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { readIdx } from "../../src/train/idx.js";
import { mulberry32 } from "./gradcheck_util.js";

const N = 8;
const DIR = join(process.cwd(), "test", "data", "fashion-small");
const LENET = join(process.cwd(), "examples", "fashion-lenet.lift");

type P = Record<"K1" | "B1" | "K2" | "B2" | "W" | "B", Float64Array>;
const SHAPES = { K1: [8, 5, 5], B1: [8], K2: [16, 8, 5, 5], B2: [16], W: [10, 16, 7, 7], B: [10] } as const;

/** PyTorch's default initialisation: U(−b, b), b = 1/√fan_in, a bias with its weight's bound. */
function initParams(seed: number): P {
  const rng = mulberry32(seed);
  const u = (n: number, fanIn: number) => Float64Array.from({ length: n }, () => (2 * rng() - 1) / Math.sqrt(fanIn));
  return { K1: u(200, 25), B1: u(8, 25), K2: u(3200, 200), B2: u(16, 200), W: u(7840, 784), B: u(10, 784) };
}

/** 'same' 5×5 cross-correlation, summed over input channels, plus bias: x (C H H) → (F H H). */
function conv(x: Float64Array, C: number, H: number, K: Float64Array, Bias: Float64Array, F: number): Float64Array {
  const z = new Float64Array(F * H * H);
  for (let f = 0; f < F; f++)
    for (let u = 0; u < H; u++)
      for (let v = 0; v < H; v++) {
        let s = 0;
        for (let c = 0; c < C; c++)
          for (let a = 0; a < 5; a++)
            for (let b = 0; b < 5; b++) {
              const i = u + a - 2,
                j = v + b - 2;
              if (i >= 0 && i < H && j >= 0 && j < H) s += K[((f * C + c) * 5 + a) * 5 + b]! * x[(c * H + i) * H + j]!;
            }
        z[(f * H + u) * H + v] = s + Bias[f]!;
      }
  return z;
}

/** Backward of conv: accumulates dK, dBias and returns dx. */
function convBack(
  dz: Float64Array,
  x: Float64Array,
  C: number,
  H: number,
  K: Float64Array,
  F: number,
  dK: Float64Array,
  dBias: Float64Array,
): Float64Array {
  const dx = new Float64Array(C * H * H);
  for (let f = 0; f < F; f++)
    for (let u = 0; u < H; u++)
      for (let v = 0; v < H; v++) {
        const g = dz[(f * H + u) * H + v]!;
        dBias[f]! += g;
        for (let c = 0; c < C; c++)
          for (let a = 0; a < 5; a++)
            for (let b = 0; b < 5; b++) {
              const i = u + a - 2,
                j = v + b - 2;
              if (i < 0 || i >= H || j < 0 || j >= H) continue;
              const k = ((f * C + c) * 5 + a) * 5 + b,
                xi = (c * H + i) * H + j;
              dK[k]! += g * x[xi]!;
              dx[xi]! += g * K[k]!;
            }
      }
  return dx;
}

const relu = (z: Float64Array) => z.map((v) => (v > 0 ? v : 0));
/** d max(0, y)/dy: 1 above 0, ½ at the tie y = 0, 0 below. */
const reluBack = (dz: Float64Array, pre: Float64Array) =>
  dz.map((g, i) => g * (pre[i]! > 0 ? 1 : pre[i] === 0 ? 0.5 : 0));

interface Pooled {
  out: Float64Array;
  tiedPositive: number;
}
function pool(x: Float64Array, C: number, H: number): Pooled {
  const h = H / 2,
    out = new Float64Array(C * h * h);
  let tiedPositive = 0;
  for (let c = 0; c < C; c++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < h; j++) {
        const w = window(x, c, H, i, j),
          m = Math.max(...w);
        if (m > 0 && w.filter((v) => v === m).length > 1) tiedPositive++;
        out[(c * h + i) * h + j] = m;
      }
  return { out, tiedPositive };
}
const window = (x: Float64Array, c: number, H: number, i: number, j: number) =>
  [0, 1, 2, 3].map((k) => x[(c * H + 2 * i + (k >> 1)) * H + 2 * j + (k & 1)]!);

/** A window's gradient is split equally among the pixels equal to its maximum. */
function poolBack(dz: Float64Array, x: Float64Array, C: number, H: number): Float64Array {
  const h = H / 2,
    dx = new Float64Array(C * H * H);
  for (let c = 0; c < C; c++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < h; j++) {
        const w = window(x, c, H, i, j),
          m = Math.max(...w),
          t = w.filter((v) => v === m).length;
        for (let k = 0; k < 4; k++)
          if (w[k] === m) dx[(c * H + 2 * i + (k >> 1)) * H + 2 * j + (k & 1)]! += dz[(c * h + i) * h + j]! / t;
      }
  return dx;
}

/** Loss = (1/N) Σ_n −log softmax(logits_n)[label_n], and ∂Loss/∂param for each parameter. */
function reference(p: P, images: Float64Array[], labels: number[]): { loss: number; grads: P; ties: number } {
  const grads = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, new Float64Array(v.length)])) as P;
  let loss = 0,
    ties = 0;
  for (let n = 0; n < images.length; n++) {
    const img = images[n]!;
    const h1pre = conv(img, 1, 28, p.K1, p.B1, 8),
      h1 = relu(h1pre),
      p1 = pool(h1, 8, 28);
    const h2pre = conv(p1.out, 8, 14, p.K2, p.B2, 16),
      h2 = relu(h2pre),
      p2 = pool(h2, 16, 14);
    ties += p1.tiedPositive + p2.tiedPositive;
    const logits = Array.from({ length: 10 }, (_, k) => {
      let s = 0;
      for (let i = 0; i < 784; i++) s += p.W[k * 784 + i]! * p2.out[i]!;
      return s + p.B[k]!;
    });
    const m = Math.max(...logits),
      lse = Math.log(logits.reduce((s, v) => s + Math.exp(v - m), 0)) + m;
    loss += (lse - logits[labels[n]!]!) / images.length;
    const dLogits = logits.map((v, k) => (Math.exp(v - lse) - (k === labels[n] ? 1 : 0)) / images.length);
    const dp2 = new Float64Array(784);
    for (let k = 0; k < 10; k++) {
      grads.B[k]! += dLogits[k]!;
      for (let i = 0; i < 784; i++) {
        grads.W[k * 784 + i]! += dLogits[k]! * p2.out[i]!;
        dp2[i]! += dLogits[k]! * p.W[k * 784 + i]!;
      }
    }
    const dh2pre = reluBack(poolBack(dp2, h2, 16, 14), h2pre);
    const dp1 = convBack(dh2pre, p1.out, 8, 14, p.K2, 16, grads.K2, grads.B2);
    const dh1pre = reluBack(poolBack(dp1, h1, 8, 28), h1pre);
    convBack(dh1pre, img, 1, 28, p.K1, 8, grads.K1, grads.B1);
  }
  return { loss, grads, ties };
}

test("LeNet gradients on real Fashion-MNIST images with tied pooling windows equal a direct float64 reference to 1e-9", async () => {
  const imgs = await readIdx(join(DIR, "t10k-images-idx3-ubyte.gz"));
  const labs = await readIdx(join(DIR, "t10k-labels-idx1-ubyte.gz"));
  const images = Array.from({ length: N }, (_, n) =>
    Float64Array.from(imgs.data.subarray(n * 784, (n + 1) * 784), (v) => v / 255),
  );
  const labels = Array.from(labs.data.subarray(0, N));
  const params = initParams(20261201);
  const ref = reference(params, images, labels);
  // The point of the test: real images tie in pooling windows where the gradient flows (max > 0).
  assert.ok(ref.ties > 100, `only ${ref.ties} tied windows with a positive maximum`);

  const names = Object.keys(SHAPES) as (keyof P)[];
  const src = readFileSync(LENET, "utf8") + names.map((k) => `d${k} :: (grad Loss ${k})\n`).join("");
  const inputs: Record<string, { shape: number[]; data: Float64Array }> = {
    Images: { shape: [N, 28, 28], data: Float64Array.from(images.flatMap((a) => [...a])) },
    Labels: {
      shape: [N, 10],
      data: Float64Array.from({ length: N * 10 }, (_, i) => (labels[Math.floor(i / 10)] === i % 10 ? 1 : 0)),
    },
    Scale: { shape: [], data: Float64Array.of(1 / N) },
  };
  for (const k of names) inputs[k] = { shape: [...SHAPES[k]], data: params[k] };
  const out = load({ name: LENET, text: src }).run(inputs, {
    dtype: "f64",
    names: ["Loss", ...names.map((k) => `d${k}`)],
  });
  assert.ok(Math.abs(out.Loss!.data[0]! - ref.loss) <= 1e-12 * ref.loss, `loss ${out.Loss!.data[0]} vs ${ref.loss}`);
  for (const k of names) {
    const got = out[`d${k}`]!.data,
      want = ref.grads[k];
    let scale = 0,
      err = 0;
    for (let i = 0; i < want.length; i++) {
      scale = Math.max(scale, Math.abs(want[i]!));
      err = Math.max(err, Math.abs(got[i]! - want[i]!));
    }
    assert.ok(scale > 0 && err <= 1e-9 * scale, `d${k}: max difference ${err} against max |gradient| ${scale}`);
  }
});
