// The lock of a run directory: `train.lock`, created by link(2) from a complete
// temp file, so it either does not exist or names its owner in full. It holds
// the owner's pid, host, start time and a random nonce; a lock whose pid is
// gone (or now belongs to a process started later: a reused pid) is stale —
// a killed run — and is taken over with a note saying so. Because two
// processes could both take over one stale lock at the same moment, the owner
// checks the nonce before every write (assertOwned), so the loser stops
// without writing rather than mixing two runs' files.

import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { LiftError } from "../lang/diagnostics.js";
import { processAlive } from "./atomic.js";

export const LOCK_FILE = "train.lock";

interface LockInfo {
  pid: number;
  host: string;
  started: string;
  /** the kernel's start time of the process (Linux), to tell a reused pid from its owner */
  proc_start: string | null;
  nonce: string;
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function readLock(path: string): LockInfo | "missing" | "unreadable" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "unreadable";
  }
  try {
    const v = JSON.parse(text) as LockInfo;
    if (Number.isSafeInteger(v.pid) && typeof v.host === "string" && typeof v.nonce === "string") return v;
  } catch {
    /* below */
  }
  return "unreadable";
}

/** Whether the lock's owner still runs; null when it cannot be told (another host). */
function ownerAlive(l: LockInfo): boolean | null {
  if (l.host !== hostname()) return null;
  if (!processAlive(l.pid)) return false;
  const now = procStart(l.pid);
  return l.proc_start === null || now === null || now === l.proc_start;
}

export class RunLock {
  private constructor(
    readonly path: string,
    private readonly nonce: string,
  ) {}

  /**
   * Takes `dir`'s lock, or throws a LiftError naming the run that holds it. A stale lock is
   * taken over; `note` is told about it.
   */
  static acquire(dir: string, note: (line: string) => void): RunLock {
    const path = join(dir, LOCK_FILE);
    const mine: LockInfo = {
      pid: process.pid,
      host: hostname(),
      started: new Date().toISOString(),
      proc_start: procStart(process.pid),
      nonce: randomBytes(8).toString("hex"),
    };
    const tmp = join(dir, `.${LOCK_FILE}.${process.pid}-${mine.nonce}`);
    writeFileSync(tmp, JSON.stringify(mine) + "\n");
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          linkSync(tmp, path);
          return new RunLock(path, mine.nonce);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        const held = readLock(path);
        if (held === "missing") continue;
        if (held !== "unreadable") {
          const alive = ownerAlive(held);
          const who = `pid ${held.pid}${held.host === hostname() ? "" : ` on ${held.host}`}, started ${held.started}`;
          if (alive !== false) {
            throw new LiftError(
              `${dir} is in use by another \`lift train\` (${who}): two runs cannot share a directory`,
              undefined,
              alive === null
                ? `choose another --out, or delete ${path} if no run is active on ${held.host}`
                : `choose another --out, or wait for it (kill -INT ${held.pid} stops it with a checkpoint)`,
            );
          }
          note(`note: ${path} was left by a run that no longer exists (${who}: killed or crashed); taking it over`);
        } else {
          note(`note: ${path} is unreadable (damaged); replacing it`);
        }
        // Moved aside rather than deleted, so that a stale lock two runs see at once is removed once.
        rmSync(`${path}.stale-${process.pid}`, { force: true });
        try {
          renameSync(path, `${path}.stale-${process.pid}`);
          rmSync(`${path}.stale-${process.pid}`, { force: true });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
      throw new LiftError(
        `${dir}: could not take ${LOCK_FILE}: other runs keep taking it`,
        undefined,
        "choose another --out",
      );
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Throws unless this process still holds the lock (see the header: a lost race for a stale lock). */
  assertOwned(): void {
    const held = readLock(this.path);
    if (held === "missing" || held === "unreadable" || held.nonce !== this.nonce) {
      const now = typeof held === "string" ? `it is ${held}` : `it now belongs to pid ${held.pid}`;
      throw new LiftError(
        `${this.path} no longer belongs to this run (${now}): another \`lift train\` took the directory over, so this one stops without writing`,
      );
    }
  }

  /** Removes the lock if it is still this process's (synchronous: also used on the way out of a second Ctrl-C). */
  release(): void {
    const held = readLock(this.path);
    if (typeof held !== "string" && held.nonce === this.nonce) rmSync(this.path, { force: true });
  }
}
