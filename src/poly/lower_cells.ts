/**
 * The per-primitive part of Graph → Poly (src/poly/lower.ts): `CELL_LOWERINGS`, keyed by the
 * cell primitives of the table (src/core/prims.ts), so `tsc` refuses a cell primitive without
 * its lowering. Dyads and maps need no entry: each is one elementwise statement whose value is a
 * `call` of the primitive, spelled later by the table's scalar spelling.
 *
 * A cell primitive is either a gather, z[f, c] = y[f, index(c)] (one def statement over z's
 * domain), or a scatter, z := identity; z[f, index(p)] op= y[f, p] (an init over z's domain, an
 * update over y's). Iterators are `i0…`: the F frame axes first, then the cell's axes.
 */
import type { PrimNode } from "../core/graph.js";
import type { ReduceOp } from "../core/params.js";
import { REDUCE_IDENTITY, type CellName, type ExternName } from "../core/prims.js";
import type { Dim } from "../core/shape.js";
import { LiftError } from "../lang/diagnostics.js";

/** What lower.ts gives a cell lowering: the node and ways to add its statements. */
export interface CellSite {
  n: PrimNode;
  /** The node's shape and its operand's; `F` frame axes lead both. */
  shape: readonly Dim[];
  yShape: readonly Dim[];
  F: number;
  /** An isl size expression for a dimension (a parameter, or a literal for 1). */
  size(d: Dim): string;
  /** z[i0…] = y[index] over z's domain. */
  gather(index: string[]): void;
  /**
   * z[i0…] = identity over z's domain, then z[index] op= y[i0…] over y's domain; `index` is
   * asked for after the init (the sizes it names are registered in that order).
   */
  scatter(op: ReduceOp, identity: number, index: () => string[]): void;
}
export type CellLowering = (s: CellSite) => void;

/** The iterator names i{from} … i{from + count − 1}. */
const it = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `i${from + i}`);
const frame = (s: CellSite): string[] => it(0, s.F);
/** The cell's first axes mapped by `f` (axis i, its iterator), the rest of `rank` axes as they are. */
function leading(s: CellSite, k: number, rank: number, f: (i: number, iter: string) => string): string[] {
  return [...frame(s), ...Array.from({ length: k }, (_, i) => f(i, `i${s.F + i}`)), ...it(s.F + k, rank - s.F - k)];
}
/** The o of oblique / diagonals: o = p − q + Q − 1 on k axes, p at F…, q at F + k… */
function antidiagonal(s: CellSite, Q: readonly string[], rank: number): string[] {
  const k = Q.length;
  const o = Q.map((q, i) => `i${s.F + i} - i${s.F + k + i} + ${q} - 1`);
  return [...frame(s), ...o, ...it(s.F + 2 * k, rank - s.F - 2 * k)];
}
const ints = (s: CellSite): string[] => s.n.params.ints!.map(String);

export const CELL_LOWERINGS: { [P in CellName | ExternName]: CellLowering } = {
  // z[f, r] op= y[f, p, r]
  reduce: (s) => {
    const { n, op } = s.n.params;
    s.scatter(op!, REDUCE_IDENTITY[op!], () => [...frame(s), ...it(s.F + n!, s.yShape.length - s.F - n!)]);
  },
  // z[f, p − q + Q − 1, r] op= y[f, p, q, r]
  oblique: (s) => {
    const { n, op } = s.n.params;
    const Q = () => s.yShape.slice(s.F + n!, s.F + 2 * n!).map((d) => s.size(d));
    s.scatter(op!, REDUCE_IDENTITY[op!], () => antidiagonal(s, Q(), s.yShape.length));
  },
  // z[f, i, r] = y[f, i + t, r] (trim amounts are literals)
  trim: (s) => s.gather(leading(s, ints(s).length, s.shape.length, (i, x) => `${x} + ${ints(s)[i]}`)),
  // z[f, i, r] = y[f, s·i, r]
  stride: (s) => s.gather(leading(s, ints(s).length, s.shape.length, (i, x) => `${ints(s)[i]}${x}`)),
  // z[f, e, c] = y[f, c]
  duplicate: (s) => s.gather([...frame(s), ...it(s.F + ints(s).length, s.shape.length - s.F - ints(s).length)]),
  // z[f, p, q, r] = y[f, p − q + Q − 1, r]; Q are extents, so isl parameters like the domain's
  diagonals: (s) =>
    s.gather(
      antidiagonal(
        s,
        s.n.params.ints!.map((d) => s.size(d)),
        s.shape.length,
      ),
    ),
  // z[f, i + t, r] += y[f, i, r] over z = 0
  pad: (s) => s.scatter("+", 0, () => leading(s, ints(s).length, s.yShape.length, (i, x) => `${x} + ${ints(s)[i]}`)),
  // z[f, s·i, r] += y[f, i, r] over z = 0
  dilate: (s) => s.scatter("+", 0, () => leading(s, ints(s).length, s.yShape.length, (i, x) => `${ints(s)[i]}${x}`)),
  extern: (s) => {
    const why = `the extern verb \`${s.n.params.ext}\` has host code, which \`lift emit c\` / compile() cannot include`;
    throw new LiftError(
      why,
      s.n.span,
      "run the program as a module (docs/externs.md): its stages around the externs are compiled",
    );
  },
};
