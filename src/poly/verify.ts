/**
 * The invariants of the Poly program and of the loop AST, re-checked after each pass under
 * `LIFT_VERIFY=1` (compiler/passes.ts). Each function returns what is broken, as messages.
 *
 * Poly: every access goes from its statement's domain to an array of the program with the
 * array's rank, is defined on every instance, and stays inside the array (for the known sizes);
 * walking statements by (order, place in the list), every element a statement reads, and every
 * element an update accumulates into, was written by a statement before it (inputs are given;
 * the zero border of a laid-out array counts as written); a kernel plan names known arrays; a
 * wide array is a temp that only `+=` updates and no kernel has as an operand.
 * Loop AST: every array is the program's, every identifier an enclosing iterator, a function's
 * parameter or a size, every call names a function; and, when the sizes are known and no
 * `accumulate` node hides statement names, each statement runs as many times as its domain has
 * points (a box by its bounds, else slice by slice up to COUNT_LIMIT slices; the loops run up to RUN_LIMIT steps).
 */
import type { LExpr, LNode, LoopProgram, VExpr } from "../loop/ast.js";
import { knownContext } from "./contract.js";
import type { IslMap, IslSet } from "./isl/index.js";
import type { Dim } from "../core/shape.js";
import { paramOf, reads, type PolyProgram, type PStmt } from "./program.js";

const COUNT_LIMIT = 200;
const RUN_LIMIT = 2_000_000;

export function verifyPoly(p: PolyProgram): string[] {
  const bad: string[] = [];
  const known = knownContext(p);
  const boxes = new Map<string, IslSet>();
  const box = (array: string) => {
    let b = boxes.get(array);
    if (!b) boxes.set(array, (b = p.ctx.set(boxText(p, array))));
    return b;
  };
  for (const s of p.stmts) {
    if (s.domain.tupleName() !== s.name) bad.push(`${s.name}: its domain is named ${s.domain.tupleName()}`);
    const accesses = [
      { what: "write", array: s.array, m: s.write },
      ...reads(s.expr).map((r) => ({ what: "read", array: r.array, m: r.access })),
    ];
    for (const { what, array, m } of accesses) {
      const a = p.arrays.get(array);
      if (!a) {
        bad.push(`${s.name}: ${what} of ${array}, which is not an array of the program`);
        continue;
      }
      if (m.tupleName("in") !== s.name || m.tupleName("out") !== array || m.dim("out") !== a.shape.length) {
        bad.push(`${s.name}: ${what} of ${array} is the map ${m}`);
        continue;
      }
      const defined = scoped(s.domain.intersectParams(known), (d) => scoped(m.domain(), (md) => d.isSubset(md)));
      if (!defined) bad.push(`${s.name}: ${what} of ${array} is not defined on every instance: ${m}`);
      scoped(image(s.domain, m, known), (elems) => {
        if (!elems.isSubset(box(array))) {
          const out = scoped(elems.subtract(box(array)), String);
          bad.push(`${s.name}: ${what} of ${array} outside its shape (${a.shape.join(" ")}): ${out}`);
        }
      });
    }
    if (s.kernel)
      for (const x of Object.values(s.kernel))
        if (isOperand(x) && !p.arrays.has(x.array))
          bad.push(`${s.name}: its kernel plan names ${x.array}, which is not an array`);
    const wide = s.kernel?.wide && p.arrays.get(s.kernel.wide);
    if (s.kernel?.wide && (!wide || wide.role !== "temp" || !wide.wide))
      bad.push(`${s.name}: its kernel's float64 shadow ${s.kernel.wide} is not a temporary array`);
  }
  bad.push(...wideArrays(p));
  if (!bad.length) bad.push(...writtenBeforeRead(p, known, box));
  return bad;
}

/**
 * A wide array (src/poly/widen.ts) is an intermediate that only `+=` sums update, which no kernel
 * has as an operand (kernels read and write f32 memory): the user and kernels see its f32 copy. A
 * kernel's own float64 shadow (KernelPlan.wide) is wide too, and no statement's access.
 */
function wideArrays(p: PolyProgram): string[] {
  const bad: string[] = [];
  for (const a of p.arrays.values()) {
    if (!a.wide) continue;
    if (a.role !== "temp") bad.push(`${a.name} is wide but an ${a.role}`);
    for (const s of p.stmts) {
      if (s.kernel && (s.array === a.name || reads(s.expr).some((r) => r.array === a.name)))
        bad.push(`${s.name}: a kernel touches the wide array ${a.name}`);
      if (s.array === a.name && s.kind === "update" && s.op !== "+")
        bad.push(`${s.name}: a ${s.op}= update of the wide array ${a.name}`);
    }
  }
  return bad;
}

