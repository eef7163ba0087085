/** Turning user-supplied values (JSON or typed arrays) into input tensors, checked against declarations. */
import type { Decl, Graph } from "./graph.js";
import { shapeText } from "./shape.js";
import type { DType, Tensor } from "./tensor.js";
import { fail, printable } from "../lang/diagnostics.js";

export type Nested = number | Nested[];
/** `{shape, data}` (flat row-major), a nested array, a number, or a typed array with its shape. */
export type InputValue = Nested | { shape: number[]; data: ArrayLike<number> };

export const MAX_RANK = 64;

/** Flattens a value to a shape and row-major data; rejects ragged or non-numeric arrays. */
export function toTensor(name: string, v: unknown, dtype: DType): Tensor {
  const Ctor = dtype === "f32" ? Float32Array : Float64Array;
  if (typeof v === "number") return { shape: [], data: Ctor.of(v) };
  if (v && typeof v === "object" && !Array.isArray(v) && "shape" in v && "data" in v) {
    const { shape, data } = v as { shape: unknown; data: unknown };
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      fail(`input \`${printable(name)}\`: "shape" must be a list of whole numbers`);
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    const isArrayLike = Array.isArray(data) || ArrayBuffer.isView(data);
    if (!isArrayLike) fail(`input \`${printable(name)}\`: "data" must be a flat list of numbers`);
    const arr = data as ArrayLike<unknown>;
    if (arr.length !== n)
      fail(`input \`${printable(name)}\`: shape ${shapeText(shape)} needs ${n} numbers, but "data" has ${arr.length}`);
    const out = new Ctor(n);
    // A typed array holds numbers only: one bulk copy (converting the element type if need be).
    if (ArrayBuffer.isView(arr) && !(arr instanceof BigInt64Array || arr instanceof BigUint64Array)) {
      out.set(arr as unknown as ArrayLike<number>);
      return { shape: shape as number[], data: out };
    }
    for (let i = 0; i < n; i++) {
      const x = arr[i];
      if (typeof x !== "number") fail(`input \`${printable(name)}\`: element ${i} of "data" is not a number`);
      out[i] = x;
    }
    return { shape: shape as number[], data: out };
  }
  if (Array.isArray(v)) {
    const shape: number[] = [];
    let probe: unknown = v;
    while (Array.isArray(probe)) {
      // The walk below recurses once per axis: a bound keeps absurd nesting a user error.
      if (shape.length === MAX_RANK)
        fail(
          `input \`${printable(name)}\` is nested more than ${MAX_RANK} lists deep`,
          undefined,
          "an array has at most 64 axes",
        );
      shape.push(probe.length);
      probe = probe[0];
    }
    const out = new Ctor(shape.reduce((a, b) => a * b, 1));
    let k = 0;
    const walk = (a: unknown, depth: number, path: string): void => {
      if (depth === shape.length) {
        if (typeof a !== "number")
          fail(
            `input \`${printable(name)}\`: element ${path || "[]"} is ${Array.isArray(a) ? "a list (the array is ragged)" : "not a number"}`,
          );
        out[k++] = a;
        return;
      }
      if (!Array.isArray(a) || a.length !== shape[depth])
        fail(
          `input \`${printable(name)}\`: the array is ragged at ${path || "the top"} (expected ${shape[depth]} items)`,
        );
      a.forEach((b, i) => walk(b, depth + 1, `${path}[${i}]`));
    };
    walk(v, 0, "");
    return { shape, data: out };
  }
  fail(`input \`${printable(name)}\` must be a number, a nested list of numbers, or {"shape": [...], "data": [...]}`);
}

/**
 * Why a value of shape `got` does not fit declaration `d` ("" when no hint helps), or undefined
 * when it fits; binds the symbolic sizes it fixes first.
 */
function mismatch(
  d: Decl,
  got: readonly number[],
  sizes: Map<string, number>,
  from: Map<string, string>,
): string | undefined {
  if (got.length !== d.shape.length) {
    const axes = (n: number) => `${n} ${n === 1 ? "axis" : "axes"}`;
    return (
      `the value has ${axes(got.length)}, the declaration ${axes(d.shape.length)}` +
      (got.includes(0) ? " (an empty list has no inner axes: give at least one element)" : "")
    );
  }
  for (let i = 0; i < got.length; i++) {
    const dim = d.shape[i]!,
      n = got[i]!;
    if (typeof dim === "number") {
      if (dim !== n) return "";
      continue;
    }
    const bound = sizes.get(dim);
    if (bound === undefined) {
      if (n < 1) return `size ${dim} would be ${n}: every size is at least 1`;
      sizes.set(dim, n);
      from.set(dim, d.name);
    } else if (bound !== n) return `size ${dim} is ${bound} from input \`${from.get(dim)}\``;
  }
  return undefined;
}

/**
 * Matches given tensors to the program's inputs: every declared input present, no unknown
 * names, shapes equal to the declarations, and each symbolic size bound consistently.
 */
export function bindInputs(
  g: Graph,
  given: ReadonlyMap<string, Tensor>,
): { byNode: Map<number, Tensor>; sizes: Map<string, number> } {
  const declared = new Map(g.inputs.map((d) => [d.name, d] as [string, Decl]));
  for (const name of given.keys())
    if (!declared.has(name))
      fail(
        `a value is given for \`${printable(name)}\`, which is not an input of the program`,
        undefined,
        `the inputs are: ${[...declared.keys()].join(", ") || "(none)"}`,
      );
  const sizes = new Map<string, number>();
  const from = new Map<string, string>();
  const byNode = new Map<number, Tensor>();
  for (const d of g.inputs) {
    const t = given.get(d.name);
    if (!t) fail(`no value given for input \`${d.name}\` ${shapeText(d.shape)}`, d.span);
    const why = mismatch(d, t.shape, sizes, from);
    if (why !== undefined)
      fail(
        `input \`${d.name}\` is declared ${shapeText(d.shape)} but the value given has shape ${shapeText(t.shape)}`,
        d.span,
        why || undefined,
      );
    byNode.set(d.node, t);
  }
  return { byNode, sizes };
}
