/**
 * The float32 matrix product on ONE thread, in process CPU time (far less sensitive to other
 * processes than wall-clock rates on a shared machine): LiFT's packed GEMM (src/poly/gemm.ts),
 * LiFT with the packed path off (the unpacked register-tiled kernel), and numpy/OpenBLAS with
 * OPENBLAS_NUM_THREADS=1, interleaved rep by rep so all three see the same machine.
 *   node dist/bench/matmul_cpu.js [--n 1024[,256,...]] [--calls 5] [--reps 7]
 * Prints one JSON line per system and size (GFLOP/s from the median CPU time per call), then a table.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { GEMM_POLICY } from "../src/poly/gemm.js";
import { matmul } from "./programs.js";

// One thread: libgomp reads this when the first module is loaded, below.
process.env.OMP_NUM_THREADS = "1";

const { values: opt } = parseArgs({
  options: {
    n: { type: "string", default: "1024" },
    calls: { type: "string", default: "5" },
    reps: { type: "string", default: "7" },
  },
});
const sizes = opt.n.split(",").map(Number),
  calls = Number(opt.calls),
  reps = Number(opt.reps);

/** numpy's CPU ms per call for each rep, from a child running `reps` reps of `calls` calls. */
const NUMPY = `
import sys, time, numpy as np
n, calls, reps = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
A = rng.random((n, n), dtype=np.float32); B = rng.random((n, n), dtype=np.float32); C = np.empty((n, n), np.float32)
np.matmul(A, B, out=C)
for r in range(reps):
    np.matmul(A, B, out=C)
    t = time.process_time()
    for i in range(calls): np.matmul(A, B, out=C)
    print((time.process_time() - t) * 1e3 / calls)
`;

function numpyRep(n: number): number | undefined {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  const r = spawnSync(
    process.env.LIFT_BENCH_PYTHON ?? "/usr/bin/python3",
    ["-c", NUMPY, String(n), String(calls), "1"],
    { encoding: "utf8", env },
  );
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: string[] = [];
for (const n of sizes) {
  const build = (packed: boolean) => {
    const saved = GEMM_POLICY.minWork;
    if (!packed) GEMM_POLICY.minWork = Infinity;
    try {
      return matmul(n).compile({ dtype: "f32", name: `bench_matmul_cpu_${n}_${packed ? "packed" : "unpacked"}` });
    } finally {
      GEMM_POLICY.minWork = saved;
    }
  };
  const mods = { packed: build(true), unpacked: build(false) };
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const bufs = {
    A: Float32Array.from({ length: n * n }, rnd),
    B: Float32Array.from({ length: n * n }, rnd),
    C: new Float32Array(n * n),
  };
  const ms: Record<string, number[]> = { packed: [], unpacked: [], numpy: [] };
  for (const m of Object.values(mods)) m.call(bufs);
  for (let r = 0; r < reps; r++) {
    for (const [name, m] of Object.entries(mods)) {
      m.call(bufs); // the operands back in cache after the other system's rep
      const u0 = process.cpuUsage();
      for (let i = 0; i < calls; i++) m.call(bufs);
      const u = process.cpuUsage(u0);
      ms[name]!.push((u.user + u.system) / 1e3 / calls);
    }
    const np = numpyRep(n);
    if (np !== undefined) ms.numpy!.push(np);
  }
  const gf = (x: number[]) => (x.length ? (2 * n ** 3) / (median(x) * 1e6) : NaN);
  for (const [system, x] of Object.entries(ms)) {
    console.log(
      JSON.stringify({
        system: system === "numpy" ? "numpy" : `lift_${system}`,
        n,
        threads: 1,
        cpu_ms_per_call: x.length ? median(x) : null,
        gflops_cpu: gf(x),
        reps: x.map((v) => +v.toFixed(3)),
      }),
    );
  }
  const [p, u, np] = [gf(ms.packed!), gf(ms.unpacked!), gf(ms.numpy!)];
  rows.push(
    `${String(n).padStart(5)}  ${p.toFixed(1).padStart(6)}  ${u.toFixed(1).padStart(8)}  ${np.toFixed(1).padStart(5)}  ${(p / np).toFixed(2).padStart(12)}  ${(p / u).toFixed(2).padStart(17)}`,
  );
}
console.log(`\n    n  packed  unpacked  numpy  packed/numpy  packed/unpacked   (GFLOP/s from CPU time, 1 thread)`);
for (const r of rows) console.log(r);