/** `f(o)`, then `o` freed: the checks make many isl objects, none of which outlives its question. */
function scoped<T extends { free(): void }, R>(o: T, f: (o: T) => R): R {
  try {
    return f(o);
  } finally {
    o.free();
  }
}

/** The elements `m` touches from `domain`, for the known sizes. */
function image(domain: IslSet, m: IslMap, known: IslSet): IslSet {
  return scoped(domain.apply(m), (x) => x.intersectParams(known));
}

const isOperand = (x: unknown): x is { array: string } =>
  typeof x === "object" && x !== null && typeof (x as { array?: unknown }).array === "string";

/** `[s0] -> { v3[a0, a1] : 0 <= a0 < 8 and 0 <= a1 < s0 }`: the elements of an array. */
function boxText(p: PolyProgram, array: string): string {
  const a = p.arrays.get(array)!;
  const vars = a.shape.map((_, i) => `a${i}`);
  const cons = a.shape.map((d, i) => `0 <= a${i} < ${typeof d === "number" ? d : paramOf(d, p.graph)}`);
  const params = [...new Set(a.shape.filter((d) => typeof d === "string").map((d) => paramOf(d, p.graph)))];
  return `[${params.join(", ")}] -> { ${array}[${vars.join(", ")}]${cons.length ? ` : ${cons.join(" and ")}` : ""} }`;
}

function writtenBeforeRead(p: PolyProgram, known: IslSet, box: (a: string) => IslSet): string[] {
  const bad: string[] = [];
  const written = new Map<string, IslSet>();
  for (const a of p.arrays.values()) {
    if (!a.interior) continue;
    const { lo, shape } = a.interior;
    const vars = lo.map((_, i) => `a${i}`).join(", ");
    const size = (d: Dim) => (typeof d === "number" ? d : paramOf(d, p.graph));
    const params = [...new Set(shape.filter((d) => typeof d === "string").map(size))];
    const cons = lo.map((l, i) => `${l} <= a${i} < ${l} + ${size(shape[i]!)}`).join(" and ");
    const inner = p.ctx.set(`[${params.join(", ")}] -> { ${a.name}[${vars}] : ${cons} }`);
    written.set(a.name, box(a.name).subtract(inner));
  }
  const order = p.stmts
    .map((s, i) => ({ s, i }))
    .sort((x, y) => x.s.order - y.s.order || x.i - y.i)
    .map((x) => x.s);
  const covered = (s: PStmt, what: string, array: string, m: IslMap) => {
    if (p.arrays.get(array)?.role === "input") return;
    const w = written.get(array);
    scoped(image(s.domain, m, known), (elems) => {
      if (w && elems.isSubset(w)) return;
      const missing = w ? scoped(elems.subtract(w), String) : String(elems);
      bad.push(`${s.name}: ${what} elements of ${array} no earlier statement writes: ${missing}`);
    });
  };
  for (const s of order) {
    for (const r of reads(s.expr)) covered(s, "reads", r.array, r.access);
    if (s.kind === "update") covered(s, "updates", s.array, s.write);
    const elems = s.domain.apply(s.write);
    const w = written.get(s.array);
    written.set(s.array, w ? scoped(elems, (e) => w.union(e).coalesce()) : elems);
    w?.free();
  }
  return bad;
}

/** The loop AST's invariants against the Poly program it was generated from. */
export function verifyLoops(p: PolyProgram, lp: LoopProgram): string[] {
  const bad: string[] = [];
  const arrays = new Set(lp.arrays.map((a) => a.name));
  const stmts = new Set(p.stmts.map((s) => s.name));
  const sizes = new Set(lp.params.keys());
  const check = (n: LNode, bound: ReadonlySet<string>): void =>
    structure(n, bound, { bad, arrays, stmts, sizes, functions: lp.functions.length });
  check(lp.body, new Set());
  lp.functions.forEach((f) => check(f.body, new Set(f.longs)));
  for (const a of lp.arrays) {
    if (a.wide !== p.arrays.get(a.name)?.wide)
      bad.push(`${a.name}: wide in one of the Poly program and the loops only`);
    if (a.wide && a.role !== "temp") bad.push(`${a.name} is wide but an ${a.role}`);
  }
  const wideOperand = (n: LNode): void => {
    if (n.k === "kernel") {
      for (const o of [n.plan.z, n.plan.a, n.plan.b])
        if (lp.arrays.find((a) => a.name === o.array)?.wide)
          bad.push(`kernel ${n.name} reads the wide array ${o.array}`);
    } else if (n.k === "block") n.items.forEach(wideOperand);
    else if (n.k === "for") wideOperand(n.body);
    else if (n.k === "if") [n.then, ...(n.else ? [n.else] : [])].forEach(wideOperand);
  };
  [lp.body, ...lp.functions.map((f) => f.body)].forEach(wideOperand);
  if (!bad.length) bad.push(...instanceCounts(p, lp));
  return bad;
}

