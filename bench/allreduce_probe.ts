/**
 * Run under mpirun by bench/data_parallel.ts: the time of one in-place float32 MPI_Allreduce (sum)
 * for each size in argv (floats), the median of `reps` calls after a warm-up, measured on every rank
 * after a barrier; rank 0 prints one JSON line per size.
 */
import { World } from "../src/dist/mpi.js";

const w = World.init();
const reps = 200;
for (const n of process.argv.slice(2).map(Number)) {
  const buf = new Float32Array(n).fill(1);
  for (let i = 0; i < 20; i++) w.allreduce(buf);
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    w.barrier();
    const t0 = performance.now();
    w.allreduce(buf);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  if (w.isRoot) {
    process.stdout.write(
      JSON.stringify({
        figure: "allreduce",
        ranks: w.size,
        floats: n,
        bytes: 4 * n,
        median_us: Math.round(1000 * times[reps >> 1]!),
        p90_us: Math.round(1000 * times[Math.floor(reps * 0.9)]!),
      }) + "\n",
    );
  }
}
w.finalize();
