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

type Bufs = Record<string, Float32Array>;

/** One build's step as a closure over its own buffers (its own modules, its own compile cache). */
async function stepOf(root: string, cache: string): Promise<() => void> {
  process.env.LIFT_CACHE = cache;
  const { lenet, TRAIN_OPTS } = await import(`${root}/dist/bench/programs.js`);
  const { initParams } = await import(`${root}/dist/src/train/init.js`);
  const programs = lenet();
  const step = programs.training.compile(TRAIN_OPTS);
  const c = programs.contract as { params: { name: string; shape: number[] }[]; batchSize: string };
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const bufs: Bufs = {
    Images: Float32Array.from({ length: batch * 784 }, rnd),
    Labels: Float32Array.from({ length: batch * 10 }, (_, i) => (i % 10 === (Math.floor(i / 10) * 7) % 10 ? 1 : 0)),
    Logits: new Float32Array(batch * 10),
    Scale: Float32Array.of(1 / batch),
    Loss: new Float32Array(1),
    Lr: Float32Array.of(1e-3),
    Step: new Float32Array(1),
  };
  const init = initParams(c.params, 1) as Bufs;
  const swaps: [string, string][] = [];
  for (const p of c.params) {
    const len = p.shape.reduce((a, d) => a * d, 1);
    bufs[p.name] = init[p.name]!;
    for (const s of ["next", "grad", "m", "s", "m1", "s1"]) bufs[`${p.name}.${s}`] = new Float32Array(len);
    swaps.push([p.name, `${p.name}.next`], [`${p.name}.m`, `${p.name}.m1`], [`${p.name}.s`, `${p.name}.s1`]);
  }
  let t = 0;
  return () => {
    bufs.Step![0] = ++t;
    step.call(bufs, { [c.batchSize]: batch });
    for (const [a, b] of swaps) [bufs[a], bufs[b]] = [bufs[b]!, bufs[a]!];
  };
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
