/**
 * The Graph's text form (what `lift check` prints) and its parser: `parseGraph(printGraph(g))`
 * rebuilds a graph equal to `g` (`graphValue` of both is deep-equal) and prints identically.
 *
 *   %0 = in A : (8 8)  ; A
 *   %1 = const -0.5 : ()
 *   %2 = (reduce 1 +) %0 : (8)  levels (8)[1]  ; s t
 *
 *   inputs:  A (8 8) = %0
 *   params:  A
 *   outputs: s (8) = %2
 *   grads:   dA (8 8) = %7 of %5 wrt %0 from %6
 *   sizes:   N
 *   ties:    full
 *
 * A node line lists every name bound to the node, in binding order. Not in the text: source
 * spans (positions, not values) and extern declarations (host code, core/externs.ts).
 */
import type { TieRule } from "../lang/ast.js";
import { Graph, type Decl, type GradDecl, type Level, type Node } from "./graph.js";
import { paramsText, type Params, type ReduceOp } from "./params.js";
import { PRIMS, type PrimName } from "./prims.js";
import { shapeText, type Dim, type Shape } from "./shape.js";
import { numText, TextReader } from "./text_reader.js";

/** One line per node from `from` on (the node part of the text, what `lift grad` prints). */
export function nodeLines(g: Graph, from = 0): string[] {
  const names = new Map<number, string[]>();
  for (const [name, id] of g.names) names.set(id, [...(names.get(id) ?? []), name]);
  return g.nodes.slice(from).map((n) => {
    const own = names.get(n.id);
    return own ? `${nodeText(n)}  ; ${own.join(" ")}` : nodeText(n);
  });
}

function nodeText(n: Node): string {
  if (n.kind === "input") return `%${n.id} = in ${n.name} : ${shapeText(n.shape)}`;
  if (n.kind === "const") return `%${n.id} = const ${numText(n.value)} : ()`;
  const p = paramsText(n.params);
  const head = PRIMS[n.prim].kind === "cell" ? `(${p ? `${n.prim} ${p}` : n.prim})` : n.prim;
  const lv = n.levels.map((l) => `${shapeText(l.frame)}[${l.lens.join(" ")}]`).join(" ");
  const args = n.args.map((a) => `%${a}`).join(" ");
  return `%${n.id} = ${head} ${args} : ${shapeText(n.shape)}${lv ? `  levels ${lv}` : ""}`;
}

/** The whole graph: its nodes, a blank line, its declarations (each line only when not empty). */
export function printGraph(g: Graph): string {
  const decl = (d: Decl) => `${d.name} ${shapeText(d.shape)} = %${d.node}`;
  const lines = [...nodeLines(g), ""];
  const add = (key: string, items: string[], sep = ", ") => {
    if (items.length) lines.push(`${`${key}:`.padEnd(9)}${items.join(sep)}`);
  };
  add("inputs", g.inputs.map(decl));
  add("params", g.params, " ");
  add("outputs", g.outputs.map(decl));
  add(
    "grads",
    g.grads.map((d) => `${decl(d)} of %${d.loss} wrt %${d.wrt} from %${d.firstNode}`),
  );
  add("sizes", g.sizes, " ");
  if (g.ties !== "split") add("ties", [g.ties]);
  return lines.join("\n") + "\n";
}

/** What a graph is, without spans: two graphs are equal when these are deep-equal. */
export function graphValue(g: Graph): unknown {
  const decl = ({ span: _s, ...d }: Decl & { span?: unknown }) => d;
  const names = [...g.names].map(([name, id], i) => ({ name, id, i })).sort((a, b) => a.id - b.id || a.i - b.i);
  return {
    nodes: g.nodes.map(({ span: _s, ...n }: Node & { span?: unknown }) => n),
    inputs: g.inputs.map(decl),
    outputs: g.outputs.map(decl),
    grads: g.grads.map(decl),
    params: [...g.params],
    sizes: [...g.sizes],
    ties: g.ties,
    names: names.map((x) => [x.name, x.id]),
  };
}

/** Parses `printGraph`'s text (or `lift check`'s output) back into a Graph, node ids as written. */
export function parseGraph(text: string, fileName = "graph"): Graph {
  const r = new TextReader(fileName, text);
  const g = new Graph();
  while (r.peek("%")) parseNode(r, g);
  parseDecls(r, g);
  return g;
}

