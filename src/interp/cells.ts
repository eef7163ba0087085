/**
 * The interpreter's cell loops: `CELLS`, one entry per cell primitive of the table
 * (src/core/prims.ts), keyed by the same names so `tsc` refuses a cell primitive without its
 * evaluation. Each loop works on one cell: `y` from offset `yo`, `z` from offset `zo`, shapes
 * numeric. No allocation per element; the index vector is allocated once per call.
 * (Dyads and maps need no entry: the table's `fn` is applied elementwise by eval.ts.)
 */
import type { ReduceOp } from "../core/params.js";
import { REDUCE_IDENTITY, type CellName, type ExternName } from "../core/prims.js";
import type { Arr } from "../core/tensor.js";

function prod(s: readonly number[], from = 0, to = s.length): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= s[i]!;
  return p;
}

/** Row-major strides of `s`, in elements, with `inner` elements per innermost index. */
function strides(s: readonly number[], inner: number): number[] {
  const st = new Array<number>(s.length);
  let acc = inner;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i]!;
  }
  return st;
}

/**
 * Visits every index of `lead` (row-major); `f` gets the index vector (reused) and the running
 * row-major position. Used for the leading axes a builtin acts on.
 */
function odometer(lead: readonly number[], f: (idx: number[], pos: number) => void): void {
  const n = lead.length;
  const idx = new Array<number>(n).fill(0);
  const total = prod(lead);
  for (let pos = 0; pos < total; pos++) {
    f(idx, pos);
    for (let k = n - 1; k >= 0; k--) {
      if (++idx[k]! < lead[k]!) break;
      idx[k] = 0;
    }
  }
}

type Fold = (a: number, b: number) => number;

/**
 * The accumulators of reduce and oblique: float64 whatever the element type, so an f32 sum keeps
 * f32 accuracy at any length (one rounding to f32 at the end; min/max are exact either way).
 * One buffer, grown on demand and reused by every call.
 */
let wide = new Float64Array(1024);
function accumulators(n: number, identity: number): Float64Array {
  if (wide.length < n) wide = new Float64Array(Math.max(n, 2 * wide.length));
  wide.fill(identity, 0, n);
  return wide;
}

/** reduce: z[r] = fold_p y[p, r] over the first n axes of the cell. */
function reduceCell(
  y: Arr,
  yo: number,
  z: Arr,
  zo: number,
  cellIn: number[],
  n: number,
  fold: Fold,
  identity: number,
): void {
  const pSize = prod(cellIn, 0, n),
    rSize = prod(cellIn, n);
  const acc = accumulators(rSize, identity);
  for (let p = 0; p < pSize; p++) {
    const base = yo + p * rSize;
    for (let r = 0; r < rSize; r++) acc[r] = fold(acc[r]!, y[base + r]!);
  }
  for (let r = 0; r < rSize; r++) z[zo + r] = acc[r]!;
}

/** oblique: z[o, r] folds y[p, q, r] over o_i = p_i − q_i + Q_i − 1 (reference §4.10). */
function obliqueCell(
  y: Arr,
  yo: number,
  z: Arr,
  zo: number,
  cellIn: number[],
  n: number,
  fold: Fold,
  identity: number,
): void {
  const P = cellIn.slice(0, n),
    Q = cellIn.slice(n, 2 * n),
    rSize = prod(cellIn, 2 * n);
  const O = P.map((p, i) => p + Q[i]! - 1);
  const ost = strides(O, rSize);
  const zSize = prod(O) * rSize;
  const acc = accumulators(zSize, identity);
  odometer(cellIn.slice(0, 2 * n), (idx, pos) => {
    let o = 0;
    for (let i = 0; i < n; i++) o += (idx[i]! - idx[n + i]! + Q[i]! - 1) * ost[i]!;
    const base = yo + pos * rSize;
    for (let r = 0; r < rSize; r++) acc[o + r] = fold(acc[o + r]!, y[base + r]!);
  });
  for (let k = 0; k < zSize; k++) z[zo + k] = acc[k]!;
}

/** trim/stride: z[i, r] = y[a·i + b, r] on the first k axes (a = 1, b = t for trim; a = s, b = 0 for stride). */
function affineGatherCell(
  y: Arr,
  yo: number,
  z: Arr,
  zo: number,
  cellIn: number[],
  cellOut: number[],
  a: readonly number[],
  b: readonly number[],
): void {
  const k = a.length,
    rSize = prod(cellIn, k);
  const yst = strides(cellIn.slice(0, k), rSize);
  odometer(cellOut.slice(0, k), (idx, pos) => {
    let src = yo;
    for (let i = 0; i < k; i++) src += (a[i]! * idx[i]! + b[i]!) * yst[i]!;
    const dst = zo + pos * rSize;
    for (let r = 0; r < rSize; r++) z[dst + r] = y[src + r]!;
  });
}

