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
import { ThreadedStep } from "../src/train/threaded_step.js";
import { GRAD_OPTS, lenet, TRAIN_OPTS, UPDATE_OPTS } from "./programs.js";
import { stepBuffers } from "./step_buffers.js";

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
const { bufs, call } = stepBuffers(c, batch, (b, sizes) => step.call(b, sizes));
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
