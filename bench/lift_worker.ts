/**
 * LiFT's side of the benchmark, one figure per process (so that the peak RSS is that figure's
 * alone): `node dist/bench/lift_worker.js '{"mode":"train"|"infer"|"matmul", ...}'` prints one
 * JSON line. The driver (bench/run.ts) compiles every program first, so the module here comes
 * from the compile cache and the process holds no compiler state.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LiftProgram } from "../src/api/program.js";
import { compileGraph, type CompileOptions } from "../src/compiler/compile.js";
import type { NativeModule } from "../src/runtime/module.js";
import { buildShared, DEFAULT_CFLAGS } from "../src/runtime/native.js";
import { CHECK, CLASSES, PIXELS, readData, uniform } from "./data.js";
import { ThreadedStep } from "../src/train/threaded_step.js";
import { GRAD_OPTS, INFER_OPTS, lenet, matmul, matmulOpts, UPDATE_OPTS } from "./programs.js";
import { emit, measure, peakRss, type TimingOptions } from "./timing.js";

interface WorkerConfig extends TimingOptions {
  mode: "train" | "infer" | "matmul" | "compile";
  dir: string;
  batch?: number;
  n?: number;
  /** mode compile: which of train, infer, matmul */
  programs?: string[];
}

const cfg = JSON.parse(process.argv[2] ?? "{}") as WorkerConfig;
const timing: TimingOptions = { warmupS: cfg.warmupS, reps: cfg.reps, repS: cfg.repS };

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

/** Images and one-hot labels of the first `n` images of the shared data. */
function batchOf(images: Float32Array, labels: Int32Array, n: number) {
  const oneHot = new Float32Array(n * CLASSES);
  for (let i = 0; i < n; i++) oneHot[i * CLASSES + labels[i]!] = 1;
  return { Images: images.slice(0, n * PIXELS), Labels: oneHot };
}

function train(batch: number): void {
  const data = readData(cfg.dir);
  const programs = lenet();
  const c = programs.contract;
  // As lift train runs it: the gradient over slices of the batch, then the update (threaded_step.ts).
  const [step, loadMs] = timed(
    () =>
      new ThreadedStep(
        { gradient: programs.gradient.compile(GRAD_OPTS), update: programs.update.compile(UPDATE_OPTS) },
        c.batchSize,
      ),
  );
  const bufs: Record<string, Float32Array> = {
    ...batchOf(data.images, data.labels, batch),
    Logits: new Float32Array(batch * CLASSES),
    Scale: Float32Array.of(1 / batch),
    Loss: new Float32Array(1),
    Lr: Float32Array.of(1e-3),
    Step: new Float32Array(1),
  };
  const swaps: [string, string][] = [];
  for (const p of c.params) {
    const len = p.shape.reduce((a, d) => a * d, 1);
    bufs[p.name] = data.weights[p.name]!.slice();
    for (const s of ["next", "grad", "m", "s", "m1", "s1"]) bufs[`${p.name}.${s}`] = new Float32Array(len);
    swaps.push([p.name, `${p.name}.next`], [`${p.name}.m`, `${p.name}.m1`], [`${p.name}.s`, `${p.name}.s1`]);
  }
  let t = 0;
  let firstLoss = NaN;
  const sizes = { [c.batchSize]: batch };
  const call = () => {
    bufs.Step![0] = ++t;
    step.call(bufs, sizes);
    if (t === 1) firstLoss = bufs.Loss![0]!;
    for (const [a, b] of swaps) {
      const x = bufs[a]!;
      bufs[a] = bufs[b]!;
      bufs[b] = x;
    }
  };
  const m = measure(call, batch, timing);
  const lastLoss = bufs.Loss![0]!;
  const choice = step.chosen.get(batch)!;
  emit({
    system: "lift",
    workload: "train",
    batch,
    images_per_s: m.rate,
    reps: m.reps,
    calls: m.calls,
    ms_per_call: (batch / m.rate) * 1e3,
    ...peakRss(),
    first_loss: firstLoss,
    loss_finite: Number.isFinite(lastLoss),
    module_load_ms: loadMs,
    step_mode: choice.mode,
    step_mode_ms: choice.ms,
  });
}

