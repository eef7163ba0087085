/**
 * Accurate f32 sums (issue 10): reductions accumulate in float64 — the interpreter always, the
 * compiled C in every loop nest that only adds into one element — so 2·10^7 ones sum to 2·10^7 in
 * f32 (an f32 accumulator stops at 2^24 = 16777216).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load } from "../../src/api/index.js";

const PROGRAMS = {
  "one axis": "B := ((reduce 1 +) ((duplicate 20000000) 1.0))\nB :: (out)\n",
  "two axes, a nest of two loops": "B := ((reduce 2 +) ((duplicate 5000 4000) 1.0))\nB :: (out)\n",
};

test("an f32 sum of 2·10^7 ones is 2·10^7 in the interpreter and the compiled C", () => {
  for (const [name, text] of Object.entries(PROGRAMS)) {
    const p = load(text);
    assert.equal(p.run({}, { dtype: "f32" }).B!.data[0], 2e7, `${name}: interpreter`);
    assert.equal(p.compile({ dtype: "f32", name: "sum" }).run({}).B!.data[0], 2e7, `${name}: compiled`);
  }
});