/** pad/dilate: z[a·i + b, r] = y[i, r], zero elsewhere (the adjoints of trim and stride). */
function affineScatterCell(
  y: Arr,
  yo: number,
  z: Arr,
  zo: number,
  cellIn: number[],
  cellOut: number[],
  a: readonly number[],
  b: readonly number[],
): void {
  const k = a.length,
    rSize = prod(cellIn, k);
  const zst = strides(cellOut.slice(0, k), rSize);
  z.fill(0, zo, zo + prod(cellOut));
  odometer(cellIn.slice(0, k), (idx, pos) => {
    let dst = zo;
    for (let i = 0; i < k; i++) dst += (a[i]! * idx[i]! + b[i]!) * zst[i]!;
    const src = yo + pos * rSize;
    for (let r = 0; r < rSize; r++) z[dst + r] = y[src + r]!;
  });
}

/** duplicate: z[e, c] = y[c]. */
function duplicateCell(y: Arr, yo: number, z: Arr, zo: number, cellIn: number[], copies: number): void {
  const c = prod(cellIn);
  for (let e = 0; e < copies; e++) for (let k = 0; k < c; k++) z[zo + e * c + k] = y[yo + k]!;
}

/** diagonals (the adjoint of oblique): z[p, q, r] = y[p − q + Q − 1, r], cellIn = (O…, R…). */
function diagonalsCell(
  y: Arr,
  yo: number,
  z: Arr,
  zo: number,
  cellIn: number[],
  cellOut: number[],
  Q: readonly number[],
): void {
  const n = Q.length,
    rSize = prod(cellIn, n);
  const yst = strides(cellIn.slice(0, n), rSize);
  odometer(cellOut.slice(0, 2 * n), (idx, pos) => {
    let src = yo;
    for (let i = 0; i < n; i++) src += (idx[i]! - idx[n + i]! + Q[i]! - 1) * yst[i]!;
    const dst = zo + pos * rSize;
    for (let r = 0; r < rSize; r++) z[dst + r] = y[src + r]!;
  });
}

/** A cell primitive's parameters with every size resolved to a number. */
export interface ResolvedParams {
  n: number;
  op: ReduceOp;
  ints: number[];
}
/** One application on one cell: `cellIn`/`cellOut` are the operand's and the result's cell shapes. */
export type CellEval = (
  y: Arr,
  yo: number,
  z: Arr,
  zo: number,
  cellIn: number[],
  cellOut: number[],
  p: ResolvedParams,
) => void;

const FOLD: Record<ReduceOp, Fold> = {
  "+": (a, b) => a + b,
  "<.": (a, b) => (b < a ? b : a),
  ">.": (a, b) => (b > a ? b : a),
};
const ones = (p: ResolvedParams) => p.ints.map(() => 1),
  zeros = (p: ResolvedParams) => p.ints.map(() => 0);

export const CELLS: { [P in CellName | ExternName]: CellEval } = {
  reduce: (y, yo, z, zo, cellIn, _o, p) => reduceCell(y, yo, z, zo, cellIn, p.n, FOLD[p.op], REDUCE_IDENTITY[p.op]),
  oblique: (y, yo, z, zo, cellIn, _o, p) => obliqueCell(y, yo, z, zo, cellIn, p.n, FOLD[p.op], REDUCE_IDENTITY[p.op]),
  trim: (y, yo, z, zo, cellIn, cellOut, p) => affineGatherCell(y, yo, z, zo, cellIn, cellOut, ones(p), p.ints),
  stride: (y, yo, z, zo, cellIn, cellOut, p) => affineGatherCell(y, yo, z, zo, cellIn, cellOut, p.ints, zeros(p)),
  duplicate: (y, yo, z, zo, cellIn, _o, p) =>
    duplicateCell(
      y,
      yo,
      z,
      zo,
      cellIn,
      p.ints.reduce((a, b) => a * b, 1),
    ),
  pad: (y, yo, z, zo, cellIn, cellOut, p) => affineScatterCell(y, yo, z, zo, cellIn, cellOut, ones(p), p.ints),
  dilate: (y, yo, z, zo, cellIn, cellOut, p) => affineScatterCell(y, yo, z, zo, cellIn, cellOut, p.ints, zeros(p)),
  diagonals: (y, yo, z, zo, cellIn, cellOut, p) => diagonalsCell(y, yo, z, zo, cellIn, cellOut, p.ints),
  // Host code: eval.ts calls the program's TypeScript implementation (interp/extern_eval.ts).
  extern: () => {
    throw new Error("internal: an extern is evaluated by interp/extern_eval.ts");
  },
};
