/**
 * Copies of a Graph restricted to what some declarations need. A module's forward and backward
 * programs are such copies: each declares only the inputs its results depend on, so each entry
 * point takes exactly those, and appending cotangents and gradients never touches the program's
 * own graph (whose printed form keys the compile cache).
 */
import { shareExterns } from "../core/externs.js";
import { Graph, type Decl } from "../core/graph.js";

export interface Wanted {
  name: string;
  node: number;
}

/** The nodes `roots` depend on, in id order, not looking past the nodes of `cut` (whose own ids are included). */
export function ancestorsUpTo(g: Graph, roots: readonly number[], cut: { has(id: number): boolean }): number[] {
  const seen = new Set<number>(),
    stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = g.node(id);
    if (n.kind === "prim" && !cut.has(id)) stack.push(...n.args);
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * A new graph holding the ancestors of `outputs` (ids renumbered), declaring them as outputs.
 * A node of `cut` becomes an input of that name (a stored residual): its ancestors are not copied.
 */
export function extract(
  g: Graph,
  outputs: readonly Wanted[],
  gradNames: ReadonlySet<string> = new Set(),
  cut: ReadonlyMap<number, string> = new Map(),
): Graph {
  const h = new Graph();
  shareExterns(g, h);
  const map = new Map<number, number>();
  for (const id of ancestorsUpTo(
    g,
    outputs.map((o) => o.node),
    cut,
  )) {
    const n = g.node(id);
    const as = cut.get(id);
    if (as !== undefined) {
      const node = h.input(as, n.shape);
      map.set(id, node);
      h.inputs.push({ name: as, node, shape: n.shape });
    } else if (n.kind === "input") map.set(id, h.input(n.name, n.shape, n.span));
    else if (n.kind === "const") map.set(id, h.constant(n.value));
    else
      map.set(
        id,
        h.prim(
          n.prim,
          n.args.map((a) => map.get(a)!),
          n.params,
          [...n.levels],
          n.shape,
          n.span,
        ),
      );
  }
  for (const d of g.inputs) {
    const node = map.get(d.node);
    if (node === undefined) continue;
    h.inputs.push({ ...d, node });
    if (g.params.includes(d.name)) h.params.push(d.name);
  }
  const used = new Set(h.inputs.flatMap((d) => d.shape.filter((s): s is string => typeof s === "string")));
  h.sizes.push(...g.sizes.filter((s) => used.has(s)));
  for (const [name, id] of g.names) {
    const m = map.get(id);
    if (m !== undefined) h.names.set(name, m);
  }
  for (const o of outputs) {
    const decl: Decl = { name: o.name, node: map.get(o.node)!, shape: g.node(o.node).shape };
    // A gradient is declared as one (so printers and the lowering call it a gradient); its
    // loss and wrt are not meaningful in the copy and point at the gradient itself.
    if (gradNames.has(o.name)) h.grads.push({ ...decl, loss: decl.node, wrt: decl.node, firstNode: 0 });
    else h.outputs.push(decl);
  }
  for (const o of outputs) h.names.set(o.name, map.get(o.node)!);
  return h;
}
