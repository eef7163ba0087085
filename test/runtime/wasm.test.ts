/**
 * The WebAssembly backend against the interpreter: every reference vector and a batch of random
 * programs (gradients included) in f32 and f64; the call contract on module memory; the error
 * without clang; `lift emit wasm`'s module loaded from Node.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { load, LiftError } from "../../src/api/index.js";
import type { Tensor } from "../../src/core/tensor.js";
import { ACCEPT_VECTORS, vectorById } from "../vectors/reference.js";
import { randomProgram } from "../poly/random_programs.js";
import { compileGraph } from "../../src/compiler/compile.js";

process.env.LIFT_CACHE ??= mkdtempSync(join(tmpdir(), "lift-cache-"));
const LIFT = join(import.meta.dirname, "../../../bin/lift.js");

function compare(a: Record<string, Tensor>, b: Record<string, Tensor>, rel: number, what: string): void {
  for (const k of Object.keys(a)) {
    const x = a[k]!,
      y = b[k];
    assert.ok(y, `${what}: ${k} missing from the wasm outputs`);
    assert.deepEqual(y.shape, x.shape, `${what}: ${k} shape`);
    let scale = 0;
    for (const v of x.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < x.data.length; i++) {
      const u = x.data[i]!,
        v = y.data[i]!;
      if (u === v || (Number.isNaN(u) && Number.isNaN(v))) continue;
      assert.ok(
        Math.abs(u - v) <= rel * Math.max(Math.abs(u), scale, 1e-300),
        `${what}: ${k}[${i}] interpreter ${u}, wasm ${v}`,
      );
    }
  }
}

for (const dtype of ["f64", "f32"] as const) {
  test(`reference vectors: wasm equals the interpreter (${dtype})`, () => {
    for (const v of ACCEPT_VECTORS) {
      const p = load({ name: `${v.id}.lift`, text: v.source });
      compare(
        p.run(v.inputs, { dtype }),
        p.compile({ dtype, name: "vec", backend: "wasm" }).run(v.inputs),
        dtype === "f64" ? 1e-9 : 1e-4,
        v.id,
      );
    }
  });
}

test("15 random well-ranked programs with gradients: wasm equals the interpreter (f32, f64)", () => {
  const progs = Array.from({ length: 15 }, (_, i) => randomProgram(104729 + i, `p${i}.`));
  const program = load(progs.map((x) => x.source).join("\n"));
  const inputs = Object.assign({}, ...progs.map((x) => x.inputs));
  assert.ok(program.graph.grads.length >= 6, `only ${program.graph.grads.length} gradients`);
  for (const dtype of ["f64", "f32"] as const) {
    try {
      compare(
        program.run(inputs, { dtype }),
        program.compile({ dtype, name: "rnd", backend: "wasm" }).run(inputs),
        dtype === "f64" ? 1e-9 : 1e-4,
        dtype,
      );
    } catch (e) {
      const bad = /: p(\d+)\./.exec((e as Error).message);
      throw new Error(`${(e as Error).message}\n${bad ? progs[Number(bad[1])]!.source : ""}`);
    }
  }
});

const MATMUL = 'A :: (in N 4)\nB :: (in 4 2)\nC :: (out N 2)\nC := (((reduce 1 +)"2) (A (*"1 2) B))\n';

test("call on views of module memory computes in place; foreign arrays are copied in and out", () => {
  const m = load(MATMUL).compile({ backend: "wasm", name: "mm" });
  m.reserve({ N: 3 });
  const A = m.alloc("A", { N: 3 }),
    B = m.alloc("B"),
    C = m.alloc("C", { N: 3 });
  assert.equal(A.buffer, m.host.memory.buffer);
  A.set(Array.from({ length: 12 }, (_, i) => i));
  B.set(Array.from({ length: 8 }, (_, i) => i));
  const used = m.host.used;
  m.call({ A, B, C }, { N: 3 });
  assert.deepEqual(Array.from(C), [28, 34, 76, 98, 124, 162]);
  assert.equal(m.host.used, used, "a call on views allocates nothing");
  const C2 = new Float32Array(2);
  m.call({ A: A.slice(4, 8), B: new Float32Array(B), C: C2 }, { N: 1 });
  assert.deepEqual(Array.from(C2), [76, 98]);
  assert.equal(m.host.used, used, "staged copies are released");
  assert.throws(
    () => m.call({ A, B, C }, { N: 2 }),
    (e: unknown) => e instanceof LiftError && e.message === "buffer `A` has 12 elements; its shape needs 8",
  );
  assert.throws(
    () => m.call({ A, B, C }, {}),
    (e: unknown) => e instanceof LiftError && e.message === "size N needs a whole value ≥ 1, got undefined",
  );
});

test("a view taken before the memory grew is refused with the reason", () => {
  const m = load(MATMUL).compile({ backend: "wasm", name: "mm" });
  const A = m.alloc("A", { N: 1 }),
    B = m.alloc("B"),
    C = m.alloc("C", { N: 1 });
  m.alloc(1 << 20); // 4 MiB more: the memory grows and the views above are detached
  assert.throws(
    () => m.call({ A, B, C }, { N: 1 }),
    (e: unknown) =>
      e instanceof LiftError &&
      /view of module memory from before it grew; call reserve\(\) before alloc\(\)/.test(e.message),
  );
});

test("lift run --backend wasm without clang says what to install", () => {
  const dir = mkdtempSync(join(tmpdir(), "lift-wasm-"));
  writeFileSync(join(dir, "p.lift"), "A :: (in 2)\nB :: (out 2)\nB := (A * 2)\n");
  writeFileSync(join(dir, "p.json"), '{"A": [1, 2]}');
  const r = spawnSync(
    process.execPath,
    [LIFT, "run", join(dir, "p.lift"), "--inputs", join(dir, "p.json"), "--backend", "wasm"],
    { encoding: "utf8", env: { ...process.env, LIFT_CLANG: "/nonexistent/clang" } },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^error: no clang for the WebAssembly backend: `\/nonexistent\/clang --version` failed/m);
  assert.match(r.stderr, /apt-get install clang-16 lld-16/);
  const ok = spawnSync(
    process.execPath,
    [LIFT, "run", join(dir, "p.lift"), "--inputs", join(dir, "p.json"), "--backend", "wasm"],
    { encoding: "utf8" },
  );
  assert.equal(ok.stdout, "B (2): 2 4\n", ok.stderr);
});

test("lift emit wasm: the ES module loads NAME.wasm from Node and computes the matmul", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lift-emit-wasm-"));
  writeFileSync(join(dir, "mm.lift"), MATMUL);
  const r = spawnSync(
    process.execPath,
    [LIFT, "emit", "wasm", join(dir, "mm.lift"), "-o", join(dir, "out"), "--name", "matmul", "--dtype", "f64"],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  const mod = await import(pathToFileURL(join(dir, "out", "matmul.js")).href);
  assert.deepEqual(
    mod.meta.buffers.map((b: { name: string; shape: unknown[] }) => [b.name, b.shape]),
    [
      ["A", ["N", 4]],
      ["B", [4, 2]],
      ["C", ["N", 2]],
    ],
  );
  const m = await mod.load();
  const A = m.alloc("A", { N: 1 }),
    B = m.alloc("B"),
    C = m.alloc("C", { N: 1 });
  assert.ok(A instanceof Float64Array);
  A.set([1, 2, 3, 4]);
  B.set([1, 0, 0, 1, 1, 0, 0, 1]);
  m.call({ A, B, C }, { N: 1 });
  assert.deepEqual(Array.from(C), [4, 6]);
});

test("the wasm dialect: 16-byte vectors pinned, no OpenMP pragma; the C dialect keeps its pragmas and chooses the width", () => {
  const p = load(vectorById("T1").source);
  const wasm = compileGraph(p.graph, { target: "wasm", name: "mm" }).unit.source;
  const c = compileGraph(p.graph, { name: "mm" }).unit.source;
  assert.match(wasm, /#ifndef LIFT_VBYTES\n#define LIFT_VBYTES 16\n#endif/);
  assert.doesNotMatch(wasm, /#pragma omp/);
  assert.doesNotMatch(c, /#define LIFT_VBYTES 16\n#endif/);
  assert.match(
    c,
    /#elif defined\(__SSE2__\) \|\| defined\(__ARM_NEON\) \|\| defined\(__wasm_simd128__\)\n#define LIFT_VBYTES 16/,
  );
  assert.match(c, /#pragma omp parallel for/);
});
