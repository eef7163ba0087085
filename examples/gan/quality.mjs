/**
 * The GAN's quality figure: a LeNet classifier (examples/fashion-lenet.lift, trained by the
 * project's own `lift train`) labels generated images. Two figures per set of images: the mean
 * top-class softmax probability (how confidently they look like some class) and the share of
 * each class among their top classes (mode collapse shows as a class near 0%).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { load } from "../../dist/src/api/index.js";
import { readSafetensors } from "../../dist/src/train/safetensors.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const LENET = join(ROOT, "examples", "fashion-lenet.lift");
export const LENET_PARAMS = ["K1", "B1", "K2", "B2", "W", "B"];

/**
 * The classifier's checkpoint: `path` when it exists, else trained there first by
 * `lift train examples/fashion-lenet.lift` (Adam, batch 64, `epochs` epochs) on `data`.
 */
export function classifierCheckpoint(path, data, epochs, log) {
  if (existsSync(path)) return { path, trained: false, test_accuracy: recordedAccuracy(path) };
  const out = dirname(path);
  log(`training the LeNet classifier (${epochs} epoch(s) of lift train on ${data}) into ${out}…`);
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "lift.js"), "train", LENET, "--epochs", String(epochs),
    "--data", data, "--out", out, "--overwrite", "--json"],
    // One thread unless asked: OpenMP's spinning threads on a shared machine cost more than they give.
    { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? "1" } });
  if (r.status !== 0) throw new Error(`lift train failed (${r.status}):\n${r.stderr}`);
  const summary = JSON.parse(r.stdout.trim().split("\n").at(-1));
  if (summary.checkpoint !== path && !existsSync(path)) throw new Error(`lift train wrote ${summary.checkpoint}, not ${path}`);
  return { path, trained: true, test_accuracy: summary.test_accuracy };
}

/** The test accuracy `lift train` recorded beside a checkpoint (its run's history.jsonl), if any. */
function recordedAccuracy(path) {
  const history = join(dirname(path), "history.jsonl");
  if (!existsSync(history)) return undefined;
  const last = readFileSync(history, "utf8").trim().split("\n").at(-1);
  return last ? JSON.parse(last).test_accuracy : undefined;
}

/** The classifier as a LiFT module (forward only: Logits from Images) with the checkpoint's weights. */
export async function loadClassifier(path) {
  const st = await readSafetensors(path);
  const weights = Object.fromEntries(LENET_PARAMS.map((k) => [k, { shape: st.tensors[k].shape, data: st.tensors[k].data }]));
  const m = load({ name: LENET, text: readFileSync(LENET, "utf8") }).module({ outputs: ["Logits"], wrt: ["B"], compile: { name: "gan_lenet", openmp: false } });
  return { weights, logits: (images) => m.forward({ Images: images, ...weights }).outputs.Logits.data };
}

/** Mean top-class probability and the share of each class among `count` images (in batches of 256). */
export function quality(classifier, images, count) {
  const shares = new Array(10).fill(0);
  let top = 0;
  for (let b = 0; b < count; b += 256) {
    const n = Math.min(256, count - b);
    const L = classifier.logits({ shape: [n, 28, 28], data: images.subarray(b * 784, (b + n) * 784) });
    for (let i = 0; i < n; i++) {
      const row = Array.from(L.subarray(i * 10, i * 10 + 10)), m = Math.max(...row);
      const z = row.reduce((s, x) => s + Math.exp(x - m), 0);
      top += 1 / z;                                   // softmax of the top class: e⁰ / Σ e^(x−m)
      shares[row.indexOf(m)] += 1 / count;
    }
  }
  return { mean_top_probability: top / count, class_shares: shares };
}
