/**
 * Running a graph with extern verbs on the C backend. The isl pipeline compiles only primitives,
 * so the graph is cut into stages at its externs: a node's stage is the largest number of
 * externs on a path to it, each stage is an ordinary program (compiled, contracted, scheduled
 * like any), and between stages the externs run their host code — C through koffi, else TS.
 * Values crossing a stage boundary are materialised; within a stage contraction applies.
 */
import { externsOf, type ExternImpls } from "../core/externs.js";
import { frameOf, Graph, type PrimNode } from "../core/graph.js";
import { product } from "../core/shape.js";
import type { DType, Tensor } from "../core/tensor.js";
import { cellsOf, evalExtern } from "../interp/extern_eval.js";
import { fail, LiftError } from "../lang/diagnostics.js";
import { C_NAME } from "../compiler/compile.js";
import { buildShared, DEFAULT_CFLAGS, loadLibrary } from "../runtime/native.js";
import { resolveShape } from "../core/shape.js";

export interface Result {
  name: string;
  node: number;
}
/** Runs one stage program: its inputs by name to its declared outputs by name. */
export type StageRunner = (g: Graph, inputs: Map<string, Tensor>, sizes: Map<string, number>) => Record<string, Tensor>;

const isExtern = (g: Graph, id: number) => {
  const n = g.node(id);
  return n.kind === "prim" && n.prim === "extern";
};

/** The stage of every node the results need: inputs and constants 0, an extern one more than its arguments. */
function stagesOf(g: Graph, results: readonly Result[]): Map<number, number> {
  const stage = new Map<number, number>();
  for (const id of g.ancestors(results.map((r) => r.node))) {
    const n = g.node(id);
    const s = n.kind === "prim" ? Math.max(0, ...n.args.map((a) => stage.get(a)!)) : 0;
    stage.set(id, s + (isExtern(g, id) ? 1 : 0));
  }
  return stage;
}

/** The program of stage `s`: its nodes, with every value from outside (inputs, externs, earlier stages) an input `%id`. */
function stageGraph(g: Graph, stage: Map<number, number>, s: number, outputs: number[]): Graph {
  const h = new Graph();
  const map = new Map<number, number>();
  const inside = (id: number) => {
    const n = g.node(id);
    return n.kind === "prim" && !isExtern(g, id) && stage.get(id) === s;
  };
  const visit = (id: number): number => {
    const hit = map.get(id);
    if (hit !== undefined) return hit;
    const n = g.node(id);
    let m: number;
    if (n.kind === "const") m = h.constant(n.value);
    else if (n.kind === "prim" && inside(id))
      m = h.prim(n.prim, n.args.map(visit), n.params, [...n.levels], n.shape, n.span);
    else {
      m = h.input(`%${id}`, n.shape);
      h.inputs.push({ name: `%${id}`, node: m, shape: n.shape });
    }
    map.set(id, m);
    return m;
  };
  for (const id of outputs) {
    h.outputs.push({ name: `%${id}`, node: visit(id), shape: g.node(id).shape });
  }
  const used = new Set(h.inputs.flatMap((d) => d.shape.filter((x): x is string => typeof x === "string")));
  h.sizes.push(...g.sizes.filter((x) => used.has(x)));
  return h;
}

/** Runs `results` of `g` on named inputs: the stages through `runStage`, the externs by their host code. */
export function runStaged(
  g: Graph,
  results: readonly Result[],
  inputs: Map<string, Tensor>,
  sizes: Map<string, number>,
  dtype: DType,
  impls: ExternImpls | undefined,
  runStage: StageRunner,
  cache: Map<string, Graph>,
): Record<string, Tensor> {
  const stage = stagesOf(g, results);
  const values = new Map<number, Tensor>();
  for (const d of g.inputs) {
    const t = inputs.get(d.name);
    if (t && stage.has(d.node)) values.set(d.node, t);
  }
  const Ctor = dtype === "f32" ? Float32Array : Float64Array;
  for (const [id] of stage) {
    const n = g.node(id);
    if (n.kind === "const") values.set(id, { shape: [], data: Ctor.of(n.value) });
  }
  // What each stage must hand on: values read by a later stage or an extern, and the results.
  const wanted = new Set(results.map((r) => r.node));
  for (const [id] of stage) {
    const n = g.node(id);
    if (n.kind !== "prim") continue;
    for (const a of n.args) if (isExtern(g, id) || stage.get(a) !== stage.get(id)) wanted.add(a);
  }
  const last = Math.max(0, ...stage.values());
  for (let s = 0; s <= last; s++) {
    for (const [id, k] of stage)
      if (k === s && isExtern(g, id)) runExtern(g, g.node(id) as PrimNode, values, sizes, dtype, impls);
    const outs = [...stage.keys()].filter(
      (id) => stage.get(id) === s && wanted.has(id) && g.node(id).kind === "prim" && !isExtern(g, id),
    );
    if (!outs.length) continue;
    const key = `${s}:${outs.join(",")}`;
    let sg = cache.get(key);
    if (!sg) cache.set(key, (sg = stageGraph(g, stage, s, outs)));
    const given = new Map(sg.inputs.map((d) => [d.name, values.get(Number(d.name.slice(1)))!]));
    const got = runStage(sg, given, sizes);
    for (const id of outs) values.set(id, got[`%${id}`]!);
  }
  return Object.fromEntries(results.map((r) => [r.name, values.get(r.node)!]));
}

