/** The training-step program: the model contract, the generated lines, and each optimizer's formulas. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LiftError } from "../../src/lang/diagnostics.js";
import {
  checkContract,
  loadModel,
  OPTIMIZERS,
  trainingProgramText,
  type OptimizerName,
} from "../../src/train/program.js";
import { load } from "../../src/api/program.js";

const LENET = join(process.cwd(), "examples", "fashion-lenet.lift");

/** A tiny trainable model: a linear classifier of 2×2 images into 3 classes. */
const TINY = `(use nn)
Images :: (in N 2 2)
Labels :: (in N 3)
Scale :: (in)
W :: (param 3 2 2)
B :: (param 3)
dot2"2 2 := ((reduce 2 +) (x * y))
lin"2 := ((W dot2 y) + B)
Logits := (lin Images)
Loss := (Scale * ((reduce 1 +) (Labels xent Logits)))
Logits :: (out N 3)
Loss :: (out)
`;
const tiny = (text = TINY) => ({ name: "/models/tiny.lift", text });

function throwsLift(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LiftError, `expected a LiftError, got ${e}`);
    assert.match(e.format(), pattern);
    return true;
  });
}

test("the example model satisfies the contract", () => {
  const text = readFileSync(LENET, "utf8");
  const c = checkContract(load([{ name: LENET, text }]), LENET);
  assert.deepEqual([c.batchSize, c.rows, c.cols, c.classes], ["N", 28, 28, 10]);
  assert.deepEqual(
    c.params.map((p) => `${p.name} ${p.shape.join("x")}`),
    ["K1 8x5x5", "B1 8", "K2 16x8x5x5", "B2 16", "W 10x16x7x7", "B 10"],
  );
});

test("the generated Adam lines follow the prelude's verbs", () => {
  const text = trainingProgramText(tiny(), "adam");
  assert.ok(text.startsWith(TINY), "the model comes first");
  for (const line of [
    "(use optim)",
    "W.grad :: (grad Loss W)",
    "W.m :: (in 3 2 2)",
    "W.s :: (in 3 2 2)",
    "W.m1 := (W.m adam.m W.grad)",
    "W.s1 := (W.s adam.s W.grad)",
    "W.next := (W adam.p (W.m1 adam.dir W.s1))",
    "W.next :: (out 3 2 2)",
    "W.m1 :: (out 3 2 2)",
    "W.s1 :: (out 3 2 2)",
    "B.next :: (out 3)",
  ])
    assert.ok(text.split("\n").includes(line), `missing line: ${line}\n${text}`);
  const sgd = trainingProgramText(tiny(), "sgd");
  for (const line of ["B.v :: (in 3)", "B.v1 := (B.v sgd.v B.grad)", "B.next := (B sgd.p B.v1)"])
    assert.ok(sgd.includes(line), line);
  // The whole text loads as one program too.
  for (const opt of OPTIMIZERS) load(trainingProgramText(tiny(), opt));
});

/** One step through the interpreter, in f64, with random inputs and states. */
function step(opt: OptimizerName, lr: number, stepNo: number) {
  const { training, contract } = loadModel(tiny(), opt);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const arr = (n: number, f = rnd) => Array.from({ length: n }, f);
  const inputs: Record<string, { shape: number[]; data: number[] } | number> = {
    Images: { shape: [4, 2, 2], data: arr(16) },
    Labels: { shape: [4, 3], data: [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0] },
    Scale: 0.25,
    Lr: lr,
    Step: stepNo,
  };
  for (const p of contract.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    inputs[p.name] = { shape: p.shape, data: arr(n) };
    for (const s of { adam: ["m", "s"], sgd: ["v"], adadelta: ["eg", "ed"] }[opt]) {
      inputs[`${p.name}.${s}`] = {
        shape: p.shape,
        data: arr(n, () => (s === "m" || s === "v" ? rnd() : Math.abs(rnd()) * 0.01)),
      };
    }
  }
  const out = training.run(inputs, { dtype: "f64" });
  const get = (name: string) => (inputs[name] as { data: number[] }).data;
  return { out, get };
}

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test("Adam's update is the documented formula", () => {
  const lr = 0.01,
    t = 3;
  const { out, get } = step("adam", lr, t);
  for (const p of ["W", "B"]) {
    const g = out[`${p}.grad`]!.data,
      P = get(p),
      M = get(`${p}.m`),
      S = get(`${p}.s`);
    for (let i = 0; i < P.length; i++) {
      const m1 = 0.9 * M[i]! + 0.1 * g[i]!;
      const s1 = 0.999 * S[i]! + 0.001 * g[i]! * g[i]!;
      const dir = m1 / (1 - 0.9 ** t) / (Math.sqrt(s1 / (1 - 0.999 ** t)) + 1e-8);
      close(out[`${p}.m1`]!.data[i]!, m1, `${p}.m1[${i}]`);
      close(out[`${p}.s1`]!.data[i]!, s1, `${p}.s1[${i}]`);
      close(out[`${p}.next`]!.data[i]!, P[i]! - lr * dir, `${p}.next[${i}]`);
    }
  }
});

