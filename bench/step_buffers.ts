/**
 * The buffers of one LeNet training step and the call that runs it, for the step benchmarks
 * (bench/step_cpu.ts, bench/step_ab.ts): fixed pseudo-random images, labels, the parameters from
 * `initParams` (seed 1) and Adam's moments; after each call the next parameters and moments swap in.
 */
import { initParams } from "../src/train/init.js";

interface Contract {
  params: { name: string; shape: number[] }[];
  batchSize: string;
}

/** `bufs` the step's buffers; `call()` runs one step of `run` on them and swaps the updated state in. */
export function stepBuffers(
  c: Contract,
  batch: number,
  run: (bufs: Record<string, Float32Array>, sizes: Record<string, number>) => void,
): { bufs: Record<string, Float32Array>; call: () => void } {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const bufs: Record<string, Float32Array> = {
    Images: Float32Array.from({ length: batch * 784 }, rnd),
    Labels: Float32Array.from({ length: batch * 10 }, (_, i) => (i % 10 === (Math.floor(i / 10) * 7) % 10 ? 1 : 0)),
    Logits: new Float32Array(batch * 10),
    Scale: Float32Array.of(1 / batch),
    Loss: new Float32Array(1),
    Lr: Float32Array.of(1e-3),
    Step: new Float32Array(1),
  };
  const init = initParams(c.params, 1);
  const swaps: [string, string][] = [];
  for (const p of c.params) {
    const len = p.shape.reduce((a, d) => a * d, 1);
    bufs[p.name] = init[p.name]!;
    for (const s of ["next", "grad", "m", "s", "m1", "s1"]) bufs[`${p.name}.${s}`] = new Float32Array(len);
    swaps.push([p.name, `${p.name}.next`], [`${p.name}.m`, `${p.name}.m1`], [`${p.name}.s`, `${p.name}.s1`]);
  }
  let t = 0;
  const call = () => {
    bufs.Step![0] = ++t;
    run(bufs, { [c.batchSize]: batch });
    for (const [a, b] of swaps) [bufs[a], bufs[b]] = [bufs[b]!, bufs[a]!];
  };
  return { bufs, call };
}
