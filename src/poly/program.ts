/**
 * The Poly program (reference §8.2): arrays as isl sets, statements as (domain, write access,
 * expression over read accesses) with def / init / update kinds. Sizes are isl parameters
 * (`n24` for a known 24, `s0` for the first symbolic size); size 1 stays a literal. Its text form
 * and parser: program_text.ts.
 */
import type { Graph } from "../core/graph.js";
import type { ReduceOp } from "../core/params.js";
import type { DyadName, MapName } from "../core/prims.js";
import type { Dim } from "../core/shape.js";
import type { Ctx, IslMap, IslSet } from "./isl/index.js";
import type { BufferRole, KernelPlan } from "../loop/ast.js";

/** A read leaf carries its access: statement instance → the array element it reads. */
export type PExpr =
  | { k: "read"; array: string; access: IslMap }
  | { k: "const"; v: number }
  | { k: "call"; op: DyadName | MapName; args: PExpr[] };

export type StmtKind = "def" | "init" | "update";

/**
 * def: z[w(i)] = e(i); init: z[w(i)] = e (a constant); update: z[w(i)] = op(z[w(i)], e(i)).
 * `order` is a topological position: every value a statement reads is produced by statements
 * of smaller order (or by inits/updates of the same array before it), so ordering statements by
 * it, each as its own loop nest, is always a valid schedule.
 */
export interface PStmt {
  name: string;
  kind: StmtKind;
  order: number;
  domain: IslSet;
  array: string;
  write: IslMap;
  expr: PExpr;
  op?: ReduceOp;
  /** Set by kernel recognition: one instance, printed as a register-blocked kernel. */
  kernel?: KernelPlan;
}

export type ArrayRole = "input" | "output" | "temp";
export interface PArray {
  name: string;
  shape: Dim[];
  role: ArrayRole;
  /** The program's names for this array (an input's or output's name comes first). */
  labels: string[];
  /** Where the values live when kernel recognition laid the array out with a zero border. */
  interior?: { lo: number[]; shape: Dim[] };
  /** An f32 array in double storage: a long sum, rounded once where read (src/poly/widen.ts), or a kernel's float64 shadow (KernelPlan.wide). */
  wide?: true;
}

export interface PolyProgram {
  ctx: Ctx;
  graph: Graph;
  arrays: Map<string, PArray>;
  stmts: PStmt[];
  /** isl parameter name → its value (a number) or the symbolic size it stands for. */
  params: Map<string, number | string>;
  /** Output name → array (an output may share its array with no other output). */
  outputs: { name: string; array: string; role: BufferRole }[];
  inputs: { name: string; array: string; role: BufferRole }[];
  nextStmt: number;
}

/** A program over `ctx` for `g` with nothing in it yet (lowering and the text parser fill it). */
export function emptyProgram(ctx: Ctx, graph: Graph): PolyProgram {
  return { ctx, graph, arrays: new Map(), stmts: [], params: new Map(), outputs: [], inputs: [], nextStmt: 0 };
}

export function paramOf(d: Dim, graph: Graph): string | number {
  if (typeof d === "number") return d === 1 ? 1 : `n${d}`;
  return `s${graph.sizes.indexOf(d)}`;
}

/** Visits every read leaf. */
export function reads(e: PExpr, out: Extract<PExpr, { k: "read" }>[] = []): Extract<PExpr, { k: "read" }>[] {
  if (e.k === "read") out.push(e);
  else if (e.k === "call") for (const a of e.args) reads(a, out);
  return out;
}

/**
 * The index expressions of an access, parsed from isl's text (`v5[i0, 2i1 + 1, -2 + n2 + i3 - i5]`):
 * per axis a coefficient per iterator and the constant with known sizes folded in (`symbolic` when
 * a symbolic size appears); null for an axis that is not affine in those terms.
 */
export interface IndexTerm {
  coef: number[];
  c: number;
  symbolic: boolean;
}
export function indexTerms(m: IslMap, iters: number, params: Map<string, number | string>): (IndexTerm | null)[] {
  const s = m.toString();
  const arrow = s.indexOf("->", s.indexOf("{"));
  const open = s.indexOf("[", arrow),
    close = s.indexOf("]", open);
  const parts = s
    .slice(open + 1, close)
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length);
  return parts.map((part) => {
    if (/floor|mod|\/|\*/.test(part)) return null;
    const a: IndexTerm = { coef: new Array(iters).fill(0), c: 0, symbolic: false };
    for (const t of part.replace(/\s+/g, "").replace(/-/g, "+-").split("+").filter(Boolean)) {
      const m2 = /^(-?)(\d*)([ins])?(\d*)$/.exec(t);
      if (!m2 || (!m2[3] && (!m2[2] || m2[4]))) return null;
      const k = (m2[1] ? -1 : 1) * (m2[2] ? Number(m2[2]) : 1);
      if (!m2[3]) {
        a.c += k;
        continue;
      }
      if (!m2[4]) return null;
      if (m2[3] === "i") {
        const it = Number(m2[4]);
        if (!(it < iters)) return null;
        a.coef[it] = (a.coef[it] ?? 0) + k;
        continue;
      }
      const v = params.get(`${m2[3]}${m2[4]}`);
      if (typeof v === "number") a.c += k * v;
      else a.symbolic = true;
    }
    return a;
  });
}

/** `[n5, s0] -> text`: an isl text with the size parameters it mentions declared. */
export function withParams(p: PolyProgram, text: string): string {
  const used = [...new Set(text.match(/\b[ns][0-9]+\b/g) ?? [])].filter((q) => p.params.has(q));
  return `[${used.join(", ")}] -> ${text}`;
}
