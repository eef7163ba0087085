/**
 * A typed TypeScript builder beside the text language. It builds the program's AST (each node
 * spanning the user's call site) and feeds it statement by statement to the same checker the
 * text goes through — so the Graph is the checker's, the whole pipeline applies, and an error
 * is thrown by the call that caused it, pointing at the user's line.
 */
import type { Expr, RankNum, Stmt } from "../lang/ast.js";
import { Checker } from "../core/checker.js";
import type { ExternImpls } from "../core/externs.js";
import type { Graph } from "../core/graph.js";
import { LiftProgram } from "../api/program.js";
import { fail } from "../lang/diagnostics.js";
import { spanUnion, type Span } from "../lang/source.js";
import { callSite } from "./callsite.js";

/** An array-valued expression; numbers may stand wherever an Arr is taken. */
export class Arr {
  constructor(readonly expr: Expr) {}
}
export type Val = Arr | number;
export type Dim = number | string;
export type Rank = number | "_";
type ReduceOp = "+" | "<." | ">.";

/** A verb of one argument, applied as `f(y)`; `.rank(r)` is `(f"r)`. */
export interface Monad {
  (y: Val): Arr;
  readonly verb: Expr;
  rank(r: Rank): Monad;
}
/** A verb of two arguments, applied as `f(x, y)`; `.rank(rx, ry)` is `(f"rx ry)`. */
export interface Dyad {
  (x: Val, y: Val): Arr;
  readonly verb: Expr;
  rank(rx: Rank, ry: Rank): Dyad;
}

const numbers = (vs: RankNum[], span: Span): Expr => ({
  kind: "numbers",
  values: vs,
  texts: vs.map((v) => (v === "inf" ? "_" : String(v))),
  integer: vs.map((v) => v === "inf" || Number.isInteger(v)),
  span,
});
const value = (v: Val, span: Span): Expr => (v instanceof Arr ? v.expr : numbers([v], span));
const rankNum = (r: Rank): RankNum => (r === "_" ? "inf" : r);
const ranked = (verb: Expr, rs: Rank[], span: Span): Expr => ({
  kind: "list",
  items: [verb, { kind: "rank", span }, numbers(rs.map(rankNum), span)],
  span,
});

function monad(verb: Expr): Monad {
  const f = ((y: Val) => {
    const span = callSite();
    return new Arr({ kind: "list", items: [verb, value(y, span)], span });
  }) as Monad;
  return Object.assign(f, { verb, rank: (r: Rank) => monad(ranked(verb, [r], callSite())) });
}
function dyad(verb: Expr): Dyad {
  const f = ((x: Val, y: Val) => {
    const span = callSite();
    return new Arr({ kind: "list", items: [value(x, span), verb, value(y, span)], span });
  }) as Dyad;
  return Object.assign(f, { verb, rank: (rx: Rank, ry: Rank) => dyad(ranked(verb, [rx, ry], callSite())) });
}
const named = (name: string): Expr => ({ kind: "name", name, span: callSite() });

// ---- the surface builtins (reference §4; src/core/prims.ts) ----
export const add = dyad(named("+")),
  sub = dyad(named("-")),
  mul = dyad(named("*")),
  div = dyad(named("/"));
export const pow = dyad(named("**")),
  min = dyad(named("<.")),
  max = dyad(named(">."));
export const exp = monad(named("exp")),
  log = monad(named("log")),
  sin = monad(named("sin"));
const opName = (op: ReduceOp | Dyad): string => {
  const name = typeof op === "string" ? op : op.verb.kind === "name" ? op.verb.name : "";
  if (name !== "+" && name !== "<." && name !== ">.")
    fail(`reduce and oblique take +, <. or >. (add, min, max), not ${name || "a ranked verb"}`, callSite());
  return name;
};
const adverb = (name: string, params: Expr[]): Monad => {
  const span = callSite();
  return monad({ kind: "list", items: [{ kind: "name", name, span }, ...params], span });
};
/** `(reduce n op)`: folds the leading n axes of each cell. */
export const reduce = (n: number, op: ReduceOp | Dyad): Monad => {
  const s = callSite();
  return adverb("reduce", [numbers([n], s), { kind: "name", name: opName(op), span: s }]);
};
/** `(oblique n op)`: folds along the diagonals of 2n axes. */
export const oblique = (n: number, op: ReduceOp | Dyad): Monad => {
  const s = callSite();
  return adverb("oblique", [numbers([n], s), { kind: "name", name: opName(op), span: s }]);
};
export const trim = (...t: number[]): Monad => adverb("trim", [numbers(t, callSite())]);
export const stride = (...s: number[]): Monad => adverb("stride", [numbers(s, callSite())]);
export const duplicate = (...d: number[]): Monad => adverb("duplicate", [numbers(d, callSite())]);

/** The rank operator as a function: `rank(f, r)` is `(f"r)`, `rank(g, rx, ry)` is `(g"rx ry)`. */
export function rank(v: Monad, r: Rank): Monad;
export function rank(v: Dyad, rx: Rank, ry: Rank): Dyad;
export function rank(v: Monad | Dyad, a: Rank, b?: Rank): Monad | Dyad {
  return b === undefined ? (v as Monad).rank(a) : (v as Dyad).rank(a, b);
}

