/**
 * The C-like base printer: statements, loops, index and value expressions of the loop AST, in
 * the spelling of a dialect (src/codegen/dialect.ts). Scalar operations are spelled by the
 * primitive table (src/core/prims.ts); this file adds none of its own. Everything that changes
 * the loops (accumulators, outlined bodies, kernels) was decided before (src/codegen/passes.ts,
 * src/poly/kernels.ts): this only prints.
 */
import { PRIMS, type MathFn, type Spell } from "../core/prims.js";
import type { Dim } from "../core/shape.js";
import type { DType } from "../core/tensor.js";
import type { Dialect } from "./dialect.js";
import { printKernel } from "./kernel_c.js";
import type { Access, LExpr, LNode, LoopProgram, VExpr } from "../loop/ast.js";
import { PARALLEL_WORK } from "./passes.js";

/** Lines past this width are wrapped at a space (C does not care where). */
export const LINE_WIDTH = 100;

export interface BodyPrinter {
  /** The lines of a node at an indentation. */
  node(n: LNode, ind: string, out: string[]): void;
  /** Functions the body needs before it (outlined loop bodies, kernels), in order. */
  support: string[];
  /** An array's size in C: numbers as `…L`, symbolic sizes as their parameter s0, s1, … */
  dimC(d: Dim): string;
}

/**
 * A printer for one program's body. `fn`: the prefix of the functions it creates; `isInput`: an
 * array the program only reads (a `const` pointer in outlined functions).
 */
