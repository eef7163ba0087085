/**
 * The C unit: a standalone `NAME.h` / `NAME.c` pair in C99 around the body the base printer
 * (src/codegen/clike.ts) prints in the C dialect. One function takes a struct of restrict
 * pointers and the symbolic sizes, plus a scratch buffer for the intermediates whose size
 * `NAME_scratch_bytes` gives; it allocates nothing. `NAME_ptrs` takes the same as arrays, for
 * FFI callers. The header works from C++ and beside other programs' headers.
 */
import type { Dim } from "../core/shape.js";
import type { DType } from "../core/tensor.js";
import { bodyPrinter, wrap } from "./clike.js";
import { C_DIALECT, type Dialect } from "./dialect.js";
import type { LNode, LoopArray, LoopProgram } from "../loop/ast.js";
import { cIdents, commentText } from "./names.js";

export interface CUnit {
  header: string;
  source: string;
  name: string;
  entry: FlatEntry;
  fields: Record<string, string>;
}
/** The FFI entry: an array of buffers (inputs, then outputs), an array of the symbolic sizes, scratch. */
export interface FlatEntry {
  symbol: string;
  buffers: { name: string; role: "input" | "output"; array: string }[];
  sizes: string[];
  scratchSymbol: string;
}

const ALIGN = 16; // floats: intermediates start on 64-byte boundaries
/** min/max with the table's semantics (the second operand wins only when strictly smaller/larger), integer helpers. */
const HELPERS = [
  `#define lift_max(a, b) ((b) > (a) ? (b) : (a))`,
  `#define lift_min(a, b) ((b) < (a) ? (b) : (a))`,
  `#define lift_imax(a, b) ((a) > (b) ? (a) : (b))`,
  `#define lift_imin(a, b) ((a) < (b) ? (a) : (b))`,
  `#define lift_floord(n, d) (((n) < 0) ? -((-(n) + (d) - 1) / (d)) : (n) / (d))`,
  `#define lift_round_up(n) ((((size_t)(n)) + ${ALIGN - 1}) / ${ALIGN} * ${ALIGN})`,
];

/** Extra header text: a protocol paragraph (the training step's), as comment lines; model text in them already passed through commentText. */
export interface HeaderNotes {
  about?: string[];
}

/** What the header and the source both print from: names, buffers, the body printer and the scratch layout. */
interface UnitLayout {
  name: string;
  lp: LoopProgram;
  d: Dialect;
  dtype: DType;
  /** The element type and the restrict spelling. */
  T: string;
  R: string;
  /** Model names (inputs, then outputs) as struct fields; `size S` keys the symbolic sizes. */
  ext: string[];
  fieldOf: Map<string, string>;
  sizeField: (s: string) => string;
  buffers: { name: string; array: string; kind: string; role: "input" | "output" }[];
  body: ReturnType<typeof bodyPrinter>;
  temps: LoopArray[];
  /** Each intermediate's size in the scratch buffer, in elements of T, rounded up to 64 bytes. */
  sizes: string[];
  arrays: Map<string, LoopArray>;
}

function layout(lp: LoopProgram, name: string, dtype: DType, d: Dialect): UnitLayout {
  const ext = [...lp.inputs.map((x) => x.name), ...lp.outputs.map((x) => x.name)];
  // Model names first, so sizes yield to them (a size is named alone, `N`).
  const fieldOf = cIdents([...ext, ...lp.sizes.map((s): [string, string] => [`size ${s}`, s])]);
  const buffers = [
    ...lp.inputs.map((x) => ({ ...x, kind: x.role, role: "input" as const })),
    ...lp.outputs.map((x) => ({ ...x, kind: x.role, role: "output" as const })),
  ];
  const inputArrays = new Set(buffers.filter((b) => b.role === "input").map((b) => b.array));
  const body = bodyPrinter(lp, dtype, d, name, (a) => inputArrays.has(a));
  const count = (shape: Dim[]) =>
    shape.length ? shape.map((x) => (typeof x === "number" ? `${x}L` : body.dimC(x))).join(" * ") : "1L";
  // Intermediates, laid out one after another in the scratch buffer: each starts where the
  // previous one ends, rounded up to 64 bytes.
  const temps = lp.arrays.filter((a) => a.role === "temp");
  return {
    name,
    lp,
    d,
    dtype,
    T: d.scalar(dtype),
    R: d.restrict,
    ext,
    fieldOf,
    sizeField: (s) => fieldOf.get(`size ${s}`)!,
    buffers,
    body,
    temps,
    // A wide array (double elements for f32) takes twice the room.
    sizes: temps.map(
      (t) => `lift_round_up(${t.wide && d.accumulator(dtype) !== d.scalar(dtype) ? "2L * " : ""}${count(t.shape)})`,
    ),
    arrays: new Map(lp.arrays.map((a) => [a.name, a])),
  };
}