function runExtern(
  g: Graph,
  n: PrimNode,
  values: Map<number, Tensor>,
  sizes: Map<string, number>,
  dtype: DType,
  impls: ExternImpls | undefined,
): void {
  const shape = resolveShape(n.shape, sizes);
  const out: Tensor = { shape, data: new (dtype === "f32" ? Float32Array : Float64Array)(product(shape)) };
  const args = n.args.map((a) => values.get(a)!);
  const c = impls?.[n.params.ext!]?.c;
  if (c) callC(n, externsOf(g).get(n.params.ext!)!.ranks.length, c, args, out, dtype);
  else evalExtern(n, args, out, impls);
  values.set(n.id, out);
}

/** The host C function, with the ABI of docs/externs.md. */
function callC(
  n: PrimNode,
  arity: number,
  c: { source: string; symbol: string },
  args: Tensor[],
  out: Tensor,
  dtype: DType,
): void {
  const fn = cFunction(n.params.ext!, arity, c, dtype);
  const frame = out.shape.slice(0, frameOf(n).length);
  const x = cellsOf(n, 0, args[0]!, frame);
  const cells = product(frame);
  const dims = (d: number[]) => BigInt64Array.from(d.map(BigInt));
  if (arity === 1) fn(x.data, out.data, cells, dims(x.cell), x.cell.length);
  else {
    const y = cellsOf(n, 1, args[1]!, frame);
    fn(x.data, y.data, out.data, cells, dims(x.cell), x.cell.length, dims(y.cell), y.cell.length);
  }
}

const functions = new Map<string, (...a: unknown[]) => void>();
function cFunction(
  name: string,
  arity: number,
  c: { source: string; symbol: string },
  dtype: DType,
): (...a: unknown[]) => void {
  if (!C_NAME.test(c.symbol))
    fail(`the C symbol of extern \`${name}\` must be a C identifier, not ${JSON.stringify(c.symbol)}`);
  const T = dtype === "f32" ? "float" : "double";
  const source = `#include <stdint.h>\n#include <math.h>\ntypedef ${T} lift_real;\n#line 1 "extern"\n${c.source}\n`;
  const key = `${c.symbol}\0${dtype}\0${source}`;
  const hit = functions.get(key);
  if (hit) return hit;
  let path: string;
  try {
    path = buildShared(`extern_${c.symbol}`, "", source, DEFAULT_CFLAGS).path;
  } catch (e) {
    throw new LiftError(
      `the C source of extern \`${name}\` did not compile`,
      undefined,
      (e as Error).message.split("\n").slice(1, 6).join(" "),
    );
  }
  const lib = loadLibrary(path);
  const sig =
    arity === 1
      ? `void ${c.symbol}(const ${T} *x, ${T} *z, int64_t cells, const int64_t *x_cell, int64_t x_rank)`
      : `void ${c.symbol}(const ${T} *x, const ${T} *y, ${T} *z, int64_t cells, const int64_t *x_cell, int64_t x_rank, const int64_t *y_cell, int64_t y_rank)`;
  let fn: (...a: unknown[]) => void;
  try {
    fn = lib.func(sig) as (...a: unknown[]) => void;
  } catch {
    fail(`the C source of extern \`${name}\` does not define \`${c.symbol}\``);
  }
  functions.set(key, fn);
  return fn;
}