function infer(batch: number): void {
  const data = readData(cfg.dir);
  const programs = lenet();
  const [mod, loadMs] = timed(() => programs.inference.compile(INFER_OPTS));
  const c = programs.contract;
  const make = (n: number): Record<string, Float32Array> => ({
    ...batchOf(data.images, data.labels, n),
    Logits: new Float32Array(n * CLASSES),
    Scale: Float32Array.of(1 / n),
    Loss: new Float32Array(1),
    ...data.weights,
  });
  // Same network as the peers: the logits of the first images against PyTorch's.
  let maxAbsDiff: number | undefined;
  if (data.refLogits) {
    const check = make(CHECK);
    mod.call(check, { [c.batchSize]: CHECK });
    maxAbsDiff = 0;
    for (let i = 0; i < CHECK * CLASSES; i++)
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(check.Logits![i]! - data.refLogits[i]!));
  }
  const bufs = make(batch);
  const sizes = { [c.batchSize]: batch };
  const m = measure(() => mod.call(bufs, sizes), batch, timing);
  emit({
    system: "lift",
    workload: "infer",
    batch,
    images_per_s: m.rate,
    reps: m.reps,
    calls: m.calls,
    ms_per_call: (batch / m.rate) * 1e3,
    ...peakRss(),
    module_load_ms: loadMs,
    ...(maxAbsDiff !== undefined ? { max_abs_diff_vs_pytorch: maxAbsDiff } : {}),
  });
}

function matrixProduct(n: number): void {
  const [mod, loadMs]: [NativeModule, number] = timed(() => matmul(n).compile(matmulOpts(n)));
  const rnd = uniform(7);
  const A = Float32Array.from({ length: n * n }, rnd);
  const B = Float32Array.from({ length: n * n }, rnd);
  const C = new Float32Array(n * n);
  const bufs = { A, B, C };
  const gflop = (2 * n * n * n) / 1e9;
  const m = measure(() => mod.call(bufs), gflop, timing);
  // A few entries against a double-precision dot product.
  let maxRelErr = 0;
  for (let t = 0; t < 16; t++) {
    const i = Math.floor(rnd() * n),
      j = Math.floor(rnd() * n);
    let s = 0;
    for (let k = 0; k < n; k++) s += A[i * n + k]! * B[k * n + j]!;
    maxRelErr = Math.max(maxRelErr, Math.abs(C[i * n + j]! - s) / Math.abs(s));
  }
  emit({
    system: "lift",
    workload: "matmul",
    n,
    gflops: m.rate,
    reps: m.reps,
    calls: m.calls,
    ms_per_call: (gflop / m.rate) * 1e3,
    ...peakRss(),
    module_load_ms: loadMs,
    max_rel_err: maxRelErr,
  });
}

/**
 * Times every pass of `compileGraph` on a fresh isl context, then the C compiler on a cold cache
 * (a private LIFT_CACHE), then warms the real cache with `program.compile` for the figures' workers.
 */
function compileStats(label: string, program: LiftProgram, opts: CompileOptions): void {
  const t = performance.now();
  const compiled = compileGraph(program.graph, opts);
  const isl = performance.now() - t;
  const passes: Record<string, number> = {};
  for (const p of compiled.stats.passes) passes[p.name] = (passes[p.name] ?? 0) + p.ms;
  const saved = process.env.LIFT_CACHE;
  const cold = mkdtempSync(join(tmpdir(), "lift-bench-cc-"));
  try {
    process.env.LIFT_CACHE = cold;
    passes.cc = buildShared(compiled.unit.name, compiled.unit.header, compiled.unit.source, DEFAULT_CFLAGS).ms;
  } finally {
    if (saved === undefined) delete process.env.LIFT_CACHE;
    else process.env.LIFT_CACHE = saved;
    rmSync(cold, { recursive: true, force: true });
  }
  passes.total = isl + passes.cc;
  for (const k of Object.keys(passes)) passes[k] = Math.round(passes[k]! * 10) / 10;
  program.compile(opts);
  emit({
    kind: "compile",
    program: label,
    passes,
    scheduler: compiled.stats.scheduler,
    intermediate_bytes: compiled.stats.intermediateBytes,
  });
}

function compileAll(which: string[], n: number): void {
  if (which.includes("train") || which.includes("infer")) {
    const p = lenet();
    if (which.includes("train")) {
      compileStats("train: gradient", p.gradient, GRAD_OPTS);
      compileStats("train: Adam update", p.update, UPDATE_OPTS);
    }
    if (which.includes("infer")) compileStats("inference", p.inference, INFER_OPTS);
  }
  if (which.includes("matmul")) compileStats(`matmul n=${n}`, matmul(n), matmulOpts(n));
}

if (cfg.mode === "compile") compileAll(cfg.programs ?? ["train", "infer", "matmul"], cfg.n ?? 1024);
else if (cfg.mode === "train") train(cfg.batch ?? 64);
else if (cfg.mode === "infer") infer(cfg.batch ?? 1);
else if (cfg.mode === "matmul") matrixProduct(cfg.n ?? 1024);
else throw new Error(`unknown mode ${String(cfg.mode)}`);
