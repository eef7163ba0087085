#!/usr/bin/env node
/**
 * A GAN on Fashion-MNIST whose two players are compiled LiFT modules (nets.mjs) and whose
 * training loop is this file: each step updates the discriminator on a batch of real and
 * generated images, then the generator through the discriminator — the gradient of the
 * generator's loss with respect to the generated images (the Dx module's backward) is the
 * cotangent of the generator's backward. Quality: a LeNet classifier trained by `lift train`
 * (quality.mjs). bench/peers/torch_gan.py is the same GAN in PyTorch.
 *
 *   node examples/gan/gan.mjs [--data DIR] [--epochs 1] [--report gan.html] [--json]
 */
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_FASHION_MNIST_DIR, loadMnistLike } from "../../dist/src/train/mnist.js";
import { Mulberry32 } from "../../dist/src/train/init.js";
import { Adam, discriminatorLoss, generatorLoss, initParams, modules, noise } from "./nets.mjs";
import { classifierCheckpoint, loadClassifier, quality } from "./quality.mjs";
import { CLASSES, COLLAPSED, gridPng, writeReport } from "./report.mjs";

const { values: opt } = parseArgs({ options: {
  data: { type: "string", default: DEFAULT_FASHION_MNIST_DIR }, epochs: { type: "string", default: "1" },
  "limit-train": { type: "string" }, batch: { type: "string", default: "64" }, lr: { type: "string", default: "2e-4" },
  seed: { type: "string", default: "1" }, classifier: { type: "string" }, "classifier-epochs": { type: "string", default: "1" },
  "quality-samples": { type: "string", default: "1000" }, openmp: { type: "boolean" }, residuals: { type: "string", default: "cost" },
  report: { type: "string" }, json: { type: "boolean" } } });
const epochs = Number(opt.epochs), B = Number(opt.batch), lr = Number(opt.lr), seed = Number(opt.seed);
const log = (s) => { if (!opt.json) console.error(s); };

/** A batch of real images: the rows `order[b … b+n)` of the split. */
function realBatch(split, order, b, n) {
  const data = new Float32Array(2 * n * 784);
  for (let i = 0; i < n; i++) data.set(split.images.subarray(order[b + i] * 784, (order[b + i] + 1) * 784), i * 784);
  return data;                                        // the second half is for the generated images
}

/** One step: the discriminator's update, then the generator's through the discriminator. */
function step(mods, P, opt, X, n, rng) {
  const g = mods.G.forward({ Z: noise(rng, n), ...P.G });
  X.set(g.outputs.Images.data, n * 784);
  const d = mods.D.forward({ X: { shape: [2 * n, 28, 28], data: X }, ...P.D });
  const dl = discriminatorLoss(d.outputs.Logit.data, n);
  opt.D.step(mods.D.backward(d.residuals, { Logit: { shape: [2 * n], data: dl.d } }));
  const x = mods.Dx.forward({ X: g.outputs.Images, ...P.D });
  const gl = generatorLoss(x.outputs.Logit.data);
  const dX = mods.Dx.backward(x.residuals, { Logit: { shape: [n], data: gl.d } }).X;
  opt.G.step(mods.G.backward(g.residuals, { Images: dX }));
  return { d: dl.loss, g: gl.loss };
}

