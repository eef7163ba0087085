// The training loop of `lift train`. The whole step (forward, loss, gradients,
// optimizer update) is one compiled native function; this side only copies a
// batch of images and one-hot labels into fixed buffers, feeds Scale (1/n),
// Lr and Step, calls the step, and swaps each param and optimizer state with
// its new value (references, never copies). See docs/training.md.

import { basename, dirname, extname, join } from "node:path";
import type { SourceText } from "../api/program.js";
import { readText } from "../lang/files.js";
import { LiftError } from "../lang/diagnostics.js";
import type { NativeModule } from "../runtime/module.js";
import { writeFileAtomic } from "./atomic.js";
import {
  readCheckpoint,
  sha256,
  writeCheckpoint,
  type EpochProgress,
  type EpochRecord,
  type Resumable,
  type RunInfo,
} from "./checkpoint.js";
import { classNamesFor } from "./classes.js";
import { IdxError } from "./idx.js";
import { epochPermutation, initParams } from "./init.js";
import { DEFAULT_FASHION_MNIST_DIR, loadMnistLike, type MnistLike, type MnistSplit } from "./mnist.js";
import {
  DEFAULT_LR,
  loadModel,
  namesFor,
  STATE_SUFFIXES,
  type ModelContract,
  type ModelPrograms,
  type OptimizerName,
} from "./program.js";
import { stopPoint, trapSignals, type Trap } from "./interrupt.js";
import { formatDuration, Progress, type TextSink } from "./progress.js";
import { renderReport } from "./report.js";
import { DataParallelStep } from "./data_parallel.js";
import type { World } from "../dist/mpi.js";
import { compileSplit, type CompiledSplit } from "./split_step.js";
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
   * Train data-parallel in this MPI job (src/train/data_parallel.ts): the batch is split across
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
  return {
    ...split,
    count: limit,
    images: split.images.subarray(0, limit * px),
    labels: split.labels.subarray(0, limit),
  };
}

function checkData(data: MnistLike, c: ModelContract, dir: string): void {
  for (const [name, s] of [
    ["training", data.train],
    ["test", data.test],
  ] as const) {
    if (s.count === 0) {
      throw new LiftError(
        `the ${name} set in ${dir} is empty (0 images)`,
        undefined,
        name === "training"
          ? "nothing to train on: check --data"
          : "the test loss and accuracy could not be measured: check --data",
      );
    }
    if (s.rows !== c.rows || s.cols !== c.cols) {
      throw new LiftError(
        `the ${name} images in ${dir} are ${s.rows}×${s.cols}, but ${c.file} declares Images (${c.batchSize} ${c.rows} ${c.cols})`,
      );
    }
    const max = s.labels.reduce((a, l) => Math.max(a, l), 0);
    if (max >= c.classes)
      throw new LiftError(`the ${name} labels in ${dir} go up to ${max}, but ${c.file} has ${c.classes} classes`);
  }
}

function checkBatch(
  batch: number,
  count: number,
  fullCount: number,
  limitTrain: number | undefined,
  dataDir: string,
): void {
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
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1))
    throw new LiftError(`${what} must be a whole number ≥ 1, not ${v}`);
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
    lines.push(
      `${(classNames[i] ?? String(i)).padEnd(nameW)} ${row.map((v) => String(v).padStart(w)).join("")}  ${recall.padStart(6)}`,
    );
  });
  return lines.join("\n");
}

/** What ranks other than 0 record for the test set, which they do not evaluate. */
const NOT_EVALUATED: EvalResult = {
  loss: NaN,
  accuracy: NaN,
  predicted: new Uint8Array(0),
  probability: new Float32Array(0),
  confusion: [],
};

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

const EMPTY_PROGRESS = (): EpochProgress => ({
  step: 0,
  loss_sum: 0,
  seen: 0,
  correct: 0,
  curve: [],
  win_sum: 0,
  win_steps: 0,
});

