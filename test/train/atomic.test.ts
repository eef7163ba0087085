import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanStaleTemps, writeFileAtomic } from "../../src/train/atomic.js";
import { readSafetensors } from "../../src/train/safetensors.js";

const root = mkdtempSync(join(tmpdir(), "lift-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A pid that cannot belong to a running process (above Linux's pid_max). */
const DEAD_PID = 999_999_999;

const tempsOf = async (dir: string, base: string) => (await readdir(dir)).filter((n) => n.startsWith(`.${base}.tmp-`));

test("atomic write creates and replaces a file, leaving no temp files", async () => {
  const dir = join(root, "basic");
  mkdirSync(dir);
  const path = join(dir, "out.bin");
  await writeFileAtomic(path, "first");
  assert.equal(await readFile(path, "utf8"), "first");
  await writeFileAtomic(path, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...(await readFile(path))], [1, 2, 3]);
  assert.deepEqual(await readdir(dir), ["out.bin"]);
});

test("atomic write removes its temp file when it fails", async () => {
  const dir = join(root, "fail");
  mkdirSync(dir);
  // Renaming a file over a non-empty directory fails after the temp was written.
  mkdirSync(join(dir, "target"));
  await writeFile(join(dir, "target", "keep"), "x");
  await assert.rejects(writeFileAtomic(join(dir, "target"), "data"));
  assert.deepEqual(await readdir(dir), ["target"]);
  await assert.rejects(writeFileAtomic(join(dir, "no-such-dir", "f"), "data"), { code: "ENOENT" });
});

test("stale temp files of dead writers are cleaned, live writers' temps are kept", async () => {
  const dir = join(root, "clean");
  mkdirSync(dir);
  const dead = `.ckpt.tmp-${DEAD_PID}-0123456789ab`;
  const live = `.ckpt.tmp-${process.ppid}-0123456789ab`;
  const unrelated = [".other.tmp-1-0123456789ab", ".ckpt.tmp-notapid", "ckpt"];
  for (const name of [dead, live, ...unrelated]) await writeFile(join(dir, name), "partial");
  assert.deepEqual(await cleanStaleTemps(dir, "ckpt"), [dead]);
  assert.deepEqual((await readdir(dir)).sort(), [live, ...unrelated].sort());
  // A later write cleans up after dead writers on its own.
  await writeFile(join(dir, dead), "partial");
  await writeFileAtomic(join(dir, "ckpt"), "whole");
  assert.deepEqual((await readdir(dir)).sort(), [live, ...unrelated].sort());
});

// Writes an 8 MB checkpoint over and over; every element of a version holds
// its iteration number, so a file mixing two versions would be caught too.
const CHILD = `
const { writeSafetensors } = await import(process.env.LIFT_ST_MODULE);
const n = 2_000_000;
const data = new Float32Array(n);
process.stdout.write("ready\\n");
for (let i = 1; ; i++) {
  data.fill(i);
  await writeSafetensors(process.env.LIFT_TARGET, { w: { dtype: "F32", shape: [n], data } }, { iteration: String(i) });
}
`;

async function runAndKill(target: string, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
    env: {
      ...process.env,
      LIFT_ST_MODULE: new URL("../../src/train/safetensors.js", import.meta.url).href,
      LIFT_TARGET: target,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  await once(child.stdout, "data");
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill("SIGKILL");
  const [code, signal] = await exited;
  assert.equal(signal, "SIGKILL", `writer exited by itself (code ${code}) instead of being killed`);
}

test("a writer killed at random moments never leaves a partial file", async (t) => {
  const dir = join(root, "kill");
  mkdirSync(dir);
  const target = join(dir, "ckpt.safetensors");
  let complete = 0;
  let strays = 0;
  for (let round = 0; round < 30; round++) {
    await runAndKill(target, Math.random() * 150);
    const exists = (await readdir(dir)).includes("ckpt.safetensors");
    if (exists) {
      const { tensors, metadata } = await readSafetensors(target);
      const iteration = Number(metadata.iteration);
      const w = tensors.w!;
      assert.deepEqual(w.shape, [2_000_000]);
      assert.ok(
        (w.data as Float32Array).every((x) => x === iteration),
        `round ${round}: data does not all belong to iteration ${iteration}`,
      );
      complete++;
    }
    if ((await tempsOf(dir, "ckpt.safetensors")).length > 0) strays++;
  }
  // The target must have existed after most kills, else the test checked nothing.
  assert.ok(complete >= 15, `only ${complete} of 30 kills came after a completed write`);
  await cleanStaleTemps(dir, "ckpt.safetensors");
  assert.deepEqual(await readdir(dir), ["ckpt.safetensors"]);
  t.diagnostic(`kills: 30, target present: ${complete}, temp left behind: ${strays}`);
});
