/**
 * Fuzzing `load` and `run` (deterministic: fixed seed). Half the sources come from a grammar of
 * well-formed-looking programs, half are mutants of the reference vectors. Properties:
 *
 * - `load` returns or throws a LiftError, never another exception, within 1 s;
 * - a LiftError from `load` has a location (file, line ≥ 1, col ≥ 1) inside the source, and
 *   `format()` starts with it;
 * - a program that loads runs on random inputs of the declared shapes (symbolic sizes = 2) and
 *   returns or throws a LiftError; outputs have the declared shapes and numeric values;
 * - for grammar programs, `load` accepts exactly the programs an independent shape model
 *   (test/lang/fuzz_gen.ts) accepts, with the output shapes the model predicts.
 *
 * The longer run is `node dist/scripts/fuzz.js --count 100000 --seed S`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, LiftError } from "../../src/api/index.js";
import { VECTORS } from "../vectors/reference.js";
import { Checker } from "../../src/core/checker.js";
import { parseText } from "../../src/lang/parser.js";
import { checkSource, explainFailure, Rng, runCase, type Case, type Outcome } from "./fuzz_gen.js";

const SEED = 20250611;
/** Sources per run (half grammar, half mutants); about 3 s on a 2-core machine. */
const COUNT = 8000;

interface Tally {
  sources: number;
  loaded: number;
  ran: number;
  runRejected: number;
  rejected: number;
  maxLoadMs: number;
  maxRunMs: number;
}

function fuzz(origin: Case["origin"]): { tally: Tally; failures: { c: Case; o: Outcome }[]; ms: number } {
  const tally: Tally = { sources: 0, loaded: 0, ran: 0, runRejected: 0, rejected: 0, maxLoadMs: 0, maxRunMs: 0 };
  const failures: { c: Case; o: Outcome }[] = [];
  const t0 = performance.now();
  for (let i = origin === "grammar" ? 0 : 1; i < COUNT; i += 2) {
    const { c, o } = runCase(SEED, i);
    tally.sources++;
    if (o.loaded) tally.loaded++;
    else tally.rejected++;
    if (o.ran) tally.ran++;
    if (o.runRejected) tally.runRejected++;
    tally.maxLoadMs = Math.max(tally.maxLoadMs, o.loadMs);
    tally.maxRunMs = Math.max(tally.maxRunMs, o.runMs);
    if (o.failure) failures.push({ c, o });
  }
  return { tally, failures, ms: performance.now() - t0 };
}

function report(failures: { c: Case; o: Outcome }[]): string {
  const kinds = new Map<string, number>();
  for (const f of failures) kinds.set(f.o.failure!.kind, (kinds.get(f.o.failure!.kind) ?? 0) + 1);
  const head = `${failures.length} failing sources (${[...kinds].map(([k, n]) => `${k}: ${n}`).join(", ")})`;
  // shrink one example of each kind, with a small budget so a failing run still ends quickly
  const shown = [...kinds.keys()].map((k) => failures.find((f) => f.o.failure!.kind === k)!);
  return [head, ...shown.map((f) => explainFailure(SEED, f.c, f.o, 400, 5000))].join("\n\n");
}

test(`fuzz: ${COUNT / 2} programs from the grammar load, run, and agree with the shape model`, (t) => {
  const { tally, failures, ms } = fuzz("grammar");
  t.diagnostic(`${JSON.stringify(tally)} in ${ms.toFixed(0)} ms`);
  assert.equal(failures.length, 0, failures.length ? report(failures) : "");
  assert.equal(tally.sources, COUNT / 2);
  // the generator must stay useful: most programs valid and run, some rejected on purpose
  assert.ok(tally.ran >= 0.7 * tally.sources, `only ${tally.ran} of ${tally.sources} grammar programs ran`);
  assert.ok(tally.rejected >= 0.03 * tally.sources, `only ${tally.rejected} grammar programs were rejected`);
});

test(`fuzz: ${COUNT / 2} mutants of the reference vectors load or fail with a located LiftError`, (t) => {
  const { tally, failures, ms } = fuzz("mutant");
  t.diagnostic(`${JSON.stringify(tally)} in ${ms.toFixed(0)} ms`);
  assert.equal(failures.length, 0, failures.length ? report(failures) : "");
  assert.ok(tally.rejected >= 0.5 * tally.sources, `only ${tally.rejected} mutants were rejected`);
  assert.ok(tally.ran >= 0.03 * tally.sources, `only ${tally.ran} mutants ran`);
});

test("fuzz: the unmodified reference vectors satisfy the same properties", () => {
  for (const v of VECTORS) {
    const o = checkSource(`${v.id}.lift`, v.source, new Rng(1));
    assert.equal(o.failure, undefined, `${v.id}: ${o.failure?.message}`);
    assert.equal(o.loaded, v.reject === undefined || v.id === "T51c" || v.id === "T52e", `${v.id} loaded: ${o.loaded}`);
  }
});

