// A hard time bound for scheduling. isl_ctx_set_max_operations counts work, not time, and
// the isl scheduler can run for minutes on some inputs (constant extents of mixed sizes),
// so the bounded path runs it in a forked child process that is killed at the deadline.
// The constraints cross the process boundary as isl text (schedule constraints and
// schedules both print and parse losslessly).

import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { withCtx } from "./ctx.js";
import { IslError, type IslErrorCode } from "./error.js";
import type { IslOptions } from "./options.js";

/** Result of scheduleWithTimeout when the deadline was hit; the child is dead by then. */
export interface ScheduleTimedOut {
  timedOut: true;
  /** pid of the killed child. */
  pid: number;
  elapsedMs: number;
}

/** @internal IPC message to the worker. */
export interface WorkerRequest {
  constraints: string;
  options: IslOptions;
  parentPid: number;
}

/** @internal IPC message from the worker. */
export type WorkerReply =
  | { ok: true; schedule: string; computeMs: number }
  | {
      ok: false;
      error: {
        name: string;
        message: string;
        fn?: string;
        code?: IslErrorCode;
        islMessage?: string | null;
        file?: string | null;
        line?: number | null;
      };
    };

const WORKER = fileURLToPath(new URL("./schedule_worker.js", import.meta.url));

// Children still running when this process exits are killed with it (the worker also asks
// the kernel for that on Linux, which covers a parent killed by a signal).
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killRunningOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const c of running) c.kill("SIGKILL");
  });
}

/**
 * Takes schedule constraints as isl text (ScheduleConstraints.toString()); gives the
 * schedule as isl text, computed in this process with no time bound. For small programs.
 */
export function scheduleInProcess(constraintsText: string, options: IslOptions = {}): string {
  return withCtx((ctx) => {
    const sc = ctx.scheduleConstraints(constraintsText);
    const schedule = sc.computeSchedule(options);
    return schedule.toString();
  });
}

/**
 * Takes schedule constraints as isl text; resolves to the schedule text computed in a child
 * process, or to { timedOut: true } once the child has been killed (SIGKILL) after
 * timeoutMs (spawn time included). Rejects with IslError if isl fails in the child, or
 * Error if the child dies on its own.
 */
export function scheduleWithTimeout(
  constraintsText: string,
  options: IslOptions = {},
  timeoutMs: number,
): Promise<string | ScheduleTimedOut> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = fork(WORKER, [], {
      execArgv: [], // not the parent's flags (--test, inspectors, ...)
      serialization: "json",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    running.add(child);
    killRunningOnExit();
    let state: "running" | "killing" | "done" = "running";
    const finish = (): void => {
      state = "done";
      clearTimeout(timer);
      running.delete(child);
    };
    const timer = setTimeout(() => {
      if (state !== "running") return;
      state = "killing";
      child.kill("SIGKILL");
    }, Math.max(0, timeoutMs));
    child.on("message", (reply: WorkerReply) => {
      if (state !== "running") return;
      finish();
      if (reply.ok) {
        resolve(reply.schedule);
      } else {
        const e = reply.error;
        reject(
          e.name === "IslError"
            ? new IslError(e.fn ?? "isl", e.code ?? "unknown", e.islMessage ?? null, e.file ?? null, e.line ?? null, "in the schedule worker")
            : new Error(`schedule worker: ${e.message}`),
        );
      }
    });
    child.on("error", (err) => {
      if (state === "done") return;
      finish();
      child.kill("SIGKILL");
      reject(err);
    });
    // "close" comes after the exit and after every IPC message has been delivered.
    child.on("close", (code, signal) => {
      if (state === "killing") {
        finish();
        resolve({ timedOut: true, pid: child.pid ?? -1, elapsedMs: performance.now() - started });
      } else if (state === "running") {
        finish();
        reject(new Error(`schedule worker exited without a result (code ${code}, signal ${signal})`));
      }
    });
    child.send({ constraints: constraintsText, options, parentPid: process.pid } satisfies WorkerRequest);
  });
}
