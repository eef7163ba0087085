/** The training loop through the compiled step, on the committed Fashion-MNIST subset. */
import { LENET, SUBSET_DIR } from "./cache.js";
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadData, train } from "../../src/train/trainer.js";

const dir = mkdtempSync(join(tmpdir(), "lift-trainer-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = await loadData(SUBSET_DIR);

test("the committed subset: 2,000 training and 500 test images, 10 balanced classes", () => {
  assert.equal(data.train.count, 2000);
  assert.equal(data.test.count, 500);
  for (const split of [data.train, data.test]) {
    const counts = new Array(10).fill(0);
    for (const l of split.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(split.count / 10));
  }
});

test("a short run (252 steps of 32 images) lowers the loss and beats 70% test accuracy", async () => {
  const out = join(dir, "short");
  const t0 = performance.now();
  const r = await train({ model: LENET, data, dataDir: SUBSET_DIR, epochs: 4, batch: 32, outDir: out, stderr: null });
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(r.steps, 4 * 63);
  assert.equal(r.epochs, 4);
  const curve = r.history.flatMap((e) => e.curve);
  const first = curve.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
  const last = curve.slice(-5).reduce((a, b) => a + b, 0) / 5;
  assert.ok(last < 0.5 * first, `training loss fell from ${first} to ${last}`);
  assert.ok(r.history[3]!.train_loss < r.history[0]!.train_loss);
  assert.ok(r.test_accuracy > 0.7, `test accuracy ${r.test_accuracy}`);
  assert.equal(
    r.confusion.flat().reduce((a, b) => a + b, 0),
    500,
  );
  for (const f of ["epoch-1.safetensors", "epoch-4.safetensors", "last.safetensors", "report.html"])
    assert.ok(existsSync(join(out, f)), f);
  const html = readFileSync(join(out, "report.html"), "utf8");
  assert.match(html, /<svg[^>]*aria-label="Loss"/);
  assert.match(html, /<svg[^>]*aria-label="Accuracy"/);
  assert.ok((html.match(/src="data:image\/png;base64,/g) ?? []).length >= 60, "a grid of test images");
  assert.match(html, /Ankle boot/);
  process.stderr.write(
    `# short run: ${seconds.toFixed(1)} s, ${Math.round(r.images_per_s)} images/s (step alone ${Math.round(r.step_images_per_s)}), test accuracy ${(100 * r.test_accuracy).toFixed(1)}%\n`,
  );
});

test("the same seed gives bit-identical weights; another seed does not", async () => {
  const run = (seed: number) =>
    train({
      model: LENET,
      data,
      dataDir: SUBSET_DIR,
      epochs: 1,
      batch: 32,
      limitTrain: 200,
      limitTest: 100,
      seed,
      checkpoints: false,
      report: false,
      stderr: null,
    });
  const [a, b, c] = [await run(11), await run(11), await run(12)];
  const bytes = (v: Record<string, Float32Array>) =>
    Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("hex")]),
    );
  assert.deepEqual(Object.keys(a.values).sort(), [
    "B",
    "B.m",
    "B.s",
    "B1",
    "B1.m",
    "B1.s",
    "B2",
    "B2.m",
    "B2.s",
    "K1",
    "K1.m",
    "K1.s",
    "K2",
    "K2.m",
    "K2.s",
    "W",
    "W.m",
    "W.s",
  ]);
  assert.deepEqual(bytes(a.values), bytes(b.values));
  assert.deepEqual(a.history, b.history);
  assert.notDeepEqual(bytes(a.values).K1, bytes(c.values).K1);
});

test("progress: a line every interval when not a terminal, one rewritten line on a terminal", async () => {
  const lines: string[] = [];
  const tty: string[] = [];
  const opts = {
    model: LENET,
    data,
    dataDir: SUBSET_DIR,
    epochs: 1,
    batch: 50,
    limitTrain: 150,
    limitTest: 50,
    checkpoints: false,
    report: false,
    progressInterval: 0,
  };
  await train({ ...opts, stderr: { write: (s: string) => lines.push(s) } });
  await train({ ...opts, stderr: { write: (s: string) => tty.push(s), isTTY: true, columns: 200 } });
  const text = lines.join("");
  assert.match(text, /^training fashion-lenet\.lift on 150 images/m);
  assert.match(text, /^epoch 1\/1 \[#+\] 3\/3  step 3  \d+ img\/s  loss \d+\.\d{4}  ETA \d+s$/m);
  assert.match(text, /^epoch 1\/1: train loss \d\.\d{4}, accuracy [\d.]+% \| test loss [\d.]+, accuracy [\d.]+% \|/m);
  assert.match(text, /^confusion matrix on 50 test images/m);
  assert.match(text, /^T-shirt\/top +\d+/m);
  assert.ok(!text.includes("\r"));
  assert.ok(tty.join("").includes("\r"), "a terminal gets \\r updates");
});

test("training data and batch sizes are checked", async () => {
  await assert.rejects(
    train({
      model: LENET,
      data,
      dataDir: SUBSET_DIR,
      batch: 300,
      limitTrain: 256,
      stderr: null,
      checkpoints: false,
      report: false,
    }),
    /--batch 300 is larger than the 256 training images \(--limit-train 256\)/,
  );
  await assert.rejects(
    train({ model: LENET, data, dataDir: SUBSET_DIR, batch: 0, stderr: null }),
    /--batch must be a whole number ≥ 1/,
  );
});
