/**
 * AST → Graph. Values are checked as framed arrays `[F1 … Fk | C]` (reference §3.4): a rank
 * splits the cell, a builtin creates one node over all the frames, and the frames merge back.
 * User verbs are macros, re-checked at each use. Frame agreement is checked at every level.
 */
import type { Expr, Program, RankNum, Stmt } from "../lang/ast.js";
import { fail, LiftError } from "../lang/diagnostics.js";
import type { Span } from "../lang/source.js";
import { printExpr } from "../lang/printer.js";
import { Graph, type Level } from "./graph.js";
import { gradOf } from "./grad.js";
import { externsOf, type ExternDecl } from "./externs.js";
import type { Params } from "./params.js";
import { isAdverb, isReduceOp, isSurfacePrim, PRIMS, REDUCE_IDENTITY, type CellName, type PrimName } from "./prims.js";
import { isPrefix, shapeEq, shapeText, type Dim } from "./shape.js";

interface Framed {
  node: number;
  frames: Dim[][];
  cell: Dim[];
}
interface VerbDef {
  name: string;
  ranks: RankNum[];
  body: Expr;
  span: Span;
}
type Verb =
  | { kind: "prim"; prim: PrimName; params: Params; span: Span }
  | { kind: "user"; def: VerbDef; span: Span }
  | { kind: "ranked"; inner: Verb; ranks: RankNum[]; span: Span }
  | { kind: "extern"; decl: ExternDecl; span: Span };
type Binding =
  | { kind: "array"; node: number; span: Span }
  | { kind: "verb"; def: VerbDef; span: Span }
  | { kind: "size"; span: Span }
  | { kind: "extern"; decl: ExternDecl; span: Span };
type Env = { x?: Framed; y?: Framed };

/** The largest array (in elements) a program may declare or compute: 2^31 − 1. */
export const MAX_ELEMENTS = 2 ** 31 - 1;
const REDUCE_OPS_TEXT = ((ops) => `${ops.slice(0, -1).join(", ")} or ${ops.at(-1)}`)(Object.keys(REDUCE_IDENTITY));
const rankText = (r: RankNum) => (r === "inf" ? "_" : String(r));

/** Checks a whole program. Throws LiftError on the first user error. */
export function check(program: Program): Graph {
  const c = new Checker();
  for (const s of program.stmts) c.statement(s);
  c.finish();
  return c.graph;
}

/** The checker keeps its state between statements, so the REPL can feed it one at a time. */
export class Checker {
  /** Swapped only while an extern's derivative is built into another graph (`inGraph`). */
  graph = new Graph();
  readonly bindings = new Map<string, Binding>();
  private readonly outs = new Map<string, { dims: Dim[]; span: Span; names: Map<string, Span> }>();
  private readonly finished = new Set<string>();
  private readonly expansions: { name: string; span: Span }[] = [];
  /** A verb body checked with the same arguments gives the same value: macros are expanded once per argument. */
  private expanded = new Map<string, Framed>();
  /** Verb bodies checked so far (expansions not answered by `expanded`): a count for tests. */
  bodiesChecked = 0;

  statement(s: Stmt): void {
    switch (s.kind) {
      case "assign": {
        this.fresh(s.name, s.nameSpan);
        this.checkNames(s.expr, true);
        const v = this.value(s.expr, {});
        this.bind(s.name, { kind: "array", node: v.node, span: s.nameSpan });
        break;
      }
      case "verb": {
        this.fresh(s.name, s.nameSpan);
        this.checkNames(s.body, false);
        this.bindings.set(s.name, {
          kind: "verb",
          def: { name: s.name, ranks: s.ranks, body: s.body, span: s.span },
          span: s.nameSpan,
        });
        break;
      }
      case "declare":
        this.declare(s);
        break;
      case "use":
        fail("`use` must be resolved before checking", s.span);
      case "ties":
        if (this.graph.grads.length && this.graph.ties !== s.rule)
          fail(
            `\`(ties ${s.rule})\` comes after a \`grad\` declaration`,
            s.span,
            "put it before the first (grad …), so every gradient of the program follows one rule",
          );
        this.graph.ties = s.rule;
        break;
    }
  }

  /** The value of an expression typed at the top level (the REPL). */
  expression(e: Expr): number {
    this.checkNames(e, true);
    return this.value(e, {}).node;
  }

