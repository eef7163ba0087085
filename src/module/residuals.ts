/**
 * Which forward values a module's backward reads from its residuals and which it recomputes:
 * the compiler's choice, by cost (docs/modules.md, "What the residuals are").
 *
 * A forward value the backward needs is **stored** (computed by forward, kept in the residuals,
 * an input of backward) when recomputing it is expensive and it is small enough:
 *   * expensive: a summing contraction — `reduce` or `oblique` with `+` (a matmul, a dot, a
 *     convolution's diagonal sums) — whose argument has at least MIN_RATIO times its elements, so
 *     each stored element saves at least MIN_RATIO multiply–adds of recomputation;
 *   * small: its elements, with every symbolic size counted as 1 (per example of a batch), keep
 *     the stored total within `maxElements`.
 * Everything else (elementwise maps, max-pooling, trims) is recomputed from what is stored or
 * from the residual inputs. Candidates are taken latest first, so a stored value cuts off the
 * ancestors only it needed: the LeNet stores its two convolutions' sums, not the products under
 * them. With policy "inputs" nothing is stored: the residuals are the inputs backward reads.
 */
import type { Graph } from "../core/graph.js";
import type { Shape } from "../core/shape.js";
import { fail } from "../lang/diagnostics.js";
import { ancestorsUpTo } from "./subgraph.js";

export interface ResidualOptions {
  /** "cost" (default): store by the rule above; "inputs": recompute every forward value. */
  policy?: "cost" | "inputs";
  /** Bound on the stored elements, symbolic sizes counted as 1 (default 65536: 256 KiB per example in f32). */
  maxElements?: number;
}

export const MIN_RATIO = 8;
export const DEFAULT_MAX_ELEMENTS = 1 << 16;

/** Elements of a shape with each symbolic size counted as 1. */
export const perExample = (s: Shape): number => s.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);

/** Multiply–adds saved per stored element: a summing contraction's argument over result elements (0 otherwise). */
export function recomputeRatio(g: Graph, id: number): number {
  const n = g.node(id);
  if (n.kind !== "prim" || (n.prim !== "reduce" && n.prim !== "oblique") || n.params.op !== "+") return 0;
  return perExample(g.node(n.args[0]!).shape) / Math.max(1, perExample(n.shape));
}

/** The forward nodes `roots` (backward's results) read, not looking past `cut` nor into backward's own nodes. */
function neededForward(
  g: Graph,
  roots: readonly number[],
  forward: ReadonlySet<number>,
  cut: ReadonlySet<number>,
): Set<number> {
  return new Set(ancestorsUpTo(g, roots, cut).filter((id) => forward.has(id)));
}

/**
 * The forward nodes to store, in `g` where `outputs` are the module's outputs and `roots` the
 * backward's gradients. Outputs themselves are never stored (the caller has them).
 */
export function chooseStored(
  g: Graph,
  outputs: readonly number[],
  roots: readonly number[],
  opts: ResidualOptions = {},
): number[] {
  const policy = opts.policy ?? "cost",
    bound = opts.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (policy !== "cost" && policy !== "inputs")
    fail(`residuals.policy must be "cost" or "inputs", not ${JSON.stringify(policy)}`);
  if (!(bound >= 0)) fail(`residuals.maxElements must be a number ≥ 0, not ${JSON.stringify(bound)}`);
  if (policy === "inputs") return [];
  const forward = new Set(g.ancestors(outputs));
  const outs = new Set(outputs);
  const stored = new Set<number>();
  let total = 0;
  const candidates = [...neededForward(g, roots, forward, stored)].filter(
    (id) => !outs.has(id) && recomputeRatio(g, id) >= MIN_RATIO,
  );
  for (const id of candidates.sort((a, b) => b - a)) {
    const size = perExample(g.node(id).shape);
    if (total + size > bound || !neededForward(g, roots, forward, stored).has(id)) continue;
    stored.add(id);
    total += size;
  }
  return [...stored].sort((a, b) => a - b);
}
