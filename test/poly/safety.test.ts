/** Model text never reaches generated code or a command line unescaped. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { cIdent, cIdents, commentText, RESERVED_CLASSES } from "../../src/codegen/names.js";

process.env.LIFT_CACHE = mkdtempSync(join(tmpdir(), "lift-cache-"));

// Names the lexer allows that are hostile to C: comment delimiters, keywords, operators.
const HOSTILE = [
  "*/",
  "/*",
  "int",
  "main",
  "a.b",
  "x-1",
  "%<>",
  "free",
  "s0",
  "n8",
  "v0",
  "args",
  "scratch",
  "c0",
  "*/system",
];

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
  assert.equal(cIdent("K1.next"), "K1_next");
  assert.equal(cIdent("x-1"), "x_2d1");
  assert.equal(cIdent("INFINITY"), "INFINITY_");
  assert.equal(cIdent("a.t"), "a_t_", "a _t suffix is POSIX's");
  const ids = cIdents(["int", "int.", "a.b", "a.b"]);
  assert.deepEqual([...ids.values()], ["int_", "int__2", "a_b"]);
  assert.equal(commentText("ok */ then /* x"), "ok ?? then ?? x");
});

// Every reserved class, and names that only a pattern reserves: each is an input of one program,
// which must build as C99 and GNU C (where `linux` and `unix` are macros), through its header in
// C++, and compute the right sum.
const PATTERNED = [
  "EDOM",
  "E2BIG",
  "isnan",
  "toupper",
  "strlen",
  "memcpy",
  "INT8C",
  "UINT64C",
  "size.t",
  "lift",
  "LIFTx",
  "a.b.c",
];

test("names C reserves, class by class, build and run from C, GNU C and C++", () => {
  const names = [...new Set([...Object.values(RESERVED_CLASSES).flat(), ...PATTERNED])].filter(
    (n) => /^[A-Za-z][A-Za-z0-9.]*$/.test(n) && n !== "exp" && n !== "log",
  ); // the two builtins cannot be redefined
  for (const cls of Object.keys(RESERVED_CLASSES))
    assert.ok(
      RESERVED_CLASSES[cls]!.some((n) => names.includes(n)),
      cls,
    );
  const src = [
    ...names.map((n) => `${n} :: (in 2)`),
    "R :: (out 2)",
    `R := ${names.reduce((acc, n) => `(${acc} + ${n})`, "0")}`,
    "",
  ].join("\n");
  const dir = mkdtempSync(join(tmpdir(), "lift-reserved-"));
  writeFileSync(join(dir, "m.lift"), src);
  const r = spawnSync(
    process.execPath,
    [
      join(process.cwd(), "bin", "lift.js"),
      "emit",
      "c",
      join(dir, "m.lift"),
      "-o",
      join(dir, "o"),
      "--name",
      "reserved",
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  for (const std of ["-std=c99", "-std=gnu99"]) {
    const b = spawnSync(
      "cc",
      [
        std,
        "-Wall",
        "-Wextra",
        "-pedantic",
        "-Werror",
        "-o",
        join(dir, "prog"),
        join(dir, "o", "main.c"),
        join(dir, "o", "reserved.c"),
        "-lm",
      ],
      { encoding: "utf8" },
    );
    assert.equal(b.status, 0, `${std}: ${b.stderr}`);
  }
  writeFileSync(
    join(dir, "use.cc"),
    `#include "reserved.h"\nint main() { reserved_args a = reserved_args(); return (int)reserved_scratch_bytes() + (a.R ? 1 : 0); }\n`,
  );
  const cxx = spawnSync(
    "g++",
    [
      "-std=c++11",
      "-Wall",
      "-Wextra",
      "-pedantic",
      "-Werror",
      "-I",
      join(dir, "o"),
      "-c",
      "-o",
      join(dir, "use.o"),
      join(dir, "use.cc"),
    ],
    { encoding: "utf8" },
  );
  assert.equal(cxx.status, 0, cxx.stderr);
  mkdirSync(join(dir, "in"));
  mkdirSync(join(dir, "res"));
  names.forEach((n, i) =>
    writeFileSync(join(dir, "in", `${cIdent(n)}.bin`), Buffer.from(Float32Array.of(i, 2 * i).buffer)),
  );
  const run = spawnSync(join(dir, "prog"), [join(dir, "in"), join(dir, "res")], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const b = readFileSync(join(dir, "res", "R.bin"));
  const out = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const sum = names.reduce((s, _, i) => s + i, 0);
  assert.deepEqual(Array.from(out), [sum, 2 * sum]);
});

test("--name is checked: it reaches file names and the compiler command line", () => {
  const dir = mkdtempSync(join(tmpdir(), "lift-name-"));
  writeFileSync(join(dir, "m.lift"), "A :: (in 2)\nB :: (out 2)\nB := (A + A)\n");
  for (const bad of ["x; rm -rf /", "../evil", "-o/tmp/x", "a b", "", "int", "INFINITY"]) {
    const r = spawnSync(
      process.execPath,
      [join(process.cwd(), "bin", "lift.js"), "emit", "c", join(dir, "m.lift"), "-o", join(dir, "o"), `--name=${bad}`],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 2, `${JSON.stringify(bad)}: ${r.stderr}`);
    assert.match(r.stderr, /--name must be a C identifier/);
  }
  assert.throws(() => load("A :: (in 2)\nB := (A + A)\n").compile({ name: "x; rm" }), /C identifier|not a C/);
});
