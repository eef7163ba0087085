/** Model text never reaches generated code or a command line unescaped. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { compileGraph } from "../../src/poly/compile.js";
import { cIdent, cIdents, commentText } from "../../src/codegen/names.js";

process.env.LIFT_CACHE = mkdtempSync(join(tmpdir(), "lift-cache-"));

// Names the lexer allows that are hostile to C: comment delimiters, keywords, operators.
const HOSTILE = ["*/", "/*", "int", "main", "a.b", "x-1", "%<>", "free", "s0", "n8", "v0", "args", "scratch", "c0", "*/system"];

test("hostile names compile to valid, correct C and never appear raw in the code", () => {
  const lines = HOSTILE.map((n, i) => `${n} :: (in 2)`);
  lines.push(`R :: (out 2)`, `R := ${HOSTILE.reduce((acc, n) => `(${acc} + ${n})`, "0")}`);
  const src = lines.join("\n") + "\n";
  const p = load(src);
  const { unit } = compileGraph(p.graph, { dtype: "f64", name: "hostile" });
  const code = unit.source + unit.header;
  assert.doesNotMatch(code.replace(/\/\*[^]*?\*\//g, ""), /\*\/system|%<>/, "raw names outside comments");
  for (const m of code.matchAll(/\/\*([^]*?)\*\//g)) assert.doesNotMatch(m[1]!, /\/\*/, "a comment opens another");
  const inputs = Object.fromEntries(HOSTILE.map((n, i) => [n, [i, 10 * i]]));
  const out = p.compile({ dtype: "f64", name: "hostile" }).run(inputs);
  const sum = HOSTILE.reduce((s, _, i) => s + i, 0);
  assert.deepEqual(Array.from(out.R!.data), [sum, 10 * sum]);
});

test("identifiers are rebuilt from a safe alphabet and stay distinct", () => {
  for (const n of HOSTILE) assert.match(cIdent(n), /^[A-Za-z][A-Za-z0-9_]*$/);
  const ids = cIdents(["a.b", "a_2eb", "a.b"]);
  assert.equal(new Set(ids.values()).size, 2 + 0 /* same name twice maps once */);
  assert.equal(commentText("ok */ then /* x"), "ok ?? then ?? x");
});

test("--name is checked: it reaches file names and the compiler command line", () => {
  const dir = mkdtempSync(join(tmpdir(), "lift-name-"));
  writeFileSync(join(dir, "m.lift"), "A :: (in 2)\nB :: (out 2)\nB := (A + A)\n");
  for (const bad of ["x; rm -rf /", "../evil", "-o/tmp/x", "a b", ""]) {
    const r = spawnSync(process.execPath, [join(process.cwd(), "bin", "lift.js"), "emit", "c", join(dir, "m.lift"), "-o", join(dir, "o"), `--name=${bad}`], { encoding: "utf8" });
    assert.equal(r.status, 2, `${JSON.stringify(bad)}: ${r.stderr}`);
    assert.match(r.stderr, /--name must be a C identifier/);
  }
  assert.throws(() => load("A :: (in 2)\nB := (A + A)\n").compile({ name: "x; rm" }), /C identifier|not a C/);
});
