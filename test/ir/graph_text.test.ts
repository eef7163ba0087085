/** The Graph's text form: print → parse → print is identical, and the parse equals the graph. */
import { test } from "node:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { graphValue, parseGraph, printGraph } from "../../src/core/graph_text.js";
import { LiftError } from "../../src/lang/diagnostics.js";
import { load } from "../../src/api/index.js";
import { examplePrograms, randomPrograms } from "./programs.js";

for (const [label, programs] of [
  ["every example program", examplePrograms()],
  ["60 random programs", randomPrograms(60, 4242)],
] as const) {
  test(`graph text round-trips: ${label}`, () => {
    for (const { name, program } of programs) {
      const g = program().graph;
      const text = printGraph(g);
      const back = parseGraph(text, name);
      assert.equal(printGraph(back), text, `${name}: print → parse → print`);
      assert.deepEqual(graphValue(back), graphValue(g), `${name}: parse → equal graph`);
    }
  });
}

test("graph text: a constant keeps -0, infinities and NaN; every name of a node is listed", () => {
  const g = load("A :: (in 2)\nB :: (out 2)\nC :: (out 2)\nB := (A + -0)\nC := B\n").graph;
  for (const v of [-Infinity, Infinity, NaN, 1e-7]) g.constant(v);
  const text = printGraph(g);
  assert.match(text, /= const -0 : \(\)/);
  assert.match(text, /= const -inf : \(\)\n.*= const inf : \(\)\n.*= const nan : \(\)\n.*= const 1e-7 : \(\)\n/);
  assert.match(text, /; B C$/m);
  assert.deepEqual(graphValue(parseGraph(text)), graphValue(g));
});

function parseError(text: string): LiftError {
  try {
    parseGraph(text, "g.txt");
  } catch (e) {
    if (e instanceof LiftError) return e;
    throw e;
  }
  assert.fail("parsed");
}

test("graph text: errors name the place and the reason", () => {
  const e1 = parseError("%0 = in A : (2)\n%2 = exp %0 : (2)  levels (2)[1]\n");
  assert.equal(e1.message, "node %2 out of order: expected %1");
  assert.deepEqual(e1.location, { file: "g.txt", line: 2, col: 1 });
  const e2 = parseError("%0 = in A : (2)\n%1 = frobnicate %0 : (2)\n");
  assert.equal(e2.message, 'unknown primitive "frobnicate"');
  assert.deepEqual(e2.location, { file: "g.txt", line: 2, col: 6 });
  const e3 = parseError("%0 = in A : (2)\n%1 = exp %4 : (2)\n");
  assert.equal(e3.message, "operand %4 is not defined before this node");
  assert.deepEqual(e3.location, { file: "g.txt", line: 2, col: 12 });
  const e4 = parseError("%0 = const 1 : ()\n%1 = const 1 : ()\n");
  assert.equal(e4.message, "node %1 repeats node %0 (a graph holds each node once)");
});

test("graph text: what lift check prints parses back to the checked graph", () => {
  const file = join(process.cwd(), "examples", "conv.lift");
  const out = execFileSync(process.execPath, [join(process.cwd(), "bin", "lift.js"), "check", file], {
    encoding: "utf8",
  });
  const g = load({ name: file, text: readFileSync(file, "utf8") }).graph;
  assert.equal(out, printGraph(g));
  assert.deepEqual(graphValue(parseGraph(out, "check.out")), graphValue(g));
});
