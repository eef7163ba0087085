/**
 * The timing protocol of the benchmark, the same in every system's runner (bench/peers/benchutil.py
 * is its Python twin): a warm-up of `warmupS` seconds (at least 2 calls), then `reps` repetitions,
 * each running the call until `repS` seconds have passed (at least `minCalls` calls). A figure is
 * the median of the repetitions' rates; the rates themselves are reported beside it.
 */
import { readFileSync } from "node:fs";

export interface TimingOptions {
  warmupS: number;
  reps: number;
  repS: number;
  minCalls?: number;
}

export interface Measured {
  /** Median of the repetitions' rates, in items per second. */
  rate: number;
  reps: number[];
  calls: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const now = () => performance.now() / 1000;

/** Items per second of `call`, which handles `itemsPerCall` items each time. */
export function measure(call: () => void, itemsPerCall: number, o: TimingOptions): Measured {
  const t0 = now();
  for (let n = 0; n < 2 || now() - t0 < o.warmupS; n++) call();
  const reps: number[] = [];
  let calls = 0;
  for (let r = 0; r < o.reps; r++) {
    let c = 0;
    const s = now();
    let dt = 0;
    do {
      call();
      c++;
      dt = now() - s;
    } while (c < (o.minCalls ?? 1) || dt < o.repS);
    reps.push((itemsPerCall * c) / dt);
    calls += c;
  }
  return { rate: median(reps), reps, calls };
}

/** The same for a call that returns a promise (onnxruntime-node's session.run). */
export async function measureAsync(
  call: () => Promise<unknown>,
  itemsPerCall: number,
  o: TimingOptions,
): Promise<Measured> {
  const t0 = now();
  for (let n = 0; n < 2 || now() - t0 < o.warmupS; n++) await call();
  const reps: number[] = [];
  let calls = 0;
  for (let r = 0; r < o.reps; r++) {
    let c = 0;
    const s = now();
    let dt = 0;
    do {
      await call();
      c++;
      dt = now() - s;
    } while (c < (o.minCalls ?? 1) || dt < o.repS);
    reps.push((itemsPerCall * c) / dt);
    calls += c;
  }
  return { rate: median(reps), reps, calls };
}

/**
 * Peak resident set size of this process, in MiB: VmHWM of /proc/self/status, the high-water mark
 * of this process's own memory. getrusage's maxRSS (process.resourceUsage().maxRSS) is reported
 * beside it, but on Linux it carries over from the parent through fork and exec, so a child of a
 * large driver reports at least the driver's size.
 */
export function peakRss(): { peak_rss_mib: number; maxrss_mib: number } {
  const maxrss = process.resourceUsage().maxRSS / 1024;
  let hwm = NaN;
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) hwm = Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return { peak_rss_mib: Number.isFinite(hwm) ? hwm : maxrss, maxrss_mib: maxrss };
}

/** Prints one JSON object on its own line (the workers' protocol with bench/run.ts). */
export const emit = (obj: object): void => {
  process.stdout.write(JSON.stringify(obj) + "\n");
};
