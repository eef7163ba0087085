// The training step on the machine's cores (issue 15). The step is the split programs of
// split_step.ts (gradient, then update), the gradient computed over T slices of the batch
// (sliceOf, as the MPI ranks do; T = the OpenMP threads, at most n) with private gradient and
// loss outputs, summed once afterwards. With Scale = 1/n on every slice,
// Loss_r = Scale · Σ_{i in slice r} xent_i, so Σ_r ∂Loss_r/∂P = ∂Loss/∂P of the whole batch
// (data_parallel.ts's identity). Three ways to run the slices:
//   serial — one after another, on one thread;
//   loops  — one after another, each on its OpenMP parallel loops (a few dozen small regions);
//   split  — all at once, one thread each, in one parallel region (runtime/threads.ts);
// then the update program once. The three give bitwise the same numbers (the same sums; the
// parallel loops split independent outputs), so which one runs is only a matter of speed, and
// the fastest depends on the batch and the machine: the first call at each batch size times
// every mode (a step is idempotent on the same buffers: it reads inputs and overwrites outputs)
// and keeps the fastest, unless LIFT_STEP_MODE=serial|loops|split fixes it. Against the fused
// step (program.ts) the numbers differ by float32 rounding: the slices' sums are added last.

import { LiftError } from "../lang/diagnostics.js";
import { product, resolveShape } from "../core/shape.js";
import type { NativeModule } from "../runtime/module.js";
import { threadHelper, type ThreadHelper } from "../runtime/threads.js";
import { sliceOf } from "./data_parallel.js";
import type { CompiledSplit } from "./split_step.js";

export type StepMode = "serial" | "loops" | "split";
export const STEP_MODES: StepMode[] = ["serial", "loops", "split"];
type Buffers = Record<string, Float32Array>;

/** The mode LIFT_STEP_MODE forces, or undefined (measure). */
export function forcedMode(env: NodeJS.ProcessEnv = process.env): StepMode | undefined {
  const v = env.LIFT_STEP_MODE;
  if (v === undefined || v === "" || v === "auto") return undefined;
  if (!(STEP_MODES as string[]).includes(v))
    throw new LiftError(`LIFT_STEP_MODE must be auto, serial, loops or split, not \`${v}\``);
  return v as StepMode;
}

export class ThreadedStep {
  private readonly helper: ThreadHelper;
  private readonly threads: number;
  /** per batch size: the mode chosen, and every mode's best measured ms */
  readonly chosen = new Map<number, { mode: StepMode; ms: Partial<Record<StepMode, number>> }>();
  private readonly priv = new Map<string, Float32Array>();
  private scratch: ArrayBuffer[] = [];

  constructor(
    private readonly split: CompiledSplit,
    private readonly batchSize: string,
    private readonly forced = forcedMode(),
  ) {
    this.helper = threadHelper();
    this.threads = this.helper.maxThreads();
  }

  /** One training step on `bufs` (the fused step's buffers: Images, Labels, Scale, params, state…). */
  call(bufs: Buffers, sizes: Record<string, number>): void {
    const n = sizes[this.batchSize]!;
    this.addOutputs(bufs, sizes);
    const c = this.chosen.get(n) ?? this.choose(bufs, sizes);
    this.run(c.mode, bufs, sizes);
  }

  /** The modes worth trying at batch n: split only with 2 or more threads and images. */
  private candidates(n: number): StepMode[] {
    if (this.forced) return [this.forced];
    return this.threads > 1 ? (n > 1 ? STEP_MODES : ["serial", "loops"]) : ["serial"];
  }

