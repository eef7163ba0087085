// The training loop of `lift train`. The whole step (forward, loss, gradients,
// optimizer update) is one compiled native function; this side only copies a
// batch of images and one-hot labels into fixed buffers, feeds Scale (1/n),
// Lr and Step, calls the step, and swaps each param and optimizer state with
// its new value (references, never copies). See docs/training.md.

import { basename, dirname, extname, join } from "node:path";
import type { SourceText } from "../api/program.js";
import { readText } from "../cli/io.js";
import { LiftError } from "../lang/diagnostics.js";
import type { NativeModule } from "../runtime/module.js";
import { writeFileAtomic } from "./atomic.js";
import { readCheckpoint, sha256, writeCheckpoint, type EpochProgress, type EpochRecord, type Resumable, type RunInfo } from "./checkpoint.js";
import { classNamesFor } from "./classes.js";
import { IdxError } from "./idx.js";
import { epochPermutation, initParams } from "./init.js";
import { DEFAULT_FASHION_MNIST_DIR, loadMnistLike, type MnistLike, type MnistSplit } from "./mnist.js";
import { DEFAULT_LR, loadModel, namesFor, STATE_SUFFIXES, type ModelContract, type OptimizerName } from "./program.js";
import { stopPoint, trapSignals, type Trap } from "./interrupt.js";
import { formatDuration, Progress, type TextSink } from "./progress.js";
import { renderReport } from "./report.js";
import { DataParallelStep } from "../dist/data_parallel.js";
import type { World } from "../dist/mpi.js";
import { compileSplit } from "./split_step.js";
import { ThreadedStep } from "./threaded_step.js";
import { epochFile, HISTORY_FILE, LAST_CHECKPOINT, readHistory, RunDir } from "./rundir.js";
import { argmax, countCorrect } from "./metrics.js";

export interface TrainOptions {
  /** The model: a path, or its text with the real path as the name. */
  model: string | SourceText;
  /** Train until this epoch (a resumed run continues to it). Default 5. */
  epochs?: number;
  /** Default 64, or the checkpoint's when resuming. */
  batch?: number;
  /** Default adam, or the checkpoint's when resuming. */
  optimizer?: OptimizerName;
  /** Default DEFAULT_LR[optimizer], or the checkpoint's when resuming. */
  lr?: number;
  /** Default 1, or the checkpoint's when resuming. */
  seed?: number;
  /** An MNIST-layout directory; default Debian's Fashion-MNIST. */
  dataDir?: string;
  /** Data already loaded (tests); `dataDir` then only names the classes. */
  data?: MnistLike;
  /** Where checkpoints and the report go; default the resumed checkpoint's directory, or runs/<model name>. */
  outDir?: string;
  /** A checkpoint to continue from, where it stopped (the next epoch, or mid-epoch). */
  resume?: string;
  /** Delete another run found in outDir instead of refusing to start (rundir.ts). */
  overwrite?: boolean;
  /** Checked between steps: when aborted, the run stops with a resumable checkpoint. */
  stop?: AbortSignal;
  /** Stop the same way on SIGINT / SIGTERM, and abort at once on a second one (interrupt.ts). */
  handleSignals?: boolean;
  /** Use only the first K training (test) images. */
  limitTrain?: number;
  limitTest?: number;
  /** Images per inference call when measuring test accuracy. Default 500. */
  evalBatch?: number;
  /** Write epoch-k.safetensors and last.safetensors (default true). */
  checkpoints?: boolean;
  /** Write report.html (default true). */
  report?: boolean;
  /** Progress and epoch lines go here (default process.stderr); null for silence. */
  stderr?: TextSink | null;
  /** Seconds between progress lines when stderr is not a terminal (default 5). */
  progressInterval?: number;
  /**
   * Train data-parallel in this MPI job (src/dist/data_parallel.ts): the batch is split across
   * the ranks; rank 0 alone prints, evaluates and writes checkpoints and the report.
   */
  world?: World;
}

