// What a checkpoint says about its run, as string metadata, and the strict
// reading of it back. Every field is checked on its own, because a resumed
// run trusts these figures: a hand-edited `epoch: -3` or `batch: 0` must be
// refused with the field's name, never train "epoch -2/2" or "Infinity steps".

import { LiftError } from "../lang/diagnostics.js";
import { VERSION } from "../version.js";
import { isOptimizer, OPTIMIZERS, type OptimizerName } from "./program.js";

/** Written since the history moved to history.jsonl; /1 checkpoints carry it inside and still load. */
export const CHECKPOINT_FORMAT = "lift-train/2";
export const LEGACY_FORMAT = "lift-train/1";

/** One epoch's figures: a line of history.jsonl (and the report's source). */
export interface EpochRecord {
  epoch: number;
  /** global step at the end of the epoch */
  step: number;
  train_loss: number;
  train_accuracy: number;
  test_loss: number;
  test_accuracy: number;
  /** training loss, averaged over windows of `window` steps, through the epoch */
  curve: number[];
  window: number;
}

/** The running figures of an epoch stopped part-way, so the resumed epoch ends with the same record. */
export interface EpochProgress {
  /** steps of the epoch already taken */
  step: number;
  loss_sum: number;
  seen: number;
  correct: number;
  curve: number[];
  win_sum: number;
  win_steps: number;
}

/** What a checkpoint says about the run that wrote it. */
export interface RunInfo {
  model: string;
  model_sha256: string;
  /** epochs finished; a mid-epoch checkpoint is part-way through epoch + 1 */
  epoch: number;
  global_step: number;
  seed: number;
  optimizer: OptimizerName;
  lr: number;
  batch: number;
  /** number of training / test images used (after --limit-train / --limit-test) */
  train_images: number;
  test_images: number;
  limit_train: number | null;
  limit_test: number | null;
  class_names: string[];
  /** set when the run was stopped in the middle of an epoch */
  progress: EpochProgress | null;
}

export function encodeMetadata(run: RunInfo): Record<string, string> {
  const meta: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    lift_version: VERSION,
    model: run.model,
    model_sha256: run.model_sha256,
    epoch: String(run.epoch),
    global_step: String(run.global_step),
    seed: String(run.seed),
    optimizer: run.optimizer,
    lr: String(run.lr),
    batch: String(run.batch),
    train_images: String(run.train_images),
    test_images: String(run.test_images),
    limit_train: run.limit_train === null ? "" : String(run.limit_train),
    limit_test: run.limit_test === null ? "" : String(run.limit_test),
    class_names: JSON.stringify(run.class_names),
  };
  if (run.progress) meta.epoch_progress = JSON.stringify(run.progress);
  return meta;
}

const WHOLE = /^(0|[1-9][0-9]*)$/;
const isWhole = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isFraction = (v: unknown): v is number => isFiniteNumber(v) && v >= 0 && v <= 1;
const shown = (v: string) => (v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}…` : JSON.stringify(v));

/** The first problem of an epoch record (a history line), or undefined when it is well-formed. */
export function epochRecordProblem(r: unknown): string | undefined {
  if (typeof r !== "object" || r === null || Array.isArray(r)) return "not an object";
  const o = r as Record<string, unknown>;
  if (!isWhole(o.epoch, 1)) return "`epoch` is not a whole number ≥ 1";
  if (!isWhole(o.step, 1)) return "`step` is not a whole number ≥ 1";
  for (const k of ["train_loss", "test_loss"]) if (!isFiniteNumber(o[k])) return `\`${k}\` is not a finite number`;
  for (const k of ["train_accuracy", "test_accuracy"])
    if (!isFraction(o[k])) return `\`${k}\` is not a fraction in [0, 1]`;
  if (!Array.isArray(o.curve) || !o.curve.every(isFiniteNumber)) return "`curve` is not a list of numbers";
  if (!isWhole(o.window, 1)) return "`window` is not a whole number ≥ 1";
  return undefined;
}

