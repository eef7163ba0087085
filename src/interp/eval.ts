/**
 * The reference interpreter: evaluates a Graph on typed arrays, one loop nest per node
 * (reference §3.4): an operand is indexed by the result axes it owns and broadcast along the
 * rest. Arrays are freed after their last use, so peak memory is what the program needs.
 */
import { frameOf, operandAxes, type Graph, type PrimNode } from "../core/graph.js";
import { PRIMS } from "../core/prims.js";
import { product, resolveShape } from "../core/shape.js";
import type { Arr, DType, Tensor } from "../core/tensor.js";
import { CELLS, type ResolvedParams } from "./cells.js";
import { MAX_ELEMENTS } from "../core/checker.js";
import { LiftError } from "../lang/diagnostics.js";
import type { ExternImpls } from "../core/externs.js";
import { evalExtern } from "./extern_eval.js";

export interface EvalStats {
  peakValues: number;
  totalValues: number;
  nodesEvaluated: number;
}

/** For each node, the last node in `order` that reads it (its array is freed after that one). */
function lastUses(g: Graph, order: readonly number[]): Map<number, number> {
  const lastUse = new Map<number, number>();
  for (const id of order) {
    const n = g.node(id);
    if (n.kind === "prim") for (const a of n.args) lastUse.set(a, id);
  }
  return lastUse;
}

/**
 * Evaluates the nodes `want` (default: every output and gradient declaration) given input
 * tensors (already checked against their declarations) and the values of the symbolic sizes.
 */
export function evaluate(
  g: Graph,
  inputs: ReadonlyMap<number, Tensor>,
  sizes: ReadonlyMap<string, number>,
  dtype: DType,
  want?: number[],
  stats?: EvalStats,
  externs?: ExternImpls,
): Map<number, Tensor> {
  const targets = want ?? [...g.outputs.map((o) => o.node), ...g.grads.map((d) => d.node)];
  const order = g.ancestors(targets);
  const lastUse = lastUses(g, order);
  const keep = new Set(targets);

  const Ctor = dtype === "f32" ? Float32Array : Float64Array;
  const values = new Map<number, Tensor>();
  let live = 0,
    peak = 0,
    total = 0;
  for (const id of order) {
    const n = g.node(id);
    let t: Tensor;
    if (n.kind === "input") {
      const given = inputs.get(id);
      if (!given) throw new Error(`internal: input ${n.name} has no value`);
      t = given;
    } else if (n.kind === "const") {
      t = { shape: [], data: Ctor.of(n.value) };
    } else {
      const shape = resolveShape(n.shape, sizes);
      const count = product(shape);
      if (count > MAX_ELEMENTS)
        throw new LiftError(
          `an array of shape (${shape.join(" ")}) would have ${count} elements; at most ${MAX_ELEMENTS} are supported`,
          n.span,
        );
      try {
        t = { shape, data: new Ctor(count) };
      } catch {
        throw new LiftError(`not enough memory for an array of shape (${shape.join(" ")})`, n.span);
      }
      if (n.prim === "extern")
        evalExtern(
          n,
          n.args.map((a) => values.get(a)!),
          t,
          externs,
        );
      else
        evalPrim(
          n,
          n.args.map((a) => values.get(a)!),
          t,
          sizes,
        );
      live += t.data.length;
      total += t.data.length;
      peak = Math.max(peak, live);
    }
    values.set(id, t);
    if (n.kind === "prim")
      for (const a of new Set(n.args)) {
        if (lastUse.get(a) === id && !keep.has(a) && g.node(a).kind === "prim") {
          live -= values.get(a)!.data.length;
          values.delete(a);
        }
      }
  }
  if (stats) {
    stats.peakValues = peak;
    stats.totalValues = total;
    stats.nodesEvaluated = order.length;
  }
  const out = new Map<number, Tensor>();
  for (const id of targets) out.set(id, values.get(id)!);
  return out;
}

function evalPrim(n: PrimNode, args: Tensor[], out: Tensor, sizes: ReadonlyMap<string, number>): void {
  const entry = PRIMS[n.prim];
  switch (entry.kind) {
    case "dyad":
      return evalDyad(n, entry.fn, args[0]!, args[1]!, out);
    case "map": {
      const y = args[0]!.data,
        z = out.data,
        f = entry.fn;
      for (let i = 0; i < z.length; i++) z[i] = f(y[i]!);
      return;
    }
    case "cell": {
      const y = args[0]!;
      const f = frameOf(n).length;
      const cellIn = y.shape.slice(f),
        cellOut = out.shape.slice(f);
      const inSize = product(cellIn),
        outSize = product(cellOut),
        frames = product(out.shape.slice(0, f));
      const p: ResolvedParams = {
        n: n.params.n ?? 0,
        op: n.params.op ?? "+",
        ints: n.params.ints ? resolveShape(n.params.ints, sizes) : [],
      };
      const cell = CELLS[n.prim as keyof typeof CELLS]; // the table's kind "cell" is exactly CELLS' keys
      for (let k = 0; k < frames; k++) cell(y.data, k * inSize, out.data, k * outSize, cellIn, cellOut, p);
    }
  }
}

/** z[i] = f(x[i↾X], y[i↾Y]): an odometer over z with per-operand strides (0 on broadcast axes). */
function evalDyad(n: PrimNode, f: (a: number, b: number) => number, x: Tensor, y: Tensor, out: Tensor): void {
  const shape = out.shape,
    rank = shape.length,
    z = out.data;
  if (rank === 0) {
    z[0] = f(x.data[0]!, y.data[0]!);
    return;
  }
  const sx = strideIn(n, 0, x.shape, rank),
    sy = strideIn(n, 1, y.shape, rank);
  const idx = new Array<number>(rank).fill(0);
  const inner = shape[rank - 1]!,
    ix = sx[rank - 1]!,
    iy = sy[rank - 1]!;
  const xd = x.data,
    yd = y.data;
  let xo = 0,
    yo = 0,
    zo = 0;
  const rows = z.length / inner;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inner; i++) z[zo + i] = f(xd[xo + i * ix]!, yd[yo + i * iy]!);
    zo += inner;
    for (let k = rank - 2; k >= 0; k--) {
      xo += sx[k]!;
      yo += sy[k]!;
      if (++idx[k]! < shape[k]!) break;
      xo -= sx[k]! * shape[k]!;
      yo -= sy[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
}

/** The stride of operand `k` along each result axis: its own row-major stride, or 0 if broadcast. */
function strideIn(n: PrimNode, k: number, opShape: number[], rank: number): number[] {
  const axes = operandAxes(n, k);
  const s = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let i = axes.length - 1; i >= 0; i--) {
    s[axes[i]!] = acc;
    acc *= opShape[i]!;
  }
  return s;
}
