/**
 * LIFT_VERIFY=1 and LIFT_DUMP: a slice of the differential suite compiled with every pass's
 * invariants re-checked (and still equal to the interpreter); each checker catches a broken IR
 * written in that IR's text; an unknown dump name is a usage error listing the passes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { parseGraph } from "../../src/core/graph_text.js";
import { verifyGraph } from "../../src/core/graph_verify.js";
import { parseLoops } from "../../src/codegen/loop_text.js";
import { dumpedPasses, PASS_NAMES, VerifyError } from "../../src/compiler/passes.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { Ctx } from "../../src/poly/isl/index.js";
import { parsePoly } from "../../src/poly/program_text.js";
import { verifyLoops, verifyPoly } from "../../src/poly/verify.js";
import { LiftError } from "../../src/lang/diagnostics.js";
import { ACCEPT_VECTORS } from "../vectors/reference.js";
import { randomProgram } from "../poly/random_programs.js";
import type { Tensor } from "../../src/core/tensor.js";

process.env.LIFT_CACHE = mkdtempSync(join(tmpdir(), "lift-cache-"));

function close(a: Record<string, Tensor>, b: Record<string, Tensor>, what: string): void {
  for (const [k, x] of Object.entries(a)) {
    const y = b[k]!;
    x.data.forEach((u, i) => {
      const v = y.data[i]!;
      assert.ok(
        Object.is(u, v) || Math.abs(u - v) <= 1e-9 * Math.max(1, Math.abs(u)),
        `${what}: ${k}[${i}] interpreter ${u}, compiled ${v}`,
      );
    });
  }
}

test("LIFT_VERIFY=1: a slice of the differential suite passes every check and agrees with the interpreter", () => {
  process.env.LIFT_VERIFY = "1";
  try {
    for (const v of ACCEPT_VECTORS.filter((_, i) => i % 4 === 0)) {
      const p = load(v.source);
      close(p.run(v.inputs, { dtype: "f64" }), p.compile({ dtype: "f64", name: "verified" }).run(v.inputs), v.id);
    }
    const progs = Array.from({ length: 10 }, (_, i) => randomProgram(9001 + i, `p${i}.`));
    const p = load(progs.map((x) => x.source).join("\n"));
    const inputs = Object.assign({}, ...progs.map((x) => x.inputs));
    close(
      p.run(inputs, { dtype: "f64" }),
      p.compile({ dtype: "f64", name: "verified" }).run(inputs),
      "10 random programs",
    );
  } finally {
    delete process.env.LIFT_VERIFY;
  }
});

test("Graph check: an operand indexed wrongly and a shape its primitive cannot give are found", () => {
  const g = parseGraph(
    "%0 = in A : (3)\n%1 = exp %0 : (4)  levels (4)[1]\n" +
      "%2 = (reduce 1 +) %0 : (2)  levels ()[0]\n\noutputs: B (3) = %2\n",
  );
  assert.deepEqual(verifyGraph(g), [
    "%1: operand %0 (3) is not indexed by the frame axes (4)",
    "%2: shape (2), but frame () and cell ()",
    "output B has shape (3), its node %2 (2)",
  ]);
  assert.deepEqual(verifyGraph(load("A :: (in 3)\nB :: (out)\nB := ((reduce 1 +) (exp A))\n").graph), []);
});

const POLY_HEAD =
  "params n8 = 8\narray v0 (8) input\narray v1 (8) temp\narray v2 (8) output\n" +
  "input A = v0 input\noutput B = v2 output\nnext 9\n";
const polyProblems = (body: string): string[] => {
  const ctx = new Ctx();
  try {
    return verifyPoly(parsePoly(ctx, load("A :: (in 8)\n").graph, POLY_HEAD + body));
  } finally {
    ctx.free();
  }
};

test("Poly check: an access outside its array, a read before any write, an update without its init", () => {
  const def = "S1 def @1 [n8] -> { S1[i0] : 0 <= i0 < n8 }\n";
  assert.deepEqual(
    polyProblems(`${def}    v1[i0] = v0[i0]\nS2 def @2 [n8] -> { S2[i0] : 0 <= i0 < n8 }\n    v2[i0] = v1[i0]\n`),
    [],
  );
  assert.deepEqual(polyProblems(`${def}    v1[i0] = v0[1 + i0]\n`), [
    "S1: read of v0 outside its shape (8): [n8] -> { v0[8] : n8 = 8 }",
  ]);
  assert.deepEqual(
    polyProblems(
      `S2 def @2 [n8] -> { S2[i0] : 0 <= i0 < n8 }\n    v2[i0] = v1[i0]\n${def}    v1[i0] = v0[i0]\n`.replace(
        "@2",
        "@0",
      ),
    ),
    ["S2: reads elements of v1 no earlier statement writes: [n8] -> { v1[i0] : n8 = 8 and 0 <= i0 <= 7 }"],
  );
  assert.deepEqual(polyProblems(`S3 update @3 [n8] -> { S3[i0] : 0 <= i0 < n8 }\n    v2[i0] += v0[i0]\n`), [
    "S3: updates elements of v2 no earlier statement writes: [n8] -> { v2[i0] : n8 = 8 and 0 <= i0 <= 7 }",
  ]);
});

test("Poly check: a wide array is a temp that only += sums update", () => {
  const ctx = new Ctx();
  try {
    const check = (head: string, body: string) => verifyPoly(parsePoly(ctx, load("A :: (in 8)\n").graph, head + body));
    const init = "S1 init @1 [n8] -> { S1[i0] : 0 <= i0 < n8 }\n    v1[i0] = 0\n";
    const sum = (op: string) =>
      `S2 update @1 [n8] -> { S2[i0, i1] : 0 <= i0 < n8 and 0 <= i1 < n8 }\n    v1[i1] ${op}= v0[i0]\n`;
    const copy = "S3 def @2 [n8] -> { S3[i0] : 0 <= i0 < n8 }\n    v2[i0] = v1[i0]\n";
    const wide = POLY_HEAD.replace("array v1 (8) temp", "array v1 (8) temp wide");
    assert.deepEqual(check(wide, init + sum("+") + copy), []);
    assert.deepEqual(check(wide, init + sum(">.") + copy), ["S2: a >.= update of the wide array v1"]);
    assert.deepEqual(
      check(POLY_HEAD.replace("array v2 (8) output", "array v2 (8) output wide"), copy.replace("v1", "v0")),
      ["v2 is wide but an output"],
    );
  } finally {
    ctx.free();
  }
});

test("loop check: a statement printed twice, and an unbound iterator, are found", () => {
  const ctx = new Ctx();
  try {
    const p = parsePoly(
      ctx,
      load("A :: (in 8)\n").graph,
      POLY_HEAD + "S1 def @1 [n8] -> { S1[i0] : 0 <= i0 < n8 }\n    v2[i0] = v0[i0]\n",
    );
    const head = "array v0 (8) input\narray v2 (8) output\nparams n8 = 8\ninput A = v0 input\noutput B = v2 output\n";
    const loop = "for c0 = 0 while (le c0 7) step 1\n    S1 def v2[c0] = v0[c0]";
    assert.deepEqual(verifyLoops(p, parseLoops(`${head}body {\n  ${loop}\n}\n`)), []);
    assert.deepEqual(verifyLoops(p, parseLoops(`${head}body {\n  ${loop}\n  ${loop}\n}\n`)), [
      "S1 runs 16 times, its domain has 8 points",
    ]);
    assert.deepEqual(verifyLoops(p, parseLoops(`${head}body {\n  ${loop.replace("v0[c0]", "v0[c1]")}\n}\n`)), [
      "c1 is not bound by an enclosing loop, a parameter or a size",
    ]);
  } finally {
    ctx.free();
  }
});

test("a broken invariant stops the compilation with the pass and the problem (VerifyError)", () => {
  const e = new VerifyError("contract", ["S2: reads elements of v1 no earlier statement writes: { v1[0] }", "S3: …"]);
  assert.equal(
    e.message,
    "internal: LIFT_VERIFY: after pass contract: " +
      "S2: reads elements of v1 no earlier statement writes: { v1[0] } (and 1 more)",
  );
});

const PASS_LIST =
  "lower, contract, kernels, order, widen, dependences, schedule, ast, outline, split-sums, accumulate, print-c";

test("LIFT_DUMP: an unknown pass name is an error listing the passes; known names are accepted", () => {
  assert.equal(PASS_NAMES.join(", "), PASS_LIST);
  assert.deepEqual([...dumpedPasses(" contract,ast ")], ["contract", "ast"]);
  assert.throws(
    () => dumpedPasses("c,ast,sched"),
    (e: unknown) =>
      e instanceof LiftError && e.message === `LIFT_DUMP names no pass "c", "sched"; the passes are: ${PASS_LIST}`,
  );
  process.env.LIFT_DUMP = "c";
  try {
    assert.throws(
      () => compileGraph(load("A :: (in 2)\nB :: (out 2)\nB := (A + A)\n").graph),
      /LIFT_DUMP names no pass "c"/,
    );
  } finally {
    delete process.env.LIFT_DUMP;
  }
});

test("LIFT_DUMP: lift refuses an unknown pass name as a usage error (status 2) before doing anything", () => {
  const dir = mkdtempSync(join(tmpdir(), "lift-dump-"));
  const file = join(dir, "p.lift");
  writeFileSync(file, "A :: (in 2)\nB :: (out 2)\nB := (A + A)\n");
  const r = spawnSync(process.execPath, [join(process.cwd(), "bin", "lift.js"), "check", file], {
    encoding: "utf8",
    env: { ...process.env, LIFT_DUMP: "c" },
  });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, `lift: LIFT_DUMP names no pass "c"; the passes are: ${PASS_LIST}\n`);
});
