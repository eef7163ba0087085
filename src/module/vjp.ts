/**
 * A module's two programs, built from a checked program. The backward program is the
 * vector–Jacobian product as an ordinary gradient: with a cotangent input C_o for each output
 * O_o, the scalar S = Σ_o Σ_i C_o[i]·O_o[i] has ∂S/∂W = Σ_o J_o(W)ᵀ C_o, so `(grad S W)` built by
 * core/grad.ts (and compiled like any program) is the backward pass. The forward values it needs
 * are either stored by forward (extra outputs of the forward program, inputs of the backward) or
 * recomputed from the residual inputs: module/residuals.ts chooses, by cost (docs/modules.md).
 */
import type { Graph } from "../core/graph.js";
import { gradOf } from "../core/grad.js";
import type { Shape } from "../core/shape.js";
import { fail } from "../lang/diagnostics.js";
import { chooseStored, type ResidualOptions } from "./residuals.js";
import { extract } from "./subgraph.js";

export interface ModuleGraphs {
  /** Inputs: those the outputs depend on. Outputs: the module's outputs. */
  forward: Graph;
  /** Inputs: the residual inputs, then one cotangent per output. Gradients: one per wrt name. */
  backward: Graph;
  /** What `forward` keeps for `backward`: the forward inputs backward reads and the stored values. */
  residuals: string[];
  /** The residuals forward computes (extra outputs of the forward program), in `residuals` order. */
  stored: string[];
  /** Output name → the backward program's input holding its cotangent. */
  cotangent: Map<string, string>;
  /** wrt name → the backward program's gradient declaring ∂S/∂wrt. */
  gradient: Map<string, string>;
  outputShapes: Map<string, Shape>;
}

/** A name no declaration of `g` uses (the internal names never meet the program's own). */
function freshName(g: Graph, base: string): string {
  let name = base;
  while (g.names.has(name) || g.inputs.some((d) => d.name === name)) name += "'";
  return name;
}

// long: the construction of forward and backward in order (outputs, cotangents, gradients, residuals), each step a few lines over the same maps.
export function moduleGraphs(
  g: Graph,
  outputs: readonly string[],
  wrt: readonly string[],
  store: ResidualOptions = {},
): ModuleGraphs {
  if (!outputs.length) fail("a module needs at least one output");
  if (new Set(outputs).size !== outputs.length || new Set(wrt).size !== wrt.length)
    fail("a module's outputs and wrt names must each be distinct");
  const outs = outputs.map((name) => {
    const node = g.names.get(name);
    if (node === undefined)
      fail(
        `\`${name}\` is not an array of the program`,
        undefined,
        `the arrays are: ${[...g.names.keys()].join(", ")}`,
      );
    if (g.node(node).kind === "input") fail(`\`${name}\` is an input; a module's output must be computed`);
    return { name, node };
  });
  const work = extract(g, outs);
  const cotangent = new Map<string, string>();
  const outputShapes = new Map<string, Shape>();
  let S: number | undefined;
  for (const o of outs) {
    const node = work.names.get(o.name)!;
    const shape = work.node(node).shape;
    outputShapes.set(o.name, shape);
    const ctName = freshName(work, `cotangent of ${o.name}`);
    const ct = work.input(ctName, shape);
    work.inputs.push({ name: ctName, node: ct, shape });
    cotangent.set(o.name, ctName);
    // Σ_i C[i]·O[i]: an elementwise product over the output's shape, summed over all its axes.
    const prod = work.prim("*", [ct, node], {}, [{ frame: shape, lens: [shape.length, shape.length] }], shape);
    const term = shape.length
      ? work.prim("reduce", [prod], { n: shape.length, op: "+" }, [{ frame: [], lens: [0] }], [])
      : prod;
    S = S === undefined ? term : work.prim("+", [S, term], {}, [{ frame: [], lens: [0, 0] }], []);
  }
  const gradient = new Map<string, string>();
  const grads = wrt.map((w) => {
    const decl = g.inputs.find((d) => d.name === w);
    if (!decl)
      fail(
        `\`${w}\` is not an input of the program; a module differentiates with respect to inputs`,
        undefined,
        `the inputs are: ${g.inputs.map((d) => d.name).join(", ")}`,
      );
    const wNode = work.inputs.find((d) => d.name === w)?.node;
    if (wNode === undefined) fail(`the outputs ${outputs.join(", ")} do not depend on \`${w}\``, decl.span);
    let node = gradOf(work, S!, wNode, undefined, ["the outputs", w]);
    // A gradient that is a cotangent itself (an output W + c) gets a node of its own: an input
    // cannot be declared as a result. x·1 = x exactly, signed zeros and NaNs included.
    if (work.node(node).kind === "input")
      node = work.prim(
        "*",
        [node, work.constant(1)],
        {},
        [{ frame: work.node(node).shape, lens: [work.node(node).shape.length, 0] }],
        work.node(node).shape,
      );
    const name = freshName(work, `gradient of ${w}`);
    gradient.set(w, name);
    return { name, node };
  });
  const outNodes = outs.map((o) => ({ name: o.name, node: work.names.get(o.name)! }));
  const kept = chooseStored(
    work,
    outNodes.map((o) => o.node),
    grads.map((d) => d.node),
    store,
  ).map((node, k) => ({ name: freshName(work, `stored ${k}`), node }));
  const forward = extract(work, [...outNodes, ...kept]);
  const backward = extract(work, grads, new Set(grads.map((d) => d.name)), new Map(kept.map((s) => [s.node, s.name])));
  // Every cotangent is an input of backward, even one no gradient reads (its output may not
  // depend on any wrt): the entry point then has the same buffers whatever the program.
  for (const [o, ctName] of cotangent)
    if (!backward.inputs.some((d) => d.name === ctName)) {
      const shape = outputShapes.get(o)!;
      backward.inputs.push({ name: ctName, node: backward.input(ctName, shape), shape });
    }
  const cts = new Set(cotangent.values());
  const residuals = backward.inputs.filter((d) => !cts.has(d.name)).map((d) => d.name);
  const storedNames = new Set(kept.map((s) => s.name));
  // Residual inputs first, cotangents after, in output order: the order the C entry takes them.
  const order = [...residuals, ...outputs.map((o) => cotangent.get(o)!)];
  backward.inputs.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  // A size may reach backward only through a cotangent (∂(X + W)/∂W reads no X).
  const used = new Set(backward.inputs.flatMap((d) => d.shape.filter((s): s is string => typeof s === "string")));
  backward.sizes.splice(0, backward.sizes.length, ...g.sizes.filter((s) => used.has(s)));
  const stored = residuals.filter((r) => storedNames.has(r));
  return { forward, backward, residuals, stored, cotangent, gradient, outputShapes };
}
