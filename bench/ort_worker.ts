/**
 * onnxruntime-node's side of the benchmark: the ONNX export of the PyTorch peer's network
 * (torch.onnx.export in bench/peers/torch_peer.py), CPU execution provider, 2 intra-op threads.
 * `node dist/bench/ort_worker.js '{"batch":B,"dir":...}'` prints one JSON line.
 */
import { join } from "node:path";
import { CHECK, CLASSES, PIXELS, readData } from "./data.js";
import { emit, measureAsync, peakRss, type TimingOptions } from "./timing.js";

interface OrtConfig extends TimingOptions {
  dir: string;
  batch: number;
  threads?: number;
}
// The package is loaded at run time, so the project typechecks without it (it is only a
// devDependency of the benchmark); these are the few parts of its API used here.
interface OrtTensor {
  data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  InferenceSession: { create(path: string, options: object): Promise<OrtSession> };
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => OrtTensor;
  env: { versions: Record<string, string | undefined> };
}
const ORT_PACKAGE = "onnxruntime-node";
const ort = (await import(ORT_PACKAGE)) as Ort;

const cfg = JSON.parse(process.argv[2] ?? "{}") as OrtConfig;
const threads = cfg.threads ?? 2;

const session = await ort.InferenceSession.create(join(cfg.dir, "lenet.onnx"), {
  executionProviders: ["cpu"],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
});
const data = readData(cfg.dir);
const input = (n: number) => ({ images: new ort.Tensor("float32", data.images.slice(0, n * PIXELS), [n, 1, 28, 28]) });

let maxAbsDiff: number | undefined;
if (data.refLogits) {
  const out = await session.run(input(CHECK));
  const logits = out.logits!.data as Float32Array;
  maxAbsDiff = 0;
  for (let i = 0; i < CHECK * CLASSES; i++)
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(logits[i]! - data.refLogits[i]!));
}
const feeds = input(cfg.batch);
const m = await measureAsync(() => session.run(feeds), cfg.batch, {
  warmupS: cfg.warmupS,
  reps: cfg.reps,
  repS: cfg.repS,
});
emit({
  system: "onnxruntime",
  workload: "infer",
  batch: cfg.batch,
  images_per_s: m.rate,
  reps: m.reps,
  calls: m.calls,
  ms_per_call: (cfg.batch / m.rate) * 1e3,
  ...peakRss(),
  threads,
  version: ort.env.versions.node ?? ort.env.versions.common,
  ...(maxAbsDiff !== undefined ? { max_abs_diff_vs_pytorch: maxAbsDiff } : {}),
});
await session.release();
