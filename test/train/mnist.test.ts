import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IdxError, writeIdx } from "../../src/train/idx.js";
import { DEFAULT_FASHION_MNIST_DIR, loadMnistLike } from "../../src/train/mnist.js";

const root = mkdtempSync(join(tmpdir(), "lift-mnist-"));
after(() => rmSync(root, { recursive: true, force: true }));

const ROWS = 4;
const COLS = 3;
const trainLabels = Uint8Array.from([9, 0, 0, 3, 0, 2]);
const testLabels = Uint8Array.from([5, 7]);
const pixels = (count: number) => new Uint8Array(count * ROWS * COLS).map((_, i) => (i * 51) % 256);

/** A data set directory in the MNIST layout; train files gzip-compressed, test files plain, as a mix. */
async function makeDataset(name: string, opts: { testLabels?: Uint8Array } = {}): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir);
  const labels = opts.testLabels ?? testLabels;
  await writeIdx(join(dir, "train-images-idx3-ubyte.gz"), "ubyte", [6, ROWS, COLS], pixels(6), { gzip: true });
  await writeIdx(join(dir, "train-labels-idx1-ubyte.gz"), "ubyte", [6], trainLabels, { gzip: true });
  await writeIdx(join(dir, "t10k-images-idx3-ubyte"), "ubyte", [2, ROWS, COLS], pixels(2));
  await writeIdx(join(dir, "t10k-labels-idx1-ubyte"), "ubyte", [labels.length], labels);
  return dir;
}

function assertIdxError(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof IdxError, `expected IdxError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  };
}

test("mnist default directory is where Debian installs Fashion-MNIST", () => {
  assert.equal(DEFAULT_FASHION_MNIST_DIR, "/usr/share/datasets/fashion-mnist");
});

test("mnist loads both splits, scaling pixels to [0, 1]", async () => {
  const dir = await makeDataset("ok");
  const { train, test: t } = await loadMnistLike(dir);
  assert.deepEqual([train.count, train.rows, train.cols], [6, ROWS, COLS]);
  assert.deepEqual([t.count, t.rows, t.cols], [2, ROWS, COLS]);
  assert.deepEqual(train.labels, trainLabels);
  assert.deepEqual(t.labels, testLabels);
  assert.ok(train.images instanceof Float32Array);
  assert.equal(train.images.length, 6 * ROWS * COLS);
  // Pixel i is (51 i) mod 256: 0, 51, 102, 153, 204, 255, 50, ...
  assert.deepEqual(
    Array.from(train.images.subarray(0, 7)),
    [0, 51, 102, 153, 204, 255, 50].map((p) => Math.fround(p / 255)),
  );
  assert.equal(train.images[5], 1);
  assert.ok(t.images.every((x) => x >= 0 && x <= 1));
});

test("mnist reports a missing directory with the Debian package to install", async () => {
  const dir = join(root, "absent");
  await assert.rejects(
    loadMnistLike(dir),
    assertIdxError(
      new RegExp(
        `^${dir}: data set directory does not exist\\. The Debian package dataset-fashion-mnist ` +
          "provides these files under /usr/share/datasets/fashion-mnist/",
      ),
    ),
  );
});

test("mnist names every missing file", async () => {
  const dir = await makeDataset("missing");
  await rm(join(dir, "train-labels-idx1-ubyte.gz"));
  await rm(join(dir, "t10k-images-idx3-ubyte"));
  await assert.rejects(
    loadMnistLike(dir),
    assertIdxError(
      /missing train-labels-idx1-ubyte\[\.gz\], t10k-images-idx3-ubyte\[\.gz\]\. The Debian package dataset-fashion-mnist/,
    ),
  );
});

test("mnist rejects a label count that differs from the image count", async () => {
  const dir = await makeDataset("count", { testLabels: Uint8Array.from([1, 2, 3]) });
  await assert.rejects(
    loadMnistLike(dir),
    assertIdxError(/t10k-labels-idx1-ubyte: has 3 labels but .*t10k-images-idx3-ubyte has 2 images/),
  );
});

test("mnist rejects a label that is not a class index", async () => {
  const dir = await makeDataset("label", { testLabels: Uint8Array.from([4, 10]) });
  await assert.rejects(
    loadMnistLike(dir),
    assertIdxError(/t10k-labels-idx1-ubyte: label 10 at index 1 is not below 10/),
  );
});

test("mnist rejects images that are not ubyte [count, rows, cols]", async () => {
  const dir = await makeDataset("shape");
  await writeIdx(join(dir, "t10k-images-idx3-ubyte"), "ubyte", [2, ROWS * COLS], pixels(2));
  await assert.rejects(
    loadMnistLike(dir),
    assertIdxError(/t10k-images-idx3-ubyte: expected ubyte images \[count, rows, cols\], got ubyte \[2, 12\]/),
  );
});

test("mnist rejects test images of another size than the train images", async () => {
  const dir = await makeDataset("size");
  await writeIdx(join(dir, "t10k-images-idx3-ubyte"), "ubyte", [2, COLS, ROWS], pixels(2));
  await assert.rejects(loadMnistLike(dir), assertIdxError(/t10k-images-idx3-ubyte: images are 3×4 but .* has 4×3/));
});
