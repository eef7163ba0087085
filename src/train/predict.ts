// Inference for `lift predict`: a trained model's top class for each image of
// IDX files or PNGs, with its softmax probability.

import { readFile } from "node:fs/promises";
import { load, type SourceText } from "../api/program.js";
import { readText } from "../lang/files.js";
import { LiftError } from "../lang/diagnostics.js";
import { readPredictWeights } from "./checkpoint.js";
import { classNamesFor } from "./classes.js";
import { IdxError, readIdx } from "./idx.js";
import { DEFAULT_FASHION_MNIST_DIR, type MnistSplit } from "./mnist.js";
import { decodePng, PngError, toGray } from "./png.js";
import { checkContract, type ModelContract } from "./program.js";
import { cIdent, evaluate, modelBaseName } from "./trainer.js";

export interface Prediction {
  /** the file, and the image's index in it (0 for a PNG) */
  source: string;
  index: number;
  class: number;
  label: string;
  probability: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

/** Reads images as gray levels in [0, 1], each rows × cols, from IDX files (ubyte) or PNGs. */
export async function readImages(
  paths: string[],
  c: ModelContract,
): Promise<{ images: Float32Array; sources: { source: string; index: number }[] }> {
  const px = c.rows * c.cols;
  const parts: Float32Array[] = [];
  const sources: { source: string; index: number }[] = [];
  const need = `${c.file} takes ${c.rows}×${c.cols} images (Images is declared (${c.batchSize} ${c.rows} ${c.cols}))`;
  for (const path of paths) {
    let head: Buffer;
    try {
      head = await readFile(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new LiftError(code === "ENOENT" ? `${path}: no such file` : `${path}: cannot read (${code ?? String(e)})`);
    }
    if (PNG_SIGNATURE.every((b, i) => head[i] === b)) {
      let gray: Float32Array;
      try {
        const img = decodePng(head, path);
        if (img.height !== c.rows || img.width !== c.cols) {
          throw new LiftError(`${path}: the image is ${img.width}×${img.height} pixels; ${need}, so resize it first`);
        }
        gray = toGray(img);
      } catch (e) {
        if (e instanceof PngError) throw new LiftError(e.message);
        throw e;
      }
      parts.push(gray);
      sources.push({ source: path, index: 0 });
      continue;
    }
    let t;
    try {
      t = await readIdx(path);
    } catch (e) {
      if (e instanceof IdxError) throw new LiftError(`${e.message} (expected an IDX images file or a PNG)`);
      throw e;
    }
    const dims = t.dims.length === 2 ? [1, ...t.dims] : t.dims;
    if (t.type !== "ubyte" || dims.length !== 3) {
      throw new LiftError(`${path}: expected ubyte images [count, rows, cols], got ${t.type} [${t.dims.join(", ")}]`);
    }
    if (dims[1] !== c.rows || dims[2] !== c.cols)
      throw new LiftError(`${path}: the images are ${dims[1]}×${dims[2]}; ${need}`);
    if (dims[0] === 0)
      throw new LiftError(
        `${path}: the file holds no images (its count is 0)`,
        undefined,
        "pass a file with at least one image",
      );
    const bytes = t.data as Uint8Array;
    const f = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) f[i] = bytes[i]! / 255;
    parts.push(f);
    for (let i = 0; i < dims[0]!; i++) sources.push({ source: path, index: i });
  }
  const images = new Float32Array(sources.length * px);
  let at = 0;
  for (const p of parts) {
    images.set(p, at);
    at += p.length;
  }
  return { images, sources };
}

/** Loads a model and its weights, and predicts the class of every image. */
export async function predict(
  model: string | SourceText,
  weightsPath: string,
  imagePaths: string[],
): Promise<Prediction[]> {
  const src = typeof model === "string" ? { name: model, text: readText(model) } : model;
  const program = load([src]);
  const c = checkContract(program, src.name);
  const { tensors, metadata } = await readPredictWeights(weightsPath, c);
  const { images, sources } = await readImages(imagePaths, c);
  if (sources.length === 0) throw new LiftError("no images given");
  let names: string[] | undefined;
  try {
    const n = JSON.parse(metadata.class_names ?? "null") as unknown;
    if (Array.isArray(n) && n.length === c.classes && n.every((x) => typeof x === "string")) names = n as string[];
  } catch {
    /* fall back below */
  }
  names ??= classNamesFor(DEFAULT_FASHION_MNIST_DIR, c.classes);
  const params = Object.fromEntries(c.params.map((p) => [p.name, tensors[p.name]!.data as Float32Array]));
  const module = program.compile({ dtype: "f32", name: `${cIdent(modelBaseName(src.name))}_infer` });
  const split: MnistSplit = {
    images,
    labels: new Uint8Array(sources.length),
    count: sources.length,
    rows: c.rows,
    cols: c.cols,
  };
  const r = evaluate(module, c, params, split);
  return sources.map((s, i) => ({
    ...s,
    class: r.predicted[i]!,
    label: names![r.predicted[i]!]!,
    probability: r.probability[i]!,
  }));
}
