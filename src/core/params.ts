import type { Dim } from "./shape.js";

/** The reduction operators: the dyads with an identity (reference §4.9), given in their table entries (prims.ts). */
export type ReduceOp = "+" | "<." | ">.";

/** Parameters of the adverb-like builtins: `(reduce n op)`, `(trim t…)`, … */
/** `ext`: the name of an extern verb (core/externs.ts), on `extern` nodes only. */
export interface Params {
  readonly n?: number;
  readonly op?: ReduceOp;
  readonly ints?: readonly Dim[];
  readonly ext?: string;
}
export const NO_PARAMS: Params = {};

export function paramsText(p: Params): string {
  const parts: string[] = [];
  if (p.ext !== undefined) parts.push(p.ext);
  if (p.n !== undefined) parts.push(String(p.n));
  if (p.op !== undefined) parts.push(p.op);
  if (p.ints) parts.push(...p.ints.map(String));
  return parts.join(" ");
}
