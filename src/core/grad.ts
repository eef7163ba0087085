/**
 * Reverse accumulation as graph rewriting (reference §6). `grad(L, w)` is the sum, over every
 * use (u, slot) of w on a path to L, of u's vector–Jacobian contribution for that slot, built
 * from ordinary primitives of the table — so a gradient can be differentiated again.
 * Results are memoised per (L, w): all `grad` declarations of one loss share the backward chain.
 */
import type { TieRule } from "../lang/ast.js";
import { fail } from "../lang/diagnostics.js";
import type { Span } from "../lang/source.js";
import { externsOf } from "./externs.js";
import { frameOf, operandAxes, type Graph, type Level, type PrimNode } from "./graph.js";
import type { Params } from "./params.js";
import { PRIMS, type CellName, type DyadName, type MapName, type VjpCtx } from "./prims.js";
import { shapeEq, shapeText, type Dim, type Shape } from "./shape.js";

interface Use {
  user: number;
  slot: number;
}
interface GradState {
  uses: Map<number, Map<number, Use[]>>;
  memo: Map<number, Map<number, number>>;
}
const STATE = new WeakMap<Graph, GradState>();

function state(g: Graph): GradState {
  let s = STATE.get(g);
  if (!s) {
    s = { uses: new Map(), memo: new Map() };
    STATE.set(g, s);
  }
  return s;
}

/** Every use (user, slot) of each node that lies on a path to `loss`, in breadth-first order. */
function usesOf(g: Graph, loss: number): Map<number, Use[]> {
  const st = state(g);
  const hit = st.uses.get(loss);
  if (hit) return hit;
  const uses = new Map<number, Use[]>();
  const seen = new Set([loss]);
  const queue = [loss];
  for (let i = 0; i < queue.length; i++) {
    const n = g.node(queue[i]!);
    if (n.kind !== "prim") continue;
    n.args.forEach((a, slot) => {
      let list = uses.get(a);
      if (!list) uses.set(a, (list = []));
      list.push({ user: n.id, slot });
      if (!seen.has(a)) {
        seen.add(a);
        queue.push(a);
      }
    });
  }
  st.uses.set(loss, uses);
  return uses;
}

/** The node ∂loss/∂wrt, appended to the graph. `names` are the source spellings, for messages. */
export function gradOf(
  g: Graph,
  loss: number,
  wrt: number,
  span: Span | undefined,
  names: [string, string] = [`%${loss}`, `%${wrt}`],
): number {
  const L = g.node(loss);
  if (L.shape.length !== 0)
    fail(
      `the loss \`${names[0]}\` must be a scalar, but it has shape ${shapeText(L.shape)}`,
      span,
      `sum it first, e.g. ((reduce ${L.shape.length} +) ${names[0]})`,
    );
  const uses = usesOf(g, loss);
  if (wrt !== loss && !uses.has(wrt)) fail(`the loss \`${names[0]}\` does not depend on \`${names[1]}\``, span);
  let memo = state(g).memo.get(loss);
  if (!memo) state(g).memo.set(loss, (memo = new Map()));
  const m = memo;

  // Depth-first over the users, with an explicit stack: a chain of 10^5 statements must not
  // exhaust the call stack. A node's total is formed once all its users' totals are known.
  const stack = [wrt];
  while (stack.length) {
    const w = stack[stack.length - 1]!;
    if (m.has(w)) {
      stack.pop();
      continue;
    }
    if (w === loss) {
      m.set(w, g.constant(1));
      stack.pop();
      continue;
    }
    const list = uses.get(w) ?? [];
    const pending = list.filter(({ user }) => !m.has(user)).map(({ user }) => user);
    if (pending.length) {
      stack.push(...pending.reverse());
      continue;
    }
    stack.pop();
    let total: number | undefined;
    for (const { user, slot } of list) {
      const c = contribution(g, g.node(user) as PrimNode, slot, m.get(user)!, span);
      if (c !== null) total = total === undefined ? c : elementwise(g, "+", total, c, span);
    }
    m.set(w, total ?? zeros(g, g.node(w).shape, span));
  }
  return m.get(wrt)!;
}

