/**
 * `lift emit c --module`: a module as standalone C. The forward and backward programs are
 * compiled by the ordinary pipeline into NAME_fwd.{h,c} and NAME_bwd.{h,c} (NAME is the program name,
 * a C identifier, as `lift emit c --name` takes it); NAME.{h,c} wrap them
 * in the module's interface:
 *   NAME_forward(args, residuals, scratch)   outputs from inputs; copies the residuals out
 *   NAME_backward(args, residuals, scratch)  gradients from cotangents and those residuals
 *   NAME_residual_bytes(sizes)               the residual buffer one forward fills
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

export interface ModuleC { files: Record<string, string>; forward: CUnit; backward: CUnit }

export function emitModuleC(m: ModuleGraphs, outputs: readonly string[], wrt: readonly string[], opts: CompileOptions & { name: string }): ModuleC {
  const dtype: DType = opts.dtype ?? "f32";
  // The name is checked by compileGraph (through NAME_fwd): a C identifier, used as it is.
  const name = opts.name;
  const forward = compileGraph(m.forward, { ...opts, name: `${name}_fwd` }).unit;
  const backward = compileGraph(m.backward, { ...opts, name: `${name}_bwd` }).unit;
  const D = C_DIALECT, T = D.scalar(dtype), R = D.restrict;
  const inputs = m.forward.inputs.map((d) => d.name);
  const sizes = m.forward.sizes;
  // Model names first, so sizes yield to them (as in codegen/c.ts).
  const fwdField = cIdents([...inputs, ...outputs, ...sizes.map((s): [string, string] => [`size ${s}`, s])]);
  const bwdField = cIdents([...outputs.map((o) => `d${o}`), ...wrt.map((w) => `d${w}`), ...sizes.map((s): [string, string] => [`size ${s}`, s])]);
  const sizeVar = (s: string) => fwdField.get(`size ${s}`)!;
  /** Bytes of an array of `shape`, each symbolic size spelled by `size`. */
  const bytes = (shape: Shape, size: (s: string) => string) =>
    `(size_t)(${shape.map((d: Dim) => (typeof d === "number" ? `${d}L` : size(d))).join(" * ") || "1L"}) * sizeof(${T})`;
  const shapeOf = (g: Graph, n: string) => [...g.inputs, ...g.outputs, ...g.grads].find((d) => d.name === n)!.shape;
  const doc = (s: Shape) => `(${s.map((d) => (typeof d === "number" ? d : commentText(d))).join(" ")})`;
  const sizeParams = sizes.map((s) => `long ${sizeVar(s)}`).join(", ") || "void";
  const innerSizes = (u: CUnit, via: string) => `{ ${u.entry.sizes.map((s) => `${via}${sizeVar(s)}`).join(", ") || "0"} }`;

  const h: string[] = [];
  h.push(`/* ${name}.h: a LiFT module, generated. Plain C99; no allocation, no dependency.`);
  h.push(` * Every buffer holds ${T} elements, row-major (J order), shapes below.`);
  h.push(` * ${name}_forward computes the outputs and fills \`residuals\` (${name}_residual_bytes bytes,`);
  h.push(` * aligned for ${T}) with what ${name}_backward needs: copies of the inputs it reads (backward`);
  h.push(` * recomputes the forward values from them). A residual buffer may be kept as long as wanted and`);
  h.push(` * several may be outstanding; ${name}_backward only reads it. Each call also takes scratch memory`);
  h.push(` * of the size its _scratch_bytes function gives (NULL if 0). Symbolic sizes are struct fields.`);
  h.push(` * Backward gives the vector-Jacobian product: the gradient of sum(cotangent * output) over the`);
  h.push(` * outputs, with respect to each wrt input; give a zero cotangent for an output that has none. */`);
  h.push(`#ifndef LIFT_${name.toUpperCase()}_MODULE_H`, `#define LIFT_${name.toUpperCase()}_MODULE_H`, `#include <stddef.h>`, ...D.restrictPrelude, ...D.linkage.open, "");
  h.push(`typedef struct ${name}_forward_args {`);
  for (const i of inputs) h.push(`  const ${T} *${R} ${fwdField.get(i)}; /* input ${doc(shapeOf(m.forward, i))} ${commentText(i)} */`);
  for (const o of outputs) h.push(`  ${T} *${R} ${fwdField.get(o)}; /* output ${doc(m.outputShapes.get(o)!)} ${commentText(o)} */`);
  for (const s of sizes) h.push(`  long ${sizeVar(s)}; /* symbolic size ${commentText(s)} */`);
  h.push(`} ${name}_forward_args;`, "");
  h.push(`typedef struct ${name}_backward_args {`);
  for (const o of outputs) h.push(`  const ${T} *${R} ${bwdField.get(`d${o}`)}; /* cotangent ${doc(m.outputShapes.get(o)!)} of output ${commentText(o)} */`);
  for (const w of wrt) h.push(`  ${T} *${R} ${bwdField.get(`d${w}`)}; /* gradient ${doc(shapeOf(m.forward, w))} with respect to ${commentText(w)} */`);
  for (const s of sizes) h.push(`  long ${bwdField.get(`size ${s}`)}; /* symbolic size ${commentText(s)}, as in forward */`);
  h.push(`} ${name}_backward_args;`, "");
  h.push(`size_t ${name}_residual_bytes(${sizeParams});`);
  h.push(`size_t ${name}_forward_scratch_bytes(${sizeParams});`);
  h.push(`size_t ${name}_backward_scratch_bytes(${sizeParams});`);
  h.push(`void ${name}_forward(const ${name}_forward_args *args, void *residuals, void *scratch);`);
  h.push(`void ${name}_backward(const ${name}_backward_args *args, const void *residuals, void *scratch);`, "", ...D.linkage.close, "", "#endif", "");

  const c: string[] = [];
  c.push(`/* ${name}.c: generated by LiFT. */`, `#include <string.h>`, `#include "${name}.h"`, `#include "${forward.name}.h"`, `#include "${backward.name}.h"`, "");
  c.push(`/* Residuals start on 64-byte boundaries, one after another. */`);
  c.push(`static size_t ${name}_round(size_t bytes) { return (bytes + 63) / 64 * 64; }`, "");
  // The local is lift_bytes: a size may be called n (parameters are the sizes' fields).
  c.push(`size_t ${name}_residual_bytes(${sizeParams}) {`, `  size_t lift_bytes = 0;`);
  for (const r of m.residuals) c.push(`  lift_bytes += ${name}_round(${bytes(shapeOf(m.forward, r), sizeVar)});`);
  c.push(...sizes.map((s) => `  (void)${sizeVar(s)};`), `  return lift_bytes;`, `}`, "");
  for (const [part, u] of [["forward", forward], ["backward", backward]] as const)
    c.push(`size_t ${name}_${part}_scratch_bytes(${sizeParams}) {`, ...sizes.map((s) => `  (void)${sizeVar(s)};`),
      `  return ${u.entry.scratchSymbol}(${u.entry.sizes.map(sizeVar).join(", ")});`, `}`, "");

  const fwdBuf = forward.entry.buffers.map((b) => `(void *)args->${fwdField.get(b.name)}`);
  c.push(`void ${name}_forward(const ${name}_forward_args *args, void *residuals, void *scratch) {`);
  c.push(`  void *const buffers[] = { ${fwdBuf.join(", ") || "0"} };`, `  const long sizes[] = ${innerSizes(forward, "args->")};`);
  c.push(`  ${forward.entry.symbol}(buffers, sizes, scratch);`, `  (void)sizes;`, `  size_t off = 0;`, `  (void)off; (void)residuals;`);
  for (const r of m.residuals) {
    const n = bytes(shapeOf(m.forward, r), (s) => `args->${sizeVar(s)}`);
    c.push(`  memcpy((char *)residuals + off, args->${fwdField.get(r)}, ${n});`, `  off += ${name}_round(${n});`);
  }
  c.push(`}`, "");

  // backward: residual inputs from the buffer, cotangents and gradients from the struct.
  const resOf = new Map(m.residuals.map((r, k) => [r, k]));
  const ctOf = new Map(outputs.map((o) => [m.cotangent.get(o)!, o]));
  const gradOf = new Map(wrt.map((w) => [m.gradient.get(w)!, w]));
  c.push(`void ${name}_backward(const ${name}_backward_args *args, const void *residuals, void *scratch) {`);
  c.push(`  const char *at[${Math.max(1, m.residuals.length)}];`, `  size_t off = 0;`, `  (void)off; (void)residuals; (void)at;`);
  m.residuals.forEach((r, k) => {
    const n = bytes(shapeOf(m.forward, r), (s) => `args->${bwdField.get(`size ${s}`)}`);
    c.push(`  at[${k}] = (const char *)residuals + off;`, `  off += ${name}_round(${n});`);
  });
  const bwdBuf = backward.entry.buffers.map((b) => {
    if (resOf.has(b.name)) return `(void *)at[${resOf.get(b.name)}]`;
    if (ctOf.has(b.name)) return `(void *)args->${bwdField.get(`d${ctOf.get(b.name)}`)}`;
    if (gradOf.has(b.name)) return `(void *)args->${bwdField.get(`d${gradOf.get(b.name)}`)}`;
    throw new Error(`internal: backward buffer ${b.name} has no source`);
  });
  const bwdSizes = `{ ${backward.entry.sizes.map((s) => `args->${bwdField.get(`size ${s}`)}`).join(", ") || "0"} }`;
  c.push(`  void *const buffers[] = { ${bwdBuf.join(", ") || "0"} };`, `  const long sizes[] = ${bwdSizes};`);
  c.push(`  ${backward.entry.symbol}(buffers, sizes, scratch);`, `  (void)sizes;`, `}`, "");

  const files: Record<string, string> = {
    [`${name}.h`]: h.join("\n"), [`${name}.c`]: c.join("\n"),
    [`${forward.name}.h`]: forward.header, [`${forward.name}.c`]: forward.source,
    [`${backward.name}.h`]: backward.header, [`${backward.name}.c`]: backward.source,
  };
  return { files, forward, backward };
}