export function printC(
  lp: LoopProgram,
  opts: { name: string; dtype: DType; notes?: HeaderNotes },
  d: Dialect = C_DIALECT,
): CUnit {
  const u = layout(lp, opts.name, opts.dtype, d);
  const { name, ext, fieldOf, sizeField, buffers } = u;
  return {
    name,
    header: printHeader(u, opts.notes),
    source: printSource(u),
    fields: Object.fromEntries([...ext.map((e) => [e, fieldOf.get(e)!]), ...lp.sizes.map((s) => [s, sizeField(s)])]),
    entry: {
      symbol: `${name}_ptrs`,
      buffers: buffers.map((b) => ({ name: b.name, role: b.role, array: b.array })),
      sizes: lp.sizes,
      scratchSymbol: `${name}_scratch_bytes`,
    },
  };
}

/** NAME.h: the args struct (a field per buffer and symbolic size), the scratch size and the two entry points. */
function printHeader(u: UnitLayout, notes: HeaderNotes | undefined): string {
  const { name, lp, d, T, R, fieldOf, sizeField, buffers, arrays, temps } = u;
  const shapeDoc = (a: LoopArray) => `(${a.shape.map((x) => (typeof x === "number" ? x : commentText(x))).join(" ")})`;
  const guard = `LIFT_${name.toUpperCase()}_H`;
  const h: string[] = [];
  h.push(`/* ${name}.h: generated by LiFT. Plain C99 (usable from C++); no allocation, no dependency. */`);
  h.push(`#ifndef ${guard}`, `#define ${guard}`, `#include <stddef.h>`, ...d.restrictPrelude, ...d.linkage.open, "");
  const about = notes?.about ?? [];
  if (about.some((l) => l.includes("*/"))) throw new Error("internal: header notes may not close a comment");
  if (about.length) h.push(...about.map((l, i) => `${i ? " *" : "/*"} ${l}`), " */", "");
  h.push(`/* Every buffer holds ${T} elements, row-major (J order), shapes below. Symbolic sizes are`);
  h.push(` * fields of the struct and fix the shapes of the buffers that use them. */`);
  h.push(`typedef struct ${name}_args {`);
  for (const b of buffers) {
    const a = arrays.get(b.array)!;
    h.push(
      `  ${b.role === "input" ? "const " : ""}${T} *${R} ${fieldOf.get(b.name)}; /* ${b.kind} ${shapeDoc(a)} ${commentText(b.name)} */`,
    );
  }
  lp.sizes.forEach((s) => h.push(`  long ${sizeField(s)}; /* symbolic size ${commentText(s)} */`));
  if (!buffers.length && !lp.sizes.length) h.push(`  int unused;`);
  h.push(`} ${name}_args;`, "");
  h.push(`/* Bytes of scratch memory one call needs for its intermediates (${temps.length} arrays). */`);
  h.push(`size_t ${name}_scratch_bytes(${lp.sizes.map((s) => `long ${sizeField(s)}`).join(", ") || "void"});`);
  const aligned = temps.some((t) => t.wide) ? d.accumulator(u.dtype) : T;
  h.push(
    `/* Runs the program. scratch: ${name}_scratch_bytes(...) bytes, aligned for ${aligned}, or NULL if that is 0.`,
  );
  h.push(` * Reentrant: calls on distinct args and scratch may run at once, from any threads. */`);
  h.push(`void ${name}(const ${name}_args *args, void *scratch);`);
  h.push(`/* The same for FFI callers: buffers[] in the struct's order (inputs, then outputs), sizes[] likewise. */`);
  h.push(
    `void ${name}_ptrs(void *const *buffers, const long *sizes, void *scratch);`,
    "",
    ...d.linkage.close,
    "",
    "#endif",
    "",
  );
  return h.join("\n");
}