function elementwise(g: Graph, op: DyadName, a: number, b: number, span?: Span): number {
  const shape = g.node(a).shape;
  return g.prim(op, [a, b], {}, [{ frame: shape, lens: [shape.length, shape.length] }], shape, span);
}

function zeros(g: Graph, shape: Shape, span?: Span): number {
  const zero = g.constant(0);
  return shape.length === 0
    ? zero
    : g.prim("duplicate", [zero], { ints: shape }, [{ frame: [], lens: [0] }], shape, span);
}

/** u's contribution to the gradient of its operand `slot`, given acc = ∂loss/∂u; null if zero. */
function contribution(g: Graph, u: PrimNode, slot: number, acc: number, span?: Span): number | null {
  if (u.prim === "extern") return externContribution(g, u, acc, span);
  const entry = PRIMS[u.prim];
  if (entry.kind === "dyad") {
    const ctx = new DyadCtx(g, u, acc, span);
    const t = entry.vjp[slot]!(ctx);
    return t === null ? null : ctx.unbroadcast(t, slot);
  }
  const ctx = new MonadCtx(g, u, acc, span);
  const t = entry.vjp(ctx);
  if (t !== null && !shapeEq(g.node(t).shape, g.node(u.args[0]!).shape))
    throw new Error(`internal: ${u.prim} rule gave shape ${shapeText(g.node(t).shape)}`);
  return t;
}

/** An extern monad's contribution: its declared derivative, (y (D"r r) acc) (core/externs.ts). */
function externContribution(g: Graph, u: PrimNode, acc: number, span?: Span): number {
  const decl = externsOf(g).get(u.params.ext!);
  if (!decl?.vjp)
    fail(
      `the extern \`${u.params.ext}\` has no derivative, so no gradient flows through it`,
      span ?? u.span,
      "declare one: f :: (extern r D), with D a dyad (y D dz)",
    );
  const t = decl.vjp(g, u.args[0]!, acc, span);
  if (!shapeEq(g.node(t).shape, g.node(u.args[0]!).shape))
    fail(
      `the derivative \`${decl.derivative}\` of \`${decl.name}\` gives shape ${shapeText(g.node(t).shape)}, but its argument has shape ${shapeText(g.node(u.args[0]!).shape)}`,
      span ?? u.span,
    );
  return t;
}

/**
 * Terms over a dyad's iteration space: a node plus, per level of u, how many leading axes of
 * that level's frame index it (as in u itself: acc and z use all, x and y their own prefix).
 */
interface Term {
  node: number;
  lens: number[];
}

class DyadCtx implements VjpCtx<Term> {
  readonly acc: Term;
  readonly x: Term;
  readonly y: Term;
  readonly z: Term;
  readonly params: Params = {};
  readonly cellIn: Dim[] = [];
  readonly ties: TieRule;
  constructor(
    private readonly g: Graph,
    private readonly u: PrimNode,
    acc: number,
    private readonly span?: Span,
  ) {
    this.ties = g.ties;
    const full = u.levels.map((l) => l.frame.length);
    this.acc = { node: acc, lens: full };
    this.z = { node: u.id, lens: full };
    this.x = { node: u.args[0]!, lens: u.levels.map((l) => l.lens[0]!) };
    this.y = { node: u.args[1]!, lens: u.levels.map((l) => l.lens[1]!) };
  }
  lit(c: number): Term {
    return { node: this.g.constant(c), lens: this.u.levels.map(() => 0) };
  }
  dyad(op: DyadName, a: Term, b: Term): Term {
    const lens = a.lens.map((n, j) => Math.max(n, b.lens[j]!));
    const levels: Level[] = this.u.levels.map((l, j) => ({
      frame: l.frame.slice(0, lens[j]),
      lens: [a.lens[j]!, b.lens[j]!],
    }));
    return {
      node: this.g.prim(
        op,
        [a.node, b.node],
        {},
        levels,
        levels.flatMap((l) => [...l.frame]),
        this.span,
      ),
      lens,
    };
  }
  map(op: MapName, a: Term): Term {
    const shape = this.g.node(a.node).shape;
    return {
      node: this.g.prim(op, [a.node], {}, [{ frame: shape, lens: [shape.length] }], shape, this.span),
      lens: a.lens,
    };
  }
  cell(op: CellName): Term {
    throw new Error(`internal: ${op} in a dyad rule`);
  }