export interface TrainResult {
  /** the last epoch finished, counted from the start of the run (resumed runs included) */
  epochs: number;
  /** global step count */
  steps: number;
  /** images trained on by this invocation, and the wall time of its training loops */
  images: number;
  train_seconds: number;
  /** training throughput, data feeding included */
  images_per_s: number;
  /** throughput of the compiled step alone (time inside the native call) */
  step_images_per_s: number;
  train_loss: number;
  test_loss: number;
  test_accuracy: number;
  checkpoint: string | null;
  report: string | null;
  out_dir: string;
  optimizer: OptimizerName;
  lr: number;
  batch: number;
  seed: number;
  resumed_from: string | null;
  history: EpochRecord[];
  /** confusion[true][predicted] on the test set after the last epoch */
  confusion: number[][];
  class_names: string[];
  /** the trained params (and optimizer state), by name */
  values: Record<string, Float32Array>;
  /** ranks that trained (1 without MPI), and this rank's mean wait in MPI_Allreduce per step */
  world_size: number;
  allreduce_ms_per_step: number | null;
  /** set when the run stopped before its last epoch (a signal, or `stop`) */
  interrupted: Interruption | null;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  predicted: Uint8Array;
  probability: Float32Array;
  confusion: number[][];
}

function readModel(model: string | SourceText): SourceText {
  return typeof model === "string" ? { name: model, text: readText(model) } : model;
}

/** The model's name without directory and extension: examples/fashion-lenet.lift → fashion-lenet. */
export function modelBaseName(path: string): string {
  const b = basename(path);
  return b.slice(0, b.length - extname(b).length) || b;
}

export const cIdent = (s: string) => s.replace(/[^A-Za-z0-9_]/g, "_").replace(/^([0-9])/, "_$1");

/** Loads the data set, turning loader errors into LiftErrors (the loader's messages name the file). */
export async function loadData(dir: string): Promise<MnistLike> {
  try {
    return await loadMnistLike(dir);
  } catch (e) {
    if (e instanceof IdxError) throw new LiftError(e.message);
    throw e;
  }
}

function limitSplit(split: MnistSplit, limit: number | undefined): MnistSplit {
  if (limit === undefined || limit >= split.count) return split;
  const px = split.rows * split.cols;
  return { ...split, count: limit, images: split.images.subarray(0, limit * px), labels: split.labels.subarray(0, limit) };
}

function checkData(data: MnistLike, c: ModelContract, dir: string): void {
  for (const [name, s] of [["training", data.train], ["test", data.test]] as const) {
    if (s.count === 0) {
      throw new LiftError(`the ${name} set in ${dir} is empty (0 images)`, undefined,
        name === "training" ? "nothing to train on: check --data" : "the test loss and accuracy could not be measured: check --data");
    }
    if (s.rows !== c.rows || s.cols !== c.cols) {
      throw new LiftError(`the ${name} images in ${dir} are ${s.rows}×${s.cols}, but ${c.file} declares Images (${c.batchSize} ${c.rows} ${c.cols})`);
    }
    const max = s.labels.reduce((a, l) => Math.max(a, l), 0);
    if (max >= c.classes) throw new LiftError(`the ${name} labels in ${dir} go up to ${max}, but ${c.file} has ${c.classes} classes`);
  }
}

function checkBatch(batch: number, count: number, fullCount: number, limitTrain: number | undefined, dataDir: string): void {
  if (batch <= count) return;
  throw new LiftError(
    `--batch ${batch} is larger than the ${count} training images` +
      (limitTrain !== undefined && limitTrain < fullCount ? ` (--limit-train ${limitTrain})` : ` in ${dataDir}`),
    undefined,
    `use --batch ${count} or less`,
  );
}

/** Runs a file-system write, turning its errors (no space, no permission…) into LiftErrors. */
async function writing<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === "string") throw new LiftError(`cannot write ${path}: ${err.code} (${err.message})`);
    throw e;
  }
}

const positiveInt = (what: string, v: number | undefined) => {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw new LiftError(`${what} must be a whole number ≥ 1, not ${v}`);
};