  /**
   * Checks the outputs declared since the last call and appends them to the graph. It may be
   * called again after more statements (the training step extends a checked model).
   */
  finish(): void {
    for (const [name, o] of this.outs) {
      if (this.finished.has(name)) continue;
      this.finished.add(name);
      const b = this.bindings.get(name);
      if (!b) fail(`\`${name}\` is declared as an output but never defined`, o.span, `define it: ${name} := ...`);
      if (b.kind !== "array") fail(`output \`${name}\` must be an array, but it is a ${b.kind}`, o.span);
      const node = this.graph.node(b.node);
      if (node.kind === "input") fail(`\`${name}\` is an input; an output must be computed`, o.span);
      for (const [size, span] of o.names) {
        const sb = this.bindings.get(size);
        if (!sb || sb.kind !== "size") fail(`\`${size}\` is not a size declared by an input`, span);
      }
      if (!shapeEq(node.shape, o.dims))
        fail(`\`${name}\` is declared ${shapeText(o.dims)} but its value has shape ${shapeText(node.shape)}`, o.span);
      this.graph.outputs.push({ name, node: b.node, shape: node.shape, span: o.span });
    }
  }

  // ---- statements ----

  private fresh(name: string, span: Span): void {
    if (isSurfacePrim(name)) fail(`\`${name}\` is a builtin and cannot be redefined`, span);
    const old = this.bindings.get(name);
    if (old) {
      const { line, col } = old.span.file.position(old.span.start);
      fail(
        `\`${name}\` is already defined`,
        span,
        `names are bound once; the first definition is at ${old.span.file.name}:${line}:${col}`,
      );
    }
  }

  private bind(name: string, b: Binding): void {
    this.bindings.set(name, b);
    if (b.kind === "array") this.graph.names.set(name, b.node);
  }

