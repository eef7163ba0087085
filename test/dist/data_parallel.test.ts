/**
 * `mpirun -np P lift train` on loopback over the committed subset: the weights equal the
 * single-process run's within float32 summation tolerance (P = 2, and P = 3 that does not divide
 * the batch, with a last batch split 1/1/0); a rank SIGKILLed mid-epoch ends the job quickly and
 * leaves checkpoints that load and resume under mpirun; a stopped rank ends the job through the
 * watchdog instead of hanging.
 */
import { LENET, SUBSET_DIR } from "../train/cache.js";
import { before, after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { initParams } from "../../src/train/init.js";
import { loadModel } from "../../src/train/program.js";
import { compileSplit } from "../../src/train/split_step.js";
import { assertMpirun, mpirunAsync, mpirunSync, rankPid } from "./mpi_run.js";

const BIN = join(process.cwd(), "bin", "lift.js");
const dir = mkdtempSync(join(tmpdir(), "lift-mpi-train-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const model = { name: LENET, text: readFileSync(LENET, "utf8") };
const programs = loadModel(model, "adam");
const contract = programs.contract;

// 226 images in batches of 32: 7 full batches and one of 2 — split 16/16 and 1/1 over 2 ranks,
// 11/11/10 and 1/1/0 over 3 (rank 2 adds zeros in the last step).
const RUN = ["--data", SUBSET_DIR, "--epochs", "1", "--batch", "32", "--limit-train", "226", "--limit-test", "100", "--json"];

before(() => {
  assertMpirun();
  // Compile once here, so that the ranks find every program in the shared cache instead of all
  // building them at the same time.
  compileSplit(model, contract, "adam", "fashion_lenet");
  programs.training.compile({ dtype: "f32", name: "fashion_lenet_adam_step" });
  programs.inference.compile({ dtype: "f32", name: "fashion_lenet_infer" });
});

async function weights(out: string) {
  return (await readCheckpoint(join(out, "last.safetensors"), contract)).values;
}

function maxDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let worst = 0;
  for (const [name, x] of Object.entries(a)) {
    const y = b[name]!;
    assert.equal(y.length, x.length, name);
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
}

/**
 * The tolerance on every param and Adam state element (values up to 0.2). The runs differ only in
 * the order in which each gradient's terms are summed — in the compiled loops, and across ranks by
 * the all-reduce — and a float32 sum of m terms in another order moves by at most about m·u·Σ|terms|
 * (u = 2^−24; m up to 32·784 for conv1's bias); through Adam, whose step per element is at most
 * about Lr, the weights move by at most Steps · Lr · (the relative change of a gradient): 8 steps of
 * Lr 1e-3 with a relative change of 1.2e-4 give 1e-6. Measured: ~3e-8. A real fault (a slice lost
 * or counted twice, a wrong Scale, a rank's update skipped) changes a weight by about Lr = 1e-3 a step.
 * Training is chaotic at a max-pool near-tie, though: with a last batch of a single image
 * (--limit-train 257) one tie flips and the difference reaches 7e-6, still 100× below a fault.
 */
const TOLERANCE = 1e-6;

test("one rank, mpirun -np 2 and -np 3 give the single-process weights within float32 summation tolerance", async (t) => {
  const single = join(dir, "single");
  const r1 = spawnSync(process.execPath, [BIN, "train", LENET, ...RUN, "--out", single], { encoding: "utf8" });
  assert.equal(r1.status, 0, r1.stderr);
  assert.equal(JSON.parse(r1.stdout).world_size, 1);
  const w1 = await weights(single);
  const init = initParams(contract.params, 1);
  const moved = maxDiff(Object.fromEntries(contract.params.map((p) => [p.name, w1[p.name]!])), init);
  assert.ok(moved > 1e-3, `training moved the weights (by ${moved})`);

  for (const np of [1, 2, 3]) {
    const out = join(dir, `np${np}`);
    // One rank: `--distributed on` without mpirun (MPI's singleton start) runs the split step alone.
    const r = np === 1
      ? spawnSync(process.execPath, [BIN, "train", LENET, ...RUN, "--out", out, "--distributed", "on"], { encoding: "utf8" })
      : mpirunSync(np, [BIN, "train", LENET, ...RUN, "--out", out]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1, `one JSON line, from rank 0: ${r.stdout}`);
    const s = JSON.parse(lines[0]!) as Record<string, number>;
    assert.equal(s.world_size, np);
    assert.equal(s.steps, 8);
    assert.equal(s.images, 226);
    assert.ok(s.allreduce_ms_per_step! > 0);
    assert.equal((r.stderr.match(/^epoch 1\/1: /gm) ?? []).length, 1, "rank 0 alone prints");
    assert.match(r.stderr, new RegExp(`data-parallel on ${np} MPI ranks?\\b`));
    const d = maxDiff(w1, await weights(out));
    t.diagnostic(`-np ${np}: largest difference from the single-process weights ${d.toExponential(2)} (tolerance ${TOLERANCE})`);
    assert.ok(d <= TOLERANCE, `-np ${np}: ${d}`);
    assert.ok(Math.abs(s.test_loss! - JSON.parse(r1.stdout).test_loss) < 1e-5);
  }
});

test("a rank SIGKILLed mid-epoch ends the job within seconds; the last checkpoint loads and --resume under mpirun finishes", async () => {
  const out = join(dir, "killed");
  const args = [BIN, "train", LENET, "--data", SUBSET_DIR, "--limit-train", "1024", "--epochs", "6", "--batch", "32", "--limit-test", "100", "--out", out];
  const child = mpirunAsync(2, args);
  let stderr = "";
  let killedAt = 0;
  let root: number | undefined;
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.stdout!.resume();
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (killedAt === 0 && /^epoch 1\/6: /m.test(stderr)) {
      killedAt = -1;
      setTimeout(() => {
        const pid = rankPid(child.pid!, 1);
        assert.ok(pid, "found rank 1");
        root = rankPid(child.pid!, 0);
        process.kill(pid, "SIGKILL");
        killedAt = performance.now();
      }, 300); // into epoch 2
    }
  });
  const code = await exited;
  const seconds = (performance.now() - killedAt) / 1000;
  assert.ok(killedAt > 0, `rank 1 was killed; stderr:\n${stderr}`);
  assert.notEqual(code, 0);
  assert.ok(seconds < 10, `the job ended ${seconds.toFixed(1)} s after the kill`);
  assert.match(stderr, /process rank 1 with PID \d+ on node \S+ exited on signal 9 \(Killed\)/);
  assert.doesNotMatch(stderr, /^epoch 6\/6/m, "killed before the end");
  // mpirun may exit while rank 0 is still ending (it gets SIGTERM, then SIGKILL a second later); its
  // lock on the directory holds until then, so the resume waits for it, within the same bound.
  assert.ok(root, "found rank 0");
  while (existsSync(`/proc/${root}`) && (performance.now() - killedAt) / 1000 < 10) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!existsSync(`/proc/${root}`), "rank 0 ended within 10 s of the kill");

  for (const f of readdirSync(out).filter((f) => f.endsWith(".safetensors") && !f.startsWith("."))) {
    await readCheckpoint(join(out, f), contract);
  }
  const last = await readCheckpoint(join(out, "last.safetensors"), contract);
  assert.ok(last.run.epoch >= 1 && last.run.epoch < 6, `last.safetensors is at epoch ${last.run.epoch}`);

  const to = last.run.epoch + 1;
  const r = mpirunSync(2, [BIN, "train", LENET, "--data", SUBSET_DIR, "--epochs", String(to), "--resume", join(out, "last.safetensors"), "--out", out, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Record<string, number | string>;
  assert.equal(s.epochs, to);
  assert.equal(s.steps, to * 32);
  assert.equal(s.world_size, 2);
  assert.equal(s.resumed_from, join(out, "last.safetensors"));
  const resumed = await readCheckpoint(join(out, "last.safetensors"), contract);
  assert.equal(resumed.run.epoch, to);

  // The same epochs without the kill: bit for bit the resumed run's weights.
  const clean = join(dir, "unkilled");
  const u = mpirunSync(2, [BIN, "train", LENET, "--data", SUBSET_DIR, "--limit-train", "1024", "--epochs", String(to), "--batch", "32", "--limit-test", "100", "--out", clean, "--json"]);
  assert.equal(u.status, 0, u.stderr);
  const cleanValues = (await readCheckpoint(join(clean, "last.safetensors"), contract)).values;
  for (const [name, v] of Object.entries(cleanValues)) assert.deepEqual(resumed.values[name], v, name);
});

test("an error every rank meets is printed once, by rank 0, and ends the job with status 1", () => {
  const r = mpirunSync(2, [BIN, "train", LENET, "--data", SUBSET_DIR, "--batch", "4000", "--out", join(dir, "bad")]);
  assert.equal(r.status, 1);
  assert.equal((r.stderr.match(/error: --batch 4000 is larger than the 2000 training images/g) ?? []).length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /rank 1: /);
});

test("a stopped rank does not hang the job: the others' watchdog ends it (LIFT_MPI_TIMEOUT)", async () => {
  const out = join(dir, "stopped");
  const child = mpirunAsync(2, [BIN, "train", LENET, "--data", SUBSET_DIR, "--limit-train", "1024", "--epochs", "6", "--batch", "32", "--limit-test", "100", "--out", out],
    { LIFT_MPI_TIMEOUT: "2" });
  let stderr = "";
  let stoppedAt = 0;
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.stdout!.resume();
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (stoppedAt === 0 && /^epoch 1\/6: /m.test(stderr)) {
      stoppedAt = performance.now();
      process.kill(rankPid(child.pid!, 1)!, "SIGSTOP");
    }
  });
  const code = await exited;
  const seconds = (performance.now() - stoppedAt) / 1000;
  assert.ok(stoppedAt > 0, stderr);
  assert.notEqual(code, 0);
  assert.match(stderr, /lift: rank 0 of 2: no answer from the other ranks for 2 s inside MPI \(a rank died, hangs or is stopped\)/);
  assert.ok(seconds > 2 && seconds < 15, `ended ${seconds.toFixed(1)} s after the stop`);
});