interface Scope {
  bad: string[];
  arrays: Set<string>;
  stmts: Set<string>;
  sizes: Set<string>;
  functions: number;
}

function structure(n: LNode, bound: ReadonlySet<string>, c: Scope): void {
  const int = (e: LExpr) => ids(e, bound, c);
  const access = (a: { array: string; index: LExpr[] }, scope = bound) => {
    if (!c.arrays.has(a.array)) c.bad.push(`${a.array} is not an array of the program`);
    a.index.forEach((e) => ids(e, scope, c));
  };
  const value = (v: VExpr, scope = bound): void => {
    if (v.k === "read") access(v.at, scope);
    else if (v.k === "call") v.args.forEach((x) => value(x, scope));
  };
  const loops = (ls: { it: string; init: LExpr; cond: LExpr; inc: LExpr }[]) => {
    const inner = new Set(bound);
    for (const l of ls) {
      ids(l.init, inner, c);
      inner.add(l.it);
      ids(l.cond, inner, c);
      ids(l.inc, inner, c);
    }
    return inner;
  };
  switch (n.k) {
    case "block":
      n.items.forEach((x) => structure(x, bound, c));
      return;
    case "if":
      int(n.cond);
      structure(n.then, bound, c);
      if (n.else) structure(n.else, bound, c);
      return;
    case "for": {
      const inner = loops([n]);
      if (n.when) ids(n.when, inner, c);
      structure(n.body, inner, c);
      return;
    }
    case "stmt":
      if (!c.stmts.has(n.name)) c.bad.push(`statement ${n.name} is not in the program`);
      access(n.target);
      value(n.value);
      return;
    case "kernel":
      if (!c.stmts.has(n.name)) c.bad.push(`kernel ${n.name} is not in the program`);
      return;
    case "accumulate": {
      const inner = loops(n.loops);
      access(n.target, inner);
      value(n.value, inner);
      return;
    }
    case "call":
      if (!(n.fn >= 0 && n.fn < c.functions)) c.bad.push(`call ${n.fn}: no such function`);
      return;
  }
}

function ids(e: LExpr, bound: ReadonlySet<string>, c: Scope): void {
  if (e.k === "id" && !bound.has(e.name) && !c.sizes.has(e.name))
    c.bad.push(`${e.name} is not bound by an enclosing loop, a parameter or a size`);
  if (e.k === "op") e.args.forEach((x) => ids(x, bound, c));
}

/** Statement runs in the loops against the points of the statement's domain (known sizes only). */
function instanceCounts(p: PolyProgram, lp: LoopProgram): string[] {
  const env = new Map<string, number>();
  for (const [k, v] of lp.params)
    if (typeof v === "number") env.set(k, v);
    else return [];
  // An accumulate node has no statement name: its statements' runs cannot be counted.
  if (printsAccumulate(lp)) return [];
  const ran = new Map<string, number>();
  let steps = 0,
    hidden = false;
  const run = (n: LNode): void => {
    if (++steps > RUN_LIMIT) throw new TooLong();
    switch (n.k) {
      case "block":
        n.items.forEach(run);
        return;
      case "if":
        if (evalInt(n.cond, env)) run(n.then);
        else if (n.else) run(n.else);
        return;
      case "for":
        for (
          env.set(n.it, evalInt(n.init, env));
          evalInt(n.cond, env);
          env.set(n.it, env.get(n.it)! + evalInt(n.inc, env))
        )
          run(n.body);
        return;
      case "stmt":
      case "kernel":
        ran.set(n.name, (ran.get(n.name) ?? 0) + 1);
        return;
      case "accumulate":
        hidden = true;
        return;
      case "call":
        run(lp.functions[n.fn]!.body);
        return;
    }
  };
  try {
    run(lp.body);
  } catch (e) {
    if (e instanceof TooLong) return [];
    throw e;
  }
  if (hidden) return [];
  const known = knownContext(p);
  const bad: string[] = [];
  for (const s of p.stmts) {
    const points = scoped(s.domain.intersectParams(known), (d) => boxPoints(p, d, known) ?? countPoints(d));
    if (points !== undefined && points !== (ran.get(s.name) ?? 0))
      bad.push(`${s.name} runs ${ran.get(s.name) ?? 0} times, its domain has ${points} points`);
  }
  return bad;
}

class TooLong extends Error {}

