/** How busy the machine was while a figure ran: the share of its CPUs other processes used. */
import { readFileSync } from "node:fs";

/** CPU time counters, in clock ticks: the whole machine's (/proc/stat) and this process's waited-for children's (/proc/self/stat). */
export function cpuTicks(): { busy: number; total: number; children: number } | undefined {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = f[3]! + f[4]!;
    const total = f.reduce((a, b) => a + b, 0);
    // Fields after the command name ")": cutime and cstime are the 14th and 15th.
    const stat = readFileSync("/proc/self/stat", "utf8");
    const rest = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    return { busy: total - idle, total, children: rest[13]! + rest[14]! };
  } catch {
    return undefined;
  }
}

/**
 * The share of the machine's CPU capacity that other processes used between two readings: all
 * busy time less what this process's children used (the bench's own process idles meanwhile).
 */
export function othersShare(a: ReturnType<typeof cpuTicks>, b: ReturnType<typeof cpuTicks>): number | undefined {
  if (!a || !b || b.total === a.total) return undefined;
  return Math.max(0, (b.busy - a.busy - (b.children - a.children)) / (b.total - a.total));
}
