// Seeded randomness for training: weight initialisation and the order of the
// training images. Everything is a pure function of the seed (and the param's
// name, or the epoch), so the same seed gives the same run, and a run resumed
// at epoch k sees the same order as one that never stopped.
//
// Generator: mulberry32 (32-bit state, period 2^32), seeded through a 32-bit
// hash (FNV-1a of the text, then murmur3's finaliser) of "seed:purpose".
//
// Initialisation (PyTorch's default for Conv2d/Linear weights): a param with
// two or more axes is drawn from U(−b, b), b = 1/√fan_in, fan_in the product
// of every axis but the first (the output channel or unit). A param with one
// axis or none (a bias) is drawn from the same U(−b, b) as the weight declared
// just before it, as PyTorch does for a layer's bias; with no weight before it,
// it starts at zero. Each param has its own stream, seeded by (seed, name).

import type { ParamInfo } from "./program.js";

/** mulberry32: a tiny, fast generator of uint32 values; `next()` is uniform in [0, 1). */
export class Mulberry32 {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  next(): number {
    return this.nextUint32() / 4294967296;
  }
  /** Uniform integer in [0, n), without modulo bias. */
  below(n: number): number {
    const limit = Math.floor(4294967296 / n) * n;
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }
}

/** A 32-bit hash of a text: FNV-1a over its UTF-16 code units, then murmur3's fmix32. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The generator for one purpose ("init:K1", "shuffle:3") of a run with `seed`. */
export const streamFor = (seed: number, purpose: string) => new Mulberry32(hash32(`${seed}:${purpose}`));

/** fan_in of a param: the product of all axes but the first (0 for rank 0 and 1, which start at zero). */
export const fanIn = (shape: readonly number[]) => (shape.length < 2 ? 0 : shape.slice(1).reduce((a, d) => a * d, 1));

/** The initial value of one param, as described at the top of this file; `fan` overrides its own fan-in. */
export function initParam(p: ParamInfo, seed: number, fan = fanIn(p.shape)): Float32Array {
  const n = p.shape.reduce((a, d) => a * d, 1);
  const out = new Float32Array(n);
  if (fan === 0) return out;
  const bound = 1 / Math.sqrt(fan);
  const rng = streamFor(seed, `init:${p.name}`);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

export function initParams(params: readonly ParamInfo[], seed: number): Record<string, Float32Array> {
  let weightFan = 0;
  return Object.fromEntries(
    params.map((p) => {
      const own = fanIn(p.shape);
      if (own > 0) weightFan = own;
      return [p.name, initParam(p, seed, own > 0 ? own : weightFan)];
    }),
  );
}

/**
 * The order of the `count` training images in `epoch` (1-based): a Fisher–Yates shuffle
 * driven by the stream (seed, epoch) alone.
 */
export function epochPermutation(count: number, seed: number, epoch: number): Uint32Array {
  const perm = new Uint32Array(count);
  for (let i = 0; i < count; i++) perm[i] = i;
  const rng = streamFor(seed, `shuffle:${epoch}`);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}
