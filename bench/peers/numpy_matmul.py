"""numpy + OpenBLAS float32 matrix product, the peer of LiFT's formula
((reduce 1 +)"2) (A (*"1 2) B). Prints one JSON line: {system: "numpy", workload: "matmul", n, gflops, ...}."""
import numpy as np

from benchutil import blas_info, config, emit, measure, peak_rss

cfg = config()
n = int(cfg.get("n", 1024))
rng = np.random.default_rng(0)
A = rng.random((n, n), dtype=np.float32)
B = rng.random((n, n), dtype=np.float32)
C = np.empty((n, n), dtype=np.float32)
flop = 2.0 * n * n * n


def call():
    np.matmul(A, B, out=C)


rate, rates, calls = measure(call, flop / 1e9, cfg.get("warmup_s", 1.0), cfg.get("reps", 5), cfg.get("rep_s", 0.6))
emit({
    "system": "numpy", "workload": "matmul", "n": n, "gflops": rate,
    "reps": rates, "calls": calls, "ms_per_call": flop / 1e9 / rate * 1e3,
    **peak_rss(), "version": np.__version__, "blas": blas_info(),
})
