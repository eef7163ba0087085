/**
 * Contraction never recomputes (issue 10): a value read twice per element is kept in an array, and a
 * chain of single uses stops growing one expression at INLINE_LIMIT operations. Bounds are on the
 * emitted C, not on wall-clock time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load } from "../../src/api/index.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { INLINE_LIMIT } from "../../src/poly/contract.js";
import { chain, squaring } from "../../scripts/deep-programs.js";

const cSize = (text: string) => compileGraph(load(text).graph, { dtype: "f32", name: "sq" }).unit.source;

test("repeated squaring at 24 levels: the C grows linearly in the levels and the values are right", () => {
  const c12 = cSize(squaring(12)),
    c24 = cSize(squaring(24));
  const perLevel = (c24.length - c12.length) / 12;
  // One statement per level (`vK[c0] = (vJ[c0] * vJ[c0]);` and its array's declaration).
  assert.ok(
    perLevel > 0 && perLevel < 200,
    `${perLevel} bytes per level (12 levels: ${c12.length}, 24: ${c24.length})`,
  );
  assert.ok(c24.length < 8000, `24 levels: ${c24.length} bytes of C`);
  // V0 = A + 1 is one cheap operation, recomputed in its two reads; V1 = V0 · V0 is not, and is
  // stored: the input array appears in exactly one statement, twice.
  const A = c24.match(/float \*LIFT_RESTRICT (v\d+) = args->A;/)![1]!;
  assert.equal(c24.match(new RegExp(`\\b${A}\\[`, "g"))?.length, 2, c24);
  const input = [0, -1, -2, -0.5, 0, -1, -2, -0.5, 0, -1, -2, -0.5, 0, -1, -2, -0.5];
  const p = load(squaring(24));
  const want = input.map((a) => ((a + 1) ** 2 === 1 ? 1 : 0));
  assert.deepEqual(Array.from(p.compile({ dtype: "f32", name: "sq24" }).run({ A: input }).V24!.data), want);
  assert.deepEqual(Array.from(p.run({ A: input }).V24!.data), want);
});

test("a chain of single uses is inlined at most INLINE_LIMIT operations deep", () => {
  const src = cSize(chain(300, false));
  const longest = Math.max(...src.split("\n").map((l) => (l.match(/ \+ /g) ?? []).length));
  assert.ok(longest <= INLINE_LIMIT, `a C line with ${longest} additions`);
  assert.ok(longest >= 8, `substitution still inlines single uses (longest line: ${longest} additions)`);
});
