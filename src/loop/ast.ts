/**
 * The loop AST: what printers see. Built from isl's AST (src/poly/astgen.ts); printers know
 * nothing about isl. Index expressions are integer expressions over loop iterators and size
 * names; statement values are float expressions over array reads.
 */
import type { ReduceOp } from "../core/params.js";
import type { DyadName, MapName } from "../core/prims.js";
import type { Dim } from "../core/shape.js";

export type IntOp =
  | "and"
  | "and_then"
  | "or"
  | "or_else"
  | "max"
  | "min"
  | "minus"
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "fdiv_q"
  | "pdiv_q"
  | "pdiv_r"
  | "zdiv_r"
  | "cond"
  | "select"
  | "eq"
  | "le"
  | "lt"
  | "ge"
  | "gt";
export type LExpr = { k: "int"; v: number } | { k: "id"; name: string } | { k: "op"; op: IntOp; args: LExpr[] };

export interface Access {
  array: string;
  index: LExpr[];
}
export type VExpr =
  { k: "read"; at: Access } | { k: "const"; v: number } | { k: "call"; op: DyadName | MapName; args: VExpr[] };

export type LNode =
  /** `when`: the condition under which a parallel loop is worth threads (set by the outline pass). */
  | { k: "for"; it: string; init: LExpr; cond: LExpr; inc: LExpr; body: LNode; parallel: boolean; when?: LExpr }
  | { k: "if"; cond: LExpr; then: LNode; else?: LNode }
  | { k: "block"; items: LNode[] }
  | { k: "stmt"; name: string; kind: "def" | "init" | "update"; op?: ReduceOp; target: Access; value: VExpr }
  | { k: "kernel"; name: string; plan: KernelPlan }
  /** A loop that only adds into one element, run on a local accumulator (src/codegen/passes.ts). */
  /** A perfect nest of loops (outermost first) that only adds `value` into one element, on a local accumulator. */
  | { k: "accumulate"; target: Access; loops: { it: string; init: LExpr; cond: LExpr; inc: LExpr }[]; value: VExpr }
  /** A call of an outlined function (LoopProgram.functions): its first parameters are `longs`, then `arrays`. */
  | { k: "call"; fn: number };

/** A loop body made a function of its own (src/codegen/passes.ts): integer parameters, then arrays. */
export interface LFunction {
  longs: string[];
  arrays: string[];
  body: LNode;
}

/**
 * A recognised contraction `z += a * b` over a box (src/poly/kernels.ts): iterator roles and, per
 * array, the flat offset and the flat stride of each iterator. v: the vector axis; r (and r2 in
 * the dot form): axes blocked in registers; plain: other output axes; red: other reduction axes.
 * axpy: v is z's last axis and b's; a is broadcast. dot: v is a reduction axis, last in a and b.
 */
export type KernelRole = "plain" | "r" | "r2" | "v" | "red";
export interface KernelOperand {
  array: string;
  offset: number;
  stride: number[];
}
export interface KernelPlan {
  form: "axpy" | "dot";
  iters: { name: string; extent: number | string; role: KernelRole }[];
  z: KernelOperand;
  a: KernelOperand;
  b: KernelOperand;
  /** One tile plan per vector width the emitted code may be compiled for (the printer picks by `#if`). */
  variants: KernelVariant[];
  /** The reduction iterator the driver splits into chunks, and the chunk's length. */
  chunk?: { iter: string; size: number };
  /**
   * f32 with a chunk: the wide temp array of z's shape holding z in float64 while
   * the chunks' partial sums are added into it; z gets it rounded once, after the last chunk.
   */
  wide?: string;
  /** Set when the contraction is a large matrix product, printed as a packed GEMM (src/poly/gemm.ts). */
  gemm?: GemmPlan;
}
/**
 * A matrix product z[m, n] += a[m, k] · b[k, n] over three iterators, with packed operands: the
 * panels of a (mr rows) and of b (nr columns) are copied into `pack`, a scratch array, before
 * the micro-kernel runs over them; kc and mc block the k and m loops for L1 and L2.
 */
export interface GemmPlan {
  m: string;
  n: string;
  k: string;
  /** The plan's b is the row operand (uses m and k) and a the column operand. */
  swap: boolean;
  pack: string;
  tiles: GemmTile[];
}
/** The blocking for one vector width (bytes 0: scalars); nr is a multiple of the lanes. */
export interface GemmTile {
  bytes: number;
  lanes: number;
  mr: number;
  nr: number;
  kc: number;
  mc: number;
}
export interface KernelVariant {
  /** Vector bytes (0: no vector extensions, one element per vector); elements per vector. */
  bytes: number;
  lanes: number;
  /** Register block along r, and along r2 (1 when there is none). */
  block: number;
  block2: number;
  /** Whole vectors may be read past v's extent (into zero padding); else the last one is partial. */
  overread: boolean;
  /** This width's chunk length, where it differs from the plan's (an f32 sum's blocks: wider vectors, longer chunks). */
  chunk?: number;
}

/** What a buffer is to the program's user, as the header documents it. */
export type BufferRole = "input" | "parameter" | "output" | "gradient";

export interface LoopArray {
  name: string;
  shape: Dim[];
  role: "input" | "output" | "temp";
  labels: string[];
  /** `file:line` of the formula the array holds, for comments. */
  origin?: string;
  /** The values' region when the array has a zero border (read by kernels); the border is the printer's to zero. */
  interior?: { lo: number[]; shape: Dim[] };
  /** Elements in the dialect's accumulator type (C: double for f32), read rounded to the element type (src/poly/widen.ts). */
  wide?: true;
}

export interface LoopProgram {
  arrays: LoopArray[];
  /** Size parameters used in index expressions: a number, or the symbolic size it stands for. */
  params: Map<string, number | string>;
  /** Symbolic sizes in order; their parameter names are s0, s1, … */
  sizes: string[];
  inputs: { name: string; array: string; role: BufferRole }[];
  outputs: { name: string; array: string; role: BufferRole }[];
  body: LNode;
  /** Functions outlined from the body, called by `call` nodes. */
  functions: LFunction[];
}

/** Number of `for` nodes and of top-level loop nests, for --stats. */
export function loopCounts(n: LNode): { loops: number; nests: number } {
  let loops = 0;
  const walk = (x: LNode): void => {
    if (x.k === "for") {
      loops++;
      walk(x.body);
    } else if (x.k === "if") {
      walk(x.then);
      if (x.else) walk(x.else);
    } else if (x.k === "block") x.items.forEach(walk);
  };
  walk(n);
  const top = n.k === "block" ? n.items : [n];
  return { loops, nests: top.filter((x) => x.k === "for" || x.k === "if").length };
}
