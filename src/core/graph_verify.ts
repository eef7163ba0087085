/**
 * The Graph's invariants, re-checked under `LIFT_VERIFY=1` (compiler/passes.ts): nodes in
 * topological order with ids equal to their places, each operand indexed by its levels (the
 * result axes `operandAxes` names are the leading axes of the operand's shape), each primitive's
 * result shape its frame followed by its table's cell shape, and every declaration naming a
 * node of its shape. Returns what is broken, as messages (none: well-formed and typed).
 */
import { frameOf, operandAxes, type Graph, type Node, type PrimNode } from "./graph.js";
import { PRIMS } from "./prims.js";
import { shapeText, type Dim, type Shape } from "./shape.js";

const sameShape = (a: readonly Dim[], b: readonly Dim[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export function verifyGraph(g: Graph): string[] {
  const bad: string[] = [];
  const sizes = new Set(g.sizes);
  g.nodes.forEach((n, i) => {
    if (n.id !== i) bad.push(`node at ${i} has id %${n.id}`);
    for (const d of n.shape)
      if (typeof d === "number" ? !(Number.isInteger(d) && d >= 1) : !sizes.has(d))
        bad.push(`%${n.id}: size ${d} is neither a positive integer nor a declared size`);
    if (n.kind === "const" && n.shape.length) bad.push(`%${n.id}: a constant of shape ${shapeText(n.shape)}`);
    if (n.kind === "prim") bad.push(...primProblems(g, n));
  });
  const decl = (what: string, d: { name: string; node: number; shape: Shape }) => {
    const n: Node | undefined = g.nodes[d.node];
    if (!n) bad.push(`${what} ${d.name} names node %${d.node}, which does not exist`);
    else if (!sameShape(n.shape, d.shape))
      bad.push(`${what} ${d.name} has shape ${shapeText(d.shape)}, its node %${d.node} ${shapeText(n.shape)}`);
  };
  for (const d of g.inputs) {
    decl("input", d);
    if (g.nodes[d.node]?.kind !== "input") bad.push(`input ${d.name} names %${d.node}, not an input node`);
  }
  for (const d of g.outputs) decl("output", d);
  for (const d of g.grads) {
    decl("gradient", d);
    if (!(d.loss < g.nodes.length && d.wrt < g.nodes.length && d.firstNode <= g.nodes.length))
      bad.push(`gradient ${d.name} names a node that does not exist`);
  }
  for (const [name, id] of g.names)
    if (!(id >= 0 && id < g.nodes.length)) bad.push(`name ${name} denotes %${id}, which does not exist`);
  return bad;
}

function primProblems(g: Graph, n: PrimNode): string[] {
  const bad: string[] = [];
  const frame = frameOf(n);
  const entry = PRIMS[n.prim];
  const arity = entry.kind === "dyad" ? 2 : 1;
  if (n.prim !== "extern" && n.args.length !== arity)
    return [`%${n.id}: ${n.prim} takes ${arity} operands, has ${n.args.length}`];
  if (n.levels.some((l) => l.lens.length !== n.args.length || l.lens.some((k) => k > l.frame.length)))
    return [`%${n.id}: a level does not fit its ${n.args.length} operands`];
  let cell: readonly Dim[] = [];
  n.args.forEach((a, k) => {
    const arg = g.nodes[a];
    if (!arg || a >= n.id) {
      bad.push(`%${n.id}: operand %${a} is not an earlier node`);
      return;
    }
    const axes = operandAxes(n, k).map((x) => frame[x]!);
    if (!sameShape(arg.shape.slice(0, axes.length), axes))
      bad.push(`%${n.id}: operand %${a} ${shapeText(arg.shape)} is not indexed by the frame axes ${shapeText(axes)}`);
    if (k === 0) cell = arg.shape.slice(axes.length);
    else if (entry.kind === "dyad" && arg.shape.length !== axes.length)
      bad.push(`%${n.id}: operand %${a} has a cell beyond its frame`);
  });
  if (!bad.length) {
    const want = entry.kind === "cell" ? entry.cellShape(cell, n.params) : [];
    if (entry.kind !== "cell" && cell.length) bad.push(`%${n.id}: operand of ${n.prim} has a cell beyond its frame`);
    else if (typeof want === "string") bad.push(`%${n.id}: ${want}`);
    else if (!sameShape(n.shape, [...frame, ...want]))
      bad.push(`%${n.id}: shape ${shapeText(n.shape)}, but frame ${shapeText(frame)} and cell ${shapeText(want)}`);
  }
  return bad;
}
