// One training run on the page: the loop of src/train/trainer.ts (`lift train`) over views of
// the wasm module's memory. Same initialisation and shuffle (init.js is src/train/init.ts), same
// feeding (pixels / 255, one-hot labels, Scale = 1/n, Step = the global step, Adam's Lr), and
// each param and optimizer state swapped with its new value by reference after every step.
// Runs in browsers and in Node (the benchmark and tests import it from a built site).
import { LiftWasm } from "./lift_wasm_host.js";
import { epochPermutation, initParams } from "./init.js";

const EVAL_BATCH = 250;

export class Session {
  /** site: { model (model.json), trainWasm, inferWasm (bytes), train, test ({ images, labels } bytes) } */
  static async create(site, batch, seed) {
    const [step, infer] = await Promise.all([
      LiftWasm.load(site.trainWasm, site.model.train.meta),
      LiftWasm.load(site.inferWasm, site.model.infer.meta),
    ]);
    return new Session(site, step, infer, batch, seed);
  }

  constructor(site, step, infer, batch, seed) {
    const m = site.model,
      c = m.contract;
    if (!(batch >= 1 && batch <= site.train.count))
      throw new Error(`batch must be 1…${site.train.count}, not ${batch}`);
    Object.assign(this, { site, stepModule: step, infer, batch, seed, c, px: c.rows * c.cols, k: c.classes });
    this.globalStep = 0;
    this.images = 0;
    this.seconds = 0;
    this.callSeconds = 0;
    this.callMs = []; // each compiled step's time, for medians
    this.sizes = { [c.batchSize]: batch };
    this.bufs = step.allocAll(this.sizes); // at once: growing the memory later would detach views
    this.full = { Images: this.bufs.Images, Labels: this.bufs.Labels, Logits: this.bufs.Logits };
    const init = initParams(c.params, seed);
    this.swaps = [];
    for (const p of c.params) {
      const nm = m.names[p.name];
      this.bufs[p.name].set(init[p.name]);
      this.swaps.push([p.name, nm.next]);
      nm.state.forEach((s, i) => this.swaps.push([s, nm.stateNext[i]]));
    }
    this.stateNames = c.params.flatMap((p) => [p.name, ...m.names[p.name].state]);
    this.bufs.Lr[0] = m.lr;
    this.stepsPerEpoch = Math.ceil(site.train.count / batch);
    // Inference: one set of buffers for EVAL_BATCH images, its prefixes for fewer.
    this.evalBatch = Math.min(EVAL_BATCH, site.test.count);
    this.evalSizes = { [c.batchSize]: this.evalBatch };
    this.ibufs = infer.allocAll(this.evalSizes);
  }

  /** One training step; returns { loss, correct, n }. */
  step() {
    const t0 = performance.now();
    const { site, batch, px, k, bufs } = this;
    const count = site.train.count;
    const epoch = Math.floor(this.globalStep / this.stepsPerEpoch) + 1;
    if (this.permEpoch !== epoch) {
      this.perm = epochPermutation(count, this.seed, epoch);
      this.permEpoch = epoch;
    }
    const start = (this.globalStep % this.stepsPerEpoch) * batch;
    const n = Math.min(batch, count - start);
    const img = this.full.Images,
      lab = this.full.Labels,
      src = site.train.images;
    lab.fill(0, 0, n * k);
    for (let i = 0; i < n; i++) {
      const idx = this.perm[start + i];
      for (let j = 0, o = i * px, s = idx * px; j < px; j++) img[o + j] = src[s + j] / 255;
      lab[i * k + site.train.labels[idx]] = 1;
    }
    for (const name of ["Images", "Labels", "Logits"])
      bufs[name] = n === batch ? this.full[name] : this.full[name].subarray(0, (name === "Images" ? px : k) * n);
    bufs.Scale[0] = 1 / n;
    bufs.Step[0] = ++this.globalStep;
    const t1 = performance.now();
    this.stepModule.call(bufs, n === batch ? this.sizes : { [this.c.batchSize]: n });
    const ms = performance.now() - t1;
    this.callSeconds += ms / 1000;
    this.callMs.push(ms);
    for (const [a, b] of this.swaps) {
      const t = bufs[a];
      bufs[a] = bufs[b];
      bufs[b] = t;
    }
    let correct = 0;
    const logits = bufs.Logits;
    for (let i = 0; i < n; i++) if (lab[i * k + argmax(logits, i * k, k)] === 1) correct++;
    this.images += n;
    this.seconds += (performance.now() - t0) / 1000;
    return { loss: bufs.Loss[0], correct, n };
  }

  /** Images per second of the training loop (feeding and the compiled step). */
  get imagesPerSecond() {
    return this.seconds > 0 ? this.images / this.seconds : null;
  }

  /** Images per second inside the compiled step alone. */
  get stepImagesPerSecond() {
    return this.callSeconds > 0 ? this.images / this.callSeconds : null;
  }

  /** Logits of `count` images (floats in [0, 1], count × px) with the current params. */
  logits(pixels, count) {
    const { infer, ibufs, c, px, k } = this;
    for (const p of c.params) ibufs[p.name].set(this.bufs[p.name]);
    const out = new Float32Array(count * k);
    for (let s = 0; s < count; s += this.evalBatch) {
      const n = Math.min(this.evalBatch, count - s);
      ibufs.Images.set(pixels.subarray(s * px, (s + n) * px));
      const view = {
        ...ibufs,
        Images: ibufs.Images.subarray(0, n * px),
        Labels: ibufs.Labels.subarray(0, n * k),
        Logits: ibufs.Logits.subarray(0, n * k),
      };
      ibufs.Scale[0] = 1 / n;
      infer.call(view, { [c.batchSize]: n });
      out.set(view.Logits, s * k);
    }
    return out;
  }

  /** Accuracy on the held-out slice and every image's predicted class. */
  evaluate() {
    const t = this.site.test,
      px = this.px,
      k = this.k;
    const pixels = new Float32Array(t.count * px);
    for (let i = 0; i < pixels.length; i++) pixels[i] = t.images[i] / 255;
    const logits = this.logits(pixels, t.count);
    const predicted = new Uint8Array(t.count);
    let correct = 0;
    for (let i = 0; i < t.count; i++) {
      predicted[i] = argmax(logits, i * k, k);
      if (predicted[i] === t.labels[i]) correct++;
    }
    return { accuracy: correct / t.count, predicted };
  }

  /** Class probabilities (softmax of the logits) of one image. */
  classify(pixels) {
    const z = this.logits(pixels, 1),
      m = Math.max(...z);
    const e = Array.from(z, (v) => Math.exp(v - m)),
      s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  }

  /** The params and Adam's state now, copied, by name (what `lift train` checkpoints). */
  values() {
    return Object.fromEntries(this.stateNames.map((n) => [n, new Float32Array(this.bufs[n])]));
  }
}

export function argmax(a, at, n) {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[at + j] > a[at + best]) best = j;
  return best;
}