test("SIGTERM to rank 1 alone mid-epoch: its request travels in the all-reduce, both ranks stop after the same step, rank 0 saves last.safetensors, and --resume under mpirun is bit-identical", async () => {
  const out = join(dir, "sigterm");
  const run = ["--data", SUBSET_DIR, "--limit-train", "2000", "--batch", "8", "--limit-test", "100"]; // 250 steps an epoch
  const child = mpirunAsync(2, [BIN, "train", LENET, ...run, "--epochs", "3", "--out", out]);
  let stderr = "";
  let sentAt = 0;
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.stdout!.resume();
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (sentAt === 0 && /^epoch 1\/3: /m.test(stderr)) {
      sentAt = -1;
      setTimeout(() => { process.kill(rankPid(child.pid!, 1)!, "SIGTERM"); sentAt = performance.now(); }, 300); // into epoch 2 (or later on a fast machine)
    }
  });
  const code = await exited;
  const seconds = (performance.now() - sentAt) / 1000;
  assert.ok(sentAt > 0, stderr);
  assert.notEqual(code, 0);
  // Rank 0 never got a signal: it can only have stopped on rank 1's request, and a rank left in an
  // all-reduce would have kept the job alive until the watchdog (300 s).
  assert.ok(seconds < 10, `the job ended ${seconds.toFixed(1)} s after SIGTERM`);
  const m = /stopped by a signal to another rank at step (\d+)\/250 of epoch (\d) \(global step (\d+)\); saved (\S+)\nresume with:\n {2}mpirun -np 2 lift train \S+ --resume (\S+) --epochs 3 --data \S+\n/.exec(stderr);
  assert.ok(m, stderr);
  const [step, epoch, global] = [Number(m[1]), Number(m[2]), Number(m[3])];
  assert.ok(step > 0 && step < 250 && epoch >= 2);
  assert.equal(global, 250 * (epoch - 1) + step);
  assert.equal(m[4], join(out, "last.safetensors"));
  assert.equal(m[5], join(out, "last.safetensors"));
  const last = await readCheckpoint(join(out, "last.safetensors"), contract);
  assert.equal(last.run.epoch, epoch - 1);
  assert.equal(last.run.progress?.step, step);
  assert.equal(last.run.global_step, global);

  const r = mpirunSync(2, [BIN, "train", LENET, "--data", SUBSET_DIR, "--epochs", String(epoch), "--resume", join(out, "last.safetensors"), "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Record<string, number | string>;
  assert.deepEqual([s.epochs, s.steps, s.world_size, s.out_dir], [epoch, 250 * epoch, 2, out]);

  const clean = join(dir, "unstopped");
  const u = mpirunSync(2, [BIN, "train", LENET, ...run, "--epochs", String(epoch), "--out", clean, "--json"]);
  assert.equal(u.status, 0, u.stderr);
  const cleanValues = (await readCheckpoint(join(clean, "last.safetensors"), contract)).values;
  const resumed = (await readCheckpoint(join(out, "last.safetensors"), contract)).values;
  for (const [name, v] of Object.entries(cleanValues)) assert.deepEqual(resumed[name], v, name);
});
