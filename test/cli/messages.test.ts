/** Messages for bad input: each a proper error with its text and line:col, never the internal-error guard. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile, load, LiftError } from "../../src/api/index.js";

const BIN = join(process.cwd(), "bin", "lift.js");
const dir = mkdtempSync(join(tmpdir(), "lift-messages-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const lift = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, LIFT_CACHE: join(dir, "cache"), ...env },
  });

function loadError(src: string): LiftError {
  try {
    load({ name: "m.lift", text: src });
  } catch (e) {
    if (e instanceof LiftError) return e;
    throw e;
  }
  assert.fail("expected a LiftError");
}
const where = (e: LiftError) => `${e.location!.line}:${e.location!.col}`;

test("a UTF-8 byte-order mark is skipped: the program checks, and columns do not count it", () => {
  const p = file(
    "bom.lift",
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("A :: (in 3)\nB :: (out 3)\nB := (A * Q)\n")]),
  );
  const r = lift(["check", p]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.split("\n")[0], `${p}:3:11: error: unknown name \`Q\``);
  assert.equal(lift(["check", file("bom-ok.lift", "\ufeffA :: (in 3)\n")]).status, 0);
});

test("😀 is one character: named whole, columns in code points", () => {
  const e = loadError("A :: (in 3)\nB := (😀 + 😀 + A)\n");
  assert.equal(e.message, "unexpected character `😀`");
  assert.equal(where(e), "2:7");
  const f = loadError("C := 1 ; 😀😀\nA :: (in 3) 😀\n");
  assert.equal(where(f), "2:13");
  assert.equal(f.format().split("\n")[2], `  ${" ".repeat(12)}^`, "one caret under one character");
  const z = loadError("A :: (in 3)\nB := (A +\u200b A)\n");
  assert.equal(z.message, "unexpected character `U+200B`", "invisible characters are named by code point");
  assert.equal(where(z), "2:10");
});

test("`my_w` says names cannot contain `_`", () => {
  const e = loadError("A :: (in 3)\nmy_w :: (in 3)\n");
  assert.equal(e.message, "names cannot contain `_`: `my_w`");
  assert.equal(where(e), "2:3");
});

test("`(exp)` is a verb with no argument, not an unknown name", () => {
  const e = loadError("A :: (in 3)\nB :: (out 3)\nB := (exp)\n");
  assert.equal(e.message, "`exp` is a builtin verb, not an array: it needs an argument");
  assert.equal(e.hint, "apply it to an array: (exp A)");
  assert.equal(where(e), "3:7");
});

test("inputs nested 3,000 deep are a clean error, in `lift run` and in the REPL", () => {
  const src = file("deep.lift", "A :: (in 3)\nB :: (out 3)\nB := (A * A)\n");
  const deep = `{"A": ${"[".repeat(3000)}1${"]".repeat(3000)}}`;
  const r = lift(["run", src, "--inputs", file("deep.json", deep)]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "error: input `A` is nested more than 64 lists deep\n  hint: an array has at most 64 axes\n");
  const repl = spawnSync(process.execPath, [BIN, "repl"], {
    input: `:set A ${deep.slice(6, -1)}\n:set A [1,2]\nA\n`,
    encoding: "utf8",
  });
  assert.equal(repl.status, 0);
  assert.match(
    repl.stdout,
    /^error: input `A` is nested more than 64 lists deep\n  hint: an array has at most 64 axes\nA \(2\): 1 2\n\(2\): 1 2\n$/,
  );
});

test('`{"A": []}` for `(in N 2)` says what is wrong with the shape', () => {
  const src = file("n.lift", "A :: (in N 2)\nC :: (in N)\nB :: (out N 2)\nB := (A * A)\n");
  let r = lift(["run", src, "--inputs", file("e.json", '{"A": [], "C": [1]}')]);
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr.split("\n")[0],
    `${src}:1:1: error: input \`A\` is declared (N 2) but the value given has shape (0)`,
  );
  assert.equal(
    r.stderr.split("\n")[3],
    "  hint: the value has 1 axis, the declaration 2 axes (an empty list has no inner axes: give at least one element)",
  );
  r = lift(["run", src, "--inputs", file("c.json", '{"A": [[1, 2]], "C": [1, 2]}')]);
  assert.equal(
    r.stderr.split("\n")[0],
    `${src}:2:1: error: input \`C\` is declared (N) but the value given has shape (2)`,
  );
  assert.equal(r.stderr.split("\n")[3], "  hint: size N is 1 from input `A`");
  assert.doesNotMatch(r.stderr, /undefined/);
});

test("`lift emit c … -o FILE` is a clean error", () => {
  const src = file("p.lift", "A :: (in 3)\nB :: (out 3)\nB := (A * A)\n");
  const f = file("not-a-dir", "x");
  for (const o of [f, join(f, "sub")]) {
    const r = lift(["emit", "c", src, "-o", o]);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      `error: -o ${o}: is a file (or lies under one), not a directory\n  hint: give -o a directory to write NAME.h, NAME.c and main.c into\n`,
    );
  }
});

test("an output aliasing an input is refused (the C buffers are restrict)", () => {
  const m = compile("A :: (in 3)\nB :: (in 3)\nC :: (out 3)\nC := (A + B)\n", { openmp: false });
  const A = Float32Array.of(1, 2, 3),
    B = Float32Array.of(1, 1, 1);
  assert.throws(
    () => m.call({ A, B, C: A }),
    (e: LiftError) => e instanceof LiftError && e.message === "buffer `C` (an output) shares memory with `A`",
  );
  const shared = new Float32Array(6);
  assert.throws(
    () => m.call({ A: shared.subarray(0, 3), B, C: shared.subarray(2, 5) }),
    /`C` \(an output\) shares memory with `A`/,
  );
  const C = shared.subarray(3);
  m.call({ A: shared.subarray(0, 3).fill(2), B, C });
  assert.deepEqual([...C], [3, 3, 3], "disjoint views of one buffer are fine");
});

test("an unexpected exception is one `internal error` line and exit 70; the stack only with LIFT_DEBUG=1", () => {
  const cc = file(
    "broken-cc",
    '#!/bin/sh\nif [ "$1" = --version ]; then echo "broken-cc 1"; exit 0; fi\necho "x.c:1:1: error: this compiler is broken" >&2\nexit 1\n',
  );
  chmodSync(cc, 0o755);
  const src = file("q.lift", "A :: (in 3)\nB :: (out 3)\nB := (A * A)\n");
  const inputs = file("q.json", '{"A": [1, 2, 3]}');
  let r = lift(["run", src, "--inputs", inputs, "--backend", "c"], { CC: cc });
  assert.equal(r.status, 70);
  assert.equal(
    r.stderr,
    "internal error: the generated C did not compile: x.c:1:1: error: this compiler is broken\n" +
      "  this is a bug in LiFT: please report it with the command that caused it (LIFT_DEBUG=1 shows the details)\n",
  );
  r = lift(["run", src, "--inputs", inputs, "--backend", "c"], { CC: cc, LIFT_DEBUG: "1" });
  assert.equal(r.status, 70);
  assert.match(r.stderr, /^internal error: the generated C did not compile/);
  assert.match(r.stderr, /\n\s+at .*native\.js:\d+/, "the stack, when asked for");
});
