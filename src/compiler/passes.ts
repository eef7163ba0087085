/**
 * THE pass list from Graph to C: each pass is a name, what it does to the compilation's state,
 * the printer of its result (`LIFT_DUMP=name,…` writes it to stderr) and, where it has one, the
 * checker of the invariants it must leave (`LIFT_VERIFY=1` runs it after the pass). The driver
 * (compiler/compile.ts) runs them in order; nothing else runs between them.
 */
import type { Graph } from "../core/graph.js";
import { verifyGraph } from "../core/graph_verify.js";
import { printC, type CUnit } from "../codegen/c.js";
import { C_DIALECT } from "../codegen/dialect.js";
import type { LoopProgram } from "../loop/ast.js";
import { printLoops } from "../codegen/loop_text.js";
import { localAccumulators, outlineParallel, splitWideSums } from "../codegen/passes.js";
import { WASM_DIALECT } from "../codegen/wasm.js";
import { LiftError } from "../lang/diagnostics.js";
import { generateLoops } from "../poly/astgen.js";
import type { CompileOptions } from "./compile.js";
import { contract, knownContext, type ContractStats } from "../poly/contract.js";
import { dependences, type Constraints } from "../poly/deps.js";
import type { Ctx } from "../poly/isl/index.js";
import { recognizeKernels, type KernelStats } from "../poly/kernels.js";
import { lower } from "../poly/lower.js";
import { orderIterators } from "../poly/order.js";
import type { PolyProgram } from "../poly/program.js";
import { printPoly } from "../poly/program_text.js";
import { schedule, type Scheduled } from "../poly/schedule.js";
import { verifyLoops, verifyPoly } from "../poly/verify.js";
import { markWideArrays, widenSums, type WidenStats } from "../poly/widen.js";

/** What the passes read and fill in, in pass order. */
export interface CompileState {
  readonly g: Graph;
  readonly opts: CompileOptions;
  readonly ctx: Ctx;
  poly?: PolyProgram;
  contraction?: ContractStats;
  kernels?: KernelStats;
  widened?: WidenStats;
  deps?: Constraints;
  sched?: Scheduled;
  loops?: LoopProgram;
  unit?: CUnit;
}

export interface Pass {
  readonly name: string;
  /** Whether the options run it (default: always). */
  readonly enabled?: (o: CompileOptions) => boolean;
  readonly run: (s: CompileState) => void;
  readonly dump: (s: CompileState) => string;
  /** The invariants the pass must leave, as messages saying what is broken (none: all hold). */
  readonly verify?: (s: CompileState) => string[];
}

/** A field the earlier passes filled in (the order of PASSES guarantees it). */
function need<K extends keyof CompileState>(s: CompileState, k: K): NonNullable<CompileState[K]> {
  const v = s[k];
  if (v === undefined) throw new Error(`internal: pass state has no ${String(k)} yet`);
  return v as NonNullable<CompileState[K]>;
}

const poly = (s: CompileState) => printPoly(need(s, "poly"));
const loops = (s: CompileState) => printLoops(need(s, "loops"));
const polyOk = (s: CompileState) => verifyPoly(need(s, "poly"));
const loopsOk = (s: CompileState) => verifyLoops(need(s, "poly"), need(s, "loops"));
const elemBytes = (o: CompileOptions) => ((o.dtype ?? "f32") === "f32" ? 4 : 8);