/** Batched inference with the model's own compiled program over a whole split. */
export function evaluate(
  module: NativeModule,
  c: ModelContract,
  params: Record<string, Float32Array>,
  split: MnistSplit,
  evalBatch = 500,
): EvalResult {
  const px = c.rows * c.cols;
  const k = c.classes;
  const b = Math.min(evalBatch, split.count);
  const images = new Float32Array(b * px);
  const labels = new Float32Array(b * k);
  const logits = new Float32Array(b * k);
  const bufs: Record<string, Float32Array> = { ...params, Scale: new Float32Array(1), Loss: new Float32Array(1) };
  const predicted = new Uint8Array(split.count);
  const probability = new Float32Array(split.count);
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += b) {
    const n = Math.min(b, split.count - start);
    images.set(split.images.subarray(start * px, (start + n) * px));
    labels.fill(0);
    for (let i = 0; i < n; i++) labels[i * k + split.labels[start + i]!] = 1;
    bufs.Images = n === b ? images : images.subarray(0, n * px);
    bufs.Labels = n === b ? labels : labels.subarray(0, n * k);
    bufs.Logits = n === b ? logits : logits.subarray(0, n * k);
    bufs.Scale![0] = 1 / n;
    module.call(bufs, { [c.batchSize]: n });
    lossSum += bufs.Loss![0]! * n;
    for (let i = 0; i < n; i++) {
      const row = logits.subarray(i * k, (i + 1) * k);
      const best = argmax(row, 0, k);
      let z = 0;
      for (let j = 0; j < k; j++) z += Math.exp(row[j]! - row[best]!);
      const truth = split.labels[start + i]!;
      predicted[start + i] = best;
      probability[start + i] = 1 / z;
      confusion[truth]![best]!++;
      if (best === truth) correct++;
    }
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count, predicted, probability, confusion };
}

/** The confusion matrix as text, rows the true class, columns the prediction. */
export function formatConfusion(confusion: number[][], classNames: string[]): string {
  const short = classNames.map((n) => n.replace(/[^A-Za-z0-9]/g, "").slice(0, 6) || n.slice(0, 6));
  const w = Math.max(5, ...confusion.flat().map((v) => String(v).length + 1), ...short.map((s) => s.length + 1));
  const corner = "true \\ predicted";
  const nameW = Math.max(...classNames.map((n) => n.length), corner.length);
  const lines = [`${corner.padEnd(nameW)} ${short.map((s) => s.padStart(w)).join("")}  recall`];
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const recall = total ? `${((100 * row[i]!) / total).toFixed(1)}%` : "–";
    lines.push(`${(classNames[i] ?? String(i)).padEnd(nameW)} ${row.map((v) => String(v).padStart(w)).join("")}  ${recall.padStart(6)}`);
  });
  return lines.join("\n");
}

/** What ranks other than 0 record for the test set, which they do not evaluate. */
const NOT_EVALUATED: EvalResult = { loss: NaN, accuracy: NaN, predicted: new Uint8Array(0), probability: new Float32Array(0), confusion: [] };

/** Where a run stopped before its last epoch, and the checkpoint to resume it from. */
export interface Interruption {
  /** the signal's name (SIGINT, SIGTERM) or the reason given to `stop` */
  reason: string;
  /** last.safetensors, or null when checkpoints are off */
  checkpoint: string | null;
  /** the epoch stopped in, and the steps of it already taken (all of them when stopped at its end) */
  epoch: number;
  step_in_epoch: number;
  steps_per_epoch: number;
  global_step: number;
}

const EMPTY_PROGRESS = (): EpochProgress => ({ step: 0, loss_sum: 0, seen: 0, correct: 0, curve: [], win_sum: 0, win_steps: 0 });