// long: the printer's closures share the program, the dialect and the local names; each closure is short.
export function bodyPrinter(
  lp: LoopProgram,
  dtype: DType,
  d: Dialect,
  fn: string,
  isInput: (array: string) => boolean,
): BodyPrinter {
  const T = d.scalar(dtype);
  const { dimC, flat, val, stmt, wide } = exprPrinter(lp, dtype, d);
  const head = (it: string, init: LExpr, cond: LExpr, inc: LExpr) =>
    `for (long ${it} = ${int(init)}; ${int(cond)}; ${it} += ${int(inc)})`;
  const support: string[] = [];
  const fnName = (k: number) => `${fn}_nest${k}`;
  const callArgs = (k: number) => {
    const f = lp.functions[k]!;
    return [...f.longs, ...f.arrays];
  };
  let kernels = 0;
  const node = (n: LNode, ind: string, out: string[]): void => {
    const push = (line: string) => out.push(...wrap(ind + line, ind + "    "));
    switch (n.k) {
      case "block":
        n.items.forEach((x) => node(x, ind, out));
        return;
      case "stmt":
        push(stmt(n));
        return;
      case "call":
        push(`${fnName(n.fn)}(${callArgs(n.fn).join(", ")});`);
        return;
      case "kernel": {
        const kc = printKernel(n.plan, `${fn}_kernel${kernels++}`, T, PARALLEL_WORK, d);
        support.push(
          kc.source
            .split("\n")
            .flatMap((l) => wrap(l, `${/^ */.exec(l)![0]}    `))
            .join("\n"),
        );
        push(kc.call);
        return;
      }
      case "if":
        push(`if (${int(n.cond)}) {`);
        node(n.then, ind + "  ", out);
        if (n.else) {
          out.push(`${ind}} else {`);
          node(n.else, ind + "  ", out);
        }
        out.push(`${ind}}`);
        return;
      case "accumulate": {
        // One local accumulator (the dialect's, a double for f32) over the nest, rounded once into the target.
        // A wide target keeps the accumulator's type: no rounding there. Conversions are explicit
        // (clang's -Wdouble-promotion).
        const target = flat(n.target);
        const A = d.accumulator(dtype);
        const toA = A === T ? "" : `(${A})`;
        out.push(`${ind}{`);
        push(`  ${A} lift_acc = ${wide(n.target.array) ? "" : toA}${target};`);
        n.loops.forEach((l, k) => push(`  ${"  ".repeat(k)}${head(l.it, l.init, l.cond, l.inc)}`));
        push(`  ${"  ".repeat(n.loops.length)}lift_acc += ${toA && `${toA}(`}${val(n.value)}${toA && ")"};`);
        push(`  ${target} = ${A === T || wide(n.target.array) ? "" : `(${T})`}lift_acc;`);
        out.push(`${ind}}`);
        return;
      }
      case "for": {
        if (n.parallel) out.push(...d.parallelFor(n.when && int(n.when)).map((l) => (l.startsWith("#") ? l : ind + l)));
        if (n.body.k === "call") {
          push(head(n.it, n.init, n.cond, n.inc));
          node(n.body, ind + "  ", out);
          return;
        }
        push(`${head(n.it, n.init, n.cond, n.inc)} {`);
        node(n.body, ind + "  ", out);
        out.push(`${ind}}`);
        return;
      }
    }
  };
  // Outlined functions first (they may hold kernels, whose functions then precede them).
  lp.functions.forEach((f, k) => {
    const params = [
      ...f.longs.map((x) => `long ${x}`),
      ...f.arrays.map((a) => `${isInput(a) ? "const " : ""}${wide(a) ? d.accumulator(dtype) : T} *${d.restrict} ${a}`),
    ];
    const body: string[] = [];
    node(f.body, "  ", body);
    support.push([...wrap(`static void ${fnName(k)}(${params.join(", ")}) {`, "    "), ...body, `}`, ""].join("\n"));
  });
  return { node, support, dimC };
}

/** Index expressions, element reads, values and statements of one program, in a dialect's spelling. */
function exprPrinter(lp: LoopProgram, dtype: DType, d: Dialect) {
  const T = d.scalar(dtype);
  const arrays = new Map(lp.arrays.map((a) => [a.name, a]));
  const dimC = (x: Dim): string => (typeof x === "number" ? String(x) : `s${lp.sizes.indexOf(x)}`);
  const spellBase = {
    type: T,
    math: (f: MathFn) => d.math(f, dtype),
    lit: (v: number) => constant(v, dtype),
    min: "lift_min",
    max: "lift_max",
  };
  const flat = (a: Access): string => {
    const arr = arrays.get(a.array);
    if (!arr) throw new Error(`internal: unknown array ${a.array}`);
    if (a.index.length !== arr.shape.length)
      throw new Error(`internal: ${a.array} indexed with ${a.index.length} of ${arr.shape.length}`);
    let e = "";
    a.index.forEach((ix, i) => {
      e = i === 0 ? int(ix) : `(${e}) * ${dimC(arr.shape[i]!)} + ${int(ix)}`;
    });
    return `${a.array}[${e || "0"}]`;
  };
  // A wide array holds double elements for f32: each read rounds to the element type once.
  const A = d.accumulator(dtype);
  const wide = (array: string) => arrays.get(array)?.wide === true && A !== T;
  const val = (v: VExpr): string => {
    switch (v.k) {
      case "read":
        return wide(v.at.array) ? `((${T})${flat(v.at)})` : flat(v.at);
      case "const":
        return constant(v.v, dtype);
      case "call": {
        const consts = v.args.map((a) => (a.k === "const" ? a.v : undefined));
        const entry = PRIMS[v.op];
        // Constant operands fold with the table's own function.
        if (consts.every((c) => c !== undefined)) {
          const r = entry.kind === "map" ? entry.fn(consts[0]!) : entry.fn(consts[0]!, consts[1]!);
          return constant(dtype === "f32" ? Math.fround(r) : r, dtype);
        }
        const s: Spell = { ...spellBase, consts };
        const args = v.args.map(val);
        return entry.kind === "map" ? entry.c(args[0]!, s) : entry.c(args[0]!, args[1]!, s);
      }
    }
  };
  const stmt = (n: Extract<LNode, { k: "stmt" }>): string => {
    const target = flat(n.target);
    // Into a wide array the value is widened explicitly (clang's -Wdouble-promotion).
    const value = wide(n.target.array) ? `(${A})(${val(n.value)})` : val(n.value);
    if (n.kind !== "update") return `${target} = ${value};`;
    if (n.op === "+") return `${target} += ${value};`;
    return `${target} = ${PRIMS[n.op!].c(target, value, { ...spellBase, consts: [undefined, undefined] })};`;
  };
  return { dimC, flat, val, stmt, wide };
}

/** A float constant that reads back exactly in the chosen precision (the shortest such decimal). */
export function constant(v: number, dtype: DType): string {
  if (Number.isNaN(v)) return "NAN";
  if (!Number.isFinite(v)) return v > 0 ? "INFINITY" : "(-INFINITY)";
  let s = String(v);
  if (dtype === "f32") {
    const f = Math.fround(v);
    for (let p = 1; p <= 9; p++) {
      const t = Number(f.toPrecision(p));
      if (Math.fround(t) === f) {
        s = String(t);
        break;
      }
    }
  }
  if (!/[.e]/.test(s)) s += ".0";
  return `(${s}${dtype === "f32" ? "f" : ""})`;
}

/** Integer index expressions with isl's semantics (fdiv_q rounds toward −∞). */
export function int(e: LExpr): string {
  switch (e.k) {
    case "int":
      return e.v < 0 ? `(${e.v})` : String(e.v);
    case "id":
      return e.name;
    case "op": {
      const a = e.args.map(int);
      switch (e.op) {
        case "add":
          return `(${a[0]} + ${a[1]})`;
        case "sub":
          return `(${a[0]} - ${a[1]})`;
        case "mul":
          return `(${a[0]} * ${a[1]})`;
        case "minus":
          return `(-${a[0]})`;
        case "div":
        case "pdiv_q":
          return `(${a[0]} / ${a[1]})`;
        case "fdiv_q":
          return `lift_floord(${a[0]}, ${a[1]})`;
        case "pdiv_r":
        case "zdiv_r":
          return `(${a[0]} % ${a[1]})`;
        case "max":
          return a.slice(1).reduce((x, y) => `lift_imax(${x}, ${y})`, a[0]!);
        case "min":
          return a.slice(1).reduce((x, y) => `lift_imin(${x}, ${y})`, a[0]!);
        case "cond":
        case "select":
          return `(${a[0]} ? ${a[1]} : ${a[2]})`;
        case "and":
        case "and_then":
          return `(${a[0]} && ${a[1]})`;
        case "or":
        case "or_else":
          return `(${a[0]} || ${a[1]})`;
        case "eq":
          return `${a[0]} == ${a[1]}`;
        case "le":
          return `${a[0]} <= ${a[1]}`;
        case "lt":
          return `${a[0]} < ${a[1]}`;
        case "ge":
          return `${a[0]} >= ${a[1]}`;
        case "gt":
          return `${a[0]} > ${a[1]}`;
      }
    }
  }
}

/** A line cut at spaces into pieces of at most LINE_WIDTH (a piece without a space stays whole). */
export function wrap(line: string, cont: string): string[] {
  if (line.length <= LINE_WIDTH || line.trimStart().startsWith("#")) return [line];
  const out: string[] = [];
  let rest = line;
  while (rest.length > LINE_WIDTH) {
    const cut = rest.lastIndexOf(" ", LINE_WIDTH);
    const lead = rest.length - rest.trimStart().length;
    if (cut <= lead) break;
    out.push(rest.slice(0, cut));
    rest = cont + rest.slice(cut + 1);
  }
  out.push(rest);
  return out;
}
