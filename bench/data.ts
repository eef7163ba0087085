/**
 * The data every system runs on, exchanged through files in the run's work directory. The
 * PyTorch peer writes them (`torch_peer.py` mode export: its seeded initial weights in LiFT's
 * layout, 256 images in [0, 1), their labels, the logits of the first 8 images); without Python,
 * `ensureData` writes the same kind of files from a seeded generator so LiFT still runs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const COUNT = 256;
export const PIXELS = 28 * 28;
export const CLASSES = 10;
export const CHECK = 8;

/** The LeNet params in LiFT's layout, as the model declares them. */
export const PARAM_SHAPES: Record<string, number[]> = {
  K1: [8, 5, 5],
  B1: [8],
  K2: [16, 8, 5, 5],
  B2: [16],
  W: [10, 16, 7, 7],
  B: [10],
};

const f32 = (path: string) => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const i32 = (path: string) => {
  const b = readFileSync(path);
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

export interface BenchData {
  images: Float32Array; // COUNT × 28 × 28
  labels: Int32Array; // COUNT classes
  weights: Record<string, Float32Array>;
  /** PyTorch's logits of the first CHECK images, when the peer wrote them. */
  refLogits?: Float32Array;
}

export function readData(dir: string): BenchData {
  const weights: Record<string, Float32Array> = {};
  for (const name of Object.keys(PARAM_SHAPES)) weights[name] = f32(join(dir, "weights", `${name}.bin`));
  const ref = join(dir, "ref_logits.bin");
  return {
    images: f32(join(dir, "images.bin")),
    labels: i32(join(dir, "labels.bin")),
    weights,
    ...(existsSync(ref) ? { refLogits: f32(ref) } : {}),
  };
}

/** A small seeded generator (mulberry32), uniform in [0, 1). */
export function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes images, labels and weights (PyTorch's default init bounds) unless the peer did. */
export function ensureData(dir: string): void {
  if (existsSync(join(dir, "images.bin"))) return;
  const rnd = uniform(1);
  mkdirSync(join(dir, "weights"), { recursive: true });
  writeFileSync(join(dir, "images.bin"), Float32Array.from({ length: COUNT * PIXELS }, rnd));
  writeFileSync(
    join(dir, "labels.bin"),
    Int32Array.from({ length: COUNT }, () => Math.floor(rnd() * CLASSES)),
  );
  const fanIn: Record<string, number> = { K1: 25, B1: 25, K2: 200, B2: 200, W: 784, B: 784 };
  for (const [name, shape] of Object.entries(PARAM_SHAPES)) {
    const bound = 1 / Math.sqrt(fanIn[name]!);
    const n = shape.reduce((a, d) => a * d, 1);
    writeFileSync(
      join(dir, "weights", `${name}.bin`),
      Float32Array.from({ length: n }, () => (2 * rnd() - 1) * bound),
    );
  }
}