/** The settings of a resumed run that differ from its checkpoint's, as a warning (or undefined). */
function resumeWarning(r: RunInfo, s: { batch: number; lr: number; seed: number; limitTrain?: number; modelHash: string }): string | undefined {
  const changed: string[] = [];
  if (s.batch !== r.batch) changed.push(`--batch ${s.batch} (was ${r.batch})`);
  if (s.lr !== r.lr) changed.push(`--lr ${s.lr} (was ${r.lr})`);
  if (s.seed !== r.seed) changed.push(`--seed ${s.seed} (was ${r.seed})`);
  if ((s.limitTrain ?? null) !== r.limit_train) changed.push(`--limit-train ${s.limitTrain ?? "none"} (was ${r.limit_train ?? "none"})`);
  if (r.model_sha256 !== s.modelHash) changed.push(`the model's text (it has changed since ${r.model} was saved)`);
  return changed.length === 0 ? undefined
    : `warning: resuming with settings that differ from the checkpoint's: ${changed.join(", ")}; the run will differ from one that never stopped`;
}

/** The history a resumed run starts with: the checkpoint's epochs, from history.jsonl (or inside a /1 checkpoint). */
function resumedHistory(resume: string, cp: Resumable, note: (line: string) => void): EpochRecord[] {
  const upTo = cp.run.epoch;
  if (cp.legacyHistory) return cp.legacyHistory.filter((r) => r.epoch <= upTo);
  const h = readHistory(dirname(resume), upTo, note);
  if (h === null && upTo > 0) note(`note: no ${HISTORY_FILE} beside ${resume}: the report's history starts at epoch ${upTo + 1}`);
  return h ?? [];
}

/** What a run holds while it trains, released however it ends. */
interface Held {
  runDir?: RunDir;
  trap?: Trap;
  dp?: DataParallelStep;
}