test("fuzz: the checker is deterministic (same seed, same sources and outcomes)", () => {
  for (let i = 0; i < 40; i++) {
    const a = runCase(SEED, i),
      b = runCase(SEED, i);
    assert.equal(a.c.source, b.c.source);
    assert.equal(a.o.loaded, b.o.loaded);
    assert.equal(a.o.ran, b.o.ran);
  }
});

// ---- edge cases the random sources rarely reach -------------------------------------------

/** load must return or throw a LiftError located inside the text. */
function loadsOrLocated(text: string): void {
  const o = checkSource("edge.lift", text, new Rng(2));
  assert.equal(o.failure, undefined, o.failure && `${o.failure.kind}: ${o.failure.message}`);
}

test("fuzz edge cases: empty, blank and comment-only sources, errors at the very end, CRLF", () => {
  for (const text of [
    "",
    " ",
    "\n",
    "\n\n\n",
    "; only a comment",
    "; c\n; d\n",
    "A",
    "A ::",
    "A :: (in",
    "A :: (in 2)\nB := (A +",
    "A :: (in 2)\r\nB := (A + C)\r\n",
    "A :: (in 2)\nB :: (out 2)\n",
    "\t\t)",
    '"',
    "_",
    "_x",
    ":",
    "A :: (in 2)\nB := (A + A) ;",
    "\u0000",
    "\ud83d",
    "A :: (in 2)\nB := (A \u00a0+ A)",
    "A :: (in 2)\u2028B := (A + A)",
    "A :: (in 99999999999999999999999)\nB := (A + 1)",
    "A :: (in 2)\nB := (A + 1e999)\nB :: (out 2)",
    'A :: (in 2)\nB := ((exp"99999999999999999999) A)',
  ])
    loadsOrLocated(text);
});

test("fuzz edge cases: moderately deep nesting is fine", () => {
  for (const depth of [50, 500, 2000]) {
    loadsOrLocated(`A :: (in 2)\nB := ${"(".repeat(depth)}A${")".repeat(depth)}\nB :: (out 2)\n`);
    loadsOrLocated(`A :: (in 2)\nB := ${"(exp ".repeat(depth)}A${")".repeat(depth)}\nB :: (out 2)\n`);
    loadsOrLocated(`A :: (in 2)\nB := (${"(".repeat(depth)}exp${'"0)'.repeat(depth)} A)\nB :: (out 2)\n`);
    loadsOrLocated(`A :: (in 2)\nB := ${"(".repeat(depth)}A\n`);
  }
});

// ---- bugs the fuzzer found, fixed: nesting limit, size limit, memoised verb expansion ----

test("very deep nesting is a located LiftError, not a stack overflow", () => {
  loadsOrLocated(`A :: (in 2)\nB := ${"(".repeat(20000)}A${")".repeat(20000)}\n`);
  loadsOrLocated(`A :: (in 2)\nB := (${"(".repeat(5000)}exp${'"0)'.repeat(5000)} A)\n`);
});

test("arrays too large to allocate are LiftErrors at check time, and at run time for symbolic sizes", () => {
  assert.throws(
    () => load("A :: (in 2)\nB :: (out 99999999999 2)\nB := ((duplicate 99999999999) A)\n"),
    (e: unknown) =>
      e instanceof LiftError &&
      e.message === "this array would have more than 2147483647 elements" &&
      e.location?.line === 2 &&
      e.location.col === 6,
  );
  const p = load("A :: (in N)\nB := ((duplicate 40000 40000) A)\nB :: (out 40000 40000 N)\n");
  assert.throws(
    () => p.run({ A: [1, 2] }, { dtype: "f64" }),
    (e: unknown) =>
      e instanceof LiftError &&
      e.message ===
        "an array of shape (40000 40000 2) would have 3200000000 elements; at most 2147483647 are supported" &&
      e.location?.line === 2 &&
      e.location.col === 6,
  );
});

test("user verbs are expanded once per argument, so nested verbs check in linear time", () => {
  let s = 'A :: (in 2)\nf0"0 := (y + 1)\n';
  for (let i = 1; i <= 16; i++) s += `f${i}"0 := ((f${i - 1} y) * (f${i - 1} y))\n`;
  s += "B := (f16 A)\nB :: (out 2)\n";
  // Each f_i is used twice with the same argument: one check of each body, not 2^17 − 1.
  const c = new Checker();
  for (const st of parseText(s).stmts) c.statement(st);
  c.finish();
  assert.equal(c.bodiesChecked, 17);
  load(s);
});
