/**
 * `lift emit c --module`: a module as standalone C. The forward and backward programs are
 * compiled by the ordinary pipeline into NAME_fwd.{h,c} and NAME_bwd.{h,c} (NAME is the program name,
 * a C identifier, as `lift emit c --name` takes it); NAME.{h,c} wrap them
 * in the module's interface:
 *   NAME_forward(args, residuals, scratch)   outputs from inputs; fills the residuals
 *   NAME_backward(args, residuals, scratch)  gradients from cotangents and those residuals
 *   NAME_residual_bytes(sizes)               the residual buffer one forward fills
 * The residual buffer holds, one after another on 64-byte boundaries, the module's residuals in
 * their order: a stored forward value is written there by the forward unit itself (its output
 * buffer points into the residuals), an input is copied in after the call.
 * The wrapper reaches the inner units only through their `_ptrs` entries (buffers in the order
 * the unit lists them), so it depends on no field name of theirs. Every identifier comes from
 * codegen/names.ts (a size's field is its name alone, `N`, as in every unit) and every comment
 * through commentText: no model text is printed as it is. Like the units' headers, the module's
 * works from C++ (the C dialect's restrict macro and linkage).
 */
import type { CUnit } from "../codegen/c.js";
import { C_DIALECT } from "../codegen/dialect.js";
import { cIdents, commentText } from "../codegen/names.js";
import type { Graph } from "../core/graph.js";
import type { Dim, Shape } from "../core/shape.js";
import type { DType } from "../core/tensor.js";
import { compileGraph, type CompileOptions } from "../compiler/compile.js";
import type { ModuleGraphs } from "./vjp.js";

export interface ModuleC {
  files: Record<string, string>;
  forward: CUnit;
  backward: CUnit;
}

/** What every part of the wrapper needs: the module, its C names and element type. */
interface Ctx {
  m: ModuleGraphs;
  outputs: readonly string[];
  wrt: readonly string[];
  name: string;
  T: string;
  R: string;
  sizes: string[];
  inputs: string[];
  fwdField: Map<string, string>;
  bwdField: Map<string, string>;
}

function context(m: ModuleGraphs, outputs: readonly string[], wrt: readonly string[], name: string, dtype: DType): Ctx {
  const inputs = m.forward.inputs.map((d) => d.name);
  const sizes = m.forward.sizes;
  const sizeKeys = sizes.map((s): [string, string] => [`size ${s}`, s]);
  // Model names first, so sizes yield to them (as in codegen/c.ts).
  const fwdField = cIdents([...inputs, ...outputs, ...sizeKeys]);
  const bwdField = cIdents([...outputs.map((o) => `d${o}`), ...wrt.map((w) => `d${w}`), ...sizeKeys]);
  return {
    m,
    outputs,
    wrt,
    name,
    T: C_DIALECT.scalar(dtype),
    R: C_DIALECT.restrict,
    sizes,
    inputs,
    fwdField,
    bwdField,
  };
}

const sizeVar = (x: Ctx, s: string) => x.fwdField.get(`size ${s}`)!;
const sizeParams = (x: Ctx) => x.sizes.map((s) => `long ${sizeVar(x, s)}`).join(", ") || "void";
/** Bytes of an array of `shape`, each symbolic size spelled by `size`. */
const bytes = (x: Ctx, shape: Shape, size: (s: string) => string) =>
  `(size_t)(${shape.map((d: Dim) => (typeof d === "number" ? `${d}L` : size(d))).join(" * ") || "1L"}) * sizeof(${x.T})`;
const shapeOf = (g: Graph, n: string) => [...g.inputs, ...g.outputs, ...g.grads].find((d) => d.name === n)!.shape;
const doc = (s: Shape) => `(${s.map((d) => (typeof d === "number" ? d : commentText(d))).join(" ")})`;
/** The residuals' start pointers `at[k]` in a buffer `residuals`, sizes read through `size`. */
function residualPointers(x: Ctx, qual: string, size: (s: string) => string): string[] {
  const c = [
    `  ${qual}char *at[${Math.max(1, x.m.residuals.length)}];`,
    `  size_t off = 0;`,
    `  (void)off; (void)residuals; (void)at;`,
  ];
  x.m.residuals.forEach((r, k) => {
    c.push(
      `  at[${k}] = (${qual}char *)residuals + off;`,
      `  off += ${x.name}_round(${bytes(x, shapeOf(x.m.forward, r), size)});`,
    );
  });
  return c;
}

