import type { DistributedMode } from "../dist/launch.js";
import { DISTRIBUTED_MODES, failJob, joinJob } from "../dist/launch.js";
import { dirname, resolve } from "node:path";
import { exitCodeFor } from "../train/interrupt.js";
import { DEFAULT_FASHION_MNIST_DIR } from "../train/mnist.js";
import { guardOutput } from "../train/pipes.js";
import { isOptimizer, OPTIMIZERS, type OptimizerName } from "../train/program.js";
import { train, type TrainResult } from "../train/trainer.js";
import type { Command } from "./commands.js";
import { UsageError } from "./main.js";

const HELP = `usage: lift train MODEL [options]

Trains a model (see docs/training.md for what it must declare) on an MNIST-layout data set:
the whole step — forward, loss, gradients, optimizer update — is one compiled function.
Progress goes to stderr; after each epoch, the test accuracy and a checkpoint.

  --epochs E           train until epoch E (default 5; with --resume, the total)
  --batch B            images per step (default 64)
  --optimizer NAME     adam (default), sgd (momentum 0.9) or adadelta
  --lr X               learning rate (default 1e-3 for adam, 1e-2 for sgd, 1 for adadelta)
  --seed S             seed of the initial weights and of the shuffling (default 1)
  --data DIR           IDX files train-images-idx3-ubyte[.gz] … (default
                       ${DEFAULT_FASHION_MNIST_DIR}, from the Debian package dataset-fashion-mnist)
  --out DIR            checkpoints epoch-K.safetensors, last.safetensors, history.jsonl and
                       report.html (default runs/<model name>, or the resumed checkpoint's
                       directory); a directory holding another run is refused
  --overwrite          start over in an --out that holds another run, deleting its files
  --resume CKPT        continue a run from its checkpoint, where it stopped; the settings
                       default to the checkpoint's and the result is bit-identical to a run
                       that never stopped
  --limit-train K      use only the first K training images (quick runs)
  --limit-test K       use only the first K test images
  --distributed M      auto (default): data-parallel when started by mpirun (\`mpirun -np P lift
                       train …\`: the batch is split across the P ranks, rank 0 prints and
                       writes); on: join an MPI job even without mpirun; off: never
  --json               print one JSON object summarising the run on stdout, and nothing else

Ctrl-C (or SIGTERM) finishes the current step, saves last.safetensors and prints the command
that resumes it; a second Ctrl-C aborts at once. A closed stdout or stderr (\`| head\`) does
not stop training: output to it stops, checkpoints go on.`;

const INTEGER = /^-?[0-9]+$/;
const DECIMAL = /^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/;

/** A flag's number: decimal digits only (no 0x10, 1e3 for a count, Infinity or blanks), at least `min` (a decimal: above it). */
function num(v: string | boolean | undefined, flag: string, integer: boolean, min?: number): number | undefined {
  if (v === undefined) return undefined;
  const text = String(v);
  const n = Number(text);
  const what = integer
    ? `a whole number${min === undefined ? "" : ` ≥ ${min}`}`
    : `a decimal number${min === 0 ? " > 0" : ""}`;
  const below = min !== undefined && (integer ? n < min : n <= min);
  if (
    !(integer ? INTEGER : DECIMAL).test(text) ||
    !Number.isFinite(n) ||
    (integer && !Number.isSafeInteger(n)) ||
    below
  ) {
    throw new UsageError(`${flag} needs ${what}, not \`${text}\``);
  }
  return n;
}

/** A word for a POSIX shell: as it is when it is plain, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The command that continues an interrupted run: what the checkpoint does not record (data, out, json). */
function resumeCommand(model: string, v: Record<string, string | boolean | undefined>, r: TrainResult): string {
  const ckpt = r.interrupted!.checkpoint!;
  const words = ["lift", "train", model, "--resume", ckpt, "--epochs", String(v.epochs ?? 5)];
  if (v.data !== undefined) words.push("--data", String(v.data));
  if (resolve(r.out_dir) !== resolve(dirname(ckpt))) words.push("--out", r.out_dir);
  if (v.json) words.push("--json");
  // Under MPI: the same number of ranks (add the first run's other mpirun options, such as a hostfile).
  const launch = r.world_size > 1 ? ["mpirun", "-np", String(r.world_size)] : [];
  return [...launch, ...words].map(shellQuote).join(" ");
}