function printsAccumulate(lp: LoopProgram): boolean {
  const has = (n: LNode): boolean =>
    n.k === "accumulate" ||
    (n.k === "block" && n.items.some(has)) ||
    (n.k === "for" && has(n.body)) ||
    (n.k === "if" && (has(n.then) || (n.else !== undefined && has(n.else))));
  return has(lp.body) || lp.functions.some((f) => has(f.body));
}

/** The number of points of a set that is the box of its own per-axis bounds (most domains); else undefined. */
function boxPoints(p: PolyProgram, d: IslSet, known: IslSet): number | undefined {
  const n = d.dim("set");
  const bounds: [number, number][] = [];
  for (let k = 0; k < n; k++) {
    const axis = scoped(d.projectOut("set", k + 1, n - k - 1), (x) => x.projectOut("set", 0, k));
    const lo = scoped(axis.lexmin(), firstValue),
      hi = scoped(axis.lexmax(), firstValue);
    axis.free();
    if (lo === undefined || hi === undefined) return undefined;
    bounds.push([lo, hi]);
  }
  const t = d.toString();
  const vars = bounds.map((_, k) => `a${k}`);
  const cons = bounds.map(([lo, hi], k) => `${lo} <= a${k} <= ${hi}`);
  const text = `${t.slice(0, t.indexOf("{"))}{ ${d.tupleName() ?? ""}[${vars.join(", ")}]${n ? ` : ${cons.join(" and ")}` : ""} }`;
  const box = scoped(p.ctx.set(text), (b) => b.intersectParams(known));
  const full = scoped(box, (b) => b.isSubset(d));
  return full ? bounds.reduce((a, [lo, hi]) => a * (hi - lo + 1), 1) : undefined;
}

/**
 * The number of points of a set with every parameter fixed: the values of its first dimension
 * (projected, between its lexicographic min and max), each slice counted the same way; a last
 * dimension without strides or pieces counts max − min + 1. Undefined past COUNT_LIMIT slices.
 */
export function countPoints(d: IslSet, budget = { left: COUNT_LIMIT }): number | undefined {
  if (d.isEmpty()) return 0;
  const n = d.dim("set");
  if (n === 0) return 1;
  const first = d.projectOut("set", 1, n - 1);
  const lo = scoped(first.lexmin(), firstValue),
    hi = scoped(first.lexmax(), firstValue);
  const plain = !/exists|floor|mod| or |;/.test(first.toString());
  first.free();
  if (lo === undefined || hi === undefined) return undefined;
  if (n === 1 && plain) return hi - lo + 1;
  let total = 0;
  for (let v = lo; v <= hi; v++) {
    if (--budget.left < 0) return undefined;
    const c = scoped(d.fix("set", 0, v), (f) =>
      scoped(f.projectOut("set", 0, 1), (slice) => countPoints(slice, budget)),
    );
    if (c === undefined) return undefined;
    total += c;
  }
  return total;
}

/** `[n8] -> { [i0 = 3] : n8 = 8 }` → 3: the coordinate of a one-point, one-dimensional set. */
function firstValue(point: IslSet): number | undefined {
  const t = point.toString();
  const m = /\[(?:\w+ = )?(-?\d+)\]/.exec(t.slice(t.indexOf("{")));
  return m ? Number(m[1]) : undefined;
}

/** isl's AST operators on integers (isl_ast_expr_op_*), as the printers spell them. */
function evalInt(e: LExpr, env: ReadonlyMap<string, number>): number {
  if (e.k === "int") return e.v;
  if (e.k === "id") {
    const v = env.get(e.name);
    if (v === undefined) throw new Error(`internal: ${e.name} has no value`);
    return v;
  }
  const a = e.args.map((x) => evalInt(x, env));
  const [x = 0, y = 0, z = 0] = a;
  switch (e.op) {
    case "and":
    case "and_then":
      return +(x !== 0 && y !== 0);
    case "or":
    case "or_else":
      return +(x !== 0 || y !== 0);
    case "max":
      return Math.max(...a);
    case "min":
      return Math.min(...a);
    case "minus":
      return -x;
    case "add":
      return x + y;
    case "sub":
      return x - y;
    case "mul":
      return x * y;
    case "div":
    case "pdiv_q":
      return Math.trunc(x / y);
    case "fdiv_q":
      return Math.floor(x / y);
    case "pdiv_r":
    case "zdiv_r":
      return x % y;
    case "cond":
    case "select":
      return x !== 0 ? y : z;
    case "eq":
      return +(x === y);
    case "le":
      return +(x <= y);
    case "lt":
      return +(x < y);
    case "ge":
      return +(x >= y);
    case "gt":
      return +(x > y);
  }
}
