/**
 * Extern verbs: verbs implemented by host code (a TypeScript function for the interpreter, a C
 * function for the C backend), declared in the program with their rank and derivative:
 *   softplus :: (extern 0 dsoftplus)      a monad of rank 0 whose vjp is the verb dsoftplus
 *   dcumsum :: (extern 1 1)               a dyad of ranks 1 1, without derivative
 * A monad's result cell is its argument's cell; a dyad's is its left argument's. The derivative
 * of a monad f is a dyad d: ∂L/∂y = (y (d"r r) ∂L/∂z), a formula or another extern.
 * The declarations live beside the graph (by graph, copied by module/subgraph.ts); the nodes are
 * `extern` primitives whose `ext` parameter names the declaration.
 */
import type { Span } from "../lang/source.js";
import type { Graph } from "./graph.js";

export interface ExternDecl {
  readonly name: string;
  /** One rank (a monad) or two (a dyad). */
  readonly ranks: readonly number[];
  /** Builds ∂L/∂y in graph `g` from the argument y and the incoming gradient acc; absent: none. */
  readonly vjp?: (g: Graph, y: number, acc: number, span?: Span) => number;
  readonly derivative?: string;
  readonly span?: Span;
}

/**
 * Host implementations, by extern name. `js` runs on `cells` cells laid out one after another
 * (frames already broadcast): monads get (x, z), dyads (x, y, z). `c` is C source defining
 * `symbol` with the ABI of docs/externs.md, compiled as the caller's own code.
 */
export interface ExternImpl {
  js?: (args: ExternCall) => void;
  c?: { source: string; symbol: string };
}
export interface ExternCall {
  x: Float32Array | Float64Array;
  y?: Float32Array | Float64Array;
  z: Float32Array | Float64Array;
  cells: number;
  xCell: number[];
  yCell?: number[];
}
export type ExternImpls = Readonly<Record<string, ExternImpl>>;

const DECLS = new WeakMap<Graph, Map<string, ExternDecl>>();

export function externsOf(g: Graph): Map<string, ExternDecl> {
  let m = DECLS.get(g);
  if (!m) DECLS.set(g, (m = new Map()));
  return m;
}

/** The copy `to` of graph `from` knows the same externs. */
export function shareExterns(from: Graph, to: Graph): void {
  for (const [k, d] of externsOf(from)) externsOf(to).set(k, d);
}

export function hasExterns(g: Graph, nodes?: readonly number[]): boolean {
  return (nodes ?? g.nodes.map((n) => n.id)).some((id) => {
    const n = g.node(id);
    return n.kind === "prim" && n.prim === "extern";
  });
}