  private choose(
    bufs: Buffers,
    sizes: Record<string, number>,
  ): { mode: StepMode; ms: Partial<Record<StepMode, number>> } {
    const n = sizes[this.batchSize]!;
    const modes = this.candidates(n);
    const ms: Partial<Record<StepMode, number>> = {};
    if (modes.length > 1) {
      for (const m of modes) {
        this.run(m, bufs, sizes); // warm: first touch of its buffers, thread start
        let best = Infinity;
        // The best of a few calls: another process taking a core shows up as a slow call.
        for (let i = 0; i < 5; i++) {
          const t0 = performance.now();
          this.run(m, bufs, sizes);
          best = Math.min(best, performance.now() - t0);
        }
        ms[m] = best;
      }
    }
    const mode = modes.reduce((a, b) => ((ms[b] ?? Infinity) < (ms[a] ?? Infinity) ? b : a));
    const c = { mode, ms };
    this.chosen.set(n, c);
    return c;
  }

  private run(mode: StepMode, bufs: Buffers, sizes: Record<string, number>): void {
    if (mode === "serial") this.helper.setThreads(1);
    try {
      this.gradient(mode === "split", bufs, sizes);
    } finally {
      if (mode === "serial") this.helper.setThreads(this.threads);
    }
    this.split.update.call(bufs, sizes);
  }

  /** The gradient program on T slices of the batch (at once, or in turn); its unsliced outputs summed into `bufs`. */
  private gradient(parallel: boolean, bufs: Buffers, sizes: Record<string, number>): void {
    const g = this.split.gradient,
      bs = this.batchSize,
      n = sizes[bs]!;
    const parts = Math.min(this.threads, n);
    // One slice is the whole batch: its outputs go straight to `bufs` (the same numbers, no copies).
    if (parts === 1) return g.call(bufs, sizes);
    const entry = g.unit.entry;
    const sets: unknown[][] = [],
      sizeSets: number[][] = [],
      scratch: (ArrayBuffer | null)[] = [];
    const summed = entry.buffers.filter((b) => b.role === "output" && g.shapeOf(b.name)![0] !== bs).map((b) => b.name);
    for (let r = 0; r < parts; r++) {
      const { offset, count } = sliceOf(n, r, parts);
      const mine: Buffers = {};
      for (const b of entry.buffers) {
        const shape = g.shapeOf(b.name)!,
          all = bufs[b.name];
        if (shape[0] === bs) {
          if (!all) throw new LiftError(`buffer \`${b.name}\` is missing`);
          const row = all.length / n;
          mine[b.name] = all.subarray(offset * row, (offset + count) * row);
        } else if (b.role === "output")
          mine[b.name] = this.privateOut(r, b.name, product(resolveShape(shape, new Map())));
        else mine[b.name] = all!;
      }
      const a = g.argsOf(mine, { ...sizes, [bs]: count });
      if ((this.scratch[r]?.byteLength ?? 0) < a.scratchBytes) this.scratch[r] = new ArrayBuffer(a.scratchBytes);
      sets.push(a.args);
      sizeSets.push(a.sizeValues);
      scratch.push(a.scratchBytes ? this.scratch[r]! : null);
    }
    this.helper.runSlices(g.build.path, entry.symbol, parallel, sets, sizeSets, scratch);
    for (const name of summed) {
      const out = bufs[name]!;
      out.set(this.privateOut(0, name, 0));
      for (let r = 1; r < parts; r++) {
        const x = this.privateOut(r, name, 0);
        for (let i = 0; i < out.length; i++) out[i]! += x[i]!;
      }
    }
  }

  /** The gradient program's outputs the caller's buffers lack (the fused step has no P.grad), allocated once. */
  private addOutputs(bufs: Buffers, sizes: Record<string, number>): void {
    const g = this.split.gradient;
    for (const b of g.unit.entry.buffers) {
      if (b.role !== "output" || bufs[b.name]) continue;
      const len = product(resolveShape(g.shapeOf(b.name)!, new Map(Object.entries(sizes))));
      bufs[b.name] = this.privateOut(-1, b.name, len);
    }
  }

  /** Slice r's own copy of an unsliced output (a gradient, the loss). */
  private privateOut(r: number, name: string, length: number): Float32Array {
    const key = `${r}\0${name}`;
    let x = this.priv.get(key);
    if (!x) this.priv.set(key, (x = new Float32Array(length)));
    return x;
  }
}