function trainEpoch(mods, P, opt, split, count, rng) {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) { const j = Math.floor(rng.next() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
  const X = new Float32Array(2 * B * 784);
  let d = 0, g = 0, steps = 0, first;
  for (let b = 0; b + B <= count; b += B, steps++) {
    X.set(realBatch(split, order, b, B).subarray(0, B * 784));
    const l = step(mods, P, opt, X, B, rng);
    first ??= l;
    d += l.d; g += l.g;
  }
  return { d_loss: d / steps, g_loss: g / steps, steps, first };
}

/** Images from fixed noise: the first 64 for the grid, all for the quality figure. */
function generate(G, P, z) {
  const out = new Float32Array(z.shape[0] * 784);
  for (let b = 0; b < z.shape[0]; b += 256) {
    const n = Math.min(256, z.shape[0] - b);
    out.set(G.forward({ Z: { shape: [n, 64], data: z.data.subarray(b * 64, (b + n) * 64) }, ...P.G }).outputs.Images.data, b * 784);
  }
  return out;
}

const data = await loadMnistLike(opt.data);
const count = Math.min(data.train.count, Number(opt["limit-train"] ?? data.train.count));
const ckptPath = resolve(opt.classifier ?? join("runs", `gan-classifier-${basename(resolve(opt.data))}`, "last.safetensors"));
const classifier = classifierCheckpoint(ckptPath, opt.data, Number(opt["classifier-epochs"]), log);
const lenet = await loadClassifier(classifier.path);
const samples = Number(opt["quality-samples"]);
const real_quality = quality(lenet, data.test.images, Math.min(samples, data.test.count));

const t0 = performance.now();
const mods = modules({ residuals: { policy: opt.residuals }, openmp: opt.openmp });
const P = initParams(new Mulberry32(seed + 7));
const optim = { G: new Adam(P.G, { lr }), D: new Adam(P.D, { lr }) };
const fixed = noise(new Mulberry32(seed + 99), samples);
const rng = new Mulberry32(seed), grids = [], detail = [];
// The first epoch includes compiling the three modules (unless cached): with more than one epoch,
// the per-epoch figures leave it out.
for (let e = 1; e <= epochs; e++) {
  const te = performance.now(), ce = process.cpuUsage();
  const r = trainEpoch(mods, P, optim, data.train, count, rng);
  const seconds = (performance.now() - te) / 1000, cpu = process.cpuUsage(ce), cpu_seconds = (cpu.user + cpu.system) / 1e6;
  const images = generate(mods.G, P, fixed);
  grids.push(gridPng(images, 8, 8));
  const q = quality(lenet, images, samples);
  const collapsed = CLASSES.filter((_, c) => q.class_shares[c] < COLLAPSED);
  detail.push({ epoch: e, d_loss: r.d_loss, g_loss: r.g_loss, steps: r.steps, first_d_loss: r.first.d, first_g_loss: r.first.g, seconds, cpu_seconds, quality: q, collapsed });
  log(`epoch ${e}/${epochs}: D loss ${r.d_loss.toFixed(4)}, G loss ${r.g_loss.toFixed(4)}, mean top-class probability ${q.mean_top_probability.toFixed(3)}, ${seconds.toFixed(1)} s`);
}
const last = detail.at(-1), timed = epochs > 1 ? detail.slice(1) : detail;
const r = {
  example: "gan", train_images: count, batch: B, epochs, lr, residuals: opt.residuals, classifier,
  quality_samples: samples, real_quality, epochs_detail: detail,
  d_loss: last.d_loss, g_loss: last.g_loss, mean_top_probability: last.quality.mean_top_probability,
  class_shares: last.quality.class_shares, collapsed: last.collapsed,
  seconds_per_epoch: timed.reduce((s, e) => s + e.seconds, 0) / timed.length,
  // CPU time of this process: on a busy machine, closer to what the epoch costs than the wall clock.
  cpu_seconds_per_epoch: timed.reduce((s, e) => s + e.cpu_seconds, 0) / timed.length,
  seconds: (performance.now() - t0) / 1000,
};
r.note = `After ${epochs} epoch(s) the classifier's mean top-class probability on generated images is ` +
  `${r.mean_top_probability.toFixed(3)} (real test images: ${real_quality.mean_top_probability.toFixed(3)}); ` +
  (r.collapsed.length ? `classes under ${(100 * COLLAPSED).toFixed(0)}%: ${r.collapsed.join(", ")}.` : `every class has at least ${(100 * COLLAPSED).toFixed(0)}% of the samples.`);
if (opt.report) writeReport(opt.report, r, grids);
if (opt.json) console.log(JSON.stringify(r));
else console.log(`${r.note}\n(${count} training images, ${epochs} epoch(s), ${r.seconds_per_epoch.toFixed(1)} s per epoch)${opt.report ? `\nreport: ${opt.report}` : ""}`);
