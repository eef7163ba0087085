/**
 * LiFT's LeNet gradients against PyTorch's on real images (issue 10):
 *   node dist/bench/grad_compare.js [--n 16] [--seed 1] [--python /usr/bin/python3]
 * 16 Fashion-MNIST test images of test/data/fashion-small, the weights `lift train --seed 1` starts
 * from, float64 everywhere. LiFT's gradients (interpreter; default tie rule and `(ties full)`) are
 * compared with PyTorch's (bench/peers/torch_grads.py) under F.max_pool2d (a tie goes to one element)
 * and under a pooling whose backward splits a tie equally. Prints, per parameter, the max relative
 * difference max|Δ| / max|PyTorch's gradient|.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { load } from "../src/api/index.js";
import { readIdx } from "../src/train/idx.js";
import { initParams } from "../src/train/init.js";
import { loadModel } from "../src/train/program.js";
import { MODEL_PATH, ROOT } from "./programs.js";

const { values: opt } = parseArgs({
  options: {
    n: { type: "string", default: "16" },
    seed: { type: "string", default: "1" },
    python: { type: "string", default: "/usr/bin/python3" },
  },
});
const N = Number(opt.n),
  seed = Number(opt.seed);
const DATA = join(ROOT, "test", "data", "fashion-small");
const dir = mkdtempSync(join(tmpdir(), "lift-grads-"));

const imgs = await readIdx(join(DATA, "t10k-images-idx3-ubyte.gz"));
const labs = await readIdx(join(DATA, "t10k-labels-idx1-ubyte.gz"));
const images = Float64Array.from(imgs.data.subarray(0, N * 784), (v) => v / 255);
const labels = Int32Array.from(labs.data.subarray(0, N));
const text = readFileSync(MODEL_PATH, "utf8");
const { contract } = loadModel({ name: MODEL_PATH, text }, "adam");
const params = initParams(contract.params, seed);
const names = contract.params.map((p) => p.name);

writeFileSync(join(dir, "images.f64"), images);
writeFileSync(join(dir, "labels.i32"), labels);
for (const k of names) writeFileSync(join(dir, `${k}.f64`), Float64Array.from(params[k]!));
const py = spawnSync(opt.python!, [join(ROOT, "bench", "peers", "torch_grads.py"), JSON.stringify({ dir, n: N })], {
  encoding: "utf8",
});
if (py.status !== 0) {
  process.stderr.write(py.stderr);
  process.exit(1);
}
const torchInfo = JSON.parse(py.stdout.trim().split("\n").pop()!) as {
  loss: number;
  tied_windows: number;
  torch: string;
};

const inputs: Record<string, { shape: number[]; data: Float64Array }> = {
  Images: { shape: [N, 28, 28], data: images },
  Labels: {
    shape: [N, 10],
    data: Float64Array.from({ length: N * 10 }, (_, i) => (labels[Math.floor(i / 10)] === i % 10 ? 1 : 0)),
  },
  Scale: { shape: [], data: Float64Array.of(1 / N) },
};
for (const p of contract.params)
  inputs[p.name] = { shape: [...p.shape] as number[], data: Float64Array.from(params[p.name]!) };
const grads = names.map((k) => `d${k} :: (grad Loss ${k})\n`).join("");
const lift = (rule: string) =>
  load({ name: MODEL_PATH, text: `${rule}${text}${grads}` }).run(inputs, {
    dtype: "f64",
    names: ["Loss", ...names.map((k) => `d${k}`)],
  });
const runs = { split: lift(""), full: lift("(ties full)\n") };

const rel = (got: ArrayLike<number>, want: Float64Array) => {
  let d = 0,
    s = 0;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i]! - want[i]!));
    s = Math.max(s, Math.abs(want[i]!));
  }
  return d / s;
};
/** A file of float64s (readFileSync may hand back a slice of a shared pool: copy it out). */
const f64 = (path: string) => {
  const b = readFileSync(path);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const fmt = (x: number) => x.toExponential(1);
console.log(
  `LeNet, ${N} real Fashion-MNIST images, float64, weights of seed ${seed}; PyTorch ${torchInfo.torch}; ${torchInfo.tied_windows} tied pooling windows with a positive maximum`,
);
console.log(`loss: LiFT ${runs.split.Loss!.data[0]}, PyTorch ${torchInfo.loss}`);
console.log("max |LiFT − PyTorch| / max |PyTorch| per parameter:");
console.log(
  "param | LiFT split vs PyTorch split-pooling | LiFT split vs F.max_pool2d | LiFT (ties full) vs F.max_pool2d",
);
for (const k of names) {
  const t = f64(join(dir, `torch_${k}.f64`)),
    s = f64(join(dir, `split_${k}.f64`));
  console.log(
    `${k} | ${fmt(rel(runs.split[`d${k}`]!.data, s))} | ${fmt(rel(runs.split[`d${k}`]!.data, t))} | ${fmt(rel(runs.full[`d${k}`]!.data, t))}`,
  );
}
