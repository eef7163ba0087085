/**
 * mpirun for the tests: on loopback, as root if need be, more ranks than cores allowed. A missing
 * mpirun fails the test with what to install; it never skips.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnOptions } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export const MPIRUN_FLAGS = ["--oversubscribe", "--allow-run-as-root", "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo"];

export function assertMpirun(): void {
  const r = spawnSync("mpirun", ["--version"], { encoding: "utf8" });
  assert.ok(!r.error && r.status === 0, `mpirun is not available (${r.error?.message ?? r.stderr}): run scripts/setup, which installs openmpi-bin libopenmpi-dev`);
}

export function mpirunSync(np: number, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync("mpirun", ["-np", String(np), ...MPIRUN_FLAGS, process.execPath, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
}

export function mpirunAsync(np: number, args: string[], env: NodeJS.ProcessEnv = {}, opts: SpawnOptions = {}) {
  return spawn("mpirun", ["-np", String(np), ...MPIRUN_FLAGS, process.execPath, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env }, ...opts });
}

/** The pid of rank `rank` among the children of an mpirun process (Open MPI starts local ranks itself). */
export function rankPid(mpirunPid: number, rank: number): number | undefined {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== mpirunPid) continue;
      const env = readFileSync(`/proc/${d}/environ`, "utf8").split("\0");
      if (env.includes(`OMPI_COMM_WORLD_RANK=${rank}`)) return Number(d);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}
