/**
 * `lift web MODEL -o DIR`: a static site that trains MODEL in the browser. DIR gets the training
 * step (as `lift train` builds it: src/train/program.ts, Adam) and the inference program as wasm,
 * a slice of an MNIST-layout data set as raw bytes, the page (src/web/page/), the wasm host and
 * src/train/init.ts's compiled JavaScript, so the page initialises and shuffles exactly as
 * `lift train` does. Nothing is fetched from anywhere but DIR.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { SourceText } from "../api/program.js";
import { LiftError } from "../lang/diagnostics.js";
import { sha256 } from "../train/checkpoint.js";
import { classNamesFor } from "../train/classes.js";
import { DEFAULT_FASHION_MNIST_DIR, type MnistSplit } from "../train/mnist.js";
import { DEFAULT_LR, loadModel, namesFor } from "../train/program.js";
import { cIdent, loadData, modelBaseName } from "../train/trainer.js";
import { HOST_FILE, hostSource } from "../runtime/wasm_emit.js";

export interface WebOptions {
  model: SourceText;
  outDir: string;
  dataDir?: string;
  /** Training and test images in the slice (default 6000 and 1000, or all there are). */
  trainImages?: number;
  testImages?: number;
}

export interface WebBuild {
  files: string[];
  trainImages: number;
  testImages: number;
  dataDir: string;
  wasmBytes: number;
}

const PAGE_DIR = new URL("../../../src/web/page/", import.meta.url);
export const PAGE_FILES = ["index.html", "app.js", "train.js", "plot.js", "safetensors.js"];

/** A compiled module's JavaScript, without its source-map comment (the map is not shipped). */
const standalone = (url: URL) => readFileSync(url, "utf8").replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n");

/** Pixels back to bytes (the loader scaled them to [0, 1]), `count` images from the start. */
const pixelBytes = (s: MnistSplit, count: number) =>
  Uint8Array.from(s.images.subarray(0, count * s.rows * s.cols), (x) => Math.round(x * 255));

export async function buildWeb(opts: WebOptions): Promise<WebBuild> {
  const programs = loadModel(opts.model, "adam");
  const c = programs.contract;
  const dataDir = opts.dataDir ?? DEFAULT_FASHION_MNIST_DIR;
  const data = await loadData(dataDir);
  for (const [what, s] of [
    ["training", data.train],
    ["test", data.test],
  ] as const)
    if (s.rows !== c.rows || s.cols !== c.cols)
      throw new LiftError(
        `the ${what} images in ${dataDir} are ${s.rows}×${s.cols}, but ${c.file} declares Images (${c.batchSize} ${c.rows} ${c.cols})`,
      );
  const nTrain = Math.min(opts.trainImages ?? 6000, data.train.count);
  const nTest = Math.min(opts.testImages ?? 1000, data.test.count);

  const base = cIdent(modelBaseName(opts.model.name));
  const step = programs.training.compile({ backend: "wasm", dtype: "f32", name: `${base}_adam_step`, openmp: false });
  const infer = programs.inference.compile({ backend: "wasm", dtype: "f32", name: `${base}_infer`, openmp: false });

  const out = opts.outDir;
  mkdirSync(out, { recursive: true });
  const files: Record<string, string | Uint8Array> = {
    "train_step.wasm": step.build.bytes,
    "infer.wasm": infer.build.bytes,
    "train-images.u8": pixelBytes(data.train, nTrain),
    "train-labels.u8": data.train.labels.subarray(0, nTrain),
    "test-images.u8": pixelBytes(data.test, nTest),
    "test-labels.u8": data.test.labels.subarray(0, nTest),
    [HOST_FILE]: hostSource(),
    "init.js": standalone(new URL("../train/init.js", import.meta.url)),
    "model.json": JSON.stringify(
      {
        model: basename(opts.model.name),
        modelSha256: sha256(opts.model.text),
        contract: { batchSize: c.batchSize, rows: c.rows, cols: c.cols, classes: c.classes, params: c.params },
        optimizer: "adam",
        lr: DEFAULT_LR.adam,
        names: Object.fromEntries(c.params.map((p) => [p.name, namesFor(p.name, "adam")])),
        train: { meta: step.host.meta, count: nTrain },
        test: { count: nTest },
        infer: { meta: infer.host.meta },
        classNames: classNamesFor(dataDir, c.classes),
        dataDir,
      },
      null,
      1,
    ),
  };
  for (const f of PAGE_FILES) files[f] = readFileSync(new URL(f, PAGE_DIR));
  for (const [f, content] of Object.entries(files)) writeFileSync(join(out, f), content);
  return {
    files: Object.keys(files),
    trainImages: nTrain,
    testImages: nTest,
    dataDir,
    wasmBytes: step.build.bytes.length + infer.build.bytes.length,
  };
}
