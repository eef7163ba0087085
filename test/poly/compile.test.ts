/**
 * The compiled path against the interpreter: reference vectors, the MNIST model, random
 * programs; contraction figures; golden generated code; compile-time budgets.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { compileGraph, type CompileOptions } from "../../src/compiler/compile.js";
import { cachedUnit } from "../../src/runtime/unit_cache.js";
import { ACCEPT_VECTORS, runnableSource, vectorById } from "../vectors/reference.js";
import {
  compareT43,
  MNIST_GRAD,
  MNIST_MODEL,
  mnistGradAccumulators,
  mnistInputs,
  T43_PROGRAMS,
} from "../vectors/mnist.js";
import { randomProgram } from "./random_programs.js";
import type { Tensor } from "../../src/core/tensor.js";

// Every test process compiles into a fresh cache, so CI measures cold compiles.
process.env.LIFT_CACHE = mkdtempSync(join(tmpdir(), "lift-cache-"));

function compare(a: Record<string, Tensor>, b: Record<string, Tensor>, rel: number, what: string): void {
  for (const k of Object.keys(a)) {
    const x = a[k]!,
      y = b[k];
    assert.ok(y, `${what}: ${k} missing from the compiled outputs`);
    assert.deepEqual(y.shape, x.shape, `${what}: ${k} shape`);
    let scale = 0;
    for (const v of x.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < x.data.length; i++) {
      const u = x.data[i]!,
        v = y.data[i]!;
      if (Number.isNaN(u) && Number.isNaN(v)) continue;
      if (u === v) continue;
      assert.ok(
        Math.abs(u - v) <= rel * Math.max(Math.abs(u), scale, 1e-300),
        `${what}: ${k}[${i}] interpreter ${u}, compiled ${v}`,
      );
    }
  }
}

for (const dtype of ["f64", "f32"] as const) {
  test(`reference vectors: compiled C equals the interpreter (${dtype})`, () => {
    for (const v of ACCEPT_VECTORS) {
      const p = load({ name: `${v.id}.lift`, text: runnableSource(v) });
      compare(
        p.run(v.inputs, { dtype }),
        p.compile({ dtype, name: "vec" }).run(v.inputs),
        dtype === "f64" ? 1e-9 : 1e-4,
        v.id,
      );
    }
  });
}

// Every optimisation on and off: contraction, iterator order, each schedule, parallel loops (on by default).
const VARIANTS: [string, CompileOptions][] = [
  ["contraction off, sequential schedule", { contract: false, schedule: "sequential" }],
  ["iterator order off", { reorder: false }],
  ["grouped schedule", { schedule: "grouped" }],
  ["parallel loops off", { openmp: false }],
  ["kernels off", { kernels: false }],
];
for (const [label, opts] of VARIANTS) {
  test(`reference vectors and 25 random programs agree with ${label}`, () => {
    for (const v of ACCEPT_VECTORS.filter((_, i) => i % 2 === 0)) {
      const p = load(v.source);
      compare(
        p.run(v.inputs, { dtype: "f64" }),
        p.compile({ dtype: "f64", ...opts }).run(v.inputs),
        1e-9,
        `${v.id} (${label})`,
      );
    }
    const progs = Array.from({ length: 25 }, (_, i) => randomProgram(31337 + i, `p${i}.`));
    const program = load(progs.map((x) => x.source).join("\n"));
    const inputs = Object.assign({}, ...progs.map((x) => x.inputs));
    compare(
      program.run(inputs, { dtype: "f64" }),
      program.compile({ dtype: "f64", name: "variant", ...opts }).run(inputs),
      1e-9,
      `random (${label})`,
    );
  });
}

test("T43: the MNIST model with its gradients, compiled, matches the reference figures", () => {
  const p = load([
    { name: "mnist.model", text: MNIST_MODEL },
    { name: "mnist.grad", text: MNIST_GRAD },
  ]);
  const out = p.compile({ dtype: "f64", name: "mnist" }).run({ ...mnistInputs(), ...mnistGradAccumulators() });
  const errs = [
    ...T43_PROGRAMS.model.map((k) => compareT43(k, out[k]!.data)),
    ...Object.entries(T43_PROGRAMS.grad).map(([n, k]) => compareT43(k, out[n]!.data)),
  ].flat();
  assert.deepEqual(errs, []);
});

test("300 random well-ranked programs (gradients, nested ranks, every builtin): compiled equals interpreted", () => {
  const BATCH = 25;
  for (let b = 0; b < 12; b++) {
    const progs = Array.from({ length: BATCH }, (_, i) => randomProgram(7919 * b + i, `p${i}.`));
    const source = progs.map((x) => x.source).join("\n");
    const inputs = Object.assign({}, ...progs.map((x) => x.inputs));
    const program = load(source);
    for (const dtype of ["f64", "f32"] as const) {
      const a = program.run(inputs, { dtype });
      const c = program.compile({ dtype, name: "rnd" }).run(inputs);
      try {
        compare(a, c, dtype === "f64" ? 1e-9 : 1e-4, `batch ${b} ${dtype}`);
      } catch (e) {
        const bad = /: p(\d+)\./.exec((e as Error).message);
        throw new Error(`${(e as Error).message}\n${bad ? progs[Number(bad[1])]!.source : ""}`);
      }
    }
  }
});

test("contraction: the 8×8 matmul keeps no 8×8×8 array, only its output", () => {
  const { stats } = compileGraph(load(vectorById("T1").source).graph);
  assert.deepEqual(stats.intermediates, []);
  assert.equal(stats.intermediateBytes, 0);
});

test("contraction: MNIST model + grad + AdaDelta-style update fits in 256 KiB of intermediates (f32)", () => {
  const update = ["K1", "B1", "K2", "B2", "W", "B"]
    .map(
      (x) =>
        `n${x} :: (out ${MNIST_MODEL.match(new RegExp(`^${x} :: \\(in ([0-9 ]+)\\)`, "m"))![1]})\nn${x} := (${x} - (0.01 * d${x}))`,
    )
    .join("\n");
  const p = load([
    { name: "mnist.model", text: MNIST_MODEL },
    { name: "mnist.grad", text: MNIST_GRAD },
    { name: "update", text: update },
  ]);
  const { stats } = compileGraph(p.graph, { dtype: "f32" });
  assert.ok(stats.intermediateBytes <= 256 * 1024, `${stats.intermediateBytes} bytes`);
  // No outer-product-sized array survives (the largest conv2 intermediate would be 3,686,400 values).
  for (const a of stats.intermediates)
    assert.ok(typeof a.elements === "number" && a.elements < 65536, `${a.name} ${a.shape}`);
});

// No wall-clock budget (the machine may be busy): the cold compile must be scheduled by isl within
// its operation bound (not the sequential fallback), and the second compile must be a unit-cache hit
// that runs no isl pass and reuses the built library.
test("the MNIST training step: scheduled by isl within its operation bound; a second compile is a cache hit", () => {
  const sources = [
    { name: "mnist.model", text: MNIST_MODEL },
    { name: "mnist.grad", text: MNIST_GRAD },
  ];
  const opts = { dtype: "f32" as const, name: "mnist_step" };
  const first = cachedUnit(load(sources).graph, opts);
  if (first.compiled) assert.doesNotMatch(first.compiled.stats.scheduler, /^sequential/);
  else assert.doesNotMatch(compileGraph(load(sources).graph, opts).stats.scheduler, /^sequential/);
  load(sources).compile(opts);
  const again = cachedUnit(load(sources).graph, opts);
  assert.equal(again.compiled, undefined, "the unit cache must answer without compiling");
  assert.equal(load(sources).compile(opts).build.cached, true);
});

test("scheduling is bounded: with a tiny work bound it falls back and the result is still right", () => {
  const v = vectorById("T30");
  const p = load(v.source);
  const { stats, unit } = compileGraph(p.graph, { dtype: "f64", scheduleEffort: 1e-6 });
  assert.match(stats.scheduler, /^sequential/);
  assert.ok(unit.source.length > 0);
  compare(
    p.run(v.inputs, { dtype: "f64" }),
    p.compile({ dtype: "f64", scheduleEffort: 1e-6 }).run(v.inputs),
    1e-9,
    "T30 bounded",
  );
});

// Golden files: every change to the generated code shows in review. Only LIFT_UPDATE_GOLDEN=1
// writes them (a missing one fails, so CI never accepts code it has not seen).
const GOLDEN = join(process.cwd(), "test", "golden");
const golden: [string, string][] = [
  ["matmul", vectorById("T1").source],
  ["conv", readFileSync(join(process.cwd(), "examples", "conv.lift"), "utf8")],
];
for (const [name, source] of golden) {
  test(`golden: Poly program and C of ${name}`, () => {
    const c = compileGraph(load({ name: `${name}.lift`, text: source }).graph, { dtype: "f32", name });
    for (const [ext, text] of [
      ["poly", c.poly],
      ["c", c.unit.source],
      ["h", c.unit.header],
    ] as const) {
      const file = join(GOLDEN, `${name}.${ext}`);
      if (process.env.LIFT_UPDATE_GOLDEN === "1") writeFileSync(file, text);
      assert.ok(existsSync(file), `${file} is missing (LIFT_UPDATE_GOLDEN=1 writes it; review and commit it)`);
      assert.equal(text, readFileSync(file, "utf8"), `${file} differs (LIFT_UPDATE_GOLDEN=1 npm test to accept)`);
    }
  });
}