/** NAME.c: helpers, the scratch size, the program (intermediates carved from scratch, then the loop nests), the FFI entry. */
function printSource(u: UnitLayout): string {
  const { name, lp, d, T, R, fieldOf, sizeField, buffers, arrays, temps, sizes, body } = u;
  const scratchFloats = sizes.join(" + ") || "0";
  const c: string[] = [];
  c.push(
    `/* ${name}.c: generated by LiFT. */`,
    `#include <math.h>`,
    `#include <stddef.h>`,
    `#include <string.h>`,
    `#include "${name}.h"`,
    "",
  );
  c.push(...HELPERS, "");
  if (hasKernel(lp)) c.push(...d.vectorPrelude(u.dtype));
  const known = [...lp.params].filter(([, v]) => typeof v === "number");
  if (known.length) c.push(...wrap(`enum { ${known.map(([q, v]) => `${q} = ${v}`).join(", ")} };`, "  "), "");
  const nestAt = c.length; // outlined bodies and kernels go here, once printed
  c.push(`size_t ${name}_scratch_bytes(${lp.sizes.map((_, k) => `long lift_s${k}`).join(", ") || "void"}) {`);
  lp.sizes.forEach((_, k) => c.push(`  const long s${k} = lift_s${k};`, `  (void)s${k};`));
  c.push(...wrap(`  return (${scratchFloats}) * sizeof(${T});`, "      "), `}`, "");
  c.push(`void ${name}(const ${name}_args *args, void *scratch) {`);
  lp.sizes.forEach((s, k) => c.push(`  const long s${k} = args->${sizeField(s)};`));
  for (const b of buffers)
    c.push(`  ${b.role === "input" ? "const " : ""}${T} *${R} ${b.array} = args->${fieldOf.get(b.name)};`);
  const typeOf = (t: LoopArray) => (t.wide ? d.accumulator(u.dtype) : T);
  temps.forEach((t, i) => {
    const prev = temps[i - 1];
    // Offsets count elements of T; a wide array's pointer is cast to T before its size is added.
    const after = prev && (typeOf(prev) === T ? prev.name : `(${T} *)${prev.name}`);
    const at = after ? `${after} + ${sizes[i - 1]}` : "scratch";
    const Ti = typeOf(t);
    // Through void *: every array starts on 64 bytes, so the wider type's alignment holds (-Wcast-align).
    const init = !after || Ti !== T ? `(${Ti} *)${after ? `(void *)(${at})` : at}` : at;
    c.push(`  ${Ti} *${R} ${t.name} = ${init};${t.labels.length ? ` /* ${commentText(t.labels.join(" "))} */` : ""}`);
  });
  if (!temps.length) c.push(`  (void)scratch;`);
  for (const t of temps) if (t.interior) c.push(...zeroBorder(t, T, body.dimC));
  lp.sizes.forEach((_, k) => c.push(`  (void)s${k};`));
  const top = lp.body.k === "block" ? lp.body.items : [lp.body];
  for (const n of top) {
    const what = writes(n, arrays, lp);
    if (what.length) c.push(`  /* ${commentText(what.join(", "))} */`);
    body.node(n, "  ", c);
  }
  c.splice(nestAt, 0, ...body.support);
  const kept = withoutUnusedHelpers(c).filter((l, i, all) => l !== "" || all[i - 1] !== "");
  c.length = 0;
  c.push(...kept);
  c.push(`}`, "");
  c.push(`void ${name}_ptrs(void *const *buffers, const long *sizes, void *scratch) {`);
  const init = [
    ...buffers.map((b, i) => `(${b.role === "input" ? "const " : ""}${T} *)buffers[${i}]`),
    ...lp.sizes.map((_, k) => `sizes[${k}]`),
  ];
  c.push(
    ...wrap(`  const ${name}_args a = { ${init.join(", ") || "0"} };`, "      "),
    `  (void)buffers; (void)sizes;`,
    `  ${name}(&a, scratch);`,
    `}`,
    "",
  );
  return c.join("\n");
}

/**
 * The lines without the helpers (`#define lift_x(` or `LIFT_HELPER … lift_x(`) that nothing
 * calls, repeated until none is left: clang warns of unused static inline functions and macros.
 */
