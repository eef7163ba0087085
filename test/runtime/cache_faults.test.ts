/**
 * Fault injection into the compile cache: every damaged, swapped or unwritable cache still gives
 * the right answer (with one warning) or a clean error, never wrong numbers, a crash or a trace.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = join(process.cwd(), "bin", "lift.js");
const dir = mkdtempSync(join(tmpdir(), "lift-cache-faults-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const P1 = file("p1.lift", "A :: (in 3)\nB :: (out 3)\nB := ((A * A) + 3)\n");
const P2 = file("p2.lift", "A :: (in 3)\nB :: (out 3)\nB := ((A + A) + 3)\n");
const IN = file("in.json", '{"A": [1, 2, 3]}');
const RIGHT = "B (3):  4  7 12\n";

function run(cache: string, prog = P1, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, "run", prog, "--inputs", IN, "--backend", "c"], {
    encoding: "utf8",
    env: { ...process.env, LIFT_CACHE: cache, ...env },
  });
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+|internal error/, "no stack trace, no internal error");
  return r;
}

// One pristine cache holding both programs; each case damages a copy of it.
const pristine = join(dir, "pristine");
assert.equal(run(pristine).stdout, RIGHT);
assert.equal(run(pristine, P2).stdout, "B (3): 5 7 9\n");
const libDirs = readdirSync(pristine).filter((d) => d !== "units");
const libOf = (cache: string, d: string) =>
  join(
    cache,
    d,
    readdirSync(join(cache, d)).find((f) => f.endsWith(".so"))!,
  );
// The slot of p1 is the directory whose C source adds 3 to a product.
const slot1 = libDirs.find((d) =>
  readFileSync(
    join(
      pristine,
      d,
      readdirSync(join(pristine, d)).find((f) => f.endsWith(".c"))!,
    ),
    "utf8",
  ).includes("*"),
)!;
const slot2 = libDirs.find((d) => d !== slot1)!;
let n = 0;
const copy = () => {
  const c = join(dir, `case${n++}`);
  cpSync(pristine, c, { recursive: true });
  return c;
};

function expectRebuilt(cache: string, warning: RegExp, what = "") {
  const r = run(cache);
  assert.equal(r.status, 0, `${what} ${r.stderr}`);
  assert.equal(r.stdout, RIGHT);
  assert.match(r.stderr, warning);
  assert.equal(r.stderr.trim().split("\n").length, 1, `one warning line: ${r.stderr}`);
  const again = run(cache);
  assert.equal(again.stdout, RIGHT);
  assert.equal(again.stderr, "", "the rebuilt entry is used silently");
}

test("another program's .so in the slot is detected, never run (`B := ((A * A) + 3)` is 4 7 12)", () => {
  const c = copy();
  cpSync(libOf(c, slot2), libOf(c, slot1));
  expectRebuilt(
    c,
    /^warning: the cached library .*\.so is not usable \(its content does not match its record\); rebuilding it$/m,
  );
  const d = copy();
  rmSync(join(d, slot1), { recursive: true });
  cpSync(join(d, slot2), join(d, slot1), { recursive: true }); // library and record together
  expectRebuilt(d, /is not usable \(it belongs to another program\); rebuilding it/);
});

test("a truncated, empty or garbage .so is rebuilt, never loaded", () => {
  const size = statSync(libOf(pristine, slot1)).size;
  for (const [what, bytes, why] of [
    ["truncated", readFileSync(libOf(pristine, slot1)).subarray(0, 3000), `it has 3000 bytes, its record says ${size}`],
    ["empty", Buffer.alloc(0), `it has 0 bytes, its record says ${size}`],
    ["garbage", Buffer.alloc(size, 0x5a), "its content does not match its record"],
  ] as const) {
    const c = copy();
    writeFileSync(libOf(c, slot1), bytes);
    expectRebuilt(c, new RegExp(`not usable \\(${why.replace(/[()]/g, "\\$&")}\\)`), what);
  }
  const c = copy();
  rmSync(
    join(
      c,
      slot1,
      readdirSync(join(c, slot1)).find((f) => f.endsWith(".json"))!,
    ),
  );
  expectRebuilt(c, /not usable \(its record is missing or unreadable\)/);
});

test("broken unit files ({}, null, garbage, a tampered body) are compiled again", () => {
  for (const [text, why] of [
    ["{}", "it has no record"],
    ["null", "it has no record"],
    ["\u0000\u0001garbage", "its record is not JSON"],
  ] as const) {
    const c = copy();
    for (const u of readdirSync(join(c, "units"))) writeFileSync(join(c, "units", u), text);
    expectRebuilt(
      c,
      new RegExp(
        `^warning: the cached unit .*units/[0-9a-f]+\\.json is not usable \\(${why}\\); compiling it again$`,
        "m",
      ),
    );
  }
  const c = copy();
  for (const u of readdirSync(join(c, "units"))) {
    const p = join(c, "units", u);
    writeFileSync(p, readFileSync(p, "utf8").replace('"name"', '"nome"'));
  }
  expectRebuilt(c, /its content does not match its record/);
});

test("a cache that cannot be written falls back to a private directory with one warning", () => {
  const plain = file("plain-file", "x");
  for (const cache of [plain, join(plain, "sub")]) {
    const r = run(cache);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, RIGHT);
    assert.match(
      r.stderr,
      /^warning: the compile cache .* cannot be written \(ENOTDIR\); using a private temporary directory for this run\n$/,
    );
  }
  // Missing parents are created.
  const deep = join(dir, "missing", "parent", "cache");
  assert.equal(run(deep).stdout, RIGHT);
  assert.ok(readdirSync(deep).includes("units"));
  // Read-only: a read-only mount where we are root (chmod does not bind root), else chmod.
  const ro = join(dir, "ro");
  cpSync(pristine, ro, { recursive: true });
  rmSync(join(ro, "units"), { recursive: true });
  const root = process.getuid?.() === 0;
  if (root) {
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "ro", "tmpfs", ro]);
    assert.equal(m.status, 0, `mount: ${m.stderr}`);
  } else chmodSync(ro, 0o555);
  try {
    const r = run(ro);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, RIGHT);
    assert.match(
      r.stderr,
      /^warning: the compile cache .*ro cannot be written \((EROFS|EACCES)\); using a private temporary directory for this run\n$/,
    );
  } finally {
    if (root) spawnSync("umount", [ro]);
    else chmodSync(ro, 0o755);
  }
});

test("the cache deleted during a compile recovers", () => {
  const c = join(dir, "deleted");
  const cc = file("cc-that-deletes", `#!/bin/sh\nrm -rf "${c}"\nexec cc "$@"\n`);
  chmodSync(cc, 0o755);
  const r = run(c, P1, { CC: cc });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, RIGHT);
  assert.equal(r.stderr, "");
});

test(
  "a full disk is a clear error",
  { skip: process.getuid?.() !== 0 ? "needs root to mount a small tmpfs" : false },
  () => {
    const full = join(dir, "full");
    mkdirSync(full);
    assert.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "size=12k", "tmpfs", full]).status, 0);
    try {
      const r = run(join(full, "c"));
      assert.equal(r.status, 1);
      assert.equal(r.stdout, "");
      assert.match(
        r.stderr,
        /^error: no space left on the device holding the compile cache \(.*full\/c\)\n  hint: free some space, or point LIFT_CACHE at a directory on another disk\n$/,
      );
    } finally {
      spawnSync("umount", [full]);
    }
  },
);

test("with -march=native the library key includes the CPU model and flags", async () => {
  const { cpuId, libraryKey, DEFAULT_CFLAGS } = await import("../../src/runtime/native.js");
  const cpuinfo = (() => {
    try {
      return readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return "";
    }
  })();
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1];
  if (model) assert.ok(cpuId().includes(model), "the model name is part of the CPU id");
  const key = (flags: string[], cpu: string) => libraryKey("cc 12", flags, "h", "c", () => cpu);
  assert.ok(DEFAULT_CFLAGS.includes("-march=native"));
  assert.notEqual(key(DEFAULT_CFLAGS, "x86_64\0Xeon\0avx2"), key(DEFAULT_CFLAGS, "x86_64\0Xeon\0avx2 avx512f"));
  assert.equal(
    key(["-O2"], "x86_64\0Xeon\0avx2"),
    key(["-O2"], "x86_64\0EPYC\0sse2"),
    "a portable build does not depend on the CPU",
  );
});
