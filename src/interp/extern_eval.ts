/**
 * Calling an extern's host function (core/externs.ts) on the interpreter's arrays: each operand
 * is laid out with one cell per frame point (broadcast axes repeated), so the host sees `cells`
 * cells one after another whatever the ranks were.
 */
import type { ExternImpls } from "../core/externs.js";
import { frameOf, operandAxes, type PrimNode } from "../core/graph.js";
import { product } from "../core/shape.js";
import { fail } from "../lang/diagnostics.js";
import type { Tensor } from "../core/tensor.js";

/** Operand `k` of `n` with its cells repeated along the frame axes it does not own. */
export function cellsOf(
  n: PrimNode,
  k: number,
  arg: Tensor,
  frame: number[],
): { data: Float32Array | Float64Array; cell: number[] } {
  const axes = operandAxes(n, k);
  const cell = arg.shape.slice(axes.length);
  const size = product(cell);
  if (axes.length === frame.length) return { data: arg.data as Float32Array | Float64Array, cell };
  const stride = new Array<number>(frame.length).fill(0);
  let acc = size;
  for (let i = axes.length - 1; i >= 0; i--) {
    stride[axes[i]!] = acc;
    acc *= arg.shape[i]!;
  }
  const cells = product(frame);
  const out = new (arg.data.constructor as typeof Float64Array)(cells * size);
  const idx = new Array<number>(frame.length).fill(0);
  for (let c = 0; c < cells; c++) {
    let off = 0;
    for (let a = 0; a < frame.length; a++) off += idx[a]! * stride[a]!;
    out.set(arg.data.subarray(off, off + size), c * size);
    for (let a = frame.length - 1; a >= 0 && ++idx[a]! === frame[a]!; a--) idx[a] = 0;
  }
  return { data: out, cell };
}

export function evalExtern(n: PrimNode, args: Tensor[], out: Tensor, impls: ExternImpls | undefined): void {
  const name = n.params.ext!;
  const js = impls?.[name]?.js;
  if (!js)
    fail(
      `the extern \`${name}\` has no TypeScript implementation`,
      n.span,
      `pass it to load: load(text, { externs: { ${name}: { js: (call) => … } } })`,
    );
  const frame = out.shape.slice(0, frameOf(n).length);
  const x = cellsOf(n, 0, args[0]!, frame);
  const y = args.length > 1 ? cellsOf(n, 1, args[1]!, frame) : undefined;
  js({
    x: x.data,
    z: out.data as Float32Array | Float64Array,
    cells: product(frame),
    xCell: x.cell,
    ...(y ? { y: y.data, yCell: y.cell } : {}),
  });
}
