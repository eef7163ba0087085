import type { DistributedMode } from "../dist/data_parallel.js";
import { DISTRIBUTED_MODES, failJob, joinJob } from "../dist/launch.js";
import { DEFAULT_FASHION_MNIST_DIR } from "../train/mnist.js";
import { isOptimizer, OPTIMIZERS, type OptimizerName } from "../train/program.js";
import { train } from "../train/trainer.js";
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
  --out DIR            checkpoints epoch-K.safetensors, last.safetensors and report.html
                       (default runs/<model name>)
  --resume CKPT        continue a run from its checkpoint, at the next epoch; the settings
                       default to the checkpoint's and the result is bit-identical to a run
                       that never stopped
  --limit-train K      use only the first K training images (quick runs)
  --limit-test K       use only the first K test images
  --distributed M      auto (default): data-parallel when started by mpirun (\`mpirun -np P lift
                       train …\`: the batch is split across the P ranks, rank 0 prints and
                       writes); on: join an MPI job even without mpirun; off: never
  --json               print one JSON object summarising the run on stdout, and nothing else`;

function num(v: string | boolean | undefined, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const text = String(v).trim();
  const n = Number(text);
  if (text === "" || !Number.isFinite(n) || (integer && !Number.isSafeInteger(n))) {
    throw new UsageError(`${flag} needs ${integer ? "a whole number" : "a number"}, not \`${v}\``);
  }
  return n;
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
    if (!DISTRIBUTED_MODES.includes(mode)) throw new UsageError(`--distributed is ${DISTRIBUTED_MODES.join(", ")}, not \`${mode}\``);
    const opts = {
      model: files[0]!,
      epochs: num(v.epochs, "--epochs", true),
      batch: num(v.batch, "--batch", true),
      optimizer,
      lr: num(v.lr, "--lr", false),
      seed: num(v.seed, "--seed", true),
      dataDir: v.data === undefined ? undefined : String(v.data),
      outDir: v.out === undefined ? undefined : String(v.out),
      resume: v.resume === undefined ? undefined : String(v.resume),
      limitTrain: num(v["limit-train"], "--limit-train", true),
      limitTest: num(v["limit-test"], "--limit-test", true),
    };
    const world = joinJob(mode);
    let r;
    try {
      r = await train({ ...opts, world });
    } catch (e) {
      if (world && world.size > 1) await failJob(world, e);
      throw e;
    } finally {
      world?.finalize();
    }
    if (v.json && (world?.isRoot ?? true)) {
      const summary = {
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
        world_size: r.world_size,
        ...(r.allreduce_ms_per_step === null ? {} : { allreduce_ms_per_step: Math.round(r.allreduce_ms_per_step * 1000) / 1000 }),
      };
      process.stdout.write(JSON.stringify(summary) + "\n");
    }
    return 0;
  },
};
