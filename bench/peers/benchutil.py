"""Timing and reporting shared by the Python peers of the LiFT benchmark (bench/run.ts).

Every peer takes one JSON argument (its configuration) and prints one JSON object per line on
stdout; everything else goes to stderr. The timing protocol is the same as bench/timing.ts:
a warm-up of `warmup_s` seconds (at least 2 calls), then `reps` repetitions, each running the
call until `rep_s` seconds have passed (at least `min_calls` calls); the figure is the median
of the repetitions' rates.
"""
import json
import resource
import statistics
import sys
import time


def config():
    return json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def measure(call, items_per_call, warmup_s=1.0, reps=5, rep_s=0.6, min_calls=1):
    """Returns (median rate, list of rates, total calls timed): items per second of `call`."""
    t0 = time.perf_counter()
    n = 0
    while n < 2 or time.perf_counter() - t0 < warmup_s:
        call()
        n += 1
    rates = []
    calls_total = 0
    for _ in range(reps):
        calls = 0
        t0 = time.perf_counter()
        while True:
            call()
            calls += 1
            dt = time.perf_counter() - t0
            if calls >= min_calls and dt >= rep_s:
                break
        rates.append(items_per_call * calls / dt)
        calls_total += calls
    return statistics.median(rates), rates, calls_total


def peak_rss():
    """Peak RSS in MiB: VmHWM of /proc/self/status (this process's own high-water mark), and
    getrusage's ru_maxrss (KiB on Linux), which carries over from the parent through fork and exec."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    hwm = None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return {"peak_rss_mib": hwm if hwm is not None else maxrss, "maxrss_mib": maxrss}


def blas_info():
    """Which BLAS this process loaded: threadpoolctl's view, else numpy's build configuration."""
    try:
        from threadpoolctl import threadpool_info
        libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if libs:
            i = libs[0]
            return {
                "library": i.get("internal_api"),
                "version": i.get("version"),
                "threading": i.get("threading_layer"),
                "architecture": i.get("architecture"),
                "threads": i.get("num_threads"),
                "path": i.get("filepath"),
                "source": "threadpoolctl",
            }
        return {"library": "none found by threadpoolctl", "source": "threadpoolctl"}
    except ImportError:
        import contextlib
        import io
        import numpy
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            numpy.show_config()
        return {"library": "see numpy.show_config", "show_config": buf.getvalue(), "source": "numpy.show_config"}