function summary(r: TrainResult): Record<string, unknown> {
  return {
    epochs: r.epochs,
    steps: r.steps,
    images_per_s: Math.round(r.images_per_s * 10) / 10,
    step_images_per_s: Math.round(r.step_images_per_s * 10) / 10,
    test_accuracy: r.test_accuracy,
    test_loss: r.test_loss,
    train_loss: r.train_loss,
    checkpoint: r.checkpoint,
    report: r.report,
    out_dir: r.out_dir,
    optimizer: r.optimizer,
    lr: r.lr,
    batch: r.batch,
    seed: r.seed,
    images: r.images,
    train_seconds: Math.round(r.train_seconds * 1000) / 1000,
    resumed_from: r.resumed_from,
    interrupted: r.interrupted,
    world_size: r.world_size,
    ...(r.allreduce_ms_per_step === null
      ? {}
      : { allreduce_ms_per_step: Math.round(r.allreduce_ms_per_step * 1000) / 1000 }),
  };
}

export const trainCommand: Command = {
  summary: "train a model on Fashion-MNIST (or any IDX data set)",
  help: HELP,
  options: {
    epochs: { type: "string" },
    batch: { type: "string" },
    optimizer: { type: "string" },
    lr: { type: "string" },
    seed: { type: "string" },
    data: { type: "string" },
    out: { type: "string" },
    resume: { type: "string" },
    overwrite: { type: "boolean" },
    "limit-train": { type: "string" },
    "limit-test": { type: "string" },
    distributed: { type: "string" },
    json: { type: "boolean" },
  },
  async run(v, files) {
    if (files.length === 0) throw new UsageError("no model file given");
    if (files.length > 1) throw new UsageError(`one model file, not ${files.length}`);
    let optimizer: OptimizerName | undefined;
    if (v.optimizer !== undefined) {
      const o = String(v.optimizer);
      if (!isOptimizer(o)) throw new UsageError(`unknown optimizer \`${o}\` (available: ${OPTIMIZERS.join(", ")})`);
      optimizer = o;
    }
    const mode = String(v.distributed ?? "auto") as DistributedMode;
    if (!DISTRIBUTED_MODES.includes(mode))
      throw new UsageError(`--distributed is ${DISTRIBUTED_MODES.join(", ")}, not \`${mode}\``);
    const model = files[0]!;
    const opts = {
      model,
      epochs: num(v.epochs, "--epochs", true, 1),
      batch: num(v.batch, "--batch", true, 1),
      optimizer,
      lr: num(v.lr, "--lr", false, 0),
      seed: num(v.seed, "--seed", true, 0),
      dataDir: v.data === undefined ? undefined : String(v.data),
      outDir: v.out === undefined ? undefined : String(v.out),
      resume: v.resume === undefined ? undefined : String(v.resume),
      overwrite: v.overwrite === true,
      limitTrain: num(v["limit-train"], "--limit-train", true, 1),
      limitTest: num(v["limit-test"], "--limit-test", true, 1),
      handleSignals: true,
    };
    const world = joinJob(mode);
    const root = world?.isRoot ?? true;
    const io = guardOutput();
    try {
      let r: TrainResult;
      try {
        r = await train({ ...opts, world, stderr: io.stderr });
      } catch (e) {
        if (world && world.size > 1) await failJob(world, e);
        throw e;
      } finally {
        world?.finalize();
      }
      const stop = r.interrupted;
      if (stop && root) {
        const where =
          stop.step_in_epoch < stop.steps_per_epoch
            ? `at step ${stop.step_in_epoch}/${stop.steps_per_epoch} of epoch ${stop.epoch} (global step ${stop.global_step})`
            : `after epoch ${stop.epoch}`;
        io.stderr.write(
          `stopped by ${stop.reason} ${where}; saved ${stop.checkpoint}\nresume with:\n  ${resumeCommand(model, v, r)}\n`,
        );
      }
      if (v.json && root) io.stdout(JSON.stringify(summary(r)) + "\n");
      return stop ? exitCodeFor(stop.reason) : 0;
    } finally {
      io.restore();
    }
  },
};
