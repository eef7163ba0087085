/**
 * CPU time of one LeNet training step (Adam, batch 64 by default), for before/after comparisons
 * on a shared machine: process CPU time (user + system, process.cpuUsage) per call is far less
 * sensitive to other processes than wall-clock rates. Run with OMP_NUM_THREADS=1:
 *   OMP_NUM_THREADS=1 node dist/bench/step_cpu.js [--batch 64] [--calls 20] [--reps 5] [--step fused|threaded]
 * `--step threaded` times the step as lift train runs it (src/train/threaded_step.ts: the gradient
 * program, then the update; the mode from LIFT_STEP_MODE, else measured); `fused` (the default)
 * the single program of src/train/program.ts.
 * Prints one JSON line: the median over reps of the CPU ms per call, and every rep.
 */
import { parseArgs } from "node:util";
import { initParams } from "../src/train/init.js";
import { ThreadedStep } from "../src/train/threaded_step.js";
import { GRAD_OPTS, lenet, TRAIN_OPTS, UPDATE_OPTS } from "./programs.js";

const { values: opt } = parseArgs({
  options: {
    batch: { type: "string", default: "64" },
    calls: { type: "string", default: "20" },
    reps: { type: "string", default: "5" },
    step: { type: "string", default: "fused" },
  },
});
const batch = Number(opt.batch),
  calls = Number(opt.calls),
  reps = Number(opt.reps);
const programs = lenet();
const step =
  opt.step === "threaded"
    ? new ThreadedStep(
        { gradient: programs.gradient.compile(GRAD_OPTS), update: programs.update.compile(UPDATE_OPTS) },
        programs.contract.batchSize,
      )
    : programs.training.compile(TRAIN_OPTS);
const c = programs.contract;
let seed = 12345;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const bufs: Record<string, Float32Array> = {
  Images: Float32Array.from({ length: batch * 784 }, rnd),
  Labels: Float32Array.from({ length: batch * 10 }, (_, i) => (i % 10 === (Math.floor(i / 10) * 7) % 10 ? 1 : 0)),
  Logits: new Float32Array(batch * 10),
  Scale: Float32Array.of(1 / batch),
  Loss: new Float32Array(1),
  Lr: Float32Array.of(1e-3),
  Step: new Float32Array(1),
};
const init = initParams(c.params, 1);
const swaps: [string, string][] = [];
for (const p of c.params) {
  const len = p.shape.reduce((a, d) => a * d, 1);
  bufs[p.name] = init[p.name]!;
  for (const s of ["next", "grad", "m", "s", "m1", "s1"]) bufs[`${p.name}.${s}`] = new Float32Array(len);
  swaps.push([p.name, `${p.name}.next`], [`${p.name}.m`, `${p.name}.m1`], [`${p.name}.s`, `${p.name}.s1`]);
}
let t = 0;
const call = () => {
  bufs.Step![0] = ++t;
  step.call(bufs, { [c.batchSize]: batch });
  for (const [a, b] of swaps) {
    const x = bufs[a]!;
    bufs[a] = bufs[b]!;
    bufs[b] = x;
  }
};
for (let i = 0; i < 3; i++) call();
const per: number[] = [];
for (let r = 0; r < reps; r++) {
  const u0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) call();
  const u = process.cpuUsage(u0);
  per.push((u.user + u.system) / 1e3 / calls);
}
const sorted = [...per].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    batch,
    calls,
    cpu_ms_per_call: sorted[Math.floor(reps / 2)],
    reps: per.map((x) => +x.toFixed(3)),
    loss: bufs.Loss![0],
  }),
);