/** Trains a model as `lift train` does; see TrainOptions for the defaults. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const held: Held = {};
  try {
    return await trainHolding(opts, held);
  } finally {
    held.trap?.dispose();
    held.runDir?.lock.release();
    await held.dp?.close();
  }
}

async function trainHolding(opts: TrainOptions, held: Held): Promise<TrainResult> {
  const root = opts.world?.isRoot ?? true;
  const sink = !root ? null : opts.stderr === undefined ? process.stderr : opts.stderr;
  const progress = new Progress(sink, (opts.progressInterval ?? 5) * 1000);
  const note = (line: string) => progress.log(line);
  const model = readModel(opts.model);
  const modelName = basename(model.name);
  const epochs = opts.epochs ?? 5;
  positiveInt("--epochs", epochs);
  positiveInt("--batch", opts.batch);
  positiveInt("--limit-train", opts.limitTrain);
  positiveInt("--limit-test", opts.limitTest);
  positiveInt("the evaluation batch", opts.evalBatch);
  if (opts.seed !== undefined && !(Number.isSafeInteger(opts.seed) && opts.seed >= 0)) throw new LiftError(`--seed must be a whole number ≥ 0, not ${opts.seed}`);
  if (opts.lr !== undefined && !(opts.lr > 0 && Number.isFinite(opts.lr))) throw new LiftError(`--lr must be a positive number, not ${opts.lr}`);

  // The model alone first: a broken model is reported before anything is read or compiled.
  let optimizer: OptimizerName = opts.optimizer ?? "adam";
  let cp: Resumable | undefined;
  if (opts.resume !== undefined) {
    const contract = loadModel(model, optimizer).contract;
    cp = await readCheckpoint(opts.resume, contract);
    if (opts.optimizer !== undefined && opts.optimizer !== cp.run.optimizer) {
      throw new LiftError(`${opts.resume} was trained with --optimizer ${cp.run.optimizer}; resuming with ${opts.optimizer} is not possible (the optimizer state differs)`);
    }
    optimizer = cp.run.optimizer;
    if (cp.run.epoch >= epochs) {
      throw new LiftError(`${opts.resume} is at epoch ${cp.run.epoch} already; ask for more with --epochs (the total, e.g. --epochs ${cp.run.epoch + 1})`);
    }
  }
  const resumed = cp?.run;
  const programs = loadModel(model, optimizer);
  const c = programs.contract;
  const batch = opts.batch ?? resumed?.batch ?? 64;
  const lr = opts.lr ?? resumed?.lr ?? DEFAULT_LR[optimizer];
  const seed = opts.seed ?? resumed?.seed ?? 1;
  const limitTrain = opts.limitTrain ?? resumed?.limit_train ?? undefined;
  const limitTest = opts.limitTest ?? resumed?.limit_test ?? undefined;
  const modelHash = sha256(model.text);
  const warning = resumed && resumeWarning(resumed, { batch, lr, seed, limitTrain, modelHash });
  if (warning) note(warning);

  const dataDir = opts.dataDir ?? DEFAULT_FASHION_MNIST_DIR;
  const full = opts.data ?? (await loadData(dataDir));
  const trainSet = limitSplit(full.train, limitTrain);
  const testSet = limitSplit(full.test, limitTest);
  checkData({ train: trainSet, test: testSet }, c, dataDir);
  checkBatch(batch, trainSet.count, full.train.count, limitTrain, dataDir);
  if (resumed && resumed.train_images !== trainSet.count) {
    note(`warning: ${opts.resume} was trained on ${resumed.train_images} images, this run has ${trainSet.count}`);
  }
  const stepsPerEpoch = Math.ceil(trainSet.count / batch);
  if (resumed?.progress && (batch !== resumed.batch || trainSet.count !== resumed.train_images)) {
    throw new LiftError(`${opts.resume} was saved in the middle of epoch ${resumed.epoch + 1} (after step ${resumed.progress.step}), so it resumes only with its --batch ${resumed.batch} and ${resumed.train_images} training images`,
      undefined, `resume from the end of an epoch (epoch-${resumed.epoch}.safetensors) to change them`);
  }
  const classNames = resumed?.class_names.length === c.classes ? resumed.class_names : classNamesFor(dataDir, c.classes);

  const outDir = opts.outDir ?? (opts.resume !== undefined ? dirname(opts.resume) : join("runs", modelBaseName(model.name)));
  // Under MPI only rank 0 owns the run directory (its lock, history and checkpoints); the other
  // ranks read the checkpoint they resume from and never touch the directory.
  const writeCheckpoints = root && (opts.checkpoints ?? true);
  const writeReport = root && (opts.report ?? true);
  const runDir = writeCheckpoints || writeReport ? RunDir.open(outDir, { resume: opts.resume, overwrite: opts.overwrite, note }) : undefined;
  held.runDir = runDir;
  const history: EpochRecord[] = root && opts.resume !== undefined && cp ? resumedHistory(opts.resume, cp, note) : [];
  await runDir?.startHistory(history);

  // Compile (cached by content: the first build takes seconds, later ones milliseconds).
  const compileStart = performance.now();
  if (sink) note(`compiling the ${optimizer} training step of ${modelName}…`);
  const base = cIdent(modelBaseName(model.name));
  const split = compileSplit(model, c, optimizer, base);
  // One process: the gradient over slices of the batch on the machine's cores, the mode measured
  // (threaded_step.ts); under MPI, one rank a process (data_parallel.ts).
  const step = opts.world ? undefined : new ThreadedStep(split, c.batchSize);
  const infer = programs.inference.compile({ dtype: "f32", name: `${base}_infer` });
  const compileSeconds = (performance.now() - compileStart) / 1000;

  // Buffers: everything the step reads or writes, allocated once.
  const px = c.rows * c.cols;
  const k = c.classes;
  const imagesFull = new Float32Array(batch * px);
  const labelsFull = new Float32Array(batch * k);
  const logitsFull = new Float32Array(batch * k);
  const bufs: Record<string, Float32Array> = {
    Images: imagesFull,
    Labels: labelsFull,
    Logits: logitsFull,
    Scale: new Float32Array(1),
    Loss: new Float32Array(1),
    Lr: Float32Array.of(lr),
    Step: new Float32Array(1),
  };
  let values = cp?.values;
  if (!values) {
    values = initParams(c.params, seed);
    for (const p of c.params) for (const s of namesFor(p.name, optimizer).state) values[s] = new Float32Array(values[p.name]!.length);
  }
  const swaps: [string, string][] = [];
  for (const p of c.params) {
    const nm = namesFor(p.name, optimizer);
    const len = values[p.name]!.length;
    bufs[p.name] = values[p.name]!;
    bufs[nm.next] = new Float32Array(len);
    bufs[nm.grad] = new Float32Array(len);
    swaps.push([p.name, nm.next]);
    nm.state.forEach((s, i) => {
      bufs[s] = values![s]!;
      bufs[nm.stateNext[i]!] = new Float32Array(len);
      swaps.push([s, nm.stateNext[i]!]);
    });
  }
  const dp = opts.world && new DataParallelStep({ world: opts.world!, contract: c, optimizer, compiled: split, batch, lr, values, train: trainSet });
  held.dp = dp || undefined;
  const stateNames = c.params.flatMap((p) => [p.name, ...STATE_SUFFIXES[optimizer].map((s) => `${p.name}.${s}`)]);
  const current = () => dp?.values() ?? Object.fromEntries(stateNames.map((n) => [n, bufs[n]!]));
  const paramsNow = () => dp?.params() ?? Object.fromEntries(c.params.map((p) => [p.name, bufs[p.name]!]));

  const lastN = trainSet.count - (stepsPerEpoch - 1) * batch;
  const partial = lastN === batch ? undefined : {
    Images: imagesFull.subarray(0, lastN * px),
    Labels: labelsFull.subarray(0, lastN * k),
    Logits: logitsFull.subarray(0, lastN * k),
  };
  const window = Math.max(1, Math.ceil(stepsPerEpoch / 100));
  let globalStep = resumed?.global_step ?? 0;
  const firstEpoch = (resumed?.epoch ?? 0) + 1;

  let trainedImages = 0;
  let loopSeconds = 0;
  let stepSeconds = 0;
  let lastEval: EvalResult | undefined;
  let checkpoint: string | null = null;
  let reportPath: string | null = null;
  const lastPath = join(outDir, LAST_CHECKPOINT);
  const runInfo = (epoch: number, ep: EpochProgress | null): RunInfo => ({
    model: modelName, model_sha256: modelHash, epoch, global_step: globalStep, seed, optimizer, lr, batch,
    train_images: trainSet.count, test_images: testSet.count, limit_train: limitTrain ?? null, limit_test: limitTest ?? null,
    class_names: classNames, progress: ep,
  });
  const save = async (path: string, run: RunInfo) => {
    runDir!.lock.assertOwned();
    await writing(path, () => writeCheckpoint(path, c.params, current(), run));
  };
  const totalImages = (epochs - firstEpoch + 1) * trainSet.count - (resumed?.progress?.seen ?? 0);
  const header =
    `training ${modelName} on ${trainSet.count} images (${dataDir}) for ${epochs} epoch${epochs === 1 ? "" : "s"}` +
    `${resumed ? ` from ${resumed.progress ? `step ${resumed.progress.step} of epoch ${firstEpoch}` : `epoch ${resumed.epoch}`} (${opts.resume})` : ""}: ` +
    `${optimizer}, lr ${lr}, batch ${batch}, seed ${seed}; ${stepsPerEpoch} steps an epoch; compiled in ${compileSeconds.toFixed(1)} s` +
    (opts.world ? `; data-parallel on ${opts.world.size} MPI rank${opts.world.size === 1 ? "" : "s"}` : "");
  note(header);
  if (opts.handleSignals) held.trap = trapSignals({ note, onAbort: () => runDir?.lock.release() });
  const stops = [opts.stop, held.trap?.signal];
  const result = (interrupted: Interruption | null): TrainResult => {
    const final = history[history.length - 1];
    return {
      epochs: final?.epoch ?? 0,
      steps: globalStep,
      images: trainedImages,
      train_seconds: loopSeconds,
      images_per_s: trainedImages / loopSeconds,
      step_images_per_s: trainedImages / stepSeconds,
      train_loss: final?.train_loss ?? NaN,
      test_loss: final?.test_loss ?? NaN,
      test_accuracy: final?.test_accuracy ?? NaN,
      checkpoint,
      report: reportPath,
      out_dir: outDir,
      optimizer, lr, batch, seed,
      resumed_from: opts.resume ?? null,
      history,
      confusion: lastEval?.confusion ?? [],
      class_names: classNames,
      values: current(),
      world_size: opts.world?.size ?? 1,
      allreduce_ms_per_step: dp ? (1000 * dp.reduceSeconds) / Math.max(1, dp.steps) : null,
      interrupted,
    };
  };

  let doneImages = 0;
  /** under MPI, this rank's stop request not yet shared with the others */
  let pending: string | null = null;
  for (let epoch = firstEpoch; epoch <= epochs; epoch++) {
    const perm = epochPermutation(trainSet.count, seed, epoch);
    const ep = epoch === firstEpoch && resumed?.progress ? structuredClone(resumed.progress) : EMPTY_PROGRESS();
    const seenBefore = ep.seen;
    const epochStart = performance.now();
    progress.reset();
    let stopped: string | null = null;
    for (let s = ep.step; s < stepsPerEpoch; s++) {
      const start = s * batch;
      const n = Math.min(batch, trainSet.count - start);
      globalStep++;
      let loss: number;
      if (dp) {
        const t0 = performance.now();
        // The steps and the all-reduce (what a rank waits for), which also carries the ranks' stop requests.
        const r = dp.step(perm, start, n, globalStep, pending);
        stepSeconds += (performance.now() - t0) / 1000;
        loss = r.loss;
        stopped = r.stop;
        ep.correct += r.correct;
      } else {
        // Feed the batch.
        labelsFull.fill(0, 0, n * k);
        for (let i = 0; i < n; i++) {
          const idx = perm[start + i]!;
          imagesFull.set(trainSet.images.subarray(idx * px, (idx + 1) * px), i * px);
          labelsFull[i * k + trainSet.labels[idx]!] = 1;
        }
        if (n === batch) {
          bufs.Images = imagesFull; bufs.Labels = labelsFull; bufs.Logits = logitsFull;
        } else {
          bufs.Images = partial!.Images; bufs.Labels = partial!.Labels; bufs.Logits = partial!.Logits;
        }
        bufs.Scale![0] = 1 / n;
        bufs.Step![0] = globalStep;
        const t0 = performance.now();
        step!.call(bufs, { [c.batchSize]: n });
        stepSeconds += (performance.now() - t0) / 1000;
        for (const [a, b] of swaps) {
          const t = bufs[a]!;
          bufs[a] = bufs[b]!;
          bufs[b] = t;
        }
        loss = bufs.Loss![0]!;
        ep.correct += countCorrect(logitsFull, labelsFull, n, k);
      }
      if (!Number.isFinite(loss)) {
        progress.clear();
        throw new LiftError(`the loss became ${loss} at step ${globalStep} (epoch ${epoch}); try a smaller --lr (now ${lr})`);
      }
      ep.step = s + 1;
      ep.loss_sum += loss * n;
      ep.seen += n;
      ep.win_sum += loss;
      ep.win_steps++;
      if (ep.win_steps === window || s === stepsPerEpoch - 1) {
        ep.curve.push(ep.win_sum / ep.win_steps);
        ep.win_sum = 0;
        ep.win_steps = 0;
      }
      const elapsed = (performance.now() - epochStart) / 1000;
      const rate = (ep.seen - seenBefore) / Math.max(elapsed, 1e-9);
      progress.update({
        epoch, epochs, stepInEpoch: s + 1, stepsPerEpoch, globalStep, imagesPerSecond: rate, loss: ep.loss_sum / ep.seen,
        etaSeconds: (totalImages - doneImages - (ep.seen - seenBefore)) / rate,
      }, s === stepsPerEpoch - 1 && sink?.isTTY === true);
      // Under MPI a rank's own stop request waits for the next all-reduce, so that every rank stops
      // after the same step; alone, it stops here.
      if (dp) pending ??= await stopPoint(stops);
      else stopped = await stopPoint(stops);
      if (stopped && s < stepsPerEpoch - 1) break;
    }
    const epochSeconds = (performance.now() - epochStart) / 1000;
    loopSeconds += epochSeconds;
    trainedImages += ep.seen - seenBefore;
    doneImages += ep.seen - seenBefore;
    if (stopped && ep.step < stepsPerEpoch) {
      // Mid-epoch: last.safetensors gets the state and the epoch's running figures.
      progress.clear();
      if (writeCheckpoints) {
        await save(lastPath, runInfo(epoch - 1, ep));
        checkpoint = lastPath;
      }
      return result({ reason: stopped, checkpoint: writeCheckpoints ? lastPath : null, epoch, step_in_epoch: ep.step, steps_per_epoch: stepsPerEpoch, global_step: globalStep });
    }

    dp?.checkReplicas(epoch);
    lastEval = root ? evaluate(infer, c, paramsNow(), testSet, opts.evalBatch) : NOT_EVALUATED;
    const record: EpochRecord = {
      epoch, step: globalStep, train_loss: ep.loss_sum / ep.seen, train_accuracy: ep.correct / ep.seen,
      test_loss: lastEval.loss, test_accuracy: lastEval.accuracy, curve: ep.curve, window,
    };
    history.push(record);
    const epochPath = epochFile(outDir, epoch);
    progress.log(
      `epoch ${epoch}/${epochs}: train loss ${record.train_loss.toFixed(4)}, accuracy ${(100 * record.train_accuracy).toFixed(2)}%` +
        ` | test loss ${lastEval.loss.toFixed(4)}, accuracy ${(100 * lastEval.accuracy).toFixed(2)}%` +
        ` | ${Math.round((ep.seen - seenBefore) / epochSeconds)} images/s, ${formatDuration(epochSeconds)}` +
        (writeCheckpoints ? ` | saving ${epochPath}` : ""),
    );
    if (runDir) await writing(join(outDir, HISTORY_FILE), () => runDir.appendHistory(record));
    if (writeCheckpoints) {
      await save(epochPath, runInfo(epoch, null));
      await save(lastPath, runInfo(epoch, null));
      checkpoint = epochPath;
    }
    if (writeReport) {
      reportPath = join(outDir, "report.html");
      const html = renderReport({
        model: modelName,
        settings: [
          ["model", `${model.name} (sha256 ${modelHash.slice(0, 12)}…)`],
          ["data", `${dataDir}: ${trainSet.count} training, ${testSet.count} test images`],
          ["optimizer", `${optimizer}, lr ${lr}`],
          ["batch", String(batch)],
          ["seed", String(seed)],
          ["steps", `${globalStep} (${stepsPerEpoch} an epoch)`],
          ["speed", `${Math.round(trainedImages / loopSeconds)} images/s in this run (${Math.round(trainedImages / stepSeconds)} in the compiled step alone)`],
          ["checkpoint", checkpoint ?? "none"],
        ],
        history, classNames, confusion: lastEval.confusion,
        test: testSet, predicted: lastEval.predicted, probability: lastEval.probability,
      });
      runDir!.lock.assertOwned();
      await writing(reportPath, () => writeFileAtomic(reportPath!, html));
    }
    // A signal during the evaluation or the writes: this epoch's checkpoint is the place to resume.
    // Under MPI the ranks agree on it in one more all-reduce (the others wait there for rank 0's writes).
    const late = stopped ?? (dp ? dp.agree(pending ?? (await stopPoint(stops))) : await stopPoint(stops));
    if (late && epoch < epochs) {
      return result({ reason: late, checkpoint: writeCheckpoints ? lastPath : null, epoch, step_in_epoch: stepsPerEpoch, steps_per_epoch: stepsPerEpoch, global_step: globalStep });
    }
  }

  const final = history[history.length - 1]!;
  note(`confusion matrix on ${testSet.count} test images after epoch ${final.epoch} (rows: true class, columns: predicted):\n${formatConfusion(lastEval!.confusion, classNames)}`);
  if (reportPath) note(`report: ${reportPath}`);
  return result(null);
}