  private declare(s: Extract<Stmt, { kind: "declare" }>): void {
    const e = s.expr;
    const head = e.kind === "list" ? e.items[0] : undefined;
    if (e.kind !== "list" || head?.kind !== "name" || !["in", "param", "out", "grad", "extern"].includes(head.name))
      fail("a declaration is `(in d…)`, `(param d…)`, `(out d…)`, `(grad Loss W)` or `(extern r [D])`", e.span);
    const rest = e.items.slice(1);
    if (head.name === "extern") return this.declareExtern(s, rest);
    if (head.name === "grad") {
      if (rest.length !== 2 || rest[0]!.kind !== "name" || rest[1]!.kind !== "name")
        fail("`grad` takes two names: (grad Loss W)", e.span);
      this.fresh(s.name, s.nameSpan);
      const loss = this.arrayNamed(rest[0] as Extract<Expr, { kind: "name" }>);
      const wrt = this.arrayNamed(rest[1] as Extract<Expr, { kind: "name" }>);
      const firstNode = this.graph.nodes.length;
      const node = gradOf(this.graph, loss, wrt, e.span, [rest[0]!, rest[1]!].map(printExpr) as [string, string]);
      this.bind(s.name, { kind: "array", node, span: s.nameSpan });
      this.graph.grads.push({
        name: s.name,
        node,
        loss,
        wrt,
        firstNode,
        shape: this.graph.node(node).shape,
        span: s.span,
      });
      return;
    }
    const dims: Dim[] = [];
    const symbols = new Map<string, Span>();
    for (const item of rest) {
      if (item.kind === "numbers") {
        item.values.forEach((v, k) => {
          if (v === "inf" || !item.integer[k])
            fail(`a size must be a whole number or a size name, not \`${item.texts[k]}\``, item.span);
          if (v < 1) fail(`a size must be at least 1, not ${v}`, item.span);
          dims.push(v);
        });
      } else if (item.kind === "name") {
        dims.push(item.name);
        symbols.set(item.name, item.span);
      } else
        fail(
          "a size must be a whole number or a size name",
          item.span,
          "declare `(in N 28 28)` for a batch of any size N",
        );
    }
    if (dims.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1) > MAX_ELEMENTS)
      fail(`this array would have more than ${MAX_ELEMENTS} elements`, e.span);
    if (head.name === "in" || head.name === "param") {
      this.fresh(s.name, s.nameSpan);
      for (const [sym, span] of symbols) {
        const b = this.bindings.get(sym);
        if (b && b.kind !== "size") fail(`\`${sym}\` is already a ${b.kind}, so it cannot name a size`, span);
        if (!b) {
          this.bindings.set(sym, { kind: "size", span });
          this.graph.sizes.push(sym);
        }
      }
      const node = this.graph.input(s.name, dims, s.nameSpan);
      this.bind(s.name, { kind: "array", node, span: s.nameSpan });
      this.graph.inputs.push({ name: s.name, node, shape: dims, span: s.span });
      if (head.name === "param") this.graph.params.push(s.name);
    } else {
      if (this.outs.has(s.name)) fail(`\`${s.name}\` is already declared as an output`, s.nameSpan);
      const b = this.bindings.get(s.name);
      if (b?.kind === "array" && this.graph.node(b.node).kind === "input")
        fail(`\`${s.name}\` is an input; an output must be computed`, s.nameSpan);
      this.outs.set(s.name, { dims, span: s.span, names: symbols });
    }
  }

  /** `f :: (extern r [D])` (a monad, derivative D) or `f :: (extern rx ry)` (a dyad): see core/externs.ts. */
  private declareExtern(s: Extract<Stmt, { kind: "declare" }>, rest: Expr[]): void {
    this.fresh(s.name, s.nameSpan);
    const [nums, deriv, ...extra] = rest;
    if (nums?.kind !== "numbers" || nums.values.length > 2 || extra.length || (deriv && deriv.kind !== "name"))
      fail(
        "an extern is declared `(extern r)` or `(extern r D)` for a monad with derivative D, or `(extern rx ry)` for a dyad",
        s.expr.span,
      );
    const ranks = nums.values.map((v, k) => {
      if (v === "inf" || !nums.integer[k] || v < 0)
        fail(`an extern's rank must be a whole number ≥ 0, not \`${nums.texts[k]}\``, nums.span);
      return v;
    });
    if (deriv && ranks.length !== 1) fail("only a monadic extern takes a derivative", deriv.span);
    let vjp: ExternDecl["vjp"];
    if (deriv?.kind === "name") {
      const d = this.verb(deriv);
      const dranks = d.kind === "user" ? d.def.ranks : d.kind === "extern" ? d.decl.ranks : [];
      if (dranks.length !== 2)
        fail(`the derivative \`${deriv.name}\` must be a dyad: (y ${deriv.name} dz) gives dy`, deriv.span);
      this.argumentsOnly(d, deriv.span, new Set());
      const r = ranks[0]!;
      const ranked: Verb = { kind: "ranked", inner: d, ranks: [r, r], span: deriv.span };
      vjp = (g, y, acc, span) =>
        this.inGraph(g, () => {
          const whole = (n: number): Framed => ({ node: n, frames: [], cell: [...g.node(n).shape] });
          return this.apply2(ranked, whole(y), whole(acc), span ?? deriv.span).node;
        });
    }
    const decl: ExternDecl = {
      name: s.name,
      ranks,
      ...(vjp ? { vjp, derivative: (deriv as { name: string }).name } : {}),
      span: s.span,
    };
    externsOf(this.graph).set(s.name, decl);
    this.bindings.set(s.name, { kind: "extern", decl, span: s.nameSpan });
  }

  /** A derivative is built again in other graphs (a module's), so it may not name arrays. */
  private argumentsOnly(v: Verb, span: Span, seen: Set<string>): void {
    if (v.kind === "ranked") return this.argumentsOnly(v.inner, span, seen);
    if (v.kind !== "user" || seen.has(v.def.name)) return;
    seen.add(v.def.name);
    const walk = (e: Expr): void => {
      if (e.kind === "list") {
        e.items.forEach(walk);
        return;
      }
      if (e.kind !== "name") return;
      const b = this.bindings.get(e.name);
      if (b?.kind === "array")
        fail(
          `the derivative of an extern may use only its arguments x and y, but \`${v.def.name}\` uses the array \`${e.name}\``,
          e.span,
        );
      if (b?.kind === "verb") this.argumentsOnly({ kind: "user", def: b.def, span }, span, seen);
    };
    walk(v.def.body);
  }

  /** Runs `f` with nodes built into `g` (an extern's derivative in a copy of the graph). */
  private inGraph<T>(g: Graph, f: () => T): T {
    if (g === this.graph) return f();
    const [graph, expanded] = [this.graph, this.expanded];
    this.graph = g;
    this.expanded = new Map();
    try {
      return f();
    } finally {
      this.graph = graph;
      this.expanded = expanded;
    }
  }

  private arrayNamed(e: Extract<Expr, { kind: "name" }>): number {
    const b = this.bindings.get(e.name);
    if (!b) fail(`unknown name \`${e.name}\``, e.span, "`grad` needs names defined before it");
    if (b.kind !== "array") fail(`\`${e.name}\` is a ${b.kind}, not an array`, e.span);
    return b.node;
  }

  /** Names must be defined before use (so verbs cannot recurse); this also catches typos early. */
  private checkNames(e: Expr, valuePos: boolean): void {
    if (e.kind === "name") {
      if (isSurfacePrim(e.name) || this.bindings.has(e.name)) return;
      fail(`unknown name \`${e.name}\``, e.span, unknownHint(e.name));
    }
    if (e.kind === "arg" && valuePos)
      fail(`\`${e.name}\` is a verb argument and means nothing outside a verb body`, e.span);
    if (e.kind === "list") {
      // The operator of (reduce 1 +) is a name of a builtin; parameters are checked at the verb.
      for (const item of e.items) this.checkNames(item, valuePos);
    }
  }

  // ---- values ----

  private value(e: Expr, env: Env): Framed {
    switch (e.kind) {
      case "name": {
        const b = this.bindings.get(e.name);
        // A builtin where an array belongs, e.g. `(exp)`: it is known, only not applied.
        if (!b && isSurfacePrim(e.name))
          fail(
            `\`${e.name}\` is a builtin ${isAdverb(e.name) ? "adverb" : "verb"}, not an array: it needs an argument`,
            e.span,
            isAdverb(e.name) ? `e.g. ((${e.name} 1 +) A)` : `apply it to an array: (${e.name} A)`,
          );
        if (!b) fail(`unknown name \`${e.name}\``, e.span, unknownHint(e.name));
        if (b.kind === "verb" || b.kind === "extern")
          fail(`\`${e.name}\` is a verb, not an array`, e.span, `apply it: (${e.name} A)`);
        if (b.kind === "size") fail(`\`${e.name}\` is a size, not an array`, e.span);
        return { node: b.node, frames: [], cell: [...this.graph.node(b.node).shape] };
      }
      case "arg": {
        const v = env[e.name];
        if (!v)
          fail(
            `\`${e.name}\` is not an argument here`,
            e.span,
            e.name === "x" ? "only a dyad's body has a left argument x" : "`y` is only defined inside a verb body",
          );
        return v;
      }
      case "numbers": {
        if (e.values.length > 1)
          fail(
            "vector literals are not supported",
            e.span,
            "declare an input for a vector, or combine scalars with verbs",
          );
        const v = e.values[0]!;
        if (v === "inf") fail("`_` is a rank, not a value", e.span);
        return { node: this.graph.constant(v), frames: [], cell: [] };
      }
      case "rank":
        fail('`"` (rank) is only meaningful inside a verb form like (+"1 1)', e.span);
      case "list": {
        const items = e.items;
        if (items.length === 1) return this.value(items[0]!, env);
        if (items.length === 2) {
          const verb = this.verb(items[0]!);
          const y = this.value(items[1]!, env);
          return this.apply1(verb, y, e.span);
        }
        if (items.length === 3) {
          if (items[1]!.kind === "rank") fail('a rank form is a verb; apply it to an argument: ((f"1) A)', e.span);
          const x = this.value(items[0]!, env);
          const y = this.value(items[2]!, env);
          const verb = this.verb(items[1]!);
          return this.apply2(verb, x, y, e.span);
        }
        fail(
          `a list of ${items.length} items has no meaning`,
          e.span,
          "an application is (f y) or (x f y); parenthesise nested applications",
        );
      }
    }
  }

  private verb(e: Expr): Verb {
    if (e.kind === "name") {
      if (isSurfacePrim(e.name) && !isAdverb(e.name)) return { kind: "prim", prim: e.name, params: {}, span: e.span };
      if (isAdverb(e.name))
        fail(
          `\`${e.name}\` needs parameters`,
          e.span,
          PRIMS[e.name].params === "reduce" ? `write (${e.name} 1 +)` : `write (${e.name} 1)`,
        );
      const b = this.bindings.get(e.name);
      if (!b) fail(`unknown verb \`${e.name}\``, e.span, unknownHint(e.name));
      if (b.kind === "extern") return { kind: "extern", decl: b.decl, span: e.span };
      if (b.kind !== "verb")
        fail(
          `\`${e.name}\` is a${b.kind === "array" ? "n array" : " size"}, not a verb`,
          e.span,
          "an application is (f y) or (x f y), with the verb first or in the middle",
        );
      return { kind: "user", def: b.def, span: e.span };
    }
    if (e.kind === "list") {
      const [head, ...rest] = e.items;
      if (rest.length === 2 && rest[0]!.kind === "rank") {
        const nums = rest[1]!;
        if (nums.kind !== "numbers") fail('a rank form is (V"r) or (V"rx ry) with numbers after `"`', e.span);
        nums.values.forEach((v, k) => {
          if (v !== "inf" && (!nums.integer[k] || v < 0))
            fail(`a rank must be a whole number ≥ 0 or \`_\`, not \`${nums.texts[k]}\``, nums.span);
        });
        if (nums.values.length > 2)
          fail(`a rank form takes one rank (monad) or two (dyad), not ${nums.values.length}`, nums.span);
        return { kind: "ranked", inner: this.verb(head!), ranks: nums.values, span: e.span };
      }
      if (head?.kind === "name" && isAdverb(head.name)) return this.adverb(head.name, rest, e.span);
      if (rest.length === 0)
        fail(
          "a verb in parentheses on its own has no meaning",
          e.span,
          'write the verb without parentheses, or give it a rank: (f"1)',
        );
    }
    fail(
      `\`${printExpr(e)}\` is not a verb`,
      e.span,
      'a verb is a builtin, a defined verb, (V"r), or an adverb form such as (reduce 1 +)',
    );
  }

  private adverb(name: CellName, rest: Expr[], span: Span): Verb {
    if (PRIMS[name].params === "reduce") {
      const [n, op] = rest;
      if (rest.length !== 2 || n?.kind !== "numbers" || n.values.length !== 1 || op?.kind !== "name")
        fail(`\`${name}\` takes a count and an operator: (${name} 1 +)`, span);
      const count = n.values[0]!;
      if (count === "inf" || !n.integer[0] || count < 1)
        fail(`the count of \`${name}\` must be a whole number ≥ 1`, n.span);
      if (!isReduceOp(op.name))
        fail(`\`${name}\` needs an operator with an identity: ${REDUCE_OPS_TEXT}; \`${op.name}\` has none`, op.span);
      return { kind: "prim", prim: name, params: { n: count, op: op.name }, span };
    }
    const nums = rest[0];
    if (rest.length !== 1 || nums?.kind !== "numbers") fail(`\`${name}\` takes whole numbers: (${name} 1 1)`, span);
    const ints = nums.values.map((v, k) => {
      if (v === "inf" || !nums.integer[k] || v < 1)
        fail(
          `the parameters of \`${name}\` must be whole numbers ≥ 1, not \`${nums.texts[k]}\``,
          nums.span,
          name === "trim" ? "(trim 0) would remove nothing" : undefined,
        );
      return v;
    });
    return { kind: "prim", prim: name, params: { ints }, span };
  }

  // ---- application (reference §3.4) ----

  private split(v: Framed, r: RankNum, span: Span, what: string): Framed {
    const n = v.cell.length;
    const rr = r === "inf" ? n : r;
    if (rr > n)
      fail(
        `rank ${r === "inf" ? "_" : r} of ${what} is larger than the rank ${n} of its argument's cell ${shapeText(v.cell)}`,
        span,
        "LiFT does not cap ranks as J does: use a rank at most the cell's rank, or _",
      );
    return { node: v.node, frames: [...v.frames, v.cell.slice(0, n - rr)], cell: v.cell.slice(n - rr) };
  }

  private merge(v: Framed): Framed {
    const frames = v.frames.slice(0, -1);
    return { node: v.node, frames, cell: [...v.frames[v.frames.length - 1]!, ...v.cell] };
  }

  /** Lines two frame lists up from the innermost end, padding the shorter with empty outer frames. */
  private align(a: Dim[][], b: Dim[][]): [Dim[][], Dim[][]] {
    const n = Math.max(a.length, b.length);
    const pad = (f: Dim[][]) => [...Array.from({ length: n - f.length }, () => [] as Dim[]), ...f];
    return [pad(a), pad(b)];
  }

  /** Checks prefix agreement at every level; returns the result frames (the longer at each level). */
  private agree(xf: Dim[][], yf: Dim[][], span: Span, what: string): Dim[][] {
    return xf.map((fx, j) => {
      const fy = yf[j]!;
      const [short, long] = fx.length <= fy.length ? [fx, fy] : [fy, fx];
      if (!isPrefix(short, long))
        fail(
          `frames disagree in ${what}: the left argument's frame is ${shapeText(fx)} and the right argument's is ${shapeText(fy)}`,
          span,
          'one frame must be a prefix of the other; check the ranks of the verb (e.g. +"1 1 to pair whole rows)',
        );
      return long;
    });
  }

  /** The verb's result must carry exactly the frames its arguments had (after splitting). */
  private expectFrames(z: Framed, frames: Dim[][], span: Span, what: string): Framed {
    const [zf, ef] = this.align(z.frames, frames);
    if (zf.length !== ef.length || zf.some((f, j) => !shapeEq(f, ef[j]!)) || z.frames.length > frames.length)
      fail(
        `the result of ${what} lost the frame ${shapeText(frames[frames.length - 1] ?? [])} of its argument`,
        span,
        "a verb body must use its argument(s) so the result keeps their frames",
      );
    return { ...z, frames: zf };
  }

  /** Shapes whose known part alone exceeds what a typed array can hold are rejected where they arise. */
  private sized(shape: Dim[], span: Span): Dim[] {
    const n = shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);
    if (n > MAX_ELEMENTS) fail(`this array would have ${n} elements; at most ${MAX_ELEMENTS} are supported`, span);
    return shape;
  }

  private apply1(verb: Verb, y: Framed, span: Span): Framed {
    switch (verb.kind) {
      case "prim": {
        const entry = PRIMS[verb.prim];
        if (entry.kind === "dyad")
          fail(
            `\`${verb.prim}\` is a dyad and needs two arguments: (x ${verb.prim} y)`,
            span,
            verb.prim === "-" ? "negate with (0 - y)" : undefined,
          );
        const y1 = this.split(y, entry.kind === "map" ? 0 : "inf", span, `\`${verb.prim}\``);
        let cell: Dim[] = [];
        if (entry.kind === "cell") {
          const r = entry.cellShape(y1.cell, verb.params);
          if (typeof r === "string") fail(r, span);
          cell = r;
        }
        const levels: Level[] = y1.frames.map((f) => ({ frame: f, lens: [f.length] }));
        const node = this.graph.prim(
          verb.prim,
          [y.node],
          verb.params,
          levels,
          this.sized([...y1.frames.flat(), ...cell], span),
          span,
        );
        return this.merge({ node, frames: y1.frames, cell });
      }
      case "user": {
        const def = verb.def;
        if (def.ranks.length !== 1) fail(`\`${def.name}\` is a dyad and needs two arguments: (x ${def.name} y)`, span);
        const y1 = this.split(y, def.ranks[0]!, span, `\`${def.name}\``);
        const z = this.expand(def, { y: y1 }, span);
        return this.merge(this.expectFrames(z, y1.frames, span, `\`${def.name}\``));
      }
      case "extern": {
        const d = verb.decl;
        if (d.ranks.length !== 1) fail(`\`${d.name}\` is a dyad and needs two arguments: (x ${d.name} y)`, span);
        const y1 = this.split(y, d.ranks[0]!, span, `\`${d.name}\``);
        const levels: Level[] = y1.frames.map((f) => ({ frame: f, lens: [f.length] }));
        const node = this.graph.prim(
          "extern",
          [y.node],
          { ext: d.name },
          levels,
          this.sized([...y1.frames.flat(), ...y1.cell], span),
          span,
        );
        return this.merge({ node, frames: y1.frames, cell: y1.cell });
      }
      case "ranked": {
        if (verb.ranks.length !== 1)
          fail(`a rank form with two ranks is for a dyad; used with one argument it needs one rank`, verb.span);
        const y1 = this.split(y, verb.ranks[0]!, span, `the rank form`);
        const z = this.apply1(verb.inner, y1, span);
        return this.merge(this.expectFrames(z, y1.frames, span, "the rank form"));
      }
    }
  }

  private apply2(verb: Verb, x: Framed, y: Framed, span: Span): Framed {
    switch (verb.kind) {
      case "prim": {
        const entry = PRIMS[verb.prim];
        if (entry.kind !== "dyad") fail(`\`${verb.prim}\` is a monad and takes one argument: (${verb.prim} y)`, span);
        const x1 = this.split(x, 0, span, `\`${verb.prim}\``),
          y1 = this.split(y, 0, span, `\`${verb.prim}\``);
        const [xf, yf] = this.align(x1.frames, y1.frames);
        const z = this.agree(xf, yf, span, `\`${verb.prim}\``);
        const levels: Level[] = z.map((f, j) => ({ frame: f, lens: [xf[j]!.length, yf[j]!.length] }));
        const node = this.graph.prim(verb.prim, [x.node, y.node], {}, levels, this.sized(z.flat(), span), span);
        return this.merge({ node, frames: z, cell: [] });
      }
      case "user": {
        const def = verb.def;
        if (def.ranks.length !== 2) fail(`\`${def.name}\` is a monad and takes one argument: (${def.name} y)`, span);
        const x1 = this.split(x, def.ranks[0]!, span, `the left rank of \`${def.name}\``);
        const y1 = this.split(y, def.ranks[1]!, span, `the right rank of \`${def.name}\``);
        const [xf, yf] = this.align(x1.frames, y1.frames);
        const frames = this.agree(xf, yf, span, `\`${def.name}\``);
        const z = this.expand(def, { x: { ...x1, frames: xf }, y: { ...y1, frames: yf } }, span);
        return this.merge(this.expectFrames(z, frames, span, `\`${def.name}\``));
      }
      case "extern": {
        const d = verb.decl;
        if (d.ranks.length !== 2) fail(`\`${d.name}\` is a monad and takes one argument: (${d.name} y)`, span);
        const x1 = this.split(x, d.ranks[0]!, span, `the left rank of \`${d.name}\``),
          y1 = this.split(y, d.ranks[1]!, span, `the right rank of \`${d.name}\``);
        const [xf, yf] = this.align(x1.frames, y1.frames);
        const z = this.agree(xf, yf, span, `\`${d.name}\``);
        const levels: Level[] = z.map((f, j) => ({ frame: f, lens: [xf[j]!.length, yf[j]!.length] }));
        const node = this.graph.prim(
          "extern",
          [x.node, y.node],
          { ext: d.name },
          levels,
          this.sized([...z.flat(), ...x1.cell], span),
          span,
        );
        return this.merge({ node, frames: z, cell: x1.cell });
      }
      case "ranked": {
        if (verb.ranks.length !== 2)
          fail(`a rank form used with two arguments needs two ranks, like (+"1 1)`, verb.span);
        const x1 = this.split(x, verb.ranks[0]!, span, "the left rank"),
          y1 = this.split(y, verb.ranks[1]!, span, "the right rank");
        const [xf, yf] = this.align(x1.frames, y1.frames);
        const frames = this.agree(xf, yf, span, `the rank form (…"${verb.ranks.map(rankText).join(" ")})`);
        const z = this.apply2(verb.inner, { ...x1, frames: xf }, { ...y1, frames: yf }, span);
        return this.merge(this.expectFrames(z, frames, span, "the rank form"));
      }
    }
  }

  /** Checks a verb body with its arguments bound; errors inside say where the verb was used. */
  private expand(def: VerbDef, env: Env, use: Span): Framed {
    if (this.expansions.length > 200) fail(`verb expansion nested too deeply`, use);
    const key = `${def.name}|${JSON.stringify(env)}`;
    const hit = this.expanded.get(key);
    if (hit) return hit;
    this.expansions.push({ name: def.name, span: use });
    this.bodiesChecked++;
    try {
      const v = this.value(def.body, env);
      this.expanded.set(key, v);
      return v;
    } catch (e) {
      if (
        e instanceof LiftError &&
        e.span &&
        e.span.start >= def.span.start &&
        e.span.end <= def.span.end &&
        e.span.file === def.span.file
      ) {
        const { line, col } = use.file.position(use.start);
        throw new LiftError(
          e.message,
          e.span,
          [e.hint, `in \`${def.name}\` used at ${use.file.name}:${line}:${col}`].filter(Boolean).join("; "),
        );
      }
      throw e;
    } finally {
      this.expansions.pop();
    }
  }
}

function unknownHint(name: string): string | undefined {
  if (/^-[0-9.]/.test(name) || /^\.[0-9]/.test(name)) return "write numbers with a leading digit: 0.5, -0.5";
  if (/^[0-9a-zA-Z]+[-+*/<>.%]/.test(name)) return "operators must be separated from names by spaces: (A - B)";
  return undefined;
}
