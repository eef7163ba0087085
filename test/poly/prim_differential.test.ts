/**
 * Every primitive's differential cases (test/core/prim_cases.ts): the interpreter against the C
 * and the wasm backend, in f64 and f32. The cases without verbs or host code are joined into one
 * program (inputs renamed `cK.A`), so each backend and type compiles once; each case's outputs are
 * compared on their own, and each case must compute its primitive. A case with host code (an
 * extern) runs as a C module, its stages around the extern compiled (modules are C only).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load, type Tensor } from "../../src/api/index.js";
import { PRIM_NAMES, type PrimName } from "../../src/core/prims.js";
import { CASES, type DiffCase } from "../core/prim_cases.js";
import { computes, makeInputs, mulberry32, seedOf, type Inputs } from "../core/gradcheck_util.js";

process.env.LIFT_CACHE ??= mkdtempSync(join(tmpdir(), "lift-cache-"));

const TOL = { f64: 1e-9, f32: 1e-4 } as const;
const decl = (name: string, shape: readonly number[]) => `${name} :: (in${shape.map((d) => ` ${d}`).join("")})`;

interface Built {
  prim: PrimName;
  c: DiffCase;
  lines: string[];
  names: string[];
  inputs: Inputs;
}

/** The case's lines with its inputs renamed `tag.X`: Y as `tag.Y`, and with `grad` ∂(Σ Y·Y)/∂X as `tag.dX`. */
function build(prim: PrimName, c: DiffCase, tag: string): Built {
  const xs = Object.keys(c.inputs);
  const rename = (e: string) => e.replace(new RegExp(`\\b(${xs.join("|")})\\b`, "g"), (x) => `${tag}.${x}`);
  const head = [...xs.map((x) => decl(`${tag}.${x}`, c.inputs[x]!.shape)), ...(c.verbs ? [c.verbs] : [])];
  const y = `${tag}.Y`,
    define = `${y} := ${rename(c.expr)}`;
  const g = load([...head, define].join("\n"), { externs: c.externs ?? {} }).graph;
  const shape = g.node(g.names.get(y)!).shape;
  const lines = [...head, define, `${y} :: (out${shape.map((d) => ` ${d}`).join("")})`];
  const names = [y];
  if (c.grad) {
    lines.push(`${tag}.L := ${shape.length === 0 ? `(${y} * ${y})` : `((reduce ${shape.length} +) (${y} * ${y}))`}`);
    for (const x of xs) {
      lines.push(`${tag}.d${x} :: (grad ${tag}.L ${tag}.${x})`);
      names.push(`${tag}.d${x}`);
    }
  }
  const drawn = makeInputs(mulberry32(seedOf(`${prim}: ${c.name}`)), c.inputs);
  const inputs: Inputs = Object.fromEntries(xs.map((x) => [`${tag}.${x}`, drawn[x]!]));
  return { prim, c, lines, names, inputs };
}

/** Every case of every primitive, tagged c0, c1, … in the table's order. */
const ALL: Built[] = PRIM_NAMES.flatMap((p) => CASES[p].differential.map((c) => ({ p, c }))).map(({ p, c }, k) =>
  build(p, c, `c${k}`),
);
const JOINED = ALL.filter((b) => !b.c.verbs && !b.c.externs);
const ALONE = ALL.filter((b) => b.c.verbs || b.c.externs);

/** got against want for each name: equal, or within `rel` of the larger of |want| and the array's scale. */
function compare(want: Record<string, Tensor>, got: Record<string, Tensor>, names: string[], rel: number): void {
  for (const k of names) {
    const x = want[k]!,
      y = got[k];
    assert.ok(y, `${k} missing from the compiled outputs`);
    assert.deepEqual(y.shape, x.shape, `${k} shape`);
    let scale = 0;
    for (const v of x.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < x.data.length; i++) {
      const u = x.data[i]!,
        v = y.data[i]!;
      if (u === v || (Number.isNaN(u) && Number.isNaN(v))) continue;
      assert.ok(
        Math.abs(u - v) <= rel * Math.max(Math.abs(u), scale, 1e-300),
        `${k}[${i}]: interpreter ${u}, compiled ${v}`,
      );
    }
  }
}

test("every differential case computes its primitive, and every primitive has a case in the joined program or alone", () => {
  const prog = load(JOINED.flatMap((b) => b.lines).join("\n"));
  for (const b of JOINED)
    assert.ok(computes(prog, b.prim, b.names), `${b.prim}: the case ${b.c.name} never computes ${b.prim}`);
  for (const b of ALONE) {
    const alone = load(b.lines.join("\n"), { externs: b.c.externs ?? {} });
    assert.ok(computes(alone, b.prim, b.names), `${b.prim}: the case ${b.c.name} never computes ${b.prim}`);
  }
  assert.deepEqual([...new Set(ALL.map((b) => b.prim))], PRIM_NAMES);
});

for (const backend of ["c", "wasm"] as const) {
  for (const dtype of ["f64", "f32"] as const) {
    test(`every primitive's differential cases: ${backend} equals the interpreter (${dtype})`, async (t) => {
      const prog = load(JOINED.flatMap((b) => b.lines).join("\n"));
      const inputs = Object.assign({}, ...JOINED.map((b) => b.inputs)) as Inputs;
      const want = prog.run(inputs, { dtype });
      const got = prog.compile({ dtype, backend, name: "prims" }).run(inputs);
      for (const b of JOINED) await t.test(`${b.prim}: ${b.c.name}`, () => compare(want, got, b.names, TOL[dtype]));
    });
  }
}

for (const b of ALONE) {
  test(`${b.prim}: ${b.c.name}: the C module equals the interpreter (f64, f32)`, () => {
    const prog = load(b.lines.join("\n"), { externs: b.c.externs ?? {} });
    const wrt = Object.keys(b.inputs);
    for (const dtype of ["f64", "f32"] as const) {
      const want = prog.run(b.inputs, { dtype, names: b.names });
      const forward = prog
        .module({ outputs: [b.names[0]!], wrt, dtype, compile: { name: "prim_alone" } })
        .forward(b.inputs).outputs;
      compare(want, forward, [b.names[0]!], TOL[dtype]);
    }
  });
}
