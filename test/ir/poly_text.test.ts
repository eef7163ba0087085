/**
 * The Poly program's text: the kernel plan as data, bound iterators, located parse errors (round trips:
 * roundtrip.test.ts). */
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { contract } from "../../src/poly/contract.js";
import { Ctx } from "../../src/poly/isl/index.js";
import { recognizeKernels } from "../../src/poly/kernels.js";
import { lower } from "../../src/poly/lower.js";
import { parsePoly, printPoly } from "../../src/poly/program_text.js";
import { LiftError } from "../../src/lang/diagnostics.js";
import { load } from "../../src/api/index.js";
import { vectorById } from "../vectors/reference.js";

test("poly text: a kernel's plan is data in the text and every iterator is bound", () => {
  const ctx = new Ctx();
  try {
    const p = lower(ctx, load(vectorById("T1").source).graph);
    contract(p);
    recognizeKernels(p, 4);
    const lines = printPoly(p).split("\n");
    const at = lines.findIndex((l) => l.startsWith("    kernel "));
    assert.match(lines[at]!, /^    kernel \{form: axpy, iters: \[\{name: i0, extent: 8, role: r\}, /);
    assert.match(lines[at - 2]!, /^S\d+ update @\d+ \{ S\d+\[\] \}$/);
    // The instance has no iterators: what its accesses index is bound inside each isl map.
    const outside = lines[at - 1]!.replace(/\{[^{}]*\}/g, "{}");
    assert.doesNotMatch(outside, /\b[io]\d+\b/);
    assert.match(lines[at - 1]!, /^    \{ S\d+\[\] -> v2\[o0, o1\] : /);
  } finally {
    ctx.free();
  }
});

test("poly text: errors name the place and the reason", () => {
  const ctx = new Ctx();
  try {
    const g = load(vectorById("T1").source).graph;
    const bad = (text: string) => {
      try {
        parsePoly(ctx, g, text, "p.poly");
      } catch (e) {
        if (e instanceof LiftError) return e;
        throw e;
      }
      return assert.fail("parsed");
    };
    const e1 = bad(
      "array v0 (8 8) input\nnext 3\nS1 def @1 { S1[i0] : 0 <= i0 < 8 }\n    v0[i0] = (+ v0[i0] v0[i9])\n",
    );
    assert.equal(e1.message, '"i9" is neither an iterator of the statement nor a size parameter');
    assert.deepEqual(e1.location, { file: "p.poly", line: 4, col: 24 });
    const e3 = bad("array v0 (8 8) input\nnext 3\nS1 def @1 [n7] -> { S1[i0] : 0 <= i0 < n7 }\n    v0[i0] = 1\n");
    assert.equal(e3.message, '"n7" is not a size parameter of the program');
    assert.deepEqual(e3.location, { file: "p.poly", line: 3, col: 11 });
    const e4 = bad("array v0 (8 8) input\nnext 3\nS1 def @1 { S1[i0] : 0 <= i0 < 8 }\n    v0[i0 +] = 1\n");
    assert.match(
      e4.message,
      /^isl cannot read "\{ S1\[i0\] -> v0\[i0 \+\] : 0 <= i0 <= 7 \}": isl_map_read_from_str: syntax error/,
    );
    assert.deepEqual(e4.location, { file: "p.poly", line: 4, col: 5 });
    const e2 = bad("next 3\nS1 copy @1 { S1[] }\n");
    assert.equal(e2.message, "expected def, init or update");
    assert.deepEqual(e2.location, { file: "p.poly", line: 2, col: 4 });
  } finally {
    ctx.free();
  }
});

test("poly text: the golden .poly files parse and print back byte for byte", () => {
  const golden = join(process.cwd(), "test", "golden");
  const sources: [string, string][] = [
    ["matmul", vectorById("T1").source],
    ["conv", readFileSync(join(process.cwd(), "examples", "conv.lift"), "utf8")],
  ];
  for (const [name, source] of sources) {
    const ctx = new Ctx();
    try {
      const text = readFileSync(join(golden, `${name}.poly`), "utf8");
      const p = parsePoly(ctx, load({ name: `${name}.lift`, text: source }).graph, text, `${name}.poly`);
      assert.equal(printPoly(p), text);
      assert.ok(
        p.stmts.some((s) => s.kernel),
        `${name}.poly holds a kernel plan`,
      );
    } finally {
      ctx.free();
    }
  }
});
