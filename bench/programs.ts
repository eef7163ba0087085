/**
 * The LiFT programs the benchmark measures, shared by the driver (compile statistics, cache
 * warm-up) and the workers (bench/lift_worker.ts), so both compile exactly the same thing with
 * the same options and the workers find the compiled unit in the cache.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { load, type LiftProgram } from "../src/api/program.js";
import type { CompileOptions } from "../src/compiler/compile.js";
import { loadModel, type ModelContract } from "../src/train/program.js";
import { splitPrograms } from "../src/train/split_step.js";

/** The repository root (this file runs from dist/bench/). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MODEL_PATH = fileURLToPath(new URL("../../examples/fashion-lenet.lift", import.meta.url));

export const TRAIN_OPTS: CompileOptions = { dtype: "f32", name: "bench_lenet_adam_step" };
/** The step as lift train runs it (src/train/threaded_step.ts): the gradient program, then the update. */
export const GRAD_OPTS: CompileOptions = { dtype: "f32", name: "bench_lenet_grad" };
export const UPDATE_OPTS: CompileOptions = { dtype: "f32", name: "bench_lenet_adam_update" };
export const INFER_OPTS: CompileOptions = { dtype: "f32", name: "bench_lenet_infer" };
export const matmulOpts = (n: number): CompileOptions => ({ dtype: "f32", name: `bench_matmul_${n}` });

/** The matrix product as the formula of the issue, n×n by n×n. */
export const matmulText = (n: number): string =>
  `A :: (in ${n} ${n})\nB :: (in ${n} ${n})\nC :: (out ${n} ${n})\nC := (((reduce 1 +)"2) (A (*"1 2) B))\n`;

export interface LenetPrograms {
  contract: ModelContract;
  /** Model + gradients + Adam update (src/train/program.ts's generated step). */
  training: LiftProgram;
  /** The model itself: Images, Labels, Scale in; Logits, Loss out. */
  inference: LiftProgram;
  /** The same step as two programs (src/train/split_step.ts): gradients, then Adam's update. */
  gradient: LiftProgram;
  update: LiftProgram;
}

export function lenet(): LenetPrograms {
  const text = readFileSync(MODEL_PATH, "utf8");
  const model = { name: "fashion-lenet.lift", text };
  const { contract, training, inference } = loadModel(model, "adam");
  const { gradient, update } = splitPrograms(model, contract, "adam");
  return { contract, training, inference, gradient, update };
}

export const matmul = (n: number): LiftProgram => load({ name: `matmul${n}.lift`, text: matmulText(n) });
