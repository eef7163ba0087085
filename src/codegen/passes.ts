/**
 * Loop-AST passes that run after isl's AST and before any printer (each timed and dumpable by
 * name, `LIFT_DUMP=accumulate,outline`). Printers only print what these leave: a printer for
 * another target shares them or skips them, it never redoes them.
 *
 *  * accumulate: a perfect nest of loops whose innermost only adds into one element indexed by
 *    none of them (a dot product, a weight gradient, a bias gradient's sum over batch and
 *    positions) becomes an `accumulate` node, run on a local the compiler keeps in a register
 *    instead of storing every step (an OpenMP simd reduction of these short sums measured slower);
 *    the dialect types the local (C: a double for f32), so such a sum is rounded once (issue 10);
 *  * split-sums: an innermost loop that adds into a wide array (src/poly/widen.ts) beside other
 *    statements runs as two loops, the others then the sums: GCC vectorises no loop that mixes a
 *    double reduction with float work ("multiple types in fold-left reduction"), so the fused
 *    LeNet bias gradient made its relu backward scalar and branchy (8x slower by measurement);
 *    the sums' loop then becomes an `accumulate` when it adds into one element;
 *  * outline: a parallel loop's body becomes a function of its own with restrict pointer
 *    parameters (GCC outlines OpenMP bodies itself and loses restrict, and with it vectorisation),
 *    and the loop gets the condition under which it is worth threads.
 */
import type { Access, LExpr, LFunction, LNode, LoopProgram, VExpr } from "../loop/ast.js";

/** Inner iterations below which a parallel loop runs on one thread (a fork costs a few µs). */
export const PARALLEL_WORK = 16384;

type For = Extract<LNode, { k: "for" }>;

export function localAccumulators(lp: LoopProgram): void {
  const walk = (n: LNode): LNode => {
    switch (n.k) {
      case "block":
        return { ...n, items: n.items.map(walk) };
      case "if":
        return { ...n, then: walk(n.then), ...(n.else ? { else: walk(n.else) } : {}) };
      case "for": {
        const nest = reductionNest(n);
        if (nest)
          return {
            k: "accumulate",
            target: nest.stmt.target,
            loops: nest.loops.map((l) => ({ it: l.it, init: l.init, cond: l.cond, inc: l.inc })),
            value: nest.stmt.value,
          };
        return { ...n, body: walk(n.body) };
      }
      default:
        return n;
    }
  };
  lp.body = walk(lp.body);
  lp.functions = lp.functions.map((f) => ({ ...f, body: walk(f.body) }));
}

const only = (n: LNode): LNode => (n.k === "block" && n.items.length === 1 ? n.items[0]! : n);

/** Serial loops nested perfectly from `n` whose innermost body is `+=` into an element none of them indexes. */
function reductionNest(n: For): { loops: For[]; stmt: Extract<LNode, { k: "stmt" }> } | undefined {
  const loops: For[] = [];
  let cur: LNode = n;
  while (cur.k === "for" && !cur.parallel) {
    loops.push(cur);
    cur = only(cur.body);
  }
  const stmt = cur;
  if (!loops.length || stmt.k !== "stmt" || stmt.kind !== "update" || stmt.op !== "+") return undefined;
  if (loops.some((l) => stmt.target.index.some((e) => mentions(e, l.it))) || readsArray(stmt.value, stmt.target.array))
    return undefined;
  return { loops, stmt };
}

type Stmt = Extract<LNode, { k: "stmt" }>;

export function splitWideSums(lp: LoopProgram): void {
  const wide = new Set(lp.arrays.filter((a) => a.wide).map((a) => a.name));
  if (!wide.size) return;
  const walk = (n: LNode): LNode => {
    switch (n.k) {
      case "block": // a split loop's two loops join the enclosing block
        return { ...n, items: n.items.flatMap((x) => (x.k === "for" ? flat(walk(x)) : [walk(x)])) };
      case "if":
        return { ...n, then: walk(n.then), ...(n.else ? { else: walk(n.else) } : {}) };
      case "for": {
        const parts = sumsApart(n, wide);
        const body = (items: Stmt[]): LNode => (items.length === 1 ? items[0]! : { k: "block", items });
        if (parts) return { k: "block", items: parts.map((items) => ({ ...n, body: body(items) })) };
        return { ...n, body: walk(n.body) };
      }
      default:
        return n;
    }
  };
  const flat = (x: LNode): LNode[] => (x.k === "block" ? x.items : [x]);
  lp.body = walk(lp.body);
  lp.functions = lp.functions.map((f) => ({ ...f, body: walk(f.body) }));
}