function header(x: Ctx): string {
  const { name, T, R, m } = x;
  const h: string[] = [];
  h.push(`/* ${name}.h: a LiFT module, generated. Plain C99; no allocation, no dependency.`);
  h.push(` * Every buffer holds ${T} elements, row-major (J order), shapes below.`);
  h.push(` * ${name}_forward computes the outputs and fills \`residuals\` (${name}_residual_bytes bytes,`);
  h.push(` * aligned for ${T}) with what ${name}_backward needs: copies of the inputs it reads and the forward`);
  h.push(` * values stored for it (backward recomputes the others). A residual buffer may be kept as long as`);
  h.push(` * wanted and several may be outstanding; ${name}_backward only reads it. Each call also takes scratch`);
  h.push(` * memory of the size its _scratch_bytes function gives (NULL if 0). Symbolic sizes are struct fields.`);
  h.push(` * Backward gives the vector-Jacobian product: the gradient of sum(cotangent * output) over the`);
  h.push(` * outputs, with respect to each wrt input; give a zero cotangent for an output that has none. */`);
  h.push(
    `#ifndef LIFT_${name.toUpperCase()}_MODULE_H`,
    `#define LIFT_${name.toUpperCase()}_MODULE_H`,
    `#include <stddef.h>`,
    ...C_DIALECT.restrictPrelude,
    ...C_DIALECT.linkage.open,
    "",
  );
  h.push(`typedef struct ${name}_forward_args {`);
  for (const i of x.inputs)
    h.push(`  const ${T} *${R} ${x.fwdField.get(i)}; /* input ${doc(shapeOf(m.forward, i))} ${commentText(i)} */`);
  for (const o of x.outputs)
    h.push(`  ${T} *${R} ${x.fwdField.get(o)}; /* output ${doc(m.outputShapes.get(o)!)} ${commentText(o)} */`);
  for (const s of x.sizes) h.push(`  long ${sizeVar(x, s)}; /* symbolic size ${commentText(s)} */`);
  h.push(`} ${name}_forward_args;`, "");
  h.push(`typedef struct ${name}_backward_args {`);
  for (const o of x.outputs)
    h.push(
      `  const ${T} *${R} ${x.bwdField.get(`d${o}`)}; /* cotangent ${doc(m.outputShapes.get(o)!)} of output ${commentText(o)} */`,
    );
  for (const w of x.wrt)
    h.push(
      `  ${T} *${R} ${x.bwdField.get(`d${w}`)}; /* gradient ${doc(shapeOf(m.forward, w))} with respect to ${commentText(w)} */`,
    );
  for (const s of x.sizes)
    h.push(`  long ${x.bwdField.get(`size ${s}`)}; /* symbolic size ${commentText(s)}, as in forward */`);
  h.push(`} ${name}_backward_args;`, "");
  const sp = sizeParams(x);
  h.push(
    `size_t ${name}_residual_bytes(${sp});`,
    `size_t ${name}_forward_scratch_bytes(${sp});`,
    `size_t ${name}_backward_scratch_bytes(${sp});`,
  );
  h.push(`void ${name}_forward(const ${name}_forward_args *args, void *residuals, void *scratch);`);
  h.push(
    `void ${name}_backward(const ${name}_backward_args *args, const void *residuals, void *scratch);`,
    "",
    ...C_DIALECT.linkage.close,
    "",
    "#endif",
    "",
  );
  return h.join("\n");
}

/** NAME_residual_bytes and the two _scratch_bytes functions. */
function sizeFunctions(x: Ctx, forward: CUnit, backward: CUnit): string[] {
  const { name } = x,
    sp = sizeParams(x),
    unused = x.sizes.map((s) => `  (void)${sizeVar(x, s)};`);
  const c = [`/* Residuals start on 64-byte boundaries, one after another. */`];
  c.push(`static size_t ${name}_round(size_t bytes) { return (bytes + 63) / 64 * 64; }`, "");
  // The local is lift_bytes: a size may be called n (parameters are the sizes' fields).
  c.push(`size_t ${name}_residual_bytes(${sp}) {`, `  size_t lift_bytes = 0;`);
  for (const r of x.m.residuals)
    c.push(`  lift_bytes += ${name}_round(${bytes(x, shapeOf(x.m.forward, r), (s) => sizeVar(x, s))});`);
  c.push(...unused, `  return lift_bytes;`, `}`, "");
  for (const [part, u] of [
    ["forward", forward],
    ["backward", backward],
  ] as const)
    c.push(
      `size_t ${name}_${part}_scratch_bytes(${sp}) {`,
      ...unused,
      `  return ${u.entry.scratchSymbol}(${u.entry.sizes.map((s) => sizeVar(x, s)).join(", ")});`,
      `}`,
      "",
    );
  return c;
}

