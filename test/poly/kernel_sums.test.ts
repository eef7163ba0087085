/**
 * Blocked f32 sums in the kernels (issue 10, src/poly/kernels.ts SUM_BLOCK, src/codegen/kernel_c.ts):
 * a register accumulator adds at most one chunk of terms, and the chunks meet in a float64 shadow.
 *
 * The probe: one term of 2^24 first, then ones. An f32 accumulator that holds 2^24 drops every
 * later 1 (2^24 + 1 rounds back to 2^24), so summing in f32 along the whole reduction loses all of
 * them; in blocks only the ones that share the big term's block are lost. The test asserts the
 * blocked bound, (k − 1)·2⁻²⁴·Σ|y| + 2⁻²⁴·|s| with k the terms one accumulator adds per block,
 * which the unblocked sum misses by tens of thousands.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { PASSES, type CompileState } from "../../src/compiler/passes.js";
import { Ctx } from "../../src/poly/isl/index.js";
import { SUM_BLOCK } from "../../src/poly/kernels.js";
import { verifyPoly } from "../../src/poly/verify.js";
import type { Tensor } from "../../src/core/tensor.js";

process.env.LIFT_CACHE = mkdtempSync(join(tmpdir(), "lift-cache-"));

const BIG = 2 ** 24;
const ones = (shape: number[]): Tensor => ({ shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(1) });

/** D: ones but the first `cell` elements (the first reduction step's operand), which are 2^24. */
function probe(shape: number[], cell: number): Tensor {
  const t = ones(shape);
  t.data.fill(BIG, 0, cell);
  return t;
}

/** Compiles in f32, checks it has a blocked kernel, and every output of the C and the wasm within the blocked bound of `exact`. */
function blocked(name: string, text: string, inputs: Record<string, Tensor>, exact: number, k: number): void {
  const p = load({ name: `${name}.lift`, text });
  const { stats, unit } = compileGraph(p.graph, { dtype: "f32", name });
  assert.equal(stats.kernels.kernels, 1, `${name}: one kernel`);
  assert.match(unit.source, /zw\[o\] = z\[o\];/, `${name}: the kernel sums into a float64 shadow`);
  assert.match(
    unit.header,
    /scratch: \w+_scratch_bytes\(\.\.\.\) bytes, aligned for double/,
    `${name}: the header asks for double alignment`,
  );
  const once = Math.fround(exact);
  assert.equal(
    p.run(inputs, { dtype: "f32" }).Z!.data[0],
    once,
    `${name}: the interpreter sums in float64, rounds once`,
  );
  const absSum = exact; // every term is positive
  const bound = (k - 1) * 2 ** -24 * absSum + 2 ** -24 * exact;
  for (const backend of ["c", "wasm"] as const) {
    const z = p.compile({ dtype: "f32", backend, name }).run(inputs).Z!;
    for (let i = 0; i < z.data.length; i++)
      assert.ok(
        Math.abs(z.data[i]! - exact) <= bound,
        `${name} ${backend}: Z[${i}] = ${z.data[i]}, exact ${exact}, bound ${bound}`,
      );
  }
}

const AXPY = `X :: (in N 4)\nD :: (in N 16)\nZ :: (out 4 16)\nZ := ((reduce 1 +) (X ((*"0 1)"1 1) D))\n`;

test("an axpy kernel over a symbolic batch sums in blocks of 8 (2^24 + 100000 ones)", () => {
  const N = 100001;
  blocked("ksum_axpy", AXPY, { X: ones([N, 4]), D: probe([N, 16], 16) }, BIG + N - 1, 8);
});

test("a dot kernel over a symbolic batch sums in blocks (2^24, then 16·40000 − 1 terms of 1/128)", () => {
  // Terms of 1/128 along a 16-long vector axis: a block of 8 batch items adds exactly 1 to each
  // output, which an f32 total at 2^24 drops (a tie, rounded to even).
  const N = 40000;
  const text =
    `X :: (in N 4 16)\nD :: (in N 16 16)\nZ :: (out 4 16)\ndot"1 1 := ((reduce 1 +) (x * y))\n` +
    `Z := ((reduce 1 +) (X (((dot"1 1)"1 2)"2 2) D))\n`;
  const X = ones([N, 4, 16]);
  X.data.fill(1 / 128);
  const D = ones([N, 16, 16]);
  for (let j = 0; j < 16; j++) D.data[j * 16] = BIG * 128;
  // Per lane, a block is 8 batch items times the vectors along the 16-long axis (4 at 4 lanes).
  blocked("ksum_dot", text, { X, D }, BIG + (16 * N - 1) / 128, 8 * 4);
});

test("two short reduction axes whose product is long are chunked for the bound alone (200 × 200)", () => {
  // Neither axis is over 256 (no chunk for locality), but 40000 terms would share one accumulator.
  const text = `X :: (in 200 200 4)\nD :: (in 200 200 16)\nZ :: (out 4 16)\nZ := ((reduce 2 +) (X ((*"0 1)"1 1) D))\n`;
  blocked("ksum_short", text, { X: ones([200, 200, 4]), D: probe([200, 200, 16], 16) }, BIG + 40000 - 1, SUM_BLOCK);
});

test("a matrix product longer than kc² is not packed in f32: the unpacked kernel sums its chunks in float64", () => {
  // K = 16400 > 128² (kc at AVX-512): packed, each block of 128 terms of 1/128 would add exactly 1
  // to a total at 2^24 in f32, and be dropped.
  const K = 16400;
  const text = `A :: (in 16 ${K})\nB :: (in ${K} 16)\nZ :: (out 16 16)\nZ := (((reduce 1 +)"2) (A (*"1 2) B))\n`;
  const p = load({ name: "ksum_long.lift", text });
  assert.match(compileGraph(p.graph, { dtype: "f64", name: "ksum_long" }).unit.source, /_packa/, "f64 is packed");
  const A = ones([16, K]);
  A.data.fill(1 / 128);
  const B = probe([K, 16], 16);
  B.data.fill(BIG * 128, 0, 16);
  const text32 = compileGraph(p.graph, { dtype: "f32", name: "ksum_long" }).unit.source;
  assert.doesNotMatch(text32, /_packa/, "f32 is not packed");
  blocked("ksum_long", text, { A, B }, BIG + (K - 1) / 128, 128);
});

test("the shadow is planned for f32 only, and LIFT_VERIFY finds a plan whose shadow is missing", () => {
  const ctx = new Ctx();
  try {
    for (const dtype of ["f32", "f64"] as const) {
      const s: CompileState = { g: load(AXPY).graph, opts: { dtype }, ctx };
      for (const pass of PASSES.slice(0, PASSES.findIndex((x) => x.name === "kernels") + 1)) pass.run(s);
      const plan = s.poly!.stmts.find((x) => x.kernel)!.kernel!;
      assert.deepEqual(plan.chunk, { iter: "i2", size: 8 }, dtype);
      assert.equal(plan.wide, dtype === "f32" ? "v3w" : undefined);
      assert.deepEqual(verifyPoly(s.poly!), [], dtype);
    }
    const s: CompileState = { g: load(AXPY).graph, opts: { dtype: "f32" }, ctx };
    for (const pass of PASSES.slice(0, PASSES.findIndex((x) => x.name === "kernels") + 1)) pass.run(s);
    s.poly!.arrays.delete("v3w");
    assert.deepEqual(
      verifyPoly(s.poly!).filter((x) => /shadow/.test(x)),
      [`${s.poly!.stmts.find((x) => x.kernel)!.name}: its kernel's float64 shadow v3w is not a temporary array`],
    );
  } finally {
    ctx.free();
  }
});
