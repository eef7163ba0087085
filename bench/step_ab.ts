/**
 * A/B of the LeNet training step (Adam, batch 64) between this build and another checkout's
 * build, in one process: blocks of `--calls` calls alternate between the two (the order flips
 * each round), each timed in process CPU time, so a shared machine's load falls on both alike.
 * Run with OMP_NUM_THREADS=1; the other checkout must be built (`npx tsc -p .` there):
 *   OMP_NUM_THREADS=1 node dist/bench/step_ab.js --before /path/to/checkout [--rounds 40] [--calls 20]
 * Prints one JSON line: the median CPU ms per call of each, and the median of the paired ratios
 * after/before (issue 10's "the LeNet step does not slow down by more than 3%").
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stepBuffers } from "./step_buffers.js";

const { values: opt } = parseArgs({
  options: {
    before: { type: "string" },
    rounds: { type: "string", default: "40" },
    calls: { type: "string", default: "20" },
  },
});
if (!opt.before) throw new Error("usage: step_ab --before <checkout> [--rounds N] [--calls N]");
const rounds = Number(opt.rounds),
  calls = Number(opt.calls),
  batch = 64;
const here = fileURLToPath(new URL("../../", import.meta.url));
const roots = { before: resolve(opt.before), after: here };

/** One build's step (its own modules, its own compile cache) as a call over buffers of its own (this tree's set-up). */
async function stepOf(root: string, cache: string): Promise<() => void> {
  process.env.LIFT_CACHE = cache;
  const { lenet, TRAIN_OPTS } = await import(`${root}/dist/bench/programs.js`);
  const programs = lenet();
  const step = programs.training.compile(TRAIN_OPTS);
  const c = programs.contract as { params: { name: string; shape: number[] }[]; batchSize: string };
  return stepBuffers(c, batch, (b, sizes) => step.call(b, sizes)).call;
}

/**
 * Each build's step compiled first in a process of its own, into its cache: two copies of the isl
 * binding cannot share one process (koffi's type names are global), and from the cache no isl runs.
 */
function warm(root: string, cache: string): void {
  const code = `const { lenet, TRAIN_OPTS } = await import(${JSON.stringify(`${root}/dist/bench/programs.js`)}); lenet().training.compile(TRAIN_OPTS);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    env: { ...process.env, LIFT_CACHE: cache },
    stdio: "inherit",
  });
  if (r.status !== 0) throw new Error(`compiling the step of ${root} failed`);
}
warm(roots.before, "/tmp/lift-cache-ab-before");
warm(roots.after, "/tmp/lift-cache-ab-after");

const steps = {
  before: await stepOf(roots.before, "/tmp/lift-cache-ab-before"),
  after: await stepOf(roots.after, "/tmp/lift-cache-ab-after"),
};
for (const s of Object.values(steps)) for (let i = 0; i < 5; i++) s();
const per: Record<"before" | "after", number[]> = { before: [], after: [] };
for (let r = 0; r < rounds; r++) {
  for (const k of r % 2 ? (["after", "before"] as const) : (["before", "after"] as const)) {
    const u0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) steps[k]();
    const u = process.cpuUsage(u0);
    per[k].push((u.user + u.system) / 1e3 / calls);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratios = per.after.map((a, i) => a / per.before[i]!);
console.log(
  JSON.stringify({
    rounds,
    calls,
    before_ms: +med(per.before).toFixed(3),
    after_ms: +med(per.after).toFixed(3),
    median_ratio: +med(ratios).toFixed(4),
  }),
);
