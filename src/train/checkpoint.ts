// Checkpoints of `lift train`: safetensors files holding every param under its
// own name (F32, the model's shape), the optimizer state under `P.<suffix>`
// (P.m and P.s for Adam, P.v for SGD, P.eg and P.ed for AdaDelta), and string
// metadata describing the run, so that `--resume` can continue it exactly.

import { createHash } from "node:crypto";
import { LiftError } from "../lang/diagnostics.js";
import { VERSION } from "../version.js";
import type { ParamInfo } from "./program.js";
import { isOptimizer, STATE_SUFFIXES, type ModelContract, type OptimizerName } from "./program.js";
import { readSafetensors, SafetensorsError, writeSafetensors, type Tensor } from "./safetensors.js";

export const CHECKPOINT_FORMAT = "lift-train/1";

/** One epoch's figures, kept in every checkpoint so a resumed run's report has the whole history. */
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

/** What a checkpoint says about the run that wrote it. */
export interface RunInfo {
  model: string;
  model_sha256: string;
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
  history: EpochRecord[];
}

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function encodeMetadata(run: RunInfo): Record<string, string> {
  return {
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
    history: JSON.stringify(run.history),
  };
}

function decodeMetadata(meta: Record<string, string>, file: string): RunInfo {
  const bad = (key: string) => new LiftError(`${file}: not a checkpoint of \`lift train\` (metadata \`${key}\` is missing or malformed)`);
  if (meta.format !== CHECKPOINT_FORMAT) throw bad("format");
  const int = (key: string) => {
    const v = Number(meta[key]);
    if (meta[key] === undefined || meta[key] === "" || !Number.isSafeInteger(v)) throw bad(key);
    return v;
  };
  const optInt = (key: string) => (meta[key] === "" ? null : int(key));
  const json = <T>(key: string): T => {
    try {
      return JSON.parse(meta[key] ?? "") as T;
    } catch {
      throw bad(key);
    }
  };
  const optimizer = meta.optimizer ?? "";
  if (!isOptimizer(optimizer)) throw bad("optimizer");
  const lr = Number(meta.lr);
  if (!(lr > 0)) throw bad("lr");
  return {
    model: meta.model ?? "",
    model_sha256: meta.model_sha256 ?? "",
    epoch: int("epoch"),
    global_step: int("global_step"),
    seed: int("seed"),
    optimizer,
    lr,
    batch: int("batch"),
    train_images: int("train_images"),
    test_images: int("test_images"),
    limit_train: optInt("limit_train"),
    limit_test: optInt("limit_test"),
    class_names: json<string[]>("class_names"),
    history: json<EpochRecord[]>("history"),
  };
}

export function checkpointTensors(
  params: readonly ParamInfo[],
  values: Record<string, Float32Array>,
  optimizer: OptimizerName,
): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const p of params) {
    tensors[p.name] = { dtype: "F32", shape: p.shape, data: values[p.name]! };
    for (const s of STATE_SUFFIXES[optimizer]) tensors[`${p.name}.${s}`] = { dtype: "F32", shape: p.shape, data: values[`${p.name}.${s}`]! };
  }
  return tensors;
}

export async function writeCheckpoint(
  path: string,
  params: readonly ParamInfo[],
  values: Record<string, Float32Array>,
  run: RunInfo,
): Promise<void> {
  await writeSafetensors(path, checkpointTensors(params, values, run.optimizer), encodeMetadata(run));
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const shapeText = (s: readonly number[]) => `(${s.join(" ")})`;

/**
 * Reads a weights file for `contract`'s model: every param must be there as F32 with the
 * model's shape. Tensors `P.<suffix>` of a param P (optimizer state) may be present; any other
 * tensor means the file belongs to another model. Errors are LiftErrors naming both files.
 */
export async function readWeights(
  path: string,
  contract: ModelContract,
): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  let file;
  try {
    file = await readSafetensors(path);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new LiftError(`${e.file}: not a valid safetensors file: ${e.problem}`);
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") throw new LiftError(`${path}: no such file`);
    if (err.code === "EISDIR") throw new LiftError(`${path}: is a directory`);
    throw new LiftError(`${path}: cannot read (${err.code ?? err.message})`);
  }
  const problems: string[] = [];
  const names = new Set(contract.params.map((p) => p.name));
  for (const p of contract.params) {
    const t = file.tensors[p.name];
    if (!t) problems.push(`no tensor \`${p.name}\``);
    else if (t.dtype !== "F32") problems.push(`\`${p.name}\` is ${t.dtype}, not F32`);
    else if (!sameShape(t.shape, p.shape)) problems.push(`\`${p.name}\` is ${shapeText(t.shape)}, the model declares ${shapeText(p.shape)}`);
  }
  const foreign = Object.keys(file.tensors).filter((n) => !names.has(n) && !names.has(n.slice(0, n.lastIndexOf("."))));
  if (foreign.length > 0) problems.push(`tensors the model does not declare: ${foreign.slice(0, 8).map((n) => `\`${n}\``).join(", ")}${foreign.length > 8 ? ", …" : ""}`);
  if (problems.length > 0) {
    const from = file.metadata.model ? ` (it was written for ${file.metadata.model})` : "";
    throw new LiftError(`${path} does not hold the weights of ${contract.file}${from}: ${problems.join("; ")}`, undefined,
      "pass weights written by `lift train` for this model");
  }
  return file;
}

/** Reads a checkpoint to resume from: the weights, the optimizer state, and the run's metadata. */
export async function readCheckpoint(
  path: string,
  contract: ModelContract,
): Promise<{ values: Record<string, Float32Array>; run: RunInfo }> {
  const { tensors, metadata } = await readWeights(path, contract);
  const run = decodeMetadata(metadata, path);
  const values: Record<string, Float32Array> = {};
  for (const p of contract.params) {
    values[p.name] = tensors[p.name]!.data as Float32Array;
    for (const s of STATE_SUFFIXES[run.optimizer]) {
      const name = `${p.name}.${s}`;
      const t = tensors[name];
      if (!t || t.dtype !== "F32" || !sameShape(t.shape, p.shape)) {
        throw new LiftError(`${path}: the ${run.optimizer} state \`${name}\` is missing or malformed, so the run cannot be resumed`);
      }
      values[name] = t.data as Float32Array;
    }
  }
  return { values, run };
}
