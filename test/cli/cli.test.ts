/** The `lift` command as a user runs it: reference vectors through `lift run --json`, errors, exit codes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACCEPT_VECTORS, runnableSource, vectorById } from "../vectors/reference.js";
import { assertClose, flatten, tolerance } from "../helpers.js";

const BIN = join(process.cwd(), "bin", "lift.js");
const dir = mkdtempSync(join(tmpdir(), "lift-cli-"));
const lift = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

for (const dtype of ["f64", "f32"] as const) {
  test(`every reference vector through \`lift run --json --dtype ${dtype}\``, () => {
    for (const v of ACCEPT_VECTORS) {
      const src = file(`${v.id}.lift`, runnableSource(v));
      const inputs = file(`${v.id}.json`, JSON.stringify(v.inputs));
      const r = lift("run", src, "--inputs", inputs, "--json", "--dtype", dtype);
      assert.equal(r.status, 0, `${v.id}: ${r.stderr}`);
      const lines = r.stdout.trim().split("\n");
      assert.equal(lines.length, 1, `${v.id}: --json prints exactly one line`);
      const out = JSON.parse(lines[0]!) as Record<string, { shape: number[]; data: number[] }>;
      for (const [name, want] of Object.entries(v.expected!)) {
        const w = flatten(want);
        assert.deepEqual(out[name]!.shape, w.shape, `${v.id} ${name} shape`);
        assertClose(out[name]!.data, w.data, tolerance(dtype, v.digits), `${v.id} ${name}`);
      }
    }
  });
}

test("readable output shows names, shapes and rows", () => {
  const v = vectorById("T14");
  const r = lift("run", file("t14.lift", v.source), "--inputs", file("t14.json", JSON.stringify(v.inputs)));
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "T (2 2 2):\n   1  2\n   6  8\n\n   3  6\n  12 16\nB (2 2):\n   7 10\n  15 22\n");
});

test("a user error prints file:line:col, the line, a caret, and exits 1", () => {
  const src = file("bad.lift", 'A :: (in 2 3)\nB :: (in 4 3)\nC := (A (+"1 2) B)\n');
  const r = lift("run", src);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  const lines = r.stderr.split("\n");
  assert.match(lines[0]!, /bad\.lift:3:6: error: frames disagree/);
  assert.equal(lines[1], '  C := (A (+"1 2) B)');
  assert.equal(lines[2], "       ^^^^^^^^^^^^^");
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, "no stack trace");
});

test("input errors: missing input, wrong shape, malformed JSON, unknown name", () => {
  const src = file("in.lift", "A :: (in 2)\nB :: (out 2)\nB := (A * A)\n");
  let r = lift("run", src);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /in\.lift:1:1: error: no value given for input `A` \(2\)/);
  r = lift("run", src, "--inputs", file("wrong.json", '{"A": [1, 2, 3]}'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /input `A` is declared \(2\) but the value given has shape \(3\)/);
  r = lift("run", src, "--inputs", file("bad.json", '{"A": [1,\n 2,, 3]}'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.json:2:4: error: malformed JSON/);
  r = lift("run", src, "--inputs", file("extra.json", '{"A": [1, 2], "Z": 1}'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /`Z`, which is not an input/);
  r = lift("run", src, "--inputs", file("ragged.json", '{"A": [[1], [2, 3]]}'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ragged/);
});

test("usage errors exit 2; --help exits 0 for every command", () => {
  assert.equal(lift("run").status, 2);
  assert.equal(lift("run", "--bogus", "x").status, 2);
  assert.equal(lift("frobnicate").status, 2);
  assert.equal(lift("run", "x.lift", "--dtype", "f16").status, 2);
  for (const cmd of ["run", "check", "grad", "repl"]) {
    const r = lift(cmd, "--help");
    assert.equal(r.status, 0, cmd);
    assert.match(r.stdout, new RegExp(`usage: lift ${cmd}`));
  }
  assert.equal(lift("--help").status, 0);
  const missing = lift("run", join(dir, "nope.lift"));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.lift: no such file/);
});

test("lift check prints levels; lift grad prints the backward nodes", () => {
  const src = file("mm.lift", vectorById("T1").source);
  const c = execFileSync(process.execPath, [BIN, "check", src], { encoding: "utf8" });
  assert.match(c, /%1 = \* %0 %0 : \(8 8 8\)  levels \(8\)\[1 0\] \(8 8\)\[1 2\]/);
  assert.match(c, /%2 = \(reduce 1 \+\) %1 : \(8 8\)  levels \(8\)\[1\] \(\)\[0\]  ; B/);
  const g = execFileSync(process.execPath, [BIN, "grad", file("t34.lift", vectorById("T34").source)], {
    encoding: "utf8",
  });
  assert.match(g, /^dA :: \(grad %\d+ %0\)/m);
  assert.match(g, /^dB :: \(grad %\d+ %1\)/m);
});

test("the repl evaluates, keeps going after errors, and answers :help", () => {
  const r = spawnSync(process.execPath, [BIN, "repl"], {
    encoding: "utf8",
    input:
      [
        ":set A [[1,2],[3,4]]",
        'dot"1 1 := ((reduce 1 +) (x * y))',
        '(A (dot"1 2) A)',
        "(A + B)",
        "((reduce 1 +)",
        " A)",
        ":help",
        "L := ((reduce 2 +) (A * A))",
        "G :: (grad L A)",
        ":quit",
      ].join("\n") + "\n",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /A \(2 2\):\n1 2\n3 4/);
  assert.match(r.stdout, /\(2 2\):\n 5 11\n11 25/);
  assert.match(r.stdout, /error: unknown name `B`/);
  assert.match(r.stdout, /\(2\): 4 6/);
  assert.match(r.stdout, /:set A \[\[1,2,3\],\[4,5,6\]\]   give it a value/);
  assert.match(r.stdout, /L \(\): 30/);
  assert.match(r.stdout, /G \(2 2\):\n2 4\n6 8/);
});

test("lift compile --stats lists the kept arrays, loop nests and pass times; no contraction keeps the n³ product", () => {
  const src = file("mm8.lift", vectorById("T1").source);
  const env = { ...process.env, LIFT_CACHE: mkdtempSync(join(tmpdir(), "lift-cache-")) };
  let r = spawnSync(process.execPath, [BIN, "compile", src, "--stats"], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^intermediate arrays kept after contraction: 0$/m);
  assert.match(r.stdout, /^loop nests: \d+$/m);
  for (const pass of ["lower", "contract", "dependences", "schedule", "ast", "print-c", "cc"])
    assert.match(r.stdout, new RegExp(`^  ${pass} +[0-9.]+`, "m"));
  r = spawnSync(process.execPath, [BIN, "compile", src, "--stats", "--no-contract"], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\(8 8 8\)  2048 bytes/);
  assert.match(r.stdout, /^scratch bytes: 2048$/m);
  // An array that grows with N: the formula, and the exact bytes at N=5 (15 elements, rounded up to 16).
  const dot = file("dotn.lift", 'X :: (in N 3)\nW :: (in 3)\nY :: (out N)\nY := (((reduce 1 +)"1) (X (*"1 1) W))\n');
  r = spawnSync(process.execPath, [BIN, "compile", dot, "--stats", "--no-contract", "--sizes", "N=5"], {
    encoding: "utf8",
    env,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^scratch bytes: 12·N \(\+ under 64 per array that grows, 1 of them: alignment\); at N=5: 64 bytes$/m,
  );
});

test("--backend c without a C compiler is a clear error, not a crash", () => {
  const v = vectorById("T6");
  const env = { ...process.env, CC: join(dir, "no-such-cc"), LIFT_CACHE: mkdtempSync(join(tmpdir(), "lift-cache-")) };
  const r = spawnSync(
    process.execPath,
    [BIN, "run", file("t6.lift", v.source), "--inputs", file("t6.json", JSON.stringify(v.inputs)), "--backend", "c"],
    { encoding: "utf8", env },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error: no C compiler/);
  assert.match(r.stderr, /hint: install one/);
});