/**
 * An innermost loop's statements as [others, sums into wide arrays] when running all the others
 * first is legal: the others touch no wide array the sums write, and a sum reads what another
 * statement writes only at the element that statement wrote before it in the same iteration, an
 * index that names the loop's iterator as `it + k` (so no later iteration writes it again).
 */
function sumsApart(n: For, wide: ReadonlySet<string>): [Stmt[], Stmt[]] | undefined {
  const items = n.body.k === "block" ? n.body.items : [n.body];
  if (!items.every((x): x is Stmt => x.k === "stmt")) return undefined;
  const sums = items.filter((s) => s.kind === "update" && wide.has(s.target.array));
  const others = items.filter((s) => !sums.includes(s));
  if (!sums.length || !others.length) return undefined;
  const summed = new Set(sums.map((s) => s.target.array));
  const touches = (s: Stmt) => summed.has(s.target.array) || [...summed].some((a) => readsArray(s.value, a));
  if (others.some(touches)) return undefined;
  const sameIteration = (sum: Stmt, r: Access) => {
    const writers = others.filter((s) => s.target.array === r.array);
    const before = (w: Stmt) => items.indexOf(w) < items.indexOf(sum);
    return writers.every((w) => before(w) && sameIndex(w.target, r) && r.index.some((e) => shifts(e, n.it)));
  };
  return sums.every((s) => accessesOf(s.value).every((r) => sameIteration(s, r))) ? [others, sums] : undefined;
}

function accessesOf(v: VExpr, out: Access[] = []): Access[] {
  if (v.k === "read") out.push(v.at);
  else if (v.k === "call") v.args.forEach((a) => accessesOf(a, out));
  return out;
}

const sameIndex = (a: Access, b: Access) => JSON.stringify(a.index) === JSON.stringify(b.index);

/** `it`, `it + k` or `it - k` with k free of `it`. */
function shifts(e: LExpr, it: string): boolean {
  if (e.k === "id") return e.name === it;
  if (e.k !== "op" || e.args.length !== 2) return false;
  const [x, y] = e.args as [LExpr, LExpr];
  const isIt = (z: LExpr) => z.k === "id" && z.name === it;
  if (e.op === "add") return (isIt(x) && !mentions(y, it)) || (isIt(y) && !mentions(x, it));
  return e.op === "sub" && isIt(x) && !mentions(y, it);
}

export function outlineParallel(lp: LoopProgram): void {
  const known = (x: string) => typeof lp.params.get(x) === "number";
  const walk = (n: LNode): LNode => {
    switch (n.k) {
      case "block":
        return { ...n, items: n.items.map(walk) };
      case "if":
        return { ...n, then: walk(n.then), ...(n.else ? { else: walk(n.else) } : {}) };
      case "for": {
        if (!n.parallel) return { ...n, body: walk(n.body) };
        const ids = new Set<string>(),
          bound = new Set<string>(),
          used = new Set<string>();
        collect(n.body, ids, bound, used);
        // Enclosing iterators and symbolic sizes are passed; known sizes are constants.
        const longs = [n.it, ...[...ids].filter((x) => !bound.has(x) && x !== n.it && !known(x)).sort()];
        const fn: LFunction = { longs, arrays: [...used].sort(), body: n.body };
        lp.functions.push(fn);
        // Threads only where there is enough work: the trip count times a static estimate of the
        // body (a batch of 1 would otherwise fork for a few hundred operations).
        // A condition known at compile time is decided here: always (no test) or never (no pragma).
        const trips = tripCount(n);
        const when =
          trips &&
          fold({
            k: "op",
            op: "ge",
            args: [
              { k: "op", op: "mul", args: [trips, { k: "int", v: estimate(n.body) }] },
              { k: "int", v: PARALLEL_WORK },
            ],
          });
        const call: LNode = { k: "call", fn: lp.functions.length - 1 };
        if (when?.k === "int") return { ...n, body: call, parallel: when.v !== 0 };
        return { ...n, body: call, ...(when ? { when } : {}) };
      }
      default:
        return n;
    }
  };
  lp.body = walk(lp.body);
}

