/**
 * The compiler driver: a flat list of named passes from Graph to C, each timed and dumpable
 * (`LIFT_DUMP=lower,contract,schedule,ast,c` prints that pass's result to stderr).
 */
import type { Graph } from "../core/graph.js";
import { printC, type CUnit, type HeaderNotes } from "../codegen/c.js";
import { C_DIALECT } from "../codegen/dialect.js";
import { WASM_DIALECT } from "../codegen/wasm.js";
import { isReservedWord } from "../codegen/names.js";
import { localAccumulators, outlineParallel } from "../codegen/passes.js";
import { loopCounts, type LoopProgram } from "../codegen/loop.js";
import type { DType } from "../interp/eval.js";
import { generateLoops } from "./astgen.js";
import { contract, knownContext, type ContractStats } from "./contract.js";
import { dependences } from "./deps.js";
import { Ctx } from "./isl/index.js";
import { LiftError } from "../lang/diagnostics.js";
import { lower } from "./lower.js";
import { recognizeKernels, type KernelStats } from "./kernels.js";
import { printPoly } from "./program.js";
import { orderIterators } from "./order.js";
import { schedule, type ScheduleMode } from "./schedule.js";

export interface CompileOptions {
  name?: string;
  dtype?: DType;
  /** Array contraction on (default) or off. */
  contract?: boolean;
  schedule?: ScheduleMode;
  /** Reorder each statement's iterators for contiguous inner loops (default on). */
  reorder?: boolean;
  /** Scales isl's bounds on scheduler work (1 by default); past them a cheaper schedule is used. */
  scheduleEffort?: number;
  /** Past this many statements isl schedules pieces of this many in sequence (CHUNK_STATEMENTS by default). */
  scheduleChunk?: number;
  /** Recognise contractions and print them as register-blocked kernels (default on). */
  kernels?: boolean;
  /** Mark parallel loops (LIFT_PARALLEL_FOR, an OpenMP pragma under -fopenmp); default on. */
  openmp?: boolean;
  /** The dialect printed: C (default), or the C that clang compiles for wasm32 (src/codegen/wasm.ts). */
  target?: "c" | "wasm";
  /** Text for the header's opening comment (the training step's protocol). */
  notes?: HeaderNotes;
}

export interface CompileStats {
  /**
   * Wall-clock and process CPU milliseconds per pass (CPU time is what a loaded machine does not
   * inflate), and the isl functions it called (a work count, the same on any machine).
   */
  passes: { name: string; ms: number; cpuMs: number; islCalls: number }[];
  /** Arrays kept after contraction (not inputs or outputs), with their element counts. */
  intermediates: { name: string; labels: string[]; shape: (number | string)[]; elements: number | string }[];
  intermediateBytes: number;
  statements: number;
  loopNests: number;
  loops: number;
  scheduler: string;
  contraction: ContractStats;
  /** Statements printed as kernels, and the zero-padded copies they read. */
  kernels: KernelStats;
  /** isl objects still alive when the compilation ended (all freed with its context). */
  islObjectsAtEnd: number;
}

export interface Compiled { unit: CUnit; loops: LoopProgram; poly: string; stats: CompileStats }

const dumps = () => new Set((process.env.LIFT_DUMP ?? "").split(",").map((s) => s.trim()).filter(Boolean));

/** A program name: it reaches file names and the compiler's command line, so a plain C identifier. */
export const C_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

export function compileGraph(g: Graph, opts: CompileOptions = {}): Compiled {
  const dtype = opts.dtype ?? "f32";
  if (opts.name !== undefined && (!C_NAME.test(opts.name) || isReservedWord(opts.name)))
    throw new LiftError(`the program name must be a C identifier (letters, digits, _) that C does not reserve, not ${JSON.stringify(opts.name)}`);
  const want = dumps();
  const passes: CompileStats["passes"] = [];
  const ctx = new Ctx();
  try {
    const timed = <T>(name: string, f: () => T, show?: (r: T) => string): T => {
      const t0 = performance.now(), c0 = process.cpuUsage(), calls = ctx.calls;
      const r = f();
      const c = process.cpuUsage(c0);
      passes.push({ name, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, islCalls: ctx.calls - calls });
      if (show && want.has(name)) process.stderr.write(`--- ${name}\n${show(r)}\n`);
      return r;
    };
    const p = timed("lower", () => lower(ctx, g), (x) => printPoly(x));
    const contraction = opts.contract === false ? {} : timed("contract", () => contract(p), () => printPoly(p));
    const kernels = opts.kernels === false ? undefined : timed("kernels", () => recognizeKernels(p, dtype === "f32" ? 4 : 8), () => printPoly(p));
    if (opts.reorder !== false) timed("order", () => orderIterators(p), () => printPoly(p));
    const poly = printPoly(p);
    const deps = timed("dependences", () => dependences(p), (d) => `validity ${d.validity}\nreductions ${d.reductions}`);
    const sched = timed("schedule", () => schedule(p, deps, opts.schedule ?? "isl", opts.scheduleEffort, opts.scheduleChunk),
      (s) => (s.schedule ? s.schedule.toString() : `sequential: ${s.map}`));
    const context = knownContext(p);
    const loops = timed("ast", () => generateLoops(p, sched, context, opts.openmp !== false ? deps.validity.union(deps.reductions) : undefined), (l) => JSON.stringify(l.body));
    if (opts.openmp !== false) timed("outline", () => outlineParallel(loops), () => JSON.stringify(loops.functions.map((f) => f.longs)));
    timed("accumulate", () => localAccumulators(loops), () => JSON.stringify(loops.body));
    const unit = timed("print-c", () => printC(loops, { name: opts.name ?? "lift_program", dtype, ...(opts.notes ? { notes: opts.notes } : {}) }, opts.target === "wasm" ? WASM_DIALECT : C_DIALECT), (u) => u.source);
    const elemSize = dtype === "f32" ? 4 : 8;
    const intermediates = [...p.arrays.values()].filter((a) => a.role === "temp").map((a) => {
      const numeric = a.shape.every((d) => typeof d === "number");
      return { name: a.name, labels: a.labels, shape: a.shape, elements: numeric ? (a.shape as number[]).reduce((x, y) => x * y, 1) : a.shape.join("·") };
    });
    const counts = loopCounts(loops.body);
    return {
      unit, loops, poly,
      stats: {
        passes, intermediates,
        intermediateBytes: intermediates.reduce((s, a) => s + (typeof a.elements === "number" ? a.elements * elemSize : 0), 0),
        statements: p.stmts.length, loopNests: counts.nests, loops: counts.loops,
        scheduler: sched.method + (sched.note ? ` (${sched.note})` : ""), contraction,
        kernels: kernels ?? { kernels: 0, padded: 0, names: [] }, islObjectsAtEnd: ctx.liveObjects(),
      },
    };
  } finally {
    ctx.free();
  }
}