const ARG_X = (span: Span) => new Arr({ kind: "arg", name: "x", span });
const ARG_Y = (span: Span) => new Arr({ kind: "arg", name: "y", span });

/** Spans of an expression tree, for a verb statement's extent (errors inside it say where it was used). */
function extent(e: Expr, span: Span): Span {
  let s = spanUnion(span, e.span);
  if (e.kind === "list") for (const it of e.items) s = extent(it, s);
  return s;
}

export class Builder {
  private readonly checker = new Checker();
  private finished?: LiftProgram;

  private stmt(s: Stmt): void {
    if (this.finished) fail("the program is already built; make a new Builder", s.span);
    this.checker.statement(s);
  }
  private declare(name: string, head: string, rest: Expr[], span: Span): void {
    const expr: Expr = { kind: "list", items: [{ kind: "name", name: head, span }, ...rest], span };
    this.stmt({ kind: "declare", name, nameSpan: span, expr, span });
  }
  private dims(ds: Dim[], span: Span): Expr[] {
    return ds.map((d) => (typeof d === "number" ? numbers([d], span) : { kind: "name", name: d, span }));
  }

  /** `name :: (in d…)`; a string dimension is a symbolic size. */
  input(name: string, ...dims: Dim[]): Arr {
    const s = callSite();
    this.declare(name, "in", this.dims(dims, s), s);
    return new Arr({ kind: "name", name, span: s });
  }
  /** `name :: (param d…)`: a trainable input. */
  param(name: string, ...dims: Dim[]): Arr {
    const s = callSite();
    this.declare(name, "param", this.dims(dims, s), s);
    return new Arr({ kind: "name", name, span: s });
  }
  /** `name := value`. */
  let(name: string, v: Val): Arr {
    const s = callSite();
    this.stmt({ kind: "assign", name, nameSpan: s, expr: value(v, s), span: s });
    return new Arr({ kind: "name", name, span: s });
  }
  /** `name :: (out d…)`; without dims, the shape the array has. */
  output(name: string, ...dims: Dim[]): void {
    const s = callSite();
    let ds = dims;
    if (!ds.length) {
      const node = this.checker.graph.names.get(name);
      if (node === undefined) fail(`\`${name}\` is not defined yet: give its dimensions, or define it first`, s);
      ds = [...this.checker.graph.node(node).shape];
    }
    this.declare(name, "out", this.dims(ds, s), s);
  }
  /** `name :: (grad loss wrt)`: loss and wrt are named arrays (from let, input or param). */
  grad(name: string, loss: Arr, wrt: Arr): Arr {
    const s = callSite();
    for (const a of [loss, wrt])
      if (a.expr.kind !== "name") fail("grad takes named arrays: bind the loss with let first", s);
    this.declare(name, "grad", [loss.expr, wrt.expr], s);
    return new Arr({ kind: "name", name, span: s });
  }
  /** A monadic user verb `name"r := body(y)`: the TS function is the body, called once with `y`. */
  monad(name: string, r: Rank, body: (y: Arr) => Arr | number): Monad {
    const s = callSite();
    const e = value(body(ARG_Y(s)), s);
    this.stmt({ kind: "verb", name, nameSpan: s, ranks: [rankNum(r)], rankSpan: s, body: e, span: extent(e, s) });
    return monad({ kind: "name", name, span: s });
  }
  /** A dyadic user verb `name"rx ry := body(x, y)`. */
  dyad(name: string, rx: Rank, ry: Rank, body: (x: Arr, y: Arr) => Arr | number): Dyad {
    const s = callSite();
    const e = value(body(ARG_X(s), ARG_Y(s)), s);
    this.stmt({
      kind: "verb",
      name,
      nameSpan: s,
      ranks: [rankNum(rx), rankNum(ry)],
      rankSpan: s,
      body: e,
      span: extent(e, s),
    });
    return dyad({ kind: "name", name, span: s });
  }
  /** `name :: (extern r [derivative])` (docs/externs.md); implementations go to `build`. */
  extern(name: string, ranks: [Rank], derivative?: Dyad): Monad;
  extern(name: string, ranks: [Rank, Rank]): Dyad;
  extern(name: string, ranks: [Rank] | [Rank, Rank], derivative?: Dyad): Monad | Dyad {
    const s = callSite();
    const rest: Expr[] = [numbers(ranks.map(rankNum), s)];
    if (derivative) rest.push(derivative.verb);
    this.declare(name, "extern", rest, s);
    return ranks.length === 1 ? monad({ kind: "name", name, span: s }) : dyad({ kind: "name", name, span: s });
  }

  /** Finishes the program (outputs checked) and returns it, as `load` would. */
  build(opts: { externs?: ExternImpls } = {}): LiftProgram {
    if (!this.finished) {
      this.checker.finish();
      this.finished = new LiftProgram(this.checker.graph, [], opts.externs);
    }
    return this.finished;
  }
  get graph(): Graph {
    return this.build().graph;
  }
}
