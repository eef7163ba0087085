/**
 * The demo in a real browser: `lift web` builds the site from the committed Fashion-MNIST slice,
 * the local server serves it, headless Chromium trains 300 steps at batch 32 through the page's
 * URL contract, and the figures in window.liftStatus are checked; a screenshot is kept.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb } from "../../src/web/build.js";
import { serveDir } from "../../src/web/serve.js";
import { launchChromium } from "./browser.js";
import { predict } from "../../src/train/predict.js";
import { loadMnistLike } from "../../src/train/mnist.js";

process.env.LIFT_CACHE ??= mkdtempSync(join(tmpdir(), "lift-cache-"));
const ROOT = join(import.meta.dirname, "../../..");

interface Status {
  step: number;
  loss: number | null;
  testAccuracy: number | null;
  imagesPerSecond: number | null;
  done: boolean;
  curve: number[];
  firstStepAt: number | null;
  error: string | null;
}

test("the demo trains in headless Chromium: 300 steps at batch 32, the loss falls, test accuracy > 0.6", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lift-web-"));
  const model = join(ROOT, "examples/fashion-lenet.lift");
  const built = await buildWeb({
    model: { name: model, text: readFileSync(model, "utf8") },
    outDir: dir,
    dataDir: join(ROOT, "test/data/fashion-small"),
  });
  assert.deepEqual([built.trainImages, built.testImages], [2000, 500]);
  const { server, url } = await serveDir(dir, 0);
  const browser = await launchChromium().catch((e) => {
    server.close();
    throw e;
  });
  try {
    const page = await browser.newPage();
    const offsite: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(url)) offsite.push(r.url());
    });
    const head = await page.goto(`${url}?steps=300&batch=32&seed=1`);
    assert.equal(head?.headers()["cross-origin-embedder-policy"], "require-corp");
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
    await page.waitForFunction(
      () => (window as unknown as { liftStatus?: Status }).liftStatus?.done === true,
      undefined,
      { timeout: 120_000 },
    );
    const s = await page.evaluate(() => (window as unknown as { liftStatus: Status }).liftStatus);
    assert.equal(s.error, null);
    assert.equal(s.step, 300);
    assert.ok(s.curve.length >= 50, `${s.curve.length} points on the loss curve`);
    assert.ok(s.curve[0]! > 2.0, `first window's loss ${s.curve[0]} (ln 10 = 2.30 for a fresh model)`);
    assert.ok(s.loss! < 0.8 * s.curve[0]!, `the loss fell only from ${s.curve[0]} to ${s.loss}`);
    assert.ok(s.testAccuracy! > 0.6, `test accuracy ${s.testAccuracy}`);
    assert.ok(s.imagesPerSecond! > 50, `${s.imagesPerSecond} images/s`);
    assert.equal(await page.locator("#grid figure.ok, #grid figure.bad").count(), 32);
    // Draw a stroke on the canvas: the page classifies it (five most likely classes).
    const box = (await page.locator("#draw").boundingBox())!;
    await page.mouse.move(box.x + 60, box.y + 40);
    await page.mouse.down();
    for (const [x, y] of [
      [60, 180],
      [110, 180],
      [112, 60],
      [160, 60],
      [162, 180],
    ])
      await page.mouse.move(box.x + x!, box.y + y!, { steps: 4 });
    await page.mouse.up();
    assert.equal(await page.locator("#probs div").count(), 5);
    // Save the weights: `lift predict` reads them and classifies the held-out slice as the page did.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
    const weights = join(dir, "web.safetensors");
    await download.saveAs(weights);
    const preds = await predict(model, weights, [join(ROOT, "test/data/fashion-small/t10k-images-idx3-ubyte.gz")]);
    const labels = (await loadMnistLike(join(ROOT, "test/data/fashion-small"))).test.labels;
    const accuracy = preds.filter((p, i) => p.class === labels[i]).length / preds.length;
    assert.ok(Math.abs(accuracy - s.testAccuracy!) <= 0.01, `lift predict: ${accuracy}, the page: ${s.testAccuracy}`);
    assert.deepEqual(offsite, []);
    await page.setViewportSize({ width: 1100, height: 900 });
    const shot = join(dir, "screenshot.png");
    await page.screenshot({ path: shot, fullPage: true });
    process.stderr.write(
      `browser test: ${Math.round(s.imagesPerSecond!)} images/s, test accuracy ${s.testAccuracy}, first step ${Math.round(s.firstStepAt!)} ms, screenshot ${shot}\n`,
    );
  } finally {
    await browser.close();
    server.close();
  }
});