function progressProblem(p: unknown): string | undefined {
  if (typeof p !== "object" || p === null || Array.isArray(p)) return "not an object";
  const o = p as Record<string, unknown>;
  for (const k of ["step", "seen", "win_steps"])
    if (!isWhole(o[k], k === "win_steps" ? 0 : 1)) return `\`${k}\` is not a whole number`;
  if (!isWhole(o.correct, 0) || (o.correct as number) > (o.seen as number))
    return "`correct` is not a whole number ≤ `seen`";
  for (const k of ["loss_sum", "win_sum"]) if (!isFiniteNumber(o[k])) return `\`${k}\` is not a finite number`;
  if (!Array.isArray(o.curve) || !o.curve.every(isFiniteNumber)) return "`curve` is not a list of numbers";
  return undefined;
}

/** Reads the metadata of a checkpoint of `lift train`, field by field; errors name the file and the field. */
// long: one check per metadata field, in the order the fields are written.
export function decodeMetadata(
  meta: Record<string, string>,
  file: string,
): { run: RunInfo; legacyHistory: EpochRecord[] | null } {
  if (meta.format !== CHECKPOINT_FORMAT && meta.format !== LEGACY_FORMAT) {
    throw new LiftError(
      `${file}: not a checkpoint of \`lift train\` (metadata \`format\` is ${meta.format === undefined ? "missing" : shown(meta.format)})`,
      undefined,
      "only checkpoints written by `lift train` can be resumed; `lift predict` reads any weights file",
    );
  }
  const bad = (key: string, expected: string) =>
    new LiftError(
      `${file}: metadata \`${key}\` is ${meta[key] === undefined ? "missing" : shown(meta[key]!)}: expected ${expected}`,
      undefined,
      "the checkpoint was edited or damaged; resume from another one (epoch-K.safetensors)",
    );
  const whole = (key: string, min: number) => {
    const v = meta[key] ?? "";
    if (!WHOLE.test(v) || !isWhole(Number(v), min)) throw bad(key, `a whole number ≥ ${min}`);
    return Number(v);
  };
  const optionalWhole = (key: string) => (meta[key] === "" ? null : whole(key, 1));
  const json = (key: string, expected: string, ok: (v: unknown) => boolean): unknown => {
    let v: unknown;
    try {
      v = JSON.parse(meta[key] ?? "");
    } catch {
      throw bad(key, expected);
    }
    if (!ok(v)) throw bad(key, expected);
    return v;
  };
  const optimizer = meta.optimizer ?? "";
  if (!isOptimizer(optimizer)) throw bad("optimizer", `one of ${OPTIMIZERS.join(", ")}`);
  const lr = Number(meta.lr);
  if (!/^[0-9.eE+-]+$/.test(meta.lr ?? "") || !(lr > 0 && Number.isFinite(lr))) throw bad("lr", "a positive number");
  if (!/^[0-9a-f]{64}$/.test(meta.model_sha256 ?? ""))
    throw bad("model_sha256", "the SHA-256 of the model text, in hex");
  const progress =
    meta.epoch_progress === undefined
      ? null
      : (json(
          "epoch_progress",
          "the running figures of the interrupted epoch",
          (v) => progressProblem(v) === undefined,
        ) as EpochProgress);
  const run: RunInfo = {
    model: meta.model ?? "",
    model_sha256: meta.model_sha256!,
    epoch: whole("epoch", progress ? 0 : 1),
    global_step: whole("global_step", 1),
    seed: whole("seed", 0),
    optimizer,
    lr,
    batch: whole("batch", 1),
    train_images: whole("train_images", 1),
    test_images: whole("test_images", 1),
    limit_train: optionalWhole("limit_train"),
    limit_test: optionalWhole("limit_test"),
    class_names: json(
      "class_names",
      "a JSON list of class names (strings)",
      (v) => Array.isArray(v) && v.length >= 2 && v.every((x) => typeof x === "string"),
    ) as string[],
    progress,
  };
  if (run.global_step < run.epoch)
    throw bad("global_step", `at least one step per finished epoch (epoch is ${run.epoch})`);
  if (progress && progress.step > run.global_step)
    throw bad("epoch_progress", `no more steps in the epoch than \`global_step\` (${run.global_step})`);
  const legacyHistory =
    meta.format === LEGACY_FORMAT
      ? (json(
          "history",
          "a JSON list of epoch records",
          (v) => Array.isArray(v) && v.every((r) => epochRecordProblem(r) === undefined),
        ) as EpochRecord[])
      : null;
  return { run, legacyHistory };
}
