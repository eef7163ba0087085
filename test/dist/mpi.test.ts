/** The Open MPI binding under mpirun with 3 ranks, the batch split, and a missing Open MPI. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { agreedStop, sliceOf } from "../../src/train/data_parallel.js";
import { launchedByMpi } from "../../src/dist/launch.js";
import { assertMpirun, mpirunSync } from "./mpi_run.js";

test("all-reduce sum, max and min in float32 and float64 give every rank the same result", () => {
  assertMpirun();
  const r = mpirunSync(3, [join(process.cwd(), "dist", "test", "dist", "mpi_probe.js")]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number[] | number>);
  assert.deepEqual(lines.map((l) => l.rank).sort(), [0, 1, 2]);
  for (const l of lines) {
    assert.equal(l.size, 3);
    assert.deepEqual(l.f32, [6, 1.5, -3]);
    assert.deepEqual(l.f64, [6e-17, 3]);
    assert.deepEqual(l.max, [20, 0]);
    assert.deepEqual(l.min, [-5]);
  }
});

test("the batch split: sizes differ by at most one, the slices tile the batch, a rank may get none", () => {
  for (const [n, size] of [[32, 2], [32, 3], [26, 3], [1, 3], [2, 3], [7, 7], [0, 2]] as const) {
    const parts = Array.from({ length: size }, (_, r) => sliceOf(n, r, size));
    let at = 0;
    for (const p of parts) { assert.equal(p.offset, at); at += p.count; }
    assert.equal(at, n);
    const counts = parts.map((p) => p.count);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${n} over ${size}: ${counts}`);
  }
  assert.deepEqual([0, 1, 2].map((r) => sliceOf(32, r, 3).count), [11, 11, 10]);
  assert.deepEqual([0, 1, 2].map((r) => sliceOf(1, r, 3).count), [1, 0, 0]);
});

test("the agreed stop: none when no rank asks; a rank's own reason, else rank 0's, else another rank's", () => {
  assert.equal(agreedStop(null, 0, 0), null);
  assert.equal(agreedStop("SIGINT", 1, 1), "SIGINT");
  assert.equal(agreedStop(null, 1, 1), "SIGINT");
  assert.equal(agreedStop(null, 2, 2), "SIGTERM");
  assert.equal(agreedStop(null, 3, 1), "stop on rank 0");
  assert.equal(agreedStop("SIGTERM", 0, 1), "SIGTERM");
  assert.equal(agreedStop(null, 0, 1), "a signal to another rank");
});

test("launch detection reads Open MPI's environment", () => {
  assert.equal(launchedByMpi({ OMPI_COMM_WORLD_SIZE: "2" }), true);
  assert.equal(launchedByMpi({ PMIX_RANK: "0" }), true);
  assert.equal(launchedByMpi({ PATH: "/usr/bin" }), false);
});

test("a missing Open MPI is a clear error naming the Debian packages", () => {
  const bin = join(process.cwd(), "bin", "lift.js");
  const r = spawnSync(process.execPath, [bin, "train", "examples/fashion-lenet.lift", "--distributed", "on"],
    { encoding: "utf8", env: { ...process.env, LIFT_LIBMPI: "libmpi-not-here.so.40" } });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /Open MPI is not available: libmpi-not-here\.so\.40 could not be loaded/);
  assert.match(r.stderr, /openmpi-bin and libopenmpi-dev \(scripts\/setup installs them\)/);
  const u = spawnSync(process.execPath, [bin, "train", "examples/fashion-lenet.lift", "--distributed", "maybe"], { encoding: "utf8" });
  assert.equal(u.status, 2);
  assert.match(u.stderr, /--distributed is auto, on, off, not `maybe`/);
});
