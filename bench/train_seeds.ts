/**
 * Test accuracy of `lift train` against PyTorch over whole training runs (issue 10):
 *   node dist/bench/train_seeds.js [--seeds 0,1,2] [--epochs 5] [--threads 2] [--python /usr/bin/python3]
 * For each seed, LiFT trains examples/fashion-lenet.lift on the full Fashion-MNIST (`lift train
 * --seed S --epochs E`); PyTorch trains the same network (bench/peers/torch_train.py) twice: from
 * LiFT's initial weights in LiFT's batch order ("same start": the runs differ only in arithmetic
 * and in max-pooling's tie rule — PyTorch gives a tie to one element, LiFT splits it), and from
 * PyTorch's own initialisation and shuffling under torch.manual_seed(S). Prints the test accuracy
 * per seed and epoch, and the means over the seeds.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { epochPermutation, initParams } from "../src/train/init.js";
import { loadModel } from "../src/train/program.js";
import { MODEL_PATH, ROOT } from "./programs.js";

const DATA = "/usr/share/datasets/fashion-mnist";
const TRAIN_COUNT = 60000;
const BATCH = 64;
const LR = 1e-3;

const { values: opt } = parseArgs({
  options: {
    seeds: { type: "string", default: "0,1,2" },
    epochs: { type: "string", default: "5" },
    threads: { type: "string", default: "2" },
    python: { type: "string", default: "/usr/bin/python3" },
  },
});
const seeds = opt.seeds!.split(",").map(Number);
const epochs = Number(opt.epochs);
const work = mkdtempSync(join(tmpdir(), "lift-seeds-"));
const env = { ...process.env, OMP_NUM_THREADS: opt.threads! };

interface Run {
  system: string;
  seed: number;
  history: number[];
  seconds: number;
}

function liftRun(seed: number): Run {
  const out = join(work, `lift-${seed}`);
  const args = [
    join(ROOT, "bin", "lift.js"),
    "train",
    MODEL_PATH,
    "--seed",
    `${seed}`,
    "--epochs",
    `${epochs}`,
    "--batch",
    `${BATCH}`,
    "--lr",
    `${LR}`,
    "--data",
    DATA,
    "--out",
    out,
    "--json",
  ];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`lift train failed:\n${r.stderr}`);
  const s = JSON.parse(r.stdout) as { train_seconds: number };
  const lines = readFileSync(join(out, "history.jsonl"), "utf8").trim().split("\n");
  const history = lines.map((l) => (JSON.parse(l) as { test_accuracy: number }).test_accuracy);
  return { system: "lift", seed, history, seconds: s.train_seconds };
}

/** LiFT's start for `seed`: its initial weights and its image order of every epoch, for the peer. */
function writeLiftStart(seed: number): string {
  const dir = join(work, `start-${seed}`);
  mkdirSync(join(dir, "weights"), { recursive: true });
  const { contract } = loadModel({ name: MODEL_PATH, text: readFileSync(MODEL_PATH, "utf8") }, "adam");
  const params = initParams(contract.params, seed);
  for (const [name, v] of Object.entries(params)) writeFileSync(join(dir, "weights", `${name}.bin`), v);
  for (let e = 1; e <= epochs; e++) writeFileSync(join(dir, `perm-${e}.bin`), epochPermutation(TRAIN_COUNT, seed, e));
  return dir;
}

function torchRun(seed: number, init: "lift" | "torch"): Run {
  const dir = init === "lift" ? writeLiftStart(seed) : work;
  const cfg = { data: DATA, dir, epochs, batch: BATCH, lr: LR, threads: Number(opt.threads), init, seed };
  const script = join(ROOT, "bench", "peers", "torch_train.py");
  const r = spawnSync(opt.python!, [script, JSON.stringify(cfg)], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`torch_train.py failed:\n${r.stderr}`);
  const lines = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { seconds?: number; history?: number[] });
  const seconds = lines.reduce((a, l) => a + (l.seconds ?? 0), 0);
  return {
    system: init === "lift" ? "pytorch, same start" : "pytorch, own init",
    seed,
    history: lines.at(-1)!.history!,
    seconds,
  };
}

const pct = (x: number) => (100 * x).toFixed(2);
const runs: Run[] = [];
for (const seed of seeds) {
  for (const run of [() => liftRun(seed), () => torchRun(seed, "lift"), () => torchRun(seed, "torch")]) {
    const r = run();
    runs.push(r);
    console.log(`seed ${seed}  ${r.system.padEnd(20)} ${r.history.map(pct).join("  ")}   (${r.seconds.toFixed(0)} s)`);
  }
}
console.log(`\nmean test accuracy after ${epochs} epochs over seeds ${seeds.join(", ")}:`);
for (const system of ["lift", "pytorch, same start", "pytorch, own init"]) {
  const finals = runs.filter((r) => r.system === system).map((r) => r.history.at(-1)!);
  const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
  console.log(`  ${system.padEnd(20)} ${pct(mean)}%  (${finals.map(pct).join(" / ")})`);
}
console.log(`\n${JSON.stringify({ kind: "train_seeds", epochs, seeds, threads: Number(opt.threads), runs })}`);
