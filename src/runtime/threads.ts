/**
 * The OpenMP policy of compiled code (issue 15), and running one compiled entry on several
 * argument sets at once.
 *
 * Waiting: `GOMP_SPINCOUNT=10000` is set before libgomp is loaded (libgomp reads it once, as it
 * loads) unless the environment sets it or `OMP_WAIT_POLICY`: a thread waiting at a barrier spins
 * ~10 µs, then sleeps. libgomp's default (300,000 spins, ~0.3 ms) keeps a waiting thread on a core
 * another process needs; spinning threads of a step collapsed on a busy machine (80–1,150
 * images/s against 1,770–4,140 serial, issue 15).
 *
 * Pinning: the batch split's parallel region pins thread i to the i-th CPU the calling thread may
 * run on, and gives the calling thread its own mask back when the region ends (two system calls
 * a step). Unpinned, the two threads of a step on this 2-core VM moved between runs from ~6,500 to
 * ~9,000 images/s (bench/RESULTS.md). Not `OMP_PROC_BIND`, which libgomp applies to every
 * process's initial thread (Node's main thread) and so to every thread started later, putting
 * two LiFT processes' main threads on the same core. `LIFT_PIN=0` turns it off; with
 * `OMP_PROC_BIND` set, libgomp's placement is left alone.
 */
import { buildShared, loadLibrary } from "./native.js";

export const THREAD_DEFAULTS: Record<string, string> = { GOMP_SPINCOUNT: "10000" };

/** Sets each default the environment lacks (GOMP_SPINCOUNT only without OMP_WAIT_POLICY). */
export function applyThreadDefaults(env: NodeJS.ProcessEnv = process.env): void {
  for (const [k, v] of Object.entries(THREAD_DEFAULTS)) {
    if (env[k] !== undefined && env[k] !== "") continue;
    if (k === "GOMP_SPINCOUNT" && env.OMP_WAIT_POLICY) continue;
    env[k] = v;
  }
}

/** Whether the batch split pins its threads (LIFT_PIN=0 or an OMP_PROC_BIND of the user's: no). */
export const pinThreads = (env: NodeJS.ProcessEnv = process.env): boolean => env.LIFT_PIN !== "0" && !env.OMP_PROC_BIND;

/**
 * The helper library: `lift_run_slices` calls the entry `sym` of the loaded library `lib` on n
 * argument sets, one per OpenMP thread of a single parallel region (par = 1; pin = 1 pins them) or one after
 * another on the calling thread (par = 0, their own parallel loops active). The entries are reentrant
 * (src/codegen/c.ts: distinct args and scratch may run at once), and their own parallel loops
 * run on one thread inside this region (nested regions are inactive by default).
 */
const HELPER_C = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <omp.h>
/* Pins the calling thread to the k-th CPU of allowed (k modulo their count). */
static void pin_to(int k, const cpu_set_t *allowed) {
  int count = CPU_COUNT(allowed), c, seen = 0;
  cpu_set_t one;
  if (count == 0) return;
  k %= count;
  for (c = 0; c < CPU_SETSIZE; c++) {
    if (!CPU_ISSET(c, allowed)) continue;
    if (seen++ == k) { CPU_ZERO(&one); CPU_SET(c, &one); pthread_setaffinity_np(pthread_self(), sizeof one, &one); return; }
  }
}
typedef void (*lift_entry)(void *const *, const int64_t *, void *);
int lift_max_threads(void) { return omp_get_max_threads(); }
void lift_set_threads(int n) { omp_set_num_threads(n); }
int lift_run_slices(const char *lib, const char *sym, int par, int pin, int n, int nb, int ns, void **buffers, const int64_t *sizes, void **scratch) {
  void *h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
  if (!h) return -1;
  lift_entry f = (lift_entry)dlsym(h, sym);
  if (!f) { dlclose(h); return -2; }
  int i;
  if (par) {
    cpu_set_t mine;
    pin = pin && pthread_getaffinity_np(pthread_self(), sizeof mine, &mine) == 0;
#pragma omp parallel for num_threads(n) schedule(static, 1)
    for (i = 0; i < n; i++) {
      if (pin) pin_to(omp_get_thread_num(), &mine);
      f(buffers + (long)i * nb, sizes + (long)i * ns, scratch[i]);
    }
    if (pin) pthread_setaffinity_np(pthread_self(), sizeof mine, &mine);
  } else {
    for (i = 0; i < n; i++) f(buffers + (long)i * nb, sizes + (long)i * ns, scratch[i]);
  }
  dlclose(h);
  return 0;
}
`;

export interface ThreadHelper {
  maxThreads(): number;
  /** the thread count of the calling thread's next parallel regions (omp_set_num_threads) */
  setThreads(n: number): void;
  /** entry(buffers[i], sizes[i], scratch[i]) for every i: each on its own thread (parallel), or in turn */
  runSlices(
    lib: string,
    sym: string,
    parallel: boolean,
    buffers: unknown[][],
    sizes: number[][],
    scratch: (ArrayBuffer | null)[],
  ): void;
}

let helper: ThreadHelper | undefined;
/** The helper, built (once, cached like every unit) and loaded. */
export function threadHelper(): ThreadHelper {
  if (helper) return helper;
  const build = buildShared("lift_threads", "", HELPER_C, ["-O2", "-fPIC", "-shared", "-fopenmp"]);
  const lib = loadLibrary(build.path);
  const max = lib.func("int lift_max_threads(void)") as () => number;
  const set = lib.func("void lift_set_threads(int n)") as (n: number) => void;
  const run = lib.func(
    "int lift_run_slices(const char *lib, const char *sym, int par, int pin, int n, int nb, int ns, void **buffers, const int64_t *sizes, void **scratch)",
  ) as (...a: unknown[]) => number;
  const pin = pinThreads();
  helper = {
    maxThreads: max,
    setThreads: set,
    runSlices: (path, sym, parallel, buffers, sizes, scratch) => {
      const n = buffers.length,
        nb = buffers[0]?.length ?? 0,
        ns = sizes[0]?.length ?? 0;
      const flatSizes = BigInt64Array.from(sizes.flat().map(BigInt));
      const rc = run(
        path,
        sym,
        parallel ? 1 : 0,
        pin ? 1 : 0,
        n,
        nb,
        ns,
        buffers.flat(),
        ns ? flatSizes : new BigInt64Array(1),
        scratch,
      );
      if (rc !== 0) throw new Error(`internal: lift_run_slices could not find ${sym} in ${path} (${rc})`);
    },
  };
  return helper;
}
