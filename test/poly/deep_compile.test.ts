/**
 * Deep programs through the C backend (issue 10): compiling a chain twice as long costs at most
 * about twice the work in every pass, counted in isl calls (the same on any machine, unlike
 * wall-clock time), under isl's schedule and the sequential one, and twice the C; the long
 * chain's schedule comes in pieces, each scheduled by isl and built into loops alone, and the
 * compiled values equal the closed form.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { compileGraph, type CompileOptions } from "../../src/compiler/compile.js";
import { chain } from "../../scripts/deep-programs.js";

process.env.LIFT_CACHE = mkdtempSync(join(tmpdir(), "lift-cache-"));

// Pieces of 16 statements, so that chains this short (37 and 69 statements after contraction)
// take the path a 100,000-statement chain takes with the default of 200.
const OPTS: CompileOptions = { dtype: "f64", name: "deep", scheduleChunk: 16 };
const A = [1, -2, 0.5, 3],
  W = [0.25, 2, -1, 0];

/** L = Σ_j (A_j + 1 + (n − 1)·A_j·W_j), ∂L/∂A = (n − 1)·W + 1, ∂L/∂W = (n − 1)·A (scripts/deep-programs.ts). */
function checkValues(n: number, out: Record<string, { data: ArrayLike<number> }>): void {
  assert.deepEqual(
    Array.from(out.dA!.data),
    W.map((w) => (n - 1) * w + 1),
  );
  assert.deepEqual(
    Array.from(out.dW!.data),
    A.map((a) => (n - 1) * a),
  );
  assert.equal(
    out.L!.data[0],
    A.reduce((s, a, j) => s + a + 1 + (n - 1) * a * W[j]!, 0),
  );
}

type Compiled = ReturnType<typeof compileGraph>;

/** Every pass of `long` (a chain twice as long as `short`) did about twice the isl calls. */
function twiceTheWork(short: Compiled, long: Compiled): void {
  const calls = (c: Compiled, pass: string) => c.stats.passes.find((p) => p.name === pass)!.islCalls;
  for (const pass of ["lower", "contract", "dependences", "schedule", "ast"]) {
    const a = calls(short, pass),
      b = calls(long, pass);
    // Linear work doubles; a pass quadratic in the program's length would quadruple.
    assert.ok(b <= 2.3 * a + 100, `${pass}: ${a} isl calls at 1000 statements, ${b} at 2000`);
    assert.ok(
      b >= 1.5 * a,
      `${pass}: ${a} isl calls at 1000 statements, ${b} at 2000 (the work must grow with the program)`,
    );
  }
}

test("a chain twice as long: at most ~2× the isl calls in every pass and ~2× the C", () => {
  const [short, long] = [1000, 2000].map((n) => compileGraph(load(chain(n, true)).graph, OPTS));
  twiceTheWork(short!, long!);
  const [c1, c2] = [short!.unit.source.length, long!.unit.source.length];
  assert.ok(c2 <= 2.3 * c1 && c2 >= 1.7 * c1, `C: ${c1} bytes at 1000 statements, ${c2} at 2000`);
  const k = long!.stats.statements;
  assert.ok(k > 32, `${k} statements after contraction`);
  assert.equal(long!.stats.scheduler, `isl (${Math.ceil(k / 16)} pieces of at most 16 statements in sequence: fused)`);
});

test("the sequential schedule (a program past 3000 statements gets it): ~2× the isl calls for twice the chain, and the AST pass's calls a few an array access", () => {
  const seq = { ...OPTS, schedule: "sequential" as const };
  const [short, long] = [1000, 2000].map((n) => compileGraph(load(chain(n, true)).graph, seq));
  assert.equal(long!.stats.scheduler, "sequential");
  twiceTheWork(short!, long!);
  // Forward substitution repeats a read: a statement of this chain reads one array ~30 times.
  // A repeat costs one isl call (its text); an index built anew ~18 (which this bound fails).
  const accesses = (long!.poly.match(/\bv\d+\[/g) ?? []).length,
    k = long!.stats.statements,
    ast = long!.stats.passes.find((p) => p.name === "ast")!.islCalls;
  assert.ok(accesses > 20 * k, `${accesses} array accesses in ${k} statements`);
  assert.ok(ast <= 8 * accesses, `ast: ${ast} isl calls for ${accesses} array accesses`);
});

test("a 2000-statement chain compiled in pieces (isl's and the sequential schedule) equals the closed form", () => {
  const n = 2000,
    p = load(chain(n, true));
  checkValues(n, p.compile(OPTS).run({ A, W }));
  const seq = { ...OPTS, schedule: "sequential" as const };
  assert.equal(compileGraph(p.graph, seq).stats.scheduler, "sequential");
  checkValues(n, p.compile(seq).run({ A, W }));
});