  /** Sums t over the axes the operand is broadcast along, so it gets the operand's shape. */
  unbroadcast(t: Term, slot: number): number {
    const want = operandAxes(this.u, slot);
    let node = t.node;
    const have: number[] = [];
    let off = 0;
    this.u.levels.forEach((l, j) => {
      for (let i = 0; i < t.lens[j]!; i++) have.push(off + i);
      off += l.frame.length;
    });
    if (!want.every((a) => have.includes(a))) throw new Error("internal: contribution narrower than its operand");
    // Sum runs of axes to drop, innermost first, so the positions of the outer ones stay put.
    const drop = have.map((a, pos) => (want.includes(a) ? -1 : pos)).filter((p) => p >= 0);
    for (let k = drop.length - 1; k >= 0;) {
      let start = k;
      while (start > 0 && drop[start - 1] === drop[start]! - 1) start--;
      const pos = drop[start]!,
        n = k - start + 1;
      const shape = this.g.node(node).shape;
      const frame = shape.slice(0, pos);
      node = this.g.prim(
        "reduce",
        [node],
        { n, op: "+" },
        [{ frame, lens: [frame.length] }],
        [...frame, ...shape.slice(pos + n)],
        this.span,
      );
      k = start - 1;
    }
    return node;
  }
}

/** Terms for a monad's rule: plain nodes; `cell` applies a builtin at u's frame. */
class MonadCtx implements VjpCtx<number> {
  readonly acc: number;
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly params: Params;
  readonly cellIn: Dim[];
  readonly ties: TieRule;
  private readonly frame: Dim[];
  constructor(
    private readonly g: Graph,
    private readonly u: PrimNode,
    acc: number,
    private readonly span?: Span,
  ) {
    this.ties = g.ties;
    this.acc = acc;
    this.z = u.id;
    this.x = this.y = u.args[0]!;
    this.params = u.params;
    this.frame = frameOf(u);
    this.cellIn = g.node(u.args[0]!).shape.slice(this.frame.length);
  }
  lit(c: number): number {
    return this.g.constant(c);
  }
  dyad(op: DyadName, a: number, b: number): number {
    const sa = this.g.node(a).shape,
      sb = this.g.node(b).shape;
    const shape = sa.length >= sb.length ? sa : sb;
    if (!(shapeEq(sa, sb) || sa.length === 0 || sb.length === 0))
      throw new Error(`internal: ${op} of ${shapeText(sa)} and ${shapeText(sb)}`);
    return this.g.prim(op, [a, b], {}, [{ frame: shape, lens: [sa.length, sb.length] }], shape, this.span);
  }
  map(op: MapName, a: number): number {
    const shape = this.g.node(a).shape;
    return this.g.prim(op, [a], {}, [{ frame: shape, lens: [shape.length] }], shape, this.span);
  }
  cell(op: CellName, p: Params, a: number): number {
    const shape = this.g.node(a).shape;
    const cellIn = shape.slice(this.frame.length);
    const out = PRIMS[op].cellShape(cellIn, p);
    if (typeof out === "string") throw new Error(`internal: ${op}: ${out}`);
    return this.g.prim(
      op,
      [a],
      p,
      [{ frame: this.frame, lens: [this.frame.length] }],
      [...this.frame, ...out],
      this.span,
    );
  }
}
