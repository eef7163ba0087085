/**
 * Every IR's text after every pass of the PASSES list (src/compiler/passes.ts): the Poly program
 * after lower, contract, kernels, order and widen; the loop AST after ast, outline, split-sums and
 * accumulate.
 * print → parse → print is identical, and the parse equals the printed value (the Poly program
 * compared by isl as sets of points, the loop AST deep-equal).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSES, type CompileState } from "../../src/compiler/passes.js";
import { parseLoops, printLoops } from "../../src/codegen/loop_text.js";
import { Ctx } from "../../src/poly/isl/index.js";
import { parsePoly, polyDifferences, printPoly } from "../../src/poly/program_text.js";
import type { CompileOptions } from "../../src/compiler/compile.js";
import { examplePrograms, randomPrograms, type NamedProgram } from "./programs.js";

const POLY = new Set(["lower", "contract", "kernels", "order", "widen"]);
const LOOPS = new Set(["ast", "outline", "split-sums", "accumulate"]);

function checkPasses(programs: NamedProgram[], opts: CompileOptions = {}): number {
  let checked = 0;
  for (const { name, program } of programs) {
    const ctx = new Ctx();
    try {
      const s: CompileState = { g: program().graph, opts, ctx };
      for (const pass of PASSES) {
        if (pass.enabled && !pass.enabled(opts)) continue;
        pass.run(s);
        const what = `${name} after ${pass.name}`;
        if (POLY.has(pass.name)) {
          const text = printPoly(s.poly!);
          const back = parsePoly(ctx, s.g, text, what);
          assert.equal(printPoly(back), text, `${what}: print → parse → print`);
          assert.deepEqual(polyDifferences(s.poly!, back), [], `${what}: parse → equal program`);
          checked++;
        } else if (LOOPS.has(pass.name)) {
          const text = printLoops(s.loops!);
          const back = parseLoops(text, what);
          assert.equal(printLoops(back), text, `${what}: print → parse → print`);
          assert.deepEqual(back, s.loops, `${what}: parse → equal loop AST`);
          checked++;
        }
      }
    } finally {
      ctx.free();
    }
  }
  return checked;
}

test("IR texts round-trip after every pass: every example program", () => {
  const programs = examplePrograms();
  assert.equal(checkPasses(programs), programs.length * 9);
});

test("IR texts round-trip after every pass: 20 random programs", () => {
  assert.equal(checkPasses(randomPrograms(20, 777)), 20 * 9);
});

test("IR texts round-trip with kernels and parallel loops off (the f64 path)", () => {
  const programs = examplePrograms().filter((_, i) => i % 8 === 0);
  assert.equal(checkPasses(programs, { kernels: false, openmp: false, dtype: "f64" }), programs.length * 6);
});