test("SGD with momentum's update is the documented formula", () => {
  const lr = 0.1;
  const { out, get } = step("sgd", lr, 1);
  for (const p of ["W", "B"]) {
    const g = out[`${p}.grad`]!.data,
      P = get(p),
      V = get(`${p}.v`);
    for (let i = 0; i < P.length; i++) {
      const v1 = 0.9 * V[i]! + g[i]!;
      close(out[`${p}.v1`]!.data[i]!, v1, `${p}.v1[${i}]`);
      close(out[`${p}.next`]!.data[i]!, P[i]! - lr * v1, `${p}.next[${i}]`);
    }
  }
});

test("the AdaDelta-style update is the documented formula, Lr scaling only the final step", () => {
  for (const lr of [1, 0.5]) {
    const { out, get } = step("adadelta", lr, 1);
    for (const p of ["W", "B"]) {
      const G = out[`${p}.grad`]!.data,
        P = get(p),
        Eg = get(`${p}.eg`),
        Ed = get(`${p}.ed`);
      for (let i = 0; i < P.length; i++) {
        const g = 0.001 * P[i]! + G[i]!;
        const eg1 = 0.05 * g * g + 0.95 * Eg[i]!;
        const delta = Math.sqrt((Ed[i]! + 1e-6) / (eg1 + 1e-6)) * g;
        const ed1 = 0.05 * delta * delta + 0.95 * Ed[i]!;
        close(out[`${p}.eg1`]!.data[i]!, eg1, `${p}.eg1[${i}]`);
        close(out[`${p}.ed1`]!.data[i]!, ed1, `${p}.ed1[${i}]`);
        close(out[`${p}.next`]!.data[i]!, P[i]! - lr * delta, `${p}.next[${i}]`);
      }
    }
  }
});

test("contract violations are clear errors naming the model file", () => {
  const without = (re: RegExp, by = "") => TINY.replace(re, by);
  throwsLift(
    () => loadModel(tiny(without(/Loss :: \(out\)\n/)), "adam"),
    /tiny\.lift: .*`Loss` is defined but not declared as an output/,
  );
  throwsLift(() => loadModel(tiny(without(/Loss.*\n/g)), "adam"), /tiny\.lift: the model has no output `Loss`/);
  throwsLift(
    () =>
      loadModel(
        tiny(
          TINY.replace("Loss := (Scale * ((reduce 1 +) (Labels xent Logits)))", "Loss := (Labels xent Logits)").replace(
            "Loss :: (out)",
            "Loss :: (out N)",
          ),
        ),
        "adam",
      ),
    /tiny\.lift:12:1: error: Loss must be a scalar output/,
  );
  throwsLift(
    () => loadModel(tiny(TINY.replace(/\bN\b/g, "4")), "adam"),
    /tiny\.lift:2:1: error: Images must be declared \(in N rows cols\)/,
  );
  throwsLift(
    () =>
      loadModel(
        tiny(
          TINY.replace("Labels :: (in N 3)", "Labels :: (in N 4)").replace(
            "(Labels xent Logits)",
            "(Labels xent (Logits + 0))",
          ),
        ),
        "adam",
      ),
    /frames disagree|Labels|Logits/,
  );
  const scaleVector = TINY.replace("Scale :: (in)", "Scale :: (in 1)").replace(
    "Loss := (Scale * ((reduce 1 +) (Labels xent Logits)))",
    "Loss := ((reduce 1 +) (Scale * ((reduce 1 +) (Labels xent Logits))))",
  );
  throwsLift(() => loadModel(tiny(scaleVector), "adam"), /tiny\.lift:4:1: error: Scale must be a scalar input/);
  throwsLift(
    () => loadModel(tiny(TINY.replace(/\(param/g, "(in")), "adam"),
    /tiny\.lift: the model has no \(param …\) declaration/,
  );
  throwsLift(
    () => loadModel(tiny(TINY.replace("Scale :: (in)", "Scale :: (in)\nBias :: (in)")), "adam"),
    /input `Bias` is neither a param nor one of Images, Labels, Scale/,
  );
  throwsLift(
    () => loadModel(tiny(TINY.replace("Images", "Pixels").replace(/Images/g, "Pixels")), "adam"),
    /tiny\.lift: the model has no input `Images`/,
  );
});

test("generated names must not collide with the model's", () => {
  throwsLift(
    () => loadModel(tiny(TINY + "W.m := (W + 1)\n"), "adam"),
    /tiny\.lift:13:1: error: `W\.m` is the training step's name for param `W`/,
  );
  // The same name is fine for an optimizer that does not generate it.
  loadModel(tiny(TINY + "W.m := (W + 1)\n"), "sgd");
  throwsLift(
    () => loadModel(tiny(TINY + "B.grad := (B * 2)\n"), "sgd"),
    /`B\.grad` is the training step's name for param `B`/,
  );
  throwsLift(() => loadModel(tiny(TINY + "Lr := 0.5\n"), "sgd"), /`Lr` is defined by the optimizer prelude/);
});
