/**
 * Makes the small Fashion-MNIST subset the test suite trains on (test/data/fashion-small/):
 * from the full IDX files, the first TRAIN_PER_CLASS training images of each class and the first
 * TEST_PER_CLASS test images of each class, kept in their original order, gzip-compressed.
 * Deterministic: the same source files give the same bytes.
 *
 *   node dist/scripts/make-subset.js [SRC_DIR] [OUT_DIR] [TRAIN_PER_CLASS] [TEST_PER_CLASS]
 *
 * Defaults: /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist),
 * test/data/fashion-small, 200, 50 (2,000 training and 500 test images).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeIdx } from "../src/train/idx.js";
import { DEFAULT_FASHION_MNIST_DIR, loadMnistLike, MNIST_FILES, type MnistSplit } from "../src/train/mnist.js";

/** Indices of the first `perClass` examples of each class, in file order. */
export function balancedIndices(labels: Uint8Array, perClass: number, classes = 10): number[] {
  const taken = new Array<number>(classes).fill(0);
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (taken[l]! < perClass) {
      taken[l]!++;
      out.push(i);
    }
  }
  const short = taken.findIndex((t) => t < perClass);
  if (short >= 0) throw new Error(`class ${short} has only ${taken[short]} examples, fewer than ${perClass}`);
  return out;
}

async function writeSplit(
  split: MnistSplit,
  indices: number[],
  dir: string,
  images: string,
  labels: string,
): Promise<void> {
  const px = split.rows * split.cols;
  const pixels = new Uint8Array(indices.length * px);
  indices.forEach((idx, k) => {
    for (let j = 0; j < px; j++) pixels[k * px + j] = Math.round(split.images[idx * px + j]! * 255);
  });
  const lab = Uint8Array.from(indices, (i) => split.labels[i]!);
  await writeIdx(join(dir, `${images}.gz`), "ubyte", [indices.length, split.rows, split.cols], pixels, { gzip: true });
  await writeIdx(join(dir, `${labels}.gz`), "ubyte", [indices.length], lab, { gzip: true });
}

async function main(): Promise<void> {
  const [src = DEFAULT_FASHION_MNIST_DIR, out = "test/data/fashion-small", trainPer = "200", testPer = "50"] =
    process.argv.slice(2);
  const data = await loadMnistLike(src);
  await mkdir(out, { recursive: true });
  const trainIdx = balancedIndices(data.train.labels, Number(trainPer));
  const testIdx = balancedIndices(data.test.labels, Number(testPer));
  await writeSplit(data.train, trainIdx, out, MNIST_FILES.trainImages, MNIST_FILES.trainLabels);
  await writeSplit(data.test, testIdx, out, MNIST_FILES.testImages, MNIST_FILES.testLabels);
  process.stderr.write(`${out}: ${trainIdx.length} training and ${testIdx.length} test images from ${src}\n`);
}

await main();
