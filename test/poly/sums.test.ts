/**
 * Accurate f32 sums (issue 10): reductions accumulate in float64 — the interpreter always, the
 * compiled C in every loop nest that only adds into one element (`accumulate`), and a long sum
 * that stays in memory (its element indexed by an inner loop, or its nest fused with other
 * statements) in a wide (double) array, rounded once (src/poly/widen.ts) — so 2·10^7 ones sum to
 * 2·10^7 in f32 (an f32 accumulator stops at 2^24 = 16777216) and the compiled result is the
 * interpreter's to the bit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load } from "../../src/api/index.js";
import { parseLoops, printLoops } from "../../src/codegen/loop_text.js";
import { splitWideSums } from "../../src/codegen/passes.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { SHORT_SUM } from "../../src/poly/widen.js";

const PROGRAMS = {
  "one axis": "B := ((reduce 1 +) ((duplicate 20000000) 1.0))\nB :: (out)\n",
  "two axes, a nest of two loops": "B := ((reduce 2 +) ((duplicate 5000 4000) 1.0))\nB :: (out)\n",
};

test("an f32 sum of 2·10^7 ones is 2·10^7 in the interpreter, the compiled C and the wasm", () => {
  for (const [name, text] of Object.entries(PROGRAMS)) {
    const p = load(text);
    assert.equal(p.run({}, { dtype: "f32" }).B!.data[0], 2e7, `${name}: interpreter`);
    for (const backend of ["c", "wasm"] as const)
      assert.equal(p.compile({ dtype: "f32", backend, name: "sum" }).run({}).B!.data[0], 2e7, `${name}: ${backend}`);
  }
});

/** The loop text of a program's f32 compilation (no C compiler run). */
const loopsOf = (text: string) => printLoops(compileGraph(load(text).graph, { dtype: "f32" }).loops);

// Column sums: z[j] += V[j] with the rows outer, so z's element is indexed by the inner loop and
// stays in memory (no `accumulate` node) — 2·10^7 terms per element.
const COLUMNS = "V :: (in 16)\nB := ((reduce 1 +) ((duplicate 20000000) V))\nB :: (out 16)\n";

test("column sums of 2·10^7 ones stay in memory, in a wide array, and are 2·10^7 on C and wasm", () => {
  const loops = loopsOf(COLUMNS);
  assert.doesNotMatch(loops, /accumulate/);
  assert.match(loops, /^array v2w \(16\) temp wide/m);
  assert.match(loops, /update v2w\[c1\] \+= v0\[c1\]/);
  assert.match(loops, /def v2\[c0\] = v2w\[c0\]/); // the output rounded once, after the sum
  const p = load(COLUMNS);
  const V = { shape: [16], data: Array.from({ length: 16 }, (_, j) => (j === 15 ? 0.5 : 1)) };
  const want = [...Array(15).fill(2e7), 1e7];
  assert.deepEqual([...p.compile({ name: "colsums" }).run({ V }).B!.data], want, "C");
  assert.deepEqual([...p.compile({ name: "colsums", backend: "wasm" }).run({ V }).B!.data], want, "wasm");
});

// Relus and their column and row sums: isl fuses each sum with its relu's loop nest (the LeNet's
// bias gradients beside the relu backward), 10^5 random terms per element.
const FUSED = [
  "X :: (in 100000 4)",
  "Z :: (in 4 100000)",
  "Y := (0 >. X)",
  "W := (0 >. Z)",
  "C := ((reduce 1 +) Y)",
  'R := (((reduce 1 +)"1) W)',
  "Y :: (out 100000 4)",
  "W :: (out 4 100000)",
  "C :: (out 4)",
  "R :: (out 4)",
].join("\n");

test("sums fused with other statements are wide and equal the interpreter's to the bit, on C and wasm", () => {
  const loops = loopsOf(FUSED);
  assert.equal(loops.match(/^array v\d+w \(4\) temp wide/gm)?.length, 2);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const X = { shape: [100000, 4], data: Float32Array.from({ length: 400000 }, rnd) };
  const Z = { shape: [4, 100000], data: Float32Array.from({ length: 400000 }, rnd) };
  const p = load(FUSED);
  const interp = p.run({ X, Z }, { dtype: "f32" });
  // The interpreter rounds each sum once; a sum kept in f32 memory rounds 10^5 times and differs.
  const column = (j: number) => [...X.data.filter((_, i) => i % 4 === j)].map((x) => Math.max(0, x));
  const f32Sum = (ys: number[]) => {
    let sum = 0;
    for (const y of ys) sum = Math.fround(sum + y);
    return sum;
  };
  assert.notDeepEqual(
    [0, 1, 2, 3].map((j) => f32Sum(column(j))),
    [...interp.C!.data],
  );
  for (const backend of ["c", "wasm"] as const) {
    const out = p.compile({ name: "fusedsums", backend }).run({ X, Z });
    for (const k of ["C", "R", "Y", "W"]) assert.deepEqual([...out[k]!.data], [...interp[k]!.data], `${backend}: ${k}`);
  }
});

test(`a sum widens only past ${SHORT_SUM} terms per element`, () => {
  const cols = (rows: number) => `V :: (in 16)\nB := ((reduce 1 +) ((duplicate ${rows}) V))\nB :: (out 16)\n`;
  assert.doesNotMatch(loopsOf(cols(SHORT_SUM)), / wide/);
  assert.match(loopsOf(cols(SHORT_SUM + 1)), /^array v2w \(16\) temp wide/m);
  // Diagonal sums (a scatter, not injective): at most 3 terms per element of a 3×3, 40 of a 40×40.
  const diagonals = (n: number) => `M :: (in ${n} ${n})\nD := ((oblique 1 +) M)\nD :: (out ${2 * n - 1})\n`;
  assert.doesNotMatch(loopsOf(diagonals(3)), / wide/);
  assert.match(loopsOf(diagonals(40)), /^array v1w \(79\) temp wide/m);
});

test("split-sums: an innermost loop's sums into wide arrays run after its other statements, where that is legal", () => {
  const head =
    "array v0 (8) input\narray v1 (8) temp\narray v2w () temp wide\narray v3 (8) output\n" +
    "params n8 = 8\ninput A = v0 input\noutput B = v3 output\n";
  const loop = (...stmts: string[]) =>
    `${head}body {\n  for c0 = 0 while (le c0 7) step 1 {\n${stmts.map((s) => `    ${s}\n`).join("")}  }\n}\n`;
  const split = (text: string) => {
    const lp = parseLoops(text);
    splitWideSums(lp);
    return printLoops(lp);
  };
  const def = "S1 def v1[c0] = (exp v0[c0])";
  assert.equal(
    split(loop(def, "S2 update v2w[] += v1[c0]")),
    `${head}body {\n  for c0 = 0 while (le c0 7) step 1\n    ${def}\n` +
      "  for c0 = 0 while (le c0 7) step 1\n    S2 update v2w[] += v1[c0]\n}\n",
  );
  // Not split: the element read is written again after the sum, or by a later iteration.
  for (const kept of [
    loop(def, "S2 update v2w[] += v1[c0]", "S3 def v1[c0] = 0"),
    loop(def, "S2 update v2w[] += v1[(sub 7 c0)]"),
  ])
    assert.equal(split(kept), kept);
});