function withoutUnusedHelpers(lines: string[]): string[] {
  const def = (l: string) => {
    const m = /^#define (lift_\w+)\(|^(?:static inline|LIFT_HELPER) [\w ]+? \*?(lift_\w+)\(/.exec(l);
    return m ? (m[1] ?? m[2])! : undefined;
  };
  for (;;) {
    const text = lines.join("\n");
    const defs = new Map<string, number>();
    for (const l of lines) {
      const n = def(l);
      if (n) defs.set(n, (defs.get(n) ?? 0) + 1);
    }
    const unused = new Set([...defs].filter(([n, k]) => text.split(`${n}(`).length - 1 === k).map(([n]) => n));
    if (!unused.size) return lines;
    // A definition spans its line, or up to the `}` that closes it.
    const out: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const n = def(lines[i]!);
      if (!n || !unused.has(n)) {
        out.push(lines[i]!);
        continue;
      }
      if (!lines[i]!.startsWith("#") && !lines[i]!.endsWith("}")) while (lines[i] !== "}") i++;
    }
    lines = out;
  }
}

function hasKernel(lp: LoopProgram): boolean {
  const walk = (n: LNode): boolean =>
    n.k === "kernel" ||
    (n.k === "block" && n.items.some(walk)) ||
    (n.k === "for" && walk(n.body)) ||
    (n.k === "if" && (walk(n.then) || (!!n.else && walk(n.else))));
  return walk(lp.body) || lp.functions.some((f) => walk(f.body));
}

/** The program's names for the arrays a top-level nest writes (the formulas it computes). */
function writes(n: LNode, arrays: Map<string, LoopArray>, lp: LoopProgram): string[] {
  const out = new Set<string>();
  const walk = (x: LNode): void => {
    const add = (a: string) => {
      const arr = arrays.get(a);
      out.add(`${arr?.labels[0] ?? "an intermediate"}${arr?.origin ? ` (${arr.origin})` : ""}`);
    };
    if (x.k === "stmt" || x.k === "accumulate") add(x.target.array);
    else if (x.k === "kernel") add(x.plan.z.array);
    else if (x.k === "block") x.items.forEach(walk);
    else if (x.k === "for") walk(x.body);
    else if (x.k === "call") walk(lp.functions[x.fn]!.body);
    else if (x.k === "if") {
      walk(x.then);
      if (x.else) walk(x.else);
    }
  };
  walk(n);
  return [...out];
}

/**
 * memsets of the zero border around an array's values, slab by slab, recursing into the interior.
 * Kernel recognition pads only axes of known size, so a symbolic axis is simply walked.
 */
function zeroBorder(a: LoopArray, T: string, dimC: (d: Dim) => string): string[] {
  const { lo, shape: inner } = a.interior!;
  const out: string[] = [];
  const stride = (d: number) =>
    a.shape
      .slice(d + 1)
      .map((x) => (typeof x === "number" ? `${x}L` : dimC(x)))
      .join(" * ") || "1L";
  const before = (d: number) => lo[d]!;
  const after = (d: number) =>
    typeof a.shape[d] === "number" ? (a.shape[d] as number) - lo[d]! - (inner[d] as number) : 0;
  const bordered = (from: number) => a.shape.slice(from).some((_, k) => before(from + k) > 0 || after(from + k) > 0);
  const walk = (d: number, base: string, ind: string): void => {
    const st = stride(d),
      end = `${lo[d]}L + ${dimC(inner[d]!)}`;
    if (before(d))
      out.push(
        ...wrap(`${ind}memset(${a.name} + ${base}, 0, (size_t)(${before(d)}L * ${st}) * sizeof(${T}));`, ind + "    "),
      );
    if (after(d))
      out.push(
        ...wrap(
          `${ind}memset(${a.name} + ${base} + (${end}) * ${st}, 0, (size_t)(${after(d)}L * ${st}) * sizeof(${T}));`,
          ind + "    ",
        ),
      );
    if (d + 1 < a.shape.length && bordered(d + 1)) {
      const it = `z${d}`;
      out.push(`${ind}for (long ${it} = ${lo[d]}; ${it} < ${end}; ${it}++) {`);
      walk(d + 1, `${base} + ${it} * ${st}`, ind + "  ");
      out.push(`${ind}}`);
    }
  };
  out.push(`  { /* the zero border of ${a.name} */`);
  walk(0, "0L", "    ");
  out.push(`  }`);
  return out;
}