/** NAME_forward: the unit writes the outputs to the caller's buffers and the stored values to the residuals. */
function forwardFunction(x: Ctx, forward: CUnit): string[] {
  const { name, m } = x;
  const size = (s: string) => `args->${sizeVar(x, s)}`;
  const slot = new Map(m.residuals.map((r, k) => [r, k]));
  const stored = new Set(m.stored);
  const bufs = forward.entry.buffers.map((b) =>
    stored.has(b.name) ? `(void *)at[${slot.get(b.name)}]` : `(void *)args->${x.fwdField.get(b.name)}`,
  );
  const c = [
    `void ${name}_forward(const ${name}_forward_args *args, void *residuals, void *scratch) {`,
    ...residualPointers(x, "", size),
  ];
  c.push(
    `  void *const buffers[] = { ${bufs.join(", ") || "0"} };`,
    `  const long sizes[] = { ${forward.entry.sizes.map(size).join(", ") || "0"} };`,
  );
  c.push(`  ${forward.entry.symbol}(buffers, sizes, scratch);`, `  (void)sizes;`);
  for (const r of m.residuals)
    if (!stored.has(r))
      c.push(`  memcpy(at[${slot.get(r)}], args->${x.fwdField.get(r)}, ${bytes(x, shapeOf(m.forward, r), size)});`);
  c.push(`}`, "");
  return c;
}

/** NAME_backward: residuals from the buffer, cotangents and gradients from the struct. */
function backwardFunction(x: Ctx, backward: CUnit): string[] {
  const { name, m } = x;
  const size = (s: string) => `args->${x.bwdField.get(`size ${s}`)}`;
  const resOf = new Map(m.residuals.map((r, k) => [r, k]));
  const ctOf = new Map(x.outputs.map((o) => [m.cotangent.get(o)!, o]));
  const gradOf = new Map(x.wrt.map((w) => [m.gradient.get(w)!, w]));
  const bufs = backward.entry.buffers.map((b) => {
    if (resOf.has(b.name)) return `(void *)at[${resOf.get(b.name)}]`;
    if (ctOf.has(b.name)) return `(void *)args->${x.bwdField.get(`d${ctOf.get(b.name)}`)}`;
    if (gradOf.has(b.name)) return `(void *)args->${x.bwdField.get(`d${gradOf.get(b.name)}`)}`;
    throw new Error(`internal: backward buffer ${b.name} has no source`);
  });
  const c = [
    `void ${name}_backward(const ${name}_backward_args *args, const void *residuals, void *scratch) {`,
    ...residualPointers(x, "const ", size),
  ];
  c.push(
    `  void *const buffers[] = { ${bufs.join(", ") || "0"} };`,
    `  const long sizes[] = { ${backward.entry.sizes.map(size).join(", ") || "0"} };`,
  );
  c.push(`  ${backward.entry.symbol}(buffers, sizes, scratch);`, `  (void)sizes;`, `}`, "");
  return c;
}

export function emitModuleC(
  m: ModuleGraphs,
  outputs: readonly string[],
  wrt: readonly string[],
  opts: CompileOptions & { name: string },
): ModuleC {
  // The name is checked by compileGraph (through NAME_fwd): a C identifier, used as it is.
  const name = opts.name;
  const forward = compileGraph(m.forward, { ...opts, name: `${name}_fwd` }).unit;
  const backward = compileGraph(m.backward, { ...opts, name: `${name}_bwd` }).unit;
  const x = context(m, outputs, wrt, name, opts.dtype ?? "f32");
  const c = [
    `/* ${name}.c: generated by LiFT. */`,
    `#include <string.h>`,
    `#include "${name}.h"`,
    `#include "${forward.name}.h"`,
    `#include "${backward.name}.h"`,
    "",
  ];
  c.push(...sizeFunctions(x, forward, backward), ...forwardFunction(x, forward), ...backwardFunction(x, backward));
  const files: Record<string, string> = {
    [`${name}.h`]: header(x),
    [`${name}.c`]: c.join("\n"),
    [`${forward.name}.h`]: forward.header,
    [`${forward.name}.c`]: forward.source,
    [`${backward.name}.h`]: backward.header,
    [`${backward.name}.c`]: backward.source,
  };
  return { files, forward, backward };
}
