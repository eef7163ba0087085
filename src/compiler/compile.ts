/**
 * The compiler driver: runs the pass list of src/compiler/passes.ts from Graph to C (each timed,
 * dumpable with `LIFT_DUMP=lower,contract,…`, re-checked with `LIFT_VERIFY=1`) and gathers --stats.
 */
import type { Graph } from "../core/graph.js";
import type { CUnit, HeaderNotes } from "../codegen/c.js";
import { isReservedWord } from "../codegen/names.js";
import { loopCounts, type LoopProgram } from "../loop/ast.js";
import { dumpedPasses, runPasses, type CompileState } from "./passes.js";
import type { DType } from "../core/tensor.js";
import type { ContractStats } from "../poly/contract.js";
import { Ctx } from "../poly/isl/index.js";
import { LiftError } from "../lang/diagnostics.js";
import type { KernelStats } from "../poly/kernels.js";
import { printPoly } from "../poly/program_text.js";
import type { ScheduleMode } from "../poly/schedule.js";

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
  intermediates: {
    name: string;
    labels: string[];
    shape: (number | string)[];
    elements: number | string;
    wide?: boolean;
  }[];
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

export interface Compiled {
  unit: CUnit;
  loops: LoopProgram;
  poly: string;
  stats: CompileStats;
}

/** A program name: it reaches file names and the compiler's command line, so a plain C identifier. */
export const C_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

export function compileGraph(g: Graph, opts: CompileOptions = {}): Compiled {
  const dtype = opts.dtype ?? "f32";
  if (opts.name !== undefined && (!C_NAME.test(opts.name) || isReservedWord(opts.name)))
    throw new LiftError(
      `the program name must be a C identifier (letters, digits, _) that C does not reserve, not ${JSON.stringify(opts.name)}`,
    );
  const dump = dumpedPasses(process.env.LIFT_DUMP);
  const ctx = new Ctx();
  try {
    const st: CompileState = { g, opts, ctx };
    const passes = runPasses(st, dump, process.env.LIFT_VERIFY === "1");
    const p = st.poly!,
      loops = st.loops!,
      unit = st.unit!,
      sched = st.sched!;
    const poly = printPoly(p);
    const contraction = st.contraction ?? {},
      kernels = st.kernels;
    const elemSize = dtype === "f32" ? 4 : 8;
    const intermediates = [...p.arrays.values()]
      .filter((a) => a.role === "temp")
      .map((a) => {
        const numeric = a.shape.every((d) => typeof d === "number");
        return {
          name: a.name,
          labels: a.labels,
          shape: a.shape,
          elements: numeric ? (a.shape as number[]).reduce((x, y) => x * y, 1) : a.shape.join("·"),
          // A wide array's elements are doubles (src/poly/widen.ts).
          ...(a.wide ? { wide: true } : {}),
        };
      });
    const counts = loopCounts(loops.body);
    return {
      unit,
      loops,
      poly,
      stats: {
        passes,
        intermediates,
        intermediateBytes: intermediates.reduce(
          (s, a) => s + (typeof a.elements === "number" ? a.elements * (a.wide ? 8 : elemSize) : 0),
          0,
        ),
        statements: p.stmts.length,
        loopNests: counts.nests,
        loops: counts.loops,
        scheduler: sched.method + (sched.note ? ` (${sched.note})` : ""),
        contraction,
        kernels: kernels ?? { kernels: 0, padded: 0, names: [] },
        islObjectsAtEnd: ctx.liveObjects(),
      },
    };
  } finally {
    ctx.free();
  }
}
