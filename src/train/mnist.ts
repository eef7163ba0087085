// MNIST-layout data sets (MNIST, Fashion-MNIST): four IDX files in one
// directory, images as ubyte [count, rows, cols], labels as ubyte [count].

import { stat } from "node:fs/promises";
import { join } from "node:path";
import { IdxError, readIdx } from "./idx.js";

/** Where Debian's `dataset-fashion-mnist` package installs the data set. */
export const DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

const NUM_CLASSES = 10;

const INSTALL_HINT =
  `The Debian package dataset-fashion-mnist provides these files under ${DEFAULT_FASHION_MNIST_DIR}/ ` +
  "(apt-get install dataset-fashion-mnist).";

export interface MnistSplit {
  /** count × rows × cols pixels, scaled from 0..255 to [0, 1]. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface MnistLike {
  train: MnistSplit;
  test: MnistSplit;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** The plain file if present, else the gzip one, else undefined. */
async function findFile(dir: string, base: string): Promise<string | undefined> {
  for (const name of [base, `${base}.gz`]) {
    if (await isFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function loadSplit(imagesPath: string, labelsPath: string): Promise<MnistSplit> {
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  if (images.type !== "ubyte" || images.dims.length !== 3) {
    throw new IdxError(
      imagesPath,
      `expected ubyte images [count, rows, cols], got ${images.type} [${images.dims.join(", ")}]`,
    );
  }
  if (labels.type !== "ubyte" || labels.dims.length !== 1) {
    throw new IdxError(labelsPath, `expected ubyte labels [count], got ${labels.type} [${labels.dims.join(", ")}]`);
  }
  const [count, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    throw new IdxError(labelsPath, `has ${labels.dims[0]} labels but ${imagesPath} has ${count} images`);
  }
  const labelData = labels.data as Uint8Array;
  const bad = labelData.findIndex((l) => l >= NUM_CLASSES);
  if (bad >= 0) {
    throw new IdxError(labelsPath, `label ${labelData[bad]} at index ${bad} is not below ${NUM_CLASSES}`);
  }
  const pixels = images.data as Uint8Array;
  const scaled = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) scaled[i] = pixels[i]! / 255;
  return { images: scaled, labels: labelData, count, rows, cols };
}

/**
 * Load the train and test splits of an MNIST-layout directory, each file
 * plain or gzip-compressed (`name` or `name.gz`).
 */
export async function loadMnistLike(dir: string = DEFAULT_FASHION_MNIST_DIR): Promise<MnistLike> {
  const st = await stat(dir).catch(() => undefined);
  if (st === undefined) throw new IdxError(dir, `data set directory does not exist. ${INSTALL_HINT}`);
  if (!st.isDirectory()) throw new IdxError(dir, `is not a directory. ${INSTALL_HINT}`);

  const keys = Object.keys(MNIST_FILES) as (keyof typeof MNIST_FILES)[];
  const found = await Promise.all(keys.map((k) => findFile(dir, MNIST_FILES[k])));
  const missing = keys.filter((_, i) => found[i] === undefined).map((k) => `${MNIST_FILES[k]}[.gz]`);
  if (missing.length > 0) throw new IdxError(dir, `missing ${missing.join(", ")}. ${INSTALL_HINT}`);
  const path = Object.fromEntries(keys.map((k, i) => [k, found[i]!])) as Record<keyof typeof MNIST_FILES, string>;

  const [train, test] = await Promise.all([
    loadSplit(path.trainImages, path.trainLabels),
    loadSplit(path.testImages, path.testLabels),
  ]);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new IdxError(
      path.testImages,
      `images are ${test.rows}×${test.cols} but ${path.trainImages} has ${train.rows}×${train.cols}`,
    );
  }
  return { train, test };
}
