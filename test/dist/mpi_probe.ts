/**
 * Run by mpi.test.ts under mpirun: every rank all-reduces a few buffers and prints what it got as
 * one JSON line, so the test can check every rank's sums.
 */
import { World } from "../../src/dist/mpi.js";

const w = World.init();
const f32 = Float32Array.of(w.rank + 1, 0.5, -w.rank);
w.allreduce(f32);
const f64 = Float64Array.of(1e-17 * (w.rank + 1), w.rank);
w.allreduce(f64);
const max = Float64Array.of(w.rank * 10, -w.rank);
w.allreduce(max, "max");
const min = Float32Array.of(w.rank - 5);
w.allreduce(min, "min");
w.barrier();
process.stdout.write(JSON.stringify({ rank: w.rank, size: w.size, f32: [...f32], f64: [...f64], max: [...max], min: [...min] }) + "\n");
w.finalize();
w.finalize(); // a second finalize does nothing
