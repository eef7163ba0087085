/**
 * examples/gan: the modules' gradients, driven as the example drives them, against central finite
 * differences (f64); and the example on the committed subset: the losses start where an untrained
 * pair must (2 ln 2 and ln 2) and move as the discriminator learns first, the quality figures are
 * consistent, and the report holds a sample grid per epoch.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runJsonExample } from "../helpers.js";
import { pathToFileURL } from "node:url";
import { Mulberry32 } from "../../src/train/init.js";
import { decodePng } from "../../src/train/png.js";

type T = { shape: number[]; data: Float64Array };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const nets: any = await import(pathToFileURL(join(process.cwd(), "examples", "gan", "nets.mjs")).href);

/** Central differences of `loss` in the coordinates `at` of `p`, against `grad` (relative to the largest). */
function checkFd(label: string, p: T, grad: ArrayLike<number>, at: number[], loss: () => number): void {
  const h = 1e-5;
  for (const i of at) {
    const x = p.data[i]!;
    p.data[i] = x + h;
    const up = loss();
    p.data[i] = x - h;
    const down = loss();
    p.data[i] = x;
    const fd = (up - down) / (2 * h);
    assert.ok(
      Math.abs(fd - grad[i]!) <= 1e-6 * Math.max(1e-3, Math.abs(fd)),
      `${label}[${i}]: backward ${grad[i]}, finite differences ${fd}`,
    );
  }
}

test("gan modules (C, f64): the discriminator's loss through D and Dx, and the generator's through Dx then G, equal finite differences", () => {
  const { G, D, Dx } = nets.modules({ dtype: "f64" });
  const P = nets.initParams(new Mulberry32(3), Float64Array);
  const rng = new Mulberry32(4);
  const z: T = nets.noise(rng, 2, Float64Array);
  const X: T = { shape: [4, 28, 28], data: Float64Array.from({ length: 4 * 784 }, () => rng.next()) };
  // D's loss on 2 real and 2 generated images (logistic, in JS), through the D module.
  const dLoss = () => nets.discriminatorLoss(D.forward({ X, ...P.D }).outputs.Logit.data, 2).loss;
  const d = D.forward({ X, ...P.D });
  const gD = D.backward(d.residuals, {
    Logit: { shape: [4], data: nets.discriminatorLoss(d.outputs.Logit.data, 2).d },
  });
  checkFd("dDW1", P.D.DW1, gD.DW1.data, [0, 1000, 123456], dLoss);
  checkFd("dDW2", P.D.DW2, gD.DW2.data, [0, 7, 255], dLoss);
  checkFd("dDB2", P.D.DB2, gD.DB2.data, [0], dLoss);
  // G's non-saturating loss: D's input gradient (Dx) is the cotangent of G's backward.
  const gLoss = () =>
    nets.generatorLoss(Dx.forward({ X: G.forward({ Z: z, ...P.G }).outputs.Images, ...P.D }).outputs.Logit.data).loss;
  const g = G.forward({ Z: z, ...P.G });
  const x = Dx.forward({ X: g.outputs.Images, ...P.D });
  const dX = Dx.backward(x.residuals, { Logit: { shape: [2], data: nets.generatorLoss(x.outputs.Logit.data).d } }).X;
  const gG = G.backward(g.residuals, { Images: dX });
  checkFd("dGW1", P.G.GW1, gG.GW1.data, [0, 5000, 16383], gLoss);
  checkFd("dGW2", P.G.GW2, gG.GW2.data, [0, 100000, 200703], gLoss);
  checkFd("dGB2", P.G.GB2, gG.GB2.data, [0, 400], gLoss);
});

test("examples/gan on test/data/fashion-small: losses start at 2 ln 2 and ln 2 and move; quality figures and the report", () => {
  const dir = mkdtempSync(join(tmpdir(), "lift-gan-"));
  const report = join(dir, "gan.html");
  const j = runJsonExample(join("examples", "gan", "gan.mjs"), [
    "--data",
    join("test", "data", "fashion-small"),
    "--epochs",
    "2",
    "--limit-train",
    "640",
    "--quality-samples",
    "300",
    "--classifier",
    join(dir, "lenet", "last.safetensors"),
    "--json",
    "--report",
    report,
  ]);
  assert.equal(j.example, "gan");
  assert.equal(j.classifier.trained, true);
  assert.ok(j.classifier.test_accuracy > 0.5, `the classifier learned: ${j.classifier.test_accuracy}`);
  assert.deepEqual(
    j.epochs_detail.map((e: { steps: number }) => e.steps),
    [10, 10],
  );
  const [e1, e2] = j.epochs_detail;
  // Untrained, every logit is small: D's loss is near 2 ln 2, G's near ln 2.
  assert.ok(Math.abs(e1.first_d_loss - 2 * Math.LN2) < 0.1, `first D loss ${e1.first_d_loss}`);
  assert.ok(Math.abs(e1.first_g_loss - Math.LN2) < 0.1, `first G loss ${e1.first_g_loss}`);
  // The discriminator learns first: its loss falls, the generator's rises.
  assert.ok(
    e2.d_loss < e1.d_loss && e1.d_loss < e1.first_d_loss,
    `D losses ${e1.first_d_loss} ${e1.d_loss} ${e2.d_loss}`,
  );
  assert.ok(e2.g_loss > e1.g_loss && e1.g_loss > Math.LN2, `G losses ${e1.g_loss} ${e2.g_loss}`);
  for (const q of [j.real_quality, e1.quality, e2.quality]) {
    assert.ok(Math.abs(q.class_shares.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-9, "the shares sum to 1");
    assert.ok(
      q.mean_top_probability > 0.1 && q.mean_top_probability <= 1,
      `mean top probability ${q.mean_top_probability}`,
    );
  }
  assert.ok(
    j.real_quality.mean_top_probability > e2.quality.mean_top_probability,
    "real images are classified more confidently than early samples",
  );
  assert.deepEqual(
    j.collapsed,
    ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"].filter(
      (_, c) => j.class_shares[c] < 0.02,
    ),
  );
  const html = readFileSync(report, "utf8");
  const grids = [...html.matchAll(/<img src="data:image\/png;base64,([^"]+)"/g)];
  assert.equal(grids.length, 2, "a grid of samples per epoch");
  const png = decodePng(Buffer.from(grids[1]![1]!, "base64"), "grid");
  assert.deepEqual([png.width, png.height], [240, 240], "8×8 samples of 28×28, 2 pixels apart");
  assert.ok(html.includes(e2.quality.mean_top_probability.toFixed(3)), "the report shows the quality figure");
});