function parseNode(r: TextReader, g: Graph): void {
  const at = r.pos;
  r.expect("%");
  const id = r.int(true);
  if (id !== g.nodes.length) r.fail(`node %${id} out of order: expected %${g.nodes.length}`, at);
  r.expect("=", true);
  let got: number;
  if (r.eat("in ", true)) {
    const name = r.word(true);
    r.expect(":", true);
    got = g.input(name, parseShape(r));
  } else if (r.eat("const ", true)) {
    const v = r.num(true);
    r.expect(":", true);
    parseShape(r);
    got = g.constant(v);
  } else got = parsePrim(r, g);
  if (got !== id) r.fail(`node %${id} repeats node %${got} (a graph holds each node once)`, at);
  if (r.eat(";", true)) for (const name of r.restOfLine().trim().split(/\s+/)) g.names.set(name, id);
  r.endLine();
}

function parsePrim(r: TextReader, g: Graph): number {
  const at = r.pos;
  const paren = r.eat("(", true);
  const prim = r.match(/[^\s()[\]%]+/, "a primitive", true);
  if (!Object.hasOwn(PRIMS, prim)) r.fail(`unknown primitive "${prim}"`, at);
  const tokens: string[] = [];
  if (paren) {
    while (!r.eat(")", true)) tokens.push(r.word(true));
  }
  const params = parseParams(prim as PrimName, tokens);
  const args: number[] = [];
  while (r.eat("%", true)) {
    const a = r.int(true);
    if (a >= g.nodes.length) r.fail(`operand %${a} is not defined before this node`);
    args.push(a);
  }
  r.expect(":", true);
  const shape = parseShape(r);
  const levels: Level[] = [];
  if (r.eat("levels", true)) {
    while (r.peek("(", true)) {
      const frame = parseShape(r);
      r.expect("[", true);
      const lens: number[] = [];
      while (!r.eat("]", true)) lens.push(r.int(true));
      levels.push({ frame, lens });
    }
  }
  return g.prim(prim as PrimName, args, params, levels, shape);
}

/** The inverse of `paramsText`: an extern's name first; `n op` for reduce-like cells; else sizes. */
function parseParams(prim: PrimName, tokens: string[]): Params {
  const p: { n?: number; op?: ReduceOp; ints?: Dim[]; ext?: string } = {};
  const rest = [...tokens];
  if (prim === "extern" && rest.length) p.ext = rest.shift()!;
  const entry = PRIMS[prim];
  if (entry.kind === "cell" && entry.params === "reduce") {
    if (rest.length) p.n = Number(rest.shift());
    if (rest.length) p.op = rest.shift() as ReduceOp;
  } else if (rest.length) p.ints = rest.map(dim);
  return p;
}

const dim = (t: string): Dim => (/^-?\d+$/.test(t) ? Number(t) : t);

function parseShape(r: TextReader): Shape {
  r.expect("(", true);
  const dims: Dim[] = [];
  while (!r.eat(")", true)) dims.push(dim(r.word(true)));
  return dims;
}

function parseDecls(r: TextReader, g: Graph): void {
  while (!r.atEnd()) {
    const key = r.match(/[a-z]+:/, "a declaration line (inputs:, params:, outputs:, grads:, sizes:, ties:)");
    const items = r.restOfLine().trim();
    const list = items.split(/,\s*/);
    const words = items.split(/\s+/);
    switch (key) {
      case "inputs:":
        g.inputs.push(...list.map((d) => parseDecl(r, d)));
        break;
      case "outputs:":
        g.outputs.push(...list.map((d) => parseDecl(r, d)));
        break;
      case "grads:":
        g.grads.push(...list.map((d) => parseGrad(r, d)));
        break;
      case "params:":
        g.params.push(...words);
        break;
      case "sizes:":
        g.sizes.push(...words);
        break;
      case "ties:":
        g.ties = words[0] as TieRule;
        break;
      default:
        r.fail(`unknown declaration "${key}"`);
    }
  }
}

function parseDecl(r: TextReader, text: string): Decl {
  const m = /^(\S+) \(([^)]*)\) = %(\d+)$/.exec(text);
  if (!m) return r.fail(`expected "NAME (SHAPE) = %ID", not "${text}"`);
  return { name: m[1]!, shape: m[2]!.split(" ").filter(Boolean).map(dim), node: Number(m[3]) };
}

function parseGrad(r: TextReader, text: string): GradDecl {
  const m = /^(.*) of %(\d+) wrt %(\d+) from %(\d+)$/.exec(text);
  if (!m) return r.fail(`expected "NAME (SHAPE) = %ID of %LOSS wrt %WRT from %FIRST", not "${text}"`);
  return { ...parseDecl(r, m[1]!), loss: Number(m[2]), wrt: Number(m[3]), firstNode: Number(m[4]) };
}
