/**
 * The two players of the GAN example as LiFT modules, their initialisation, the noise and the
 * Adam update — everything the training loop of gan.mjs needs besides the loop itself.
 * bench/peers/torch_gan.py mirrors each choice made here (sizes, init, Adam, noise).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { load } from "../../dist/src/api/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
export const NOISE = 64, HIDDEN = 256, PX = 28 * 28;

const program = (file) => load({ name: join(HERE, file), text: readFileSync(join(HERE, file), "utf8") });

/**
 * G: the generator, differentiated with respect to its params; D: the discriminator with respect
 * to its params (its update); Dx: the same program with respect to its input image, whose
 * gradient is the cotangent the generator's backward takes.
 */
export function modules(opts = {}) {
  const gen = program("generator.lift"), dis = program("discriminator.lift");
  const base = { dtype: opts.dtype, backend: opts.backend, residuals: opts.residuals };
  // One thread unless asked (OpenMP threads that spin on a shared machine cost more than they give).
  const c = (name) => ({ name, openmp: opts.openmp ?? false });
  return {
    G: gen.module({ ...base, outputs: ["Images"], wrt: ["GW1", "GB1", "GW2", "GB2"], compile: c("gan_g") }),
    D: dis.module({ ...base, outputs: ["Logit"], wrt: ["DW1", "DB1", "DW2", "DB2"], compile: c("gan_d") }),
    Dx: dis.module({ ...base, outputs: ["Logit"], wrt: ["X"], compile: c("gan_dx") }),
  };
}

/** Weights uniform in ±1/√fan-in (PyTorch's default bound for Linear), biases zero. */
export function initParams(rng, Ctor = Float32Array) {
  const u = (shape, fanIn) => {
    const a = 1 / Math.sqrt(fanIn), n = shape.reduce((x, y) => x * y, 1);
    return { shape, data: Ctor.from({ length: n }, () => (rng.next() * 2 - 1) * a) };
  };
  const zero = (shape) => ({ shape, data: new Ctor(shape.reduce((x, y) => x * y, 1)) });
  return {
    G: { GW1: u([HIDDEN, NOISE], NOISE), GB1: zero([HIDDEN]), GW2: u([28, 28, HIDDEN], HIDDEN), GB2: zero([28, 28]) },
    D: { DW1: u([HIDDEN, 28, 28], PX), DB1: zero([HIDDEN]), DW2: u([HIDDEN], HIDDEN), DB2: zero([]) },
  };
}

/** `count` standard normal noise vectors (Box–Muller on the seeded uniform generator). */
export function noise(rng, count, Ctor = Float32Array) {
  const data = new Ctor(count * NOISE);
  for (let i = 0; i < data.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next())), t = 2 * Math.PI * rng.next();
    data[i] = r * Math.cos(t);
    if (i + 1 < data.length) data[i + 1] = r * Math.sin(t);
  }
  return { shape: [count, NOISE], data };
}

/**
 * Adam (Kingma & Ba) as torch.optim.Adam computes it: m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g²,
 * p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε).
 */
export class Adam {
  constructor(params, { lr = 2e-4, beta1 = 0.5, beta2 = 0.999, eps = 1e-8 } = {}) {
    Object.assign(this, { params, lr, beta1, beta2, eps, t: 0 });
    this.m = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, new Float64Array(p.data.length)]));
    this.v = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, new Float64Array(p.data.length)]));
  }
  step(grads) {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const step = this.lr / (1 - b1 ** this.t), root2 = Math.sqrt(1 - b2 ** this.t);
    for (const [k, p] of Object.entries(this.params)) {
      const g = grads[k].data, m = this.m[k], v = this.v[k], w = p.data;
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= (step * m[i]) / (Math.sqrt(v[i]) / root2 + eps);
      }
    }
  }
}

/** log(1 + eˣ) without overflow, and the logistic function. */
export const softplus = (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
export const sigmoid = (x) => 1 / (1 + Math.exp(-x));

/**
 * The discriminator's loss on a batch of `n` real logits then `n` generated ones, and its
 * cotangent: L = mean softplus(−l_real) + mean softplus(l_fake) (logistic loss, real = 1,
 * generated = 0), ∂L/∂l_real = −σ(−l)/n, ∂L/∂l_fake = σ(l)/n.
 */
export function discriminatorLoss(logits, n) {
  const d = new Float64Array(2 * n);
  let loss = 0;
  for (let i = 0; i < n; i++) { loss += softplus(-logits[i]); d[i] = -sigmoid(-logits[i]) / n; }
  for (let i = n; i < 2 * n; i++) { loss += softplus(logits[i]); d[i] = sigmoid(logits[i]) / n; }
  return { loss: loss / n, d };
}

/** The generator's non-saturating loss L = mean softplus(−l_fake), ∂L/∂l = −σ(−l)/n. */
export function generatorLoss(logits) {
  const n = logits.length, d = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) { loss += softplus(-logits[i]); d[i] = -sigmoid(-logits[i]) / n; }
  return { loss: loss / n, d };
}