/** The settings of a resumed run that differ from its checkpoint's, as a warning (or undefined). */
function resumeWarning(
  r: RunInfo,
  s: { batch: number; lr: number; seed: number; limitTrain?: number; modelHash: string },
): string | undefined {
  const changed: string[] = [];
  if (s.batch !== r.batch) changed.push(`--batch ${s.batch} (was ${r.batch})`);
  if (s.lr !== r.lr) changed.push(`--lr ${s.lr} (was ${r.lr})`);
  if (s.seed !== r.seed) changed.push(`--seed ${s.seed} (was ${r.seed})`);
  if ((s.limitTrain ?? null) !== r.limit_train)
    changed.push(`--limit-train ${s.limitTrain ?? "none"} (was ${r.limit_train ?? "none"})`);
  if (r.model_sha256 !== s.modelHash) changed.push(`the model's text (it has changed since ${r.model} was saved)`);
  return changed.length === 0
    ? undefined
    : `warning: resuming with settings that differ from the checkpoint's: ${changed.join(", ")}; the run will differ from one that never stopped`;
}

/** The history a resumed run starts with: the checkpoint's epochs, from history.jsonl (or inside a /1 checkpoint). */
function resumedHistory(resume: string, cp: Resumable, note: (line: string) => void): EpochRecord[] {
  const upTo = cp.run.epoch;
  if (cp.legacyHistory) return cp.legacyHistory.filter((r) => r.epoch <= upTo);
  const h = readHistory(dirname(resume), upTo, note);
  if (h === null && upTo > 0)
    note(`note: no ${HISTORY_FILE} beside ${resume}: the report's history starts at epoch ${upTo + 1}`);
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

/** A run's settings: the options checked, a resumed checkpoint's where not given, and the loaded model. */
interface Settings {
  model: SourceText;
  modelName: string;
  modelHash: string;
  epochs: number;
  optimizer: OptimizerName;
  programs: ModelPrograms;
  c: ModelContract;
  cp: Resumable | undefined;
  resumed: RunInfo | undefined;
  batch: number;
  lr: number;
  seed: number;
  limitTrain: number | undefined;
  limitTest: number | undefined;
}

/** The data a run trains and evaluates on, cut to its limits and checked against the model. */
interface DataSets {
  dataDir: string;
  trainSet: MnistSplit;
  testSet: MnistSplit;
  stepsPerEpoch: number;
  classNames: string[];
}

/** Where a run writes, and what it writes; rank 0 alone under MPI. */
interface RunFiles {
  outDir: string;
  lastPath: string;
  writeCheckpoints: boolean;
  writeReport: boolean;
  runDir: RunDir | undefined;
  history: EpochRecord[];
}

/** The compiled programs: the fused step (or, under MPI, its two halves) and the inference. */
interface Compiled {
  step: ThreadedStep | undefined;
  split: CompiledSplit | undefined;
  infer: NativeModule;
  seconds: number;
}

function checkOptions(opts: TrainOptions, epochs: number): void {
  positiveInt("--epochs", epochs);
  positiveInt("--batch", opts.batch);
  positiveInt("--limit-train", opts.limitTrain);
  positiveInt("--limit-test", opts.limitTest);
  positiveInt("the evaluation batch", opts.evalBatch);
  if (opts.seed !== undefined && !(Number.isSafeInteger(opts.seed) && opts.seed >= 0))
    throw new LiftError(`--seed must be a whole number ≥ 0, not ${opts.seed}`);
  if (opts.lr !== undefined && !(opts.lr > 0 && Number.isFinite(opts.lr)))
    throw new LiftError(`--lr must be a positive number, not ${opts.lr}`);
}

/** The options checked and the model loaded, with a resumed checkpoint's settings where not given. */
async function settle(opts: TrainOptions, note: (line: string) => void): Promise<Settings> {
  const model = readModel(opts.model);
  const epochs = opts.epochs ?? 5;
  checkOptions(opts, epochs);
  // The model alone first: a broken model is reported before anything is read or compiled.
  let optimizer: OptimizerName = opts.optimizer ?? "adam";
  let programs = loadModel(model, optimizer);
  let cp: Resumable | undefined;
  if (opts.resume !== undefined) {
    cp = await readCheckpoint(opts.resume, programs.contract);
    if (opts.optimizer !== undefined && opts.optimizer !== cp.run.optimizer) {
      throw new LiftError(
        `${opts.resume} was trained with --optimizer ${cp.run.optimizer}; resuming with ${opts.optimizer} is not possible (the optimizer state differs)`,
      );
    }
    if (cp.run.epoch >= epochs) {
      throw new LiftError(
        `${opts.resume} is at epoch ${cp.run.epoch} already; ask for more with --epochs (the total, e.g. --epochs ${cp.run.epoch + 1})`,
      );
    }
    if (cp.run.optimizer !== optimizer) programs = loadModel(model, (optimizer = cp.run.optimizer));
  }
  const resumed = cp?.run;
  const s: Settings = {
    model,
    modelName: basename(model.name),
    modelHash: sha256(model.text),
    epochs,
    optimizer,
    programs,
    c: programs.contract,
    cp,
    resumed,
    batch: opts.batch ?? resumed?.batch ?? 64,
    lr: opts.lr ?? resumed?.lr ?? DEFAULT_LR[optimizer],
    seed: opts.seed ?? resumed?.seed ?? 1,
    limitTrain: opts.limitTrain ?? resumed?.limit_train ?? undefined,
    limitTest: opts.limitTest ?? resumed?.limit_test ?? undefined,
  };
  const warning = resumed && resumeWarning(resumed, s);
  if (warning) note(warning);
  return s;
}

/** Loads and checks the data; a resumed mid-epoch run must see the same batches. */
async function prepareData(opts: TrainOptions, s: Settings, note: (line: string) => void): Promise<DataSets> {
  const { resumed, batch } = s;
  const dataDir = opts.dataDir ?? DEFAULT_FASHION_MNIST_DIR;
  const full = opts.data ?? (await loadData(dataDir));
  const trainSet = limitSplit(full.train, s.limitTrain);
  const testSet = limitSplit(full.test, s.limitTest);
  checkData({ train: trainSet, test: testSet }, s.c, dataDir);
  checkBatch(batch, trainSet.count, full.train.count, s.limitTrain, dataDir);
  if (resumed && resumed.train_images !== trainSet.count) {
    note(`warning: ${opts.resume} was trained on ${resumed.train_images} images, this run has ${trainSet.count}`);
  }
  const stepsPerEpoch = Math.ceil(trainSet.count / batch);
  if (resumed?.progress && (batch !== resumed.batch || trainSet.count !== resumed.train_images)) {
    throw new LiftError(
      `${opts.resume} was saved in the middle of epoch ${resumed.epoch + 1} (after step ${resumed.progress.step}), so it resumes only with its --batch ${resumed.batch} and ${resumed.train_images} training images`,
      undefined,
      `resume from the end of an epoch (epoch-${resumed.epoch}.safetensors) to change them`,
    );
  }
  const classNames =
    resumed?.class_names.length === s.c.classes ? resumed.class_names : classNamesFor(dataDir, s.c.classes);
  return { dataDir, trainSet, testSet, stepsPerEpoch, classNames };
}

/** Opens the run directory (its lock, and the history a resumed run starts with). */
async function openRunFiles(
  opts: TrainOptions,
  s: Settings,
  root: boolean,
  held: Held,
  note: (line: string) => void,
): Promise<RunFiles> {
  const outDir =
    opts.outDir ?? (opts.resume !== undefined ? dirname(opts.resume) : join("runs", modelBaseName(s.model.name)));
  // Under MPI only rank 0 owns the run directory (its lock, history and checkpoints); the other
  // ranks read the checkpoint they resume from and never touch the directory.
  const writeCheckpoints = root && (opts.checkpoints ?? true);
  const writeReport = root && (opts.report ?? true);
  const runDir =
    writeCheckpoints || writeReport
      ? RunDir.open(outDir, { resume: opts.resume, overwrite: opts.overwrite, note })
      : undefined;
  held.runDir = runDir;
  const history: EpochRecord[] =
    root && opts.resume !== undefined && s.cp ? resumedHistory(opts.resume, s.cp, note) : [];
  await runDir?.startHistory(history);
  return { outDir, lastPath: join(outDir, LAST_CHECKPOINT), writeCheckpoints, writeReport, runDir, history };
}

/** Compiles the step and the inference (cached by content: the first build takes seconds, later ones milliseconds). */
function compileRun(opts: TrainOptions, s: Settings, announce: boolean, note: (line: string) => void): Compiled {
  const compileStart = performance.now();
  if (announce) note(`compiling the ${s.optimizer} training step of ${s.modelName}…`);
  const base = cIdent(modelBaseName(s.model.name));
  const split = compileSplit(s.model, s.c, s.optimizer, base);
  // One process: the gradient over slices of the batch on the machine's cores, the mode measured
  // (threaded_step.ts); under MPI, one rank a process (data_parallel.ts).
  const step = opts.world ? undefined : new ThreadedStep(split, s.c.batchSize);
  const infer = s.programs.inference.compile({ dtype: "f32", name: `${base}_infer` });
  return { step, split: opts.world ? split : undefined, infer, seconds: (performance.now() - compileStart) / 1000 };
}

/** Everything the fused step reads or writes, allocated once, and the pairs swapped after each call. */
interface StepBuffers {
  bufs: Record<string, Float32Array>;
  swaps: [string, string][];
  images: Float32Array;
  labels: Float32Array;
  logits: Float32Array;
  /** Views for the last, shorter batch of an epoch (undefined when every batch is full). */
  partial: { Images: Float32Array; Labels: Float32Array; Logits: Float32Array } | undefined;
}

function allocateBuffers(
  s: Settings,
  values: Record<string, Float32Array>,
  trainCount: number,
  stepsPerEpoch: number,
): StepBuffers {
  const { c, batch, optimizer } = s;
  const px = c.rows * c.cols;
  const k = c.classes;
  const images = new Float32Array(batch * px);
  const labels = new Float32Array(batch * k);
  const logits = new Float32Array(batch * k);
  const bufs: Record<string, Float32Array> = {
    Images: images,
    Labels: labels,
    Logits: logits,
    Scale: new Float32Array(1),
    Loss: new Float32Array(1),
    Lr: Float32Array.of(s.lr),
    Step: new Float32Array(1),
  };
  const swaps: [string, string][] = [];
  for (const p of c.params) {
    const nm = namesFor(p.name, optimizer);
    const len = values[p.name]!.length;
    bufs[p.name] = values[p.name]!;
    bufs[nm.next] = new Float32Array(len);
    bufs[nm.grad] = new Float32Array(len);
    swaps.push([p.name, nm.next]);
    nm.state.forEach((st, i) => {
      bufs[st] = values[st]!;
      bufs[nm.stateNext[i]!] = new Float32Array(len);
      swaps.push([st, nm.stateNext[i]!]);
    });
  }
  const lastN = trainCount - (stepsPerEpoch - 1) * batch;
  const partial =
    lastN === batch
      ? undefined
      : {
          Images: images.subarray(0, lastN * px),
          Labels: labels.subarray(0, lastN * k),
          Logits: logits.subarray(0, lastN * k),
        };
  return { bufs, swaps, images, labels, logits, partial };
}

/** The initial params and optimizer state: the checkpoint's, or seeded initial weights and zero state. */
function initialValues(s: Settings): Record<string, Float32Array> {
  if (s.cp?.values) return s.cp.values;
  const values = initParams(s.c.params, s.seed);
  for (const p of s.c.params)
    for (const st of namesFor(p.name, s.optimizer).state) values[st] = new Float32Array(values[p.name]!.length);
  return values;
}

async function trainHolding(opts: TrainOptions, held: Held): Promise<TrainResult> {
  const root = opts.world?.isRoot ?? true;
  const sink = !root ? null : opts.stderr === undefined ? process.stderr : opts.stderr;
  const progress = new Progress(sink, (opts.progressInterval ?? 5) * 1000);
  const note = (line: string) => progress.log(line);
  const s = await settle(opts, note);
  const data = await prepareData(opts, s, note);
  const files = await openRunFiles(opts, s, root, held, note);
  const compiled = compileRun(opts, s, sink !== null, note);
  const values = initialValues(s);
  const buffers = allocateBuffers(s, values, data.trainSet.count, data.stepsPerEpoch);
  const dp =
    compiled.split &&
    new DataParallelStep({
      world: opts.world!,
      contract: s.c,
      optimizer: s.optimizer,
      compiled: compiled.split,
      batch: s.batch,
      lr: s.lr,
      values,
      train: data.trainSet,
    });
  held.dp = dp;
  const loop = new TrainingLoop(opts, s, data, files, compiled, buffers, dp, { root, sink, progress, note });
  note(loop.header());
  if (opts.handleSignals) held.trap = trapSignals({ note, onAbort: () => files.runDir?.lock.release() });
  return loop.run([opts.stop, held.trap?.signal]);
}

interface Output {
  root: boolean;
  sink: TextSink | null;
  progress: Progress;
  note: (line: string) => void;
}

/** The epochs of a run, from its first (a resumed one's next) to the last, and their records. */
class TrainingLoop {
  private globalStep: number;
  private readonly firstEpoch: number;
  private readonly window: number;
  private trainedImages = 0;
  private doneImages = 0;
  private loopSeconds = 0;
  private stepSeconds = 0;
  private lastEval: EvalResult | undefined;
  private checkpoint: string | null = null;
  private reportPath: string | null = null;
  /** under MPI, this rank's stop request not yet shared with the others */
  private pending: string | null = null;
  private stops: (AbortSignal | undefined)[] = [];

  constructor(
    private readonly opts: TrainOptions,
    private readonly s: Settings,
    private readonly data: DataSets,
    private readonly files: RunFiles,
    private readonly compiled: Compiled,
    private readonly b: StepBuffers,
    private readonly dp: DataParallelStep | undefined,
    private readonly out: Output,
  ) {
    this.globalStep = s.resumed?.global_step ?? 0;
    this.firstEpoch = (s.resumed?.epoch ?? 0) + 1;
    this.window = Math.max(1, Math.ceil(data.stepsPerEpoch / 100));
  }

  header(): string {
    const { s, data, opts } = this;
    const { resumed, epochs } = s;
    return (
      `training ${s.modelName} on ${data.trainSet.count} images (${data.dataDir}) for ${epochs} epoch${epochs === 1 ? "" : "s"}` +
      `${resumed ? ` from ${resumed.progress ? `step ${resumed.progress.step} of epoch ${this.firstEpoch}` : `epoch ${resumed.epoch}`} (${opts.resume})` : ""}: ` +
      `${s.optimizer}, lr ${s.lr}, batch ${s.batch}, seed ${s.seed}; ${data.stepsPerEpoch} steps an epoch; compiled in ${this.compiled.seconds.toFixed(1)} s` +
      (opts.world ? `; data-parallel on ${opts.world.size} MPI rank${opts.world.size === 1 ? "" : "s"}` : "")
    );
  }

  async run(stops: (AbortSignal | undefined)[]): Promise<TrainResult> {
    this.stops = stops;
    for (let epoch = this.firstEpoch; epoch <= this.s.epochs; epoch++) {
      const interrupted = await this.epoch(epoch);
      if (interrupted) return this.result(interrupted);
    }
    const final = this.files.history[this.files.history.length - 1]!;
    this.out.note(
      `confusion matrix on ${this.data.testSet.count} test images after epoch ${final.epoch} (rows: true class, columns: predicted):\n${formatConfusion(this.lastEval!.confusion, this.data.classNames)}`,
    );
    if (this.reportPath) this.out.note(`report: ${this.reportPath}`);
    return this.result(null);
  }

  /** The params and optimizer state now, by name. */
  private current(): Record<string, Float32Array> {
    const names = this.s.c.params.flatMap((p) => [
      p.name,
      ...STATE_SUFFIXES[this.s.optimizer].map((x) => `${p.name}.${x}`),
    ]);
    return this.dp?.values() ?? Object.fromEntries(names.map((n) => [n, this.b.bufs[n]!]));
  }

  private paramsNow(): Record<string, Float32Array> {
    return this.dp?.params() ?? Object.fromEntries(this.s.c.params.map((p) => [p.name, this.b.bufs[p.name]!]));
  }

  private runInfo(epoch: number, ep: EpochProgress | null): RunInfo {
    const { s, data } = this;
    return {
      model: s.modelName,
      model_sha256: s.modelHash,
      epoch,
      global_step: this.globalStep,
      seed: s.seed,
      optimizer: s.optimizer,
      lr: s.lr,
      batch: s.batch,
      train_images: data.trainSet.count,
      test_images: data.testSet.count,
      limit_train: s.limitTrain ?? null,
      limit_test: s.limitTest ?? null,
      class_names: data.classNames,
      progress: ep,
    };
  }

  private async save(path: string, run: RunInfo): Promise<void> {
    this.files.runDir!.lock.assertOwned();
    await writing(path, () => writeCheckpoint(path, this.s.c.params, this.current(), run));
  }

  /** One epoch: its steps, then (unless stopped in the middle) its evaluation and writes. */
  private async epoch(epoch: number): Promise<Interruption | null> {
    const { s, files, data } = this;
    const ep =
      epoch === this.firstEpoch && s.resumed?.progress ? structuredClone(s.resumed.progress) : EMPTY_PROGRESS();
    const seenBefore = ep.seen;
    const epochStart = performance.now();
    this.out.progress.reset();
    const stopped = await this.steps(epoch, ep, seenBefore, epochStart);
    const epochSeconds = (performance.now() - epochStart) / 1000;
    this.loopSeconds += epochSeconds;
    this.trainedImages += ep.seen - seenBefore;
    this.doneImages += ep.seen - seenBefore;
    const stepsPerEpoch = data.stepsPerEpoch;
    const interruption = (reason: string, stepInEpoch: number): Interruption => ({
      reason,
      checkpoint: files.writeCheckpoints ? files.lastPath : null,
      epoch,
      step_in_epoch: stepInEpoch,
      steps_per_epoch: stepsPerEpoch,
      global_step: this.globalStep,
    });
    if (stopped && ep.step < stepsPerEpoch) {
      // Mid-epoch: last.safetensors gets the state and the epoch's running figures.
      this.out.progress.clear();
      if (files.writeCheckpoints) {
        await this.save(files.lastPath, this.runInfo(epoch - 1, ep));
        this.checkpoint = files.lastPath;
      }
      return interruption(stopped, ep.step);
    }
    await this.finishEpoch(epoch, ep, epochSeconds, seenBefore);
    // A signal during the evaluation or the writes: this epoch's checkpoint is the place to resume.
    // Under MPI the ranks agree on it in one more all-reduce (the others wait there for rank 0's writes).
    const late =
      stopped ?? (this.dp ? this.dp.agree(this.pending ?? (await stopPoint(this.stops))) : await stopPoint(this.stops));
    return late && epoch < s.epochs ? interruption(late, stepsPerEpoch) : null;
  }

  /** The steps of an epoch from where it stands; returns the stop request that ended it early, if any. */
  private async steps(
    epoch: number,
    ep: EpochProgress,
    seenBefore: number,
    epochStart: number,
  ): Promise<string | null> {
    const { s, data } = this;
    const { stepsPerEpoch, trainSet } = data;
    const perm = epochPermutation(trainSet.count, s.seed, epoch);
    const totalImages = (s.epochs - this.firstEpoch + 1) * trainSet.count - (s.resumed?.progress?.seen ?? 0);
    let stopped: string | null = null;
    for (let st = ep.step; st < stepsPerEpoch; st++) {
      const start = st * s.batch;
      const n = Math.min(s.batch, trainSet.count - start);
      this.globalStep++;
      let loss: number;
      if (this.dp) {
        const t0 = performance.now();
        // The steps and the all-reduce (what a rank waits for), which also carries the ranks' stop requests.
        const r = this.dp.step(perm, start, n, this.globalStep, this.pending);
        this.stepSeconds += (performance.now() - t0) / 1000;
        loss = r.loss;
        stopped = r.stop;
        ep.correct += r.correct;
      } else {
        loss = this.localStep(perm, start, n);
        ep.correct += countCorrect(this.b.logits, this.b.labels, n, s.c.classes);
      }
      if (!Number.isFinite(loss)) {
        this.out.progress.clear();
        throw new LiftError(
          `the loss became ${loss} at step ${this.globalStep} (epoch ${epoch}); try a smaller --lr (now ${s.lr})`,
        );
      }
      this.account(ep, st, n, loss);
      const elapsed = (performance.now() - epochStart) / 1000;
      const rate = (ep.seen - seenBefore) / Math.max(elapsed, 1e-9);
      this.out.progress.update(
        {
          epoch,
          epochs: s.epochs,
          stepInEpoch: st + 1,
          stepsPerEpoch,
          globalStep: this.globalStep,
          imagesPerSecond: rate,
          loss: ep.loss_sum / ep.seen,
          etaSeconds: (totalImages - this.doneImages - (ep.seen - seenBefore)) / rate,
        },
        st === stepsPerEpoch - 1 && this.out.sink?.isTTY === true,
      );
      // Under MPI a rank's own stop request waits for the next all-reduce, so that every rank stops
      // after the same step; alone, it stops here.
      if (this.dp) this.pending ??= await stopPoint(this.stops);
      else stopped = await stopPoint(this.stops);
      if (stopped && st < stepsPerEpoch - 1) break;
    }
    return stopped;
  }

  /** One step's loss into the epoch's running figures and its loss curve (a point per window of steps). */
  private account(ep: EpochProgress, st: number, n: number, loss: number): void {
    ep.step = st + 1;
    ep.loss_sum += loss * n;
    ep.seen += n;
    ep.win_sum += loss;
    ep.win_steps++;
    if (ep.win_steps === this.window || st === this.data.stepsPerEpoch - 1) {
      ep.curve.push(ep.win_sum / ep.win_steps);
      ep.win_sum = 0;
      ep.win_steps = 0;
    }
  }

  /** Feeds the batch perm[start…start+n) to the fused step, calls it and swaps in the new values; returns the loss. */
  private localStep(perm: ArrayLike<number>, start: number, n: number): number {
    const { b, data, s } = this;
    const { bufs } = b;
    const px = s.c.rows * s.c.cols;
    const k = s.c.classes;
    b.labels.fill(0, 0, n * k);
    for (let i = 0; i < n; i++) {
      const idx = perm[start + i]!;
      b.images.set(data.trainSet.images.subarray(idx * px, (idx + 1) * px), i * px);
      b.labels[i * k + data.trainSet.labels[idx]!] = 1;
    }
    const views = n === s.batch ? { Images: b.images, Labels: b.labels, Logits: b.logits } : b.partial!;
    bufs.Images = views.Images;
    bufs.Labels = views.Labels;
    bufs.Logits = views.Logits;
    bufs.Scale![0] = 1 / n;
    bufs.Step![0] = this.globalStep;
    const t0 = performance.now();
    this.compiled.step!.call(bufs, { [s.c.batchSize]: n });
    this.stepSeconds += (performance.now() - t0) / 1000;
    for (const [x, y] of b.swaps) {
      const t = bufs[x]!;
      bufs[x] = bufs[y]!;
      bufs[y] = t;
    }
    return bufs.Loss![0]!;
  }

  /** After a whole epoch: the test set evaluated, the record logged and appended, checkpoints and the report written. */
  private async finishEpoch(epoch: number, ep: EpochProgress, epochSeconds: number, seenBefore: number): Promise<void> {
    const { files, s } = this;
    this.dp?.checkReplicas(epoch);
    const lastEval = (this.lastEval = this.out.root
      ? evaluate(this.compiled.infer, s.c, this.paramsNow(), this.data.testSet, this.opts.evalBatch)
      : NOT_EVALUATED);
    const record: EpochRecord = {
      epoch,
      step: this.globalStep,
      train_loss: ep.loss_sum / ep.seen,
      train_accuracy: ep.correct / ep.seen,
      test_loss: lastEval.loss,
      test_accuracy: lastEval.accuracy,
      curve: ep.curve,
      window: this.window,
    };
    files.history.push(record);
    const epochPath = epochFile(files.outDir, epoch);
    this.out.progress.log(
      `epoch ${epoch}/${s.epochs}: train loss ${record.train_loss.toFixed(4)}, accuracy ${(100 * record.train_accuracy).toFixed(2)}%` +
        ` | test loss ${lastEval.loss.toFixed(4)}, accuracy ${(100 * lastEval.accuracy).toFixed(2)}%` +
        ` | ${Math.round((ep.seen - seenBefore) / epochSeconds)} images/s, ${formatDuration(epochSeconds)}` +
        (files.writeCheckpoints ? ` | saving ${epochPath}` : ""),
    );
    const runDir = files.runDir;
    if (runDir) await writing(join(files.outDir, HISTORY_FILE), () => runDir.appendHistory(record));
    if (files.writeCheckpoints) {
      await this.save(epochPath, this.runInfo(epoch, null));
      await this.save(files.lastPath, this.runInfo(epoch, null));
      this.checkpoint = epochPath;
    }
    if (files.writeReport) await this.writeReport(lastEval);
  }

  private async writeReport(lastEval: EvalResult): Promise<void> {
    const { s, data, files } = this;
    const reportPath = (this.reportPath = join(files.outDir, "report.html"));
    const html = renderReport({
      model: s.modelName,
      settings: [
        ["model", `${s.model.name} (sha256 ${s.modelHash.slice(0, 12)}…)`],
        ["data", `${data.dataDir}: ${data.trainSet.count} training, ${data.testSet.count} test images`],
        ["optimizer", `${s.optimizer}, lr ${s.lr}`],
        ["batch", String(s.batch)],
        ["seed", String(s.seed)],
        ["steps", `${this.globalStep} (${data.stepsPerEpoch} an epoch)`],
        [
          "speed",
          `${Math.round(this.trainedImages / this.loopSeconds)} images/s in this run (${Math.round(this.trainedImages / this.stepSeconds)} in the compiled step alone)`,
        ],
        ["checkpoint", this.checkpoint ?? "none"],
      ],
      history: files.history,
      classNames: data.classNames,
      confusion: lastEval.confusion,
      test: data.testSet,
      predicted: lastEval.predicted,
      probability: lastEval.probability,
    });
    files.runDir!.lock.assertOwned();
    await writing(reportPath, () => writeFileAtomic(reportPath, html));
  }

  private result(interrupted: Interruption | null): TrainResult {
    const { s, files, dp } = this;
    const final = files.history[files.history.length - 1];
    return {
      epochs: final?.epoch ?? 0,
      steps: this.globalStep,
      images: this.trainedImages,
      train_seconds: this.loopSeconds,
      images_per_s: this.trainedImages / this.loopSeconds,
      step_images_per_s: this.trainedImages / this.stepSeconds,
      train_loss: final?.train_loss ?? NaN,
      test_loss: final?.test_loss ?? NaN,
      test_accuracy: final?.test_accuracy ?? NaN,
      checkpoint: this.checkpoint,
      report: this.reportPath,
      out_dir: files.outDir,
      optimizer: s.optimizer,
      lr: s.lr,
      batch: s.batch,
      seed: s.seed,
      resumed_from: this.opts.resume ?? null,
      history: files.history,
      confusion: this.lastEval?.confusion ?? [],
      class_names: this.data.classNames,
      values: this.current(),
      world_size: this.opts.world?.size ?? 1,
      allreduce_ms_per_step: dp ? (1000 * dp.reduceSeconds) / Math.max(1, dp.steps) : null,
      interrupted,
    };
  }
}