export const PASSES: readonly Pass[] = [
  {
    name: "lower",
    run: (s) => {
      s.poly = lower(s.ctx, s.g);
    },
    dump: poly,
    verify: (s) => [...verifyGraph(s.g), ...polyOk(s)],
  },
  {
    name: "contract",
    enabled: (o) => o.contract !== false,
    run: (s) => {
      s.contraction = contract(need(s, "poly"));
    },
    dump: poly,
    verify: polyOk,
  },
  {
    name: "kernels",
    enabled: (o) => o.kernels !== false,
    run: (s) => {
      s.kernels = recognizeKernels(need(s, "poly"), elemBytes(s.opts));
    },
    dump: poly,
    verify: polyOk,
  },
  {
    name: "order",
    enabled: (o) => o.reorder !== false,
    run: (s) => orderIterators(need(s, "poly")),
    dump: poly,
    verify: polyOk,
  },
  {
    name: "widen",
    enabled: (o) => (o.dtype ?? "f32") === "f32",
    run: (s) => {
      s.widened = widenSums(need(s, "poly"));
    },
    dump: poly,
    verify: polyOk,
  },
  {
    name: "dependences",
    run: (s) => {
      s.deps = dependences(need(s, "poly"));
    },
    dump: (s) => `validity ${need(s, "deps").validity}\nreductions ${need(s, "deps").reductions}`,
  },
  {
    name: "schedule",
    run: (s) => {
      s.sched = schedule(
        need(s, "poly"),
        need(s, "deps"),
        s.opts.schedule ?? "isl",
        s.opts.scheduleEffort,
        s.opts.scheduleChunk,
      );
    },
    dump: (s) => {
      const x = need(s, "sched");
      return x.schedule ? x.schedule.toString() : `sequential: ${x.map}`;
    },
  },
  {
    name: "ast",
    run: (s) => {
      const p = need(s, "poly"),
        deps = need(s, "deps");
      s.loops = markWideArrays(
        p,
        generateLoops(
          p,
          need(s, "sched"),
          knownContext(p),
          s.opts.openmp !== false ? deps.validity.union(deps.reductions) : undefined,
        ),
      );
    },
    dump: loops,
    verify: loopsOk,
  },
  {
    name: "outline",
    enabled: (o) => o.openmp !== false,
    run: (s) => outlineParallel(need(s, "loops")),
    dump: loops,
    verify: loopsOk,
  },
  { name: "split-sums", run: (s) => splitWideSums(need(s, "loops")), dump: loops, verify: loopsOk },
  { name: "accumulate", run: (s) => localAccumulators(need(s, "loops")), dump: loops, verify: loopsOk },
  {
    name: "print-c",
    run: (s) => {
      const { opts } = s;
      const o = {
        name: opts.name ?? "lift_program",
        dtype: opts.dtype ?? "f32",
        ...(opts.notes ? { notes: opts.notes } : {}),
      };
      s.unit = printC(need(s, "loops"), o, opts.target === "wasm" ? WASM_DIALECT : C_DIALECT);
    },
    dump: (s) => need(s, "unit").source,
  },
];

export const PASS_NAMES: readonly string[] = PASSES.map((p) => p.name);

/** The passes `LIFT_DUMP` names (comma-separated); a name that is no pass is a usage error listing them. */
export function dumpedPasses(env: string | undefined): Set<string> {
  const want = (env ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  const unknown = want.filter((x) => !PASS_NAMES.includes(x));
  if (unknown.length) {
    const what = unknown.map((x) => JSON.stringify(x)).join(", ");
    throw new LiftError(`LIFT_DUMP names no pass ${what}; the passes are: ${PASS_NAMES.join(", ")}`);
  }
  return new Set(want);
}

/**
 * Wall-clock and process CPU milliseconds of a pass (CPU time is what a loaded machine does not
 * inflate), and the isl functions it called (a work count, the same on any machine).
 */
export interface PassTime {
  name: string;
  ms: number;
  cpuMs: number;
  islCalls: number;
}

/** Runs every enabled pass on `s`, timing each, dumping and verifying as asked. */
export function runPasses(s: CompileState, dump: Set<string>, verify: boolean): PassTime[] {
  const times: PassTime[] = [];
  for (const pass of PASSES) {
    if (pass.enabled && !pass.enabled(s.opts)) continue;
    const t0 = performance.now(),
      c0 = process.cpuUsage(),
      calls = s.ctx.calls;
    pass.run(s);
    const c = process.cpuUsage(c0);
    times.push({
      name: pass.name,
      ms: performance.now() - t0,
      cpuMs: (c.user + c.system) / 1000,
      islCalls: s.ctx.calls - calls,
    });
    if (dump.has(pass.name)) process.stderr.write(`--- ${pass.name}\n${pass.dump(s).replace(/\n$/, "")}\n`);
    const broken = verify && pass.verify ? pass.verify(s) : [];
    if (broken.length) throw new VerifyError(pass.name, broken);
  }
  return times;
}

/** A pass left its IR broken: a bug in LiFT. One line (the CLI prints the first); `problems` has all. */
export class VerifyError extends Error {
  constructor(
    readonly pass: string,
    readonly problems: string[],
  ) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    super(`internal: LIFT_VERIFY: after pass ${pass}: ${problems[0]}${more}`);
  }
}
