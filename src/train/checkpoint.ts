// Checkpoints of `lift train`: safetensors files holding every param under its
// own name (F32, the model's shape), the optimizer state under `P.<suffix>`
// (P.m and P.s for Adam, P.v for SGD, P.eg and P.ed for AdaDelta), and string
// metadata describing the run (runinfo.ts), so that `--resume` can continue it
// exactly. The history is not in them (history.jsonl beside them, rundir.ts),
// so a checkpoint's size does not grow with the epoch.

import { createHash } from "node:crypto";
import { LiftError } from "../lang/diagnostics.js";
import type { ParamInfo } from "./program.js";
import { STATE_SUFFIXES, type ModelContract, type OptimizerName } from "./program.js";
import { decodeMetadata, encodeMetadata, type EpochRecord, type RunInfo } from "./runinfo.js";
import { readSafetensors, SafetensorsError, writeSafetensors, type Tensor } from "./safetensors.js";

export { CHECKPOINT_FORMAT, type EpochProgress, type EpochRecord, type RunInfo } from "./runinfo.js";

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function checkpointTensors(
  params: readonly ParamInfo[],
  values: Record<string, Float32Array>,
  optimizer: OptimizerName,
): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const p of params) {
    tensors[p.name] = { dtype: "F32", shape: p.shape, data: values[p.name]! };
    for (const s of STATE_SUFFIXES[optimizer])
      tensors[`${p.name}.${s}`] = { dtype: "F32", shape: p.shape, data: values[`${p.name}.${s}`]! };
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

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
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
    else if (!sameShape(t.shape, p.shape))
      problems.push(`\`${p.name}\` is ${shapeText(t.shape)}, the model declares ${shapeText(p.shape)}`);
  }
  const foreign = Object.keys(file.tensors).filter((n) => !names.has(n) && !names.has(n.slice(0, n.lastIndexOf("."))));
  if (foreign.length > 0)
    problems.push(
      `tensors the model does not declare: ${foreign
        .slice(0, 8)
        .map((n) => `\`${n}\``)
        .join(", ")}${foreign.length > 8 ? ", …" : ""}`,
    );
  if (problems.length > 0) {
    const from = file.metadata.model ? ` (it was written for ${file.metadata.model})` : "";
    throw new LiftError(
      `${path} does not hold the weights of ${contract.file}${from}: ${problems.join("; ")}`,
      undefined,
      "pass weights written by `lift train` for this model",
    );
  }
  return file;
}

/** The first NaN or ±Inf of a tensor, as "NaN at index 17", or undefined when every value is finite. */
function nonFinite(data: Float32Array): string | undefined {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return `${data[i]} at index ${i}`;
  return undefined;
}

/** Refuses NaN or infinite values in `names`: they would only ever give NaN predictions or losses. */
function checkFinite(path: string, tensors: Record<string, Tensor>, names: string[], use: string): void {
  for (const name of names) {
    const bad = nonFinite(tensors[name]!.data as Float32Array);
    if (bad) {
      throw new LiftError(
        `${path}: tensor \`${name}\` holds ${bad} (of ${tensors[name]!.data.length}), so it cannot be used ${use}`,
        undefined,
        "the run that wrote it diverged or the file is damaged; use an earlier checkpoint (epoch-K.safetensors)",
      );
    }
  }
}

/** Reads the weights for `lift predict`: readWeights, and every param finite. */
export async function readPredictWeights(
  path: string,
  contract: ModelContract,
): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  const file = await readWeights(path, contract);
  checkFinite(
    path,
    file.tensors,
    contract.params.map((p) => p.name),
    "to predict",
  );
  return file;
}

export interface Resumable {
  values: Record<string, Float32Array>;
  run: RunInfo;
  /** the history a lift-train/1 checkpoint carries inside; null for /2, whose history is in history.jsonl */
  legacyHistory: EpochRecord[] | null;
}

/** Reads a checkpoint to resume from: the weights, the optimizer state, and the run's metadata. */
export async function readCheckpoint(path: string, contract: ModelContract): Promise<Resumable> {
  const { tensors, metadata } = await readWeights(path, contract);
  const { run, legacyHistory } = decodeMetadata(metadata, path);
  const values: Record<string, Float32Array> = {};
  for (const p of contract.params) {
    values[p.name] = tensors[p.name]!.data as Float32Array;
    for (const s of STATE_SUFFIXES[run.optimizer]) {
      const name = `${p.name}.${s}`;
      const t = tensors[name];
      if (!t || t.dtype !== "F32" || !sameShape(t.shape, p.shape)) {
        throw new LiftError(
          `${path}: the ${run.optimizer} state \`${name}\` is missing or malformed, so the run cannot be resumed`,
        );
      }
      values[name] = t.data as Float32Array;
    }
  }
  checkFinite(path, tensors, Object.keys(values), "to resume");
  return { values, run, legacyHistory };
}
