/** `lift repl` driven through its stdin: Ctrl-C (SIGINT), (use NAME), summaries, an unbalanced last entry. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";

const BIN = join(process.cwd(), "bin", "lift.js");
const repl = (lines: string[]) =>
  spawnSync(process.execPath, [BIN, "repl"], { input: lines.join("\n") + "\n", encoding: "utf8" });

/** A REPL child: `until(re)` waits for its output to match. */
function child() {
  const p = spawn(process.execPath, [BIN, "repl"], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (d) => {
    out += d;
  });
  const until = (re: RegExp, ms = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const tick = () =>
        re.test(out)
          ? resolve()
          : Date.now() - t0 > ms
            ? reject(new Error(`timed out waiting for ${re}; output:\n${out}`))
            : setTimeout(tick, 20);
      tick();
    });
  const exit = new Promise<number | null>((resolve) => p.on("exit", (code) => resolve(code)));
  return { p, until, exit, out: () => out };
}

test("Ctrl-C ends a long evaluation and the session survives; it also cancels a half-typed entry", async (t) => {
  const c = child();
  t.after(() => c.p.kill("SIGKILL"));
  const n = 800; // an 800³ product: seconds in the interpreter
  c.p.stdin.write(":set S [1,2]\nT := (S + 1)\n");
  c.p.stdin.write(
    `:set A {"shape":[${n},${n}],"data":[${Array(n * n)
      .fill(1)
      .join(",")}]}\n`,
  );
  await c.until(/A \(800 800\):/);
  const t0 = Date.now();
  c.p.stdin.write('(((reduce 1 +)"2) (A (*"1 2) A))\n');
  await new Promise((r) => setTimeout(r, 500));
  c.p.kill("SIGINT");
  await c.until(/interrupted\n/);
  const ms = Date.now() - t0;
  c.p.stdin.write("(T * 2)\n");
  await c.until(/\(2\): 4 6\n/);
  c.p.stdin.write("(S +\n");
  await new Promise((r) => setTimeout(r, 300));
  c.p.kill("SIGINT");
  await c.until(/\(cancelled\)\n/);
  c.p.stdin.write("((reduce 1 +) A)\n");
  await c.until(/\(800\): (800 ){799}800\n/);
  c.p.stdin.end(); // Ctrl-D
  assert.equal(await c.exit, 0);
  assert.ok(ms < 5000, `interrupted after ${ms} ms`);
  assert.doesNotMatch(c.out(), /error/);
});

test("(use NAME) is idempotent, and a clash leaves the session unchanged", () => {
  let r = repl(["(use nn)", "(use nn)", ":set A [-1,2]", "(relu A)"]);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "A (2): -1  2\n(2): 0 2\n");
  r = repl(["softmax := 5", "(use nn)", ":names", "(use nn)"]);
  assert.match(
    r.stdout,
    /^softmax \(\): 5\n<repl:2>:1:1: error: the library defines `\w+`, which this session already defines\n  \(use nn\)\n  \^{8}\n  hint: nothing was loaded: rename yours, or load the library first\n/,
  );
  assert.match(r.stdout, /\(nothing defined\)|^softmax \(\)$/m);
  assert.doesNotMatch(r.stdout.split(":names")[0] ?? "", /relu/);
  const names = r.stdout.split("\n").filter((l) => /^\w+ \(/.test(l));
  assert.deepEqual(
    names.filter((l) => !l.startsWith("softmax")),
    [],
    "nothing of the library was defined",
  );
});

test("large values are summarised like numpy unless :full", () => {
  const rows = Array.from({ length: 30 }, (_, i) => Array.from({ length: 50 }, (_, j) => i * 50 + j));
  const r = repl([`:set Z ${JSON.stringify(rows)}`, ":full", ":full on", "(Z + 0)"]);
  assert.equal(r.status, 0);
  const [summary, full] = [r.stdout.split("Z (30 50):\n")[1]!.split("\n").slice(0, 7), r.stdout.split("(30 50):\n")];
  assert.deepEqual(summary, [
    "   0    1    2 ...   47   48   49",
    "  50   51   52 ...   97   98   99",
    " 100  101  102 ...  147  148  149",
    "...",
    "1350 1351 1352 ... 1397 1398 1399",
    "1400 1401 1402 ... 1447 1448 1449",
    "1450 1451 1452 ... 1497 1498 1499",
  ]);
  assert.equal(full.length, 4, "the summary, then :full and :full on print in full");
  for (const f of full.slice(2)) assert.equal(f.split("\n").filter((l) => /^ *\d/.test(l)).length, 30);
});

test("a piped script whose last entry is unbalanced is an error, located at the open parenthesis", () => {
  const r = repl([":set A [1,2]", "(A +", "  ((reduce 1 +) A)"]);
  assert.equal(r.status, 1);
  assert.equal(
    r.stdout,
    "A (2): 1 2\n<repl:2>:1:1: error: the input ends inside this `(`: 1 `)` missing\n  (A +\n  ^\n",
  );
});
