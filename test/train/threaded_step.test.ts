/**
 * The threaded training step (src/train/threaded_step.ts) against the fused step of
 * src/train/program.ts on the LeNet example: every mode gives the fused step's params, gradients,
 * Adam state, loss and logits within float32 rounding, and the modes give bitwise the same, at a
 * batch the threads split unevenly (7 = 4 + 3 on two threads) and at batch 1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pinThreads } from "../../src/runtime/threads.js";
import { join } from "node:path";
import { initParams } from "../../src/train/init.js";
import { loadModel } from "../../src/train/program.js";
import { compileSplit } from "../../src/train/split_step.js";
import { ThreadedStep, type StepMode } from "../../src/train/threaded_step.js";

const LENET = join(process.cwd(), "examples", "fashion-lenet.lift");
const model = { name: LENET, text: readFileSync(LENET, "utf8") };
const programs = loadModel(model, "adam");
const c = programs.contract;
const fused = programs.training.compile({ dtype: "f32", name: "fashion_lenet_adam_step" });
const split = compileSplit(model, c, "adam", "fashion_lenet");

/** A step's buffers at batch n after `steps` Adam steps' worth of state (nonzero m and s). */
function buffers(n: number): Record<string, Float32Array> {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const px = c.rows * c.cols;
  const labels = new Float32Array(n * c.classes);
  for (let i = 0; i < n; i++) labels[i * c.classes + ((i * 7) % c.classes)] = 1;
  const b: Record<string, Float32Array> = {
    Images: Float32Array.from({ length: n * px }, rnd),
    Labels: labels,
    Logits: new Float32Array(n * c.classes),
    Scale: Float32Array.of(1 / n),
    Loss: new Float32Array(1),
    Lr: Float32Array.of(1e-3),
    Step: Float32Array.of(3),
  };
  const init = initParams(c.params, 1);
  for (const p of c.params) {
    const len = init[p.name]!.length;
    b[p.name] = init[p.name]!;
    b[`${p.name}.m`] = Float32Array.from({ length: len }, () => (rnd() - 0.5) * 1e-3);
    b[`${p.name}.s`] = Float32Array.from({ length: len }, () => rnd() * 1e-6);
    for (const s of ["next", "grad", "m1", "s1"]) b[`${p.name}.${s}`] = new Float32Array(len);
  }
  return b;
}

const OUTPUTS = [
  "Loss",
  "Logits",
  ...c.params.flatMap((p) => [`${p.name}.next`, `${p.name}.grad`, `${p.name}.m1`, `${p.name}.s1`]),
];

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0,
    worst = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]!));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / (scale || 1);
}

for (const n of [7, 1]) {
  test(`batch ${n}: serial, loops and split give the fused step's outputs`, () => {
    const ref = buffers(n);
    fused.call(ref, { [c.batchSize]: n });
    const got: Partial<Record<StepMode, Record<string, Float32Array>>> = {};
    for (const mode of ["serial", "loops", "split"] as const) {
      const b = buffers(n);
      new ThreadedStep(split, c.batchSize, mode).call(b, { [c.batchSize]: n });
      got[mode] = b;
      for (const name of OUTPUTS) {
        // The same sums in another order (slices, then across them): float32 rounding only. A slice
        // lost or counted twice moves the loss by ~1/n of itself and Adam's m1 by ~1e-1 relative.
        const d = maxRelDiff(ref[name]!, b[name]!);
        assert.ok(d < 2e-5, `${mode} ${name}: max |Δ| / max |x| = ${d}`);
      }
    }
    assert.ok(Math.abs(got.split!.Loss![0]! - ref.Loss![0]!) < 1e-5, `loss ${got.split!.Loss![0]} vs ${ref.Loss![0]}`);
    // The modes run the same sums on one or more threads (the parallel loops split independent
    // outputs; the slices are the same in every mode): bitwise the same numbers, so the measured
    // choice never changes a training run.
    for (const name of OUTPUTS) {
      assert.deepEqual(got.loops![name], got.serial![name], `loops ${name}`);
      assert.deepEqual(got.split![name], got.serial![name], `split ${name}`);
    }
  });
}

/** The CPUs the main thread may run on (Linux: /proc/self/status is the main thread's). */
const allowed = () => /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];

test("the split pins its threads for its region only: the main thread gets its own CPUs back", () => {
  assert.equal(pinThreads({}), true);
  assert.equal(pinThreads({ LIFT_PIN: "0" }), false);
  assert.equal(pinThreads({ OMP_PROC_BIND: "spread" }), false, "the user's placement is libgomp's to apply");
  const before = allowed();
  assert.ok(before);
  new ThreadedStep(split, c.batchSize, "split").call(buffers(4), { [c.batchSize]: 4 });
  assert.equal(allowed(), before);
});

test("the first call measures each mode and keeps the fastest; a size keeps its choice", () => {
  const step = new ThreadedStep(split, c.batchSize, undefined);
  const b = buffers(7);
  step.call(b, { [c.batchSize]: 7 });
  const choice = step.chosen.get(7)!;
  const times = Object.entries(choice.ms);
  assert.ok(times.length >= 1 && times.every(([, ms]) => ms! > 0 && Number.isFinite(ms)), JSON.stringify(choice));
  if (times.length > 1) assert.equal(choice.ms[choice.mode], Math.min(...times.map(([, ms]) => ms!)));
  step.call(b, { [c.batchSize]: 7 });
  assert.equal(step.chosen.get(7), choice);
  assert.equal(step.chosen.size, 1);
});
