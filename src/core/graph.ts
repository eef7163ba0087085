/**
 * The checked program: an append-only, hash-consed list of nodes in topological order.
 * A primitive node keeps its levels (reference §3.4): per level the result frame and, per
 * operand, how many leading axes of that frame index it. Everything a backend needs about
 * ranks follows from that: an operand is indexed by a prefix of each level, and broadcast
 * along the rest.
 */
import type { TieRule } from "../lang/ast.js";
import type { Span } from "../lang/source.js";
import { nodeLines } from "./graph_text.js";
import { paramsText, type Params } from "./params.js";
import type { PrimName } from "./prims.js";
import type { Dim, Shape } from "./shape.js";

export interface Level {
  readonly frame: readonly Dim[];
  readonly lens: readonly number[];
}

export type Node =
  | { readonly id: number; readonly kind: "input"; readonly name: string; readonly shape: Shape; readonly span?: Span }
  | { readonly id: number; readonly kind: "const"; readonly value: number; readonly shape: Shape }
  | {
      readonly id: number;
      readonly kind: "prim";
      readonly prim: PrimName;
      readonly args: readonly number[];
      readonly params: Params;
      readonly levels: readonly Level[];
      readonly shape: Shape;
      readonly span?: Span;
    };
export type PrimNode = Extract<Node, { kind: "prim" }>;

/** Result axes (of the node's frame) that index operand `k`, in order. */
export function operandAxes(n: PrimNode, k: number): number[] {
  const axes: number[] = [];
  let off = 0;
  for (const l of n.levels) {
    for (let i = 0; i < l.lens[k]!; i++) axes.push(off + i);
    off += l.frame.length;
  }
  return axes;
}

export function frameOf(n: PrimNode): Dim[] {
  return n.levels.flatMap((l) => [...l.frame]);
}

export interface Decl {
  readonly name: string;
  readonly node: number;
  readonly shape: Shape;
  readonly span?: Span;
}
/** `firstNode` is where the nodes this declaration appended begin (`lift grad` prints from there). */
export interface GradDecl extends Decl {
  readonly loss: number;
  readonly wrt: number;
  readonly firstNode: number;
}

export class Graph {
  readonly nodes: Node[] = [];
  /** Names bound by the program, with the node each denotes. */
  readonly names = new Map<string, number>();
  readonly inputs: Decl[] = [];
  readonly outputs: Decl[] = [];
  readonly grads: GradDecl[] = [];
  /** Inputs declared `(param …)`: the trainable parameters. */
  readonly params: string[] = [];
  /** Symbolic sizes, in order of first declaration. */
  readonly sizes: string[] = [];
  /** How gradients of max/min treat ties (`(ties …)` in the program; fixed before the first `grad`). */
  ties: TieRule = "split";
  private readonly interned = new Map<string, number>();

  node(id: number): Node {
    return this.nodes[id]!;
  }

  /**
   * An independent copy that later appends to either graph do not reach (nodes are immutable, so
   * shared). Extern declarations live beside the graph: `shareExterns` copies them.
   */
  clone(): Graph {
    const g = new Graph();
    for (const n of this.nodes) g.nodes.push(n);
    for (const [k, v] of this.names) g.names.set(k, v);
    for (const [k, v] of this.interned) g.interned.set(k, v);
    g.inputs.push(...this.inputs);
    g.outputs.push(...this.outputs);
    g.grads.push(...this.grads);
    g.params.push(...this.params);
    g.sizes.push(...this.sizes);
    g.ties = this.ties;
    return g;
  }

  input(name: string, shape: Shape, span?: Span): number {
    const id = this.nodes.length;
    this.nodes.push({ id, kind: "input", name, shape, ...(span ? { span } : {}) });
    return id;
  }

  constant(value: number): number {
    const key = `c ${Object.is(value, -0) ? "-0" : value}`;
    const hit = this.interned.get(key);
    if (hit !== undefined) return hit;
    const id = this.nodes.length;
    this.nodes.push({ id, kind: "const", value, shape: [] });
    this.interned.set(key, id);
    return id;
  }

  /** Appends a primitive application, or returns the identical one already present. */
  prim(prim: PrimName, args: number[], params: Params, levels: Level[], shape: Shape, span?: Span): number {
    const key = `${prim}|${args.join(",")}|${paramsText(params)}|${levels.map((l) => `${l.frame.join(" ")}:${l.lens.join(",")}`).join("/")}`;
    const hit = this.interned.get(key);
    if (hit !== undefined) return hit;
    const id = this.nodes.length;
    this.nodes.push({ id, kind: "prim", prim, args, params, levels, shape, ...(span ? { span } : {}) });
    this.interned.set(key, id);
    return id;
  }

  /** The nodes `roots` depend on, themselves included, in topological (id) order. */
  ancestors(roots: readonly number[]): number[] {
    const seen = new Set<number>();
    const stack = [...roots];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const n = this.nodes[id]!;
      if (n.kind === "prim") stack.push(...n.args);
    }
    return [...seen].sort((a, b) => a - b);
  }

  /** The first name the program bound to each node, for printing. */
  nameOf(): Map<number, string> {
    const m = new Map<number, string>();
    for (const [name, id] of this.names) if (!m.has(id)) m.set(id, name);
    return m;
  }

  /** One line per node: `%7 = * %3 %0 : (8 24 24 5 5)  levels (8)[1 0] (24 24)[0 2]  ; Conv` (graph_text.ts). */
  print(from = 0): string {
    return nodeLines(this, from).join("\n");
  }
}
