/** The GAN example's HTML report: a grid of generated samples per epoch and the quality figures. */
import { writeFileSync } from "node:fs";
import { grayPngDataUri } from "../../dist/src/train/png.js";

export const CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"];
/** A class with a share below this is reported as (nearly) collapsed. */
export const COLLAPSED = 0.02;

/** `rows × cols` images of 28×28 in one gray picture, 2 pixels apart. */
export function gridPng(images, rows, cols) {
  const W = cols * 30, H = rows * 30, px = new Float32Array(W * H).fill(1);
  for (let k = 0; k < rows * cols; k++) {
    const oy = Math.floor(k / cols) * 30 + 1, ox = (k % cols) * 30 + 1;
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) px[(oy + y) * W + ox + x] = images[k * 784 + y * 28 + x];
  }
  return grayPngDataUri(px, H, W);
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;

function sharesRow(label, q) {
  const cells = q.class_shares.map((s) =>
    `<td style="background:rgba(40,90,200,${Math.min(1, 4 * s).toFixed(2)})${s < COLLAPSED ? ";outline:2px solid #c00" : ""}">${pct(s)}</td>`);
  return `<tr><th>${label}</th><td>${q.mean_top_probability.toFixed(3)}</td>${cells.join("")}</tr>`;
}

export function writeReport(file, r, grids) {
  const epochs = r.epochs_detail.map((e, i) => `<h3>Epoch ${e.epoch}</h3>
<p>discriminator loss ${e.d_loss.toFixed(4)}, generator loss ${e.g_loss.toFixed(4)}, ${e.seconds.toFixed(1)} s (${e.cpu_seconds.toFixed(1)} s CPU);
mean top-class probability ${e.quality.mean_top_probability.toFixed(3)}${e.collapsed.length ? `; classes under ${pct(COLLAPSED)}: ${e.collapsed.join(", ")}` : ""}</p>
<img src="${grids[i]}" width="480" height="480" style="image-rendering:pixelated" alt="generated samples, epoch ${e.epoch}">`);
  const head = `<tr><th>images</th><th>mean top-class probability</th>${CLASSES.map((c) => `<th>${c}</th>`).join("")}</tr>`;
  const rows = [sharesRow("real test images", r.real_quality), ...r.epochs_detail.map((e) => sharesRow(`generated, epoch ${e.epoch}`, e.quality))];
  writeFileSync(file, `<!doctype html><meta charset="utf-8"><title>LiFT: a GAN on Fashion-MNIST</title>
<style>body{font:14px sans-serif;max-width:70em;margin:2em auto}td,th{padding:2px 6px;text-align:right}</style>
<h1>A GAN on Fashion-MNIST: two LiFT modules and a JavaScript loop</h1>
<p>Generator (examples/gan/generator.lift: noise 64 → 256 relu → 28×28 sigmoid) and discriminator
(discriminator.lift: 28×28 → 256 leaky relu → 1 logit) are compiled LiFT modules; the loop in gan.mjs alternates
their Adam updates (lr ${r.lr}, β1 0.5) and carries the discriminator's gradient with respect to its input image
into the generator's backward. ${r.train_images} training images, batch ${r.batch}, ${r.epochs} epoch(s),
${r.seconds_per_epoch.toFixed(1)} s per epoch (${r.cpu_seconds_per_epoch.toFixed(1)} s CPU; training only).</p>
<h2>Quality</h2>
<p>A LeNet classifier (examples/fashion-lenet.lift, trained by <code>lift train</code>${r.classifier.test_accuracy !== undefined ? `, test accuracy ${pct(r.classifier.test_accuracy)}` : ""};
checkpoint ${r.classifier.path}) labels ${r.quality_samples} generated images from fixed noise after each epoch:
the mean probability of its top class, and the share of each class among the top classes. A class
outlined in red has under ${pct(COLLAPSED)} of the images (mode collapse).</p>
<table>${head}${rows.join("")}</table>
<h2>Samples (the same 64 noise vectors each epoch)</h2>
${epochs.join("\n")}
<p>${r.note}</p>`);
}
