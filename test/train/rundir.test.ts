/**
 * Run directories without training: the lock (live, stale, reused pid, another host, taken over),
 * the refusal of another run and --overwrite, and history.jsonl (torn last line, malformed lines).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { LiftError } from "../../src/lang/diagnostics.js";
import { LOCK_FILE, RunLock } from "../../src/train/lock.js";
import { HISTORY_FILE, readHistory, RunDir } from "../../src/train/rundir.js";

const root = mkdtempSync(join(tmpdir(), "lift-rundir-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};
const record = (epoch: number) => ({
  epoch,
  step: 4 * epoch,
  train_loss: 2 - epoch / 10,
  train_accuracy: 0.5,
  test_loss: 2,
  test_accuracy: 0.25,
  curve: [2.1, 2],
  window: 1,
});
const writeLock = (dir: string, fields: Record<string, unknown>) =>
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({
      pid: process.pid,
      host: hostname(),
      started: "2026-01-01T00:00:00.000Z",
      proc_start: null,
      nonce: "00",
      ...fields,
    }),
  );

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

test("a live lock refuses a second run, naming its pid; release frees the directory", () => {
  const dir = fresh();
  const lock = RunLock.acquire(dir, () => assert.fail("no note for a free directory"));
  assert.throws(
    () => RunLock.acquire(dir, () => {}),
    (e: LiftError) => {
      assert.match(
        e.message,
        new RegExp(`^${dir} is in use by another \`lift train\` \\(pid ${process.pid}, started \\d{4}-\\d\\d-\\d\\dT`),
      );
      assert.match(e.message, /two runs cannot share a directory/);
      assert.match(e.hint ?? "", new RegExp(`kill -INT ${process.pid} stops it with a checkpoint`));
      return true;
    },
  );
  lock.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
  RunLock.acquire(dir, () => {}).release();
  assert.deepEqual(readdirSync(dir), [], "no temp file left");
});

test("a stale lock (dead pid, or a reused pid started later) is explained and taken over", () => {
  const dir = fresh();
  const pid = deadPid();
  writeLock(dir, { pid });
  const notes: string[] = [];
  const lock = RunLock.acquire(dir, (l) => notes.push(l));
  assert.deepEqual(notes, [
    `note: ${join(dir, LOCK_FILE)} was left by a run that no longer exists (pid ${pid}, started 2026-01-01T00:00:00.000Z: killed or crashed); taking it over`,
  ]);
  lock.assertOwned();
  lock.release();
  // This process's pid, but a different kernel start time: the pid was reused, the owner is gone.
  writeLock(dir, { proc_start: "1" });
  const again: string[] = [];
  RunLock.acquire(dir, (l) => again.push(l)).release();
  assert.match(again[0]!, /was left by a run that no longer exists/);
  // An unreadable lock is replaced, with a note.
  writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
  const third: string[] = [];
  RunLock.acquire(dir, (l) => third.push(l)).release();
  assert.deepEqual(third, [`note: ${join(dir, LOCK_FILE)} is unreadable (damaged); replacing it`]);
});

test("a lock from another host is not guessed about; a lock taken over stops its first owner", () => {
  const dir = fresh();
  writeLock(dir, { host: "elsewhere", pid: 4242 });
  assert.throws(
    () => RunLock.acquire(dir, () => {}),
    (e: LiftError) =>
      e.message.includes("(pid 4242 on elsewhere, started 2026-01-01T00:00:00.000Z)") &&
      (e.hint ?? "").includes(`delete ${join(dir, LOCK_FILE)} if no run is active on elsewhere`),
  );
  rmSync(join(dir, LOCK_FILE));
  const lock = RunLock.acquire(dir, () => {});
  writeLock(dir, { pid: 777, nonce: "ff" });
  assert.throws(
    () => lock.assertOwned(),
    new RegExp(`${LOCK_FILE} no longer belongs to this run \\(it now belongs to pid 777\\)`),
  );
  lock.release();
  assert.ok(existsSync(join(dir, LOCK_FILE)), "release leaves another owner's lock alone");
});

test("another run in --out is refused; --overwrite deletes only its files; the resumed run's own directory is fine", () => {
  const dir = fresh();
  for (const f of [
    "epoch-1.safetensors",
    "epoch-2.safetensors",
    "last.safetensors",
    HISTORY_FILE,
    "report.html",
    ".epoch-3.safetensors.tmp-1-abcdef012345",
    "notes.txt",
  ])
    writeFileSync(join(dir, f), "x");
  assert.throws(
    () => RunDir.open(dir, { note: () => {} }),
    (e: LiftError) => {
      assert.equal(e.message, `${dir} already holds another run (last.safetensors, 2 epoch checkpoints)`);
      assert.equal(
        e.hint,
        `continue it with --resume ${join(dir, "last.safetensors")}, start over with --overwrite (deletes its checkpoints, history and report), or choose another --out`,
      );
      return true;
    },
  );
  assert.ok(!existsSync(join(dir, LOCK_FILE)), "a refused run leaves no lock");
  RunDir.open(dir, { resume: join(dir, "epoch-1.safetensors"), note: () => {} }).lock.release();
  assert.throws(
    () => RunDir.open(dir, { resume: join(dir, "epoch-1.safetensors"), overwrite: true, note: () => {} }),
    /--overwrite would delete the run that --resume .*epoch-1\.safetensors continues/,
  );
  const notes: string[] = [];
  const rd = RunDir.open(dir, { overwrite: true, note: (l) => notes.push(l) });
  assert.deepEqual(readdirSync(dir).sort(), ["notes.txt", LOCK_FILE]);
  assert.deepEqual(notes, [
    `note: --overwrite: deleted the previous run in ${dir} (last.safetensors, 2 epoch checkpoints)`,
  ]);
  rd.lock.release();
  // A file where the directory should be.
  const file = join(root, "a-file");
  writeFileSync(file, "");
  assert.throws(
    () => RunDir.open(join(file, "sub"), { note: () => {} }),
    /cannot create the output directory .*a-file\/sub: ENOTDIR/,
  );
});

test("history.jsonl: appended per epoch, a torn last line ignored, a malformed line named", async () => {
  const dir = fresh();
  const rd = RunDir.open(dir, { note: () => {} });
  await rd.startHistory([record(1)]);
  await rd.appendHistory(record(2));
  await rd.appendHistory(record(3));
  rd.lock.release();
  const path = join(dir, HISTORY_FILE);
  assert.deepEqual(
    readHistory(dir, 9, () => assert.fail("no note")),
    [record(1), record(2), record(3)],
  );
  assert.deepEqual(
    readHistory(dir, 2, () => {}),
    [record(1), record(2)],
    "only the checkpoint's epochs",
  );
  // A kill during an append leaves part of a line.
  writeFileSync(path, readFileSync(path, "utf8") + JSON.stringify(record(4)).slice(0, 30));
  const notes: string[] = [];
  assert.deepEqual(
    readHistory(dir, 9, (l) => notes.push(l)),
    [record(1), record(2), record(3)],
  );
  assert.deepEqual(notes, [
    `note: ${path}: the last line is incomplete (the run was killed while writing it); ignoring it`,
  ]);
  // A complete line that is not a record is an error naming its line.
  const lines = readFileSync(path, "utf8").split("\n");
  writeFileSync(path, [lines[0], JSON.stringify({ ...record(2), test_accuracy: 7 }), lines[2], ""].join("\n"));
  assert.throws(
    () => readHistory(dir, 9, () => {}),
    (e: LiftError) =>
      e.message === `${path}:2: malformed epoch record (\`test_accuracy\` is not a fraction in [0, 1])` &&
      /delete the file to resume without it/.test(e.hint ?? ""),
  );
  writeFileSync(path, "[1,2]\n");
  assert.throws(
    () => readHistory(dir, 9, () => {}),
    new RegExp(`${HISTORY_FILE}:1: malformed epoch record \\(not an object\\)`),
  );
  assert.equal(
    readHistory(fresh(), 9, () => {}),
    null,
    "no file: null",
  );
});