/** Integer constants folded (add, sub, mul, comparisons), the rest kept. */
export function fold(e: LExpr): LExpr {
  if (e.k !== "op") return e;
  const args = e.args.map(fold);
  const v = args.map((a) => (a.k === "int" ? a.v : undefined));
  if (v.length === 2 && v[0] !== undefined && v[1] !== undefined) {
    const [a, b] = v as [number, number];
    const r = {
      add: a + b,
      sub: a - b,
      mul: a * b,
      ge: +(a >= b),
      gt: +(a > b),
      le: +(a <= b),
      lt: +(a < b),
      eq: +(a === b),
    }[e.op as string];
    if (r !== undefined) return { k: "int", v: r };
  }
  if (e.op === "sub" && v[1] === 0) return args[0]!;
  return { ...e, args };
}

function mentions(e: LExpr, name: string): boolean {
  return e.k === "id" ? e.name === name : e.k === "op" ? e.args.some((a) => mentions(a, name)) : false;
}

function readsArray(v: VExpr, array: string): boolean {
  return v.k === "read" ? v.at.array === array : v.k === "call" ? v.args.some((a) => readsArray(a, array)) : false;
}

/** Identifiers an AST mentions, those its loops bind, and the arrays it touches. */
function collect(n: LNode, ids: Set<string>, bound: Set<string>, arrays: Set<string>): void {
  const ex = (e: LExpr): void => {
    if (e.k === "id") ids.add(e.name);
    else if (e.k === "op") e.args.forEach(ex);
  };
  const val = (v: VExpr): void => {
    if (v.k === "read") {
      arrays.add(v.at.array);
      v.at.index.forEach(ex);
    } else if (v.k === "call") v.args.forEach(val);
  };
  const loop = (it: string, init: LExpr, cond: LExpr, inc: LExpr) => {
    bound.add(it);
    ex(init);
    ex(cond);
    ex(inc);
  };
  switch (n.k) {
    case "block":
      n.items.forEach((x) => collect(x, ids, bound, arrays));
      return;
    case "if":
      ex(n.cond);
      collect(n.then, ids, bound, arrays);
      if (n.else) collect(n.else, ids, bound, arrays);
      return;
    case "for":
      loop(n.it, n.init, n.cond, n.inc);
      collect(n.body, ids, bound, arrays);
      return;
    case "stmt":
      arrays.add(n.target.array);
      n.target.index.forEach(ex);
      val(n.value);
      return;
    case "accumulate":
      n.loops.forEach((l) => loop(l.it, l.init, l.cond, l.inc));
      arrays.add(n.target.array);
      n.target.index.forEach(ex);
      val(n.value);
      return;
    case "call":
      return;
    case "kernel":
      for (const o of [n.plan.z, n.plan.a, n.plan.b]) arrays.add(o.array);
      for (const extra of [n.plan.wide, n.plan.gemm?.pack]) if (extra) arrays.add(extra);
      for (const it of n.plan.iters) if (typeof it.extent === "string") ids.add(it.extent);
      return;
  }
}

/** `hi - lo + 1` for a loop `for (it = lo; it <= hi | it < hi; it += 1)`; undefined otherwise. */
function tripCount(n: For): LExpr | undefined {
  const c = n.cond;
  if (c.k !== "op" || n.inc.k !== "int" || n.inc.v !== 1) return undefined;
  const [l, r] = c.args;
  if (l?.k !== "id" || l.name !== n.it || !r) return undefined;
  const span: LExpr = { k: "op", op: "sub", args: [r, n.init] };
  if (c.op === "le") return { k: "op", op: "add", args: [span, { k: "int", v: 1 }] };
  if (c.op === "lt") return span;
  return undefined;
}

/** A static estimate of the iterations a loop body runs: constant trip counts multiplied, 8 where not constant. */
function estimate(n: LNode): number {
  switch (n.k) {
    case "stmt":
    case "call":
      return 1;
    case "kernel":
      return n.plan.iters.reduce((a, it) => a * (typeof it.extent === "number" ? it.extent : 8), 1);
    case "block":
      return n.items.reduce((a, x) => a + estimate(x), 0);
    case "if":
      return Math.max(estimate(n.then), n.else ? estimate(n.else) : 0);
    case "accumulate":
      return n.loops.reduce((a, l) => a * trips(l.init, l.cond), 1);
    case "for":
      return trips(n.init, n.cond) * estimate(n.body);
  }
}

function trips(init: LExpr, cond: LExpr): number {
  const hi = cond.k === "op" ? cond.args[1] : undefined;
  const known = init.k === "int" && hi?.k === "int" && cond.k === "op" && (cond.op === "le" || cond.op === "lt");
  return known ? Math.max(1, hi.v - (init as { v: number }).v + ((cond as { op: string }).op === "le" ? 1 : 0)) : 8;
}
