// Child-process side of scheduleWithTimeout (schedule_child.ts): receives one request over
// IPC, computes the schedule, sends the text back and exits. Kept tiny so that start-up is
// mostly node + koffi + libisl loading.

import koffi from "koffi";
import { IslError } from "./error.js";
import { scheduleInProcess, type WorkerReply, type WorkerRequest } from "./schedule_child.js";

/**
 * While isl computes, this process's event loop is blocked, so it would not notice its parent
 * dying and could run on for minutes as an orphan. On Linux, ask the kernel to SIGKILL us
 * when the parent dies (prctl PR_SET_PDEATHSIG); elsewhere the parent's exit hook has to do.
 */
function dieWithParent(parentPid: number): void {
  if (process.platform === "linux") {
    try {
      const prctl = koffi
        .load("libc.so.6")
        .func("int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)");
      const PR_SET_PDEATHSIG = 1;
      const SIGKILL = 9;
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    } catch {
      // best effort
    }
  }
  // The parent may already be gone (we were re-parented before prctl took effect).
  if (process.ppid !== parentPid) process.exit(1);
}

if (process.send) {
  process.once("message", (msg: WorkerRequest) => {
    dieWithParent(msg.parentPid);
    const started = performance.now();
    let reply: WorkerReply;
    try {
      const schedule = scheduleInProcess(msg.constraints, msg.options);
      reply = { ok: true, schedule, computeMs: performance.now() - started };
    } catch (e) {
      const err = e as Error;
      reply = {
        ok: false,
        error:
          e instanceof IslError
            ? { name: e.name, fn: e.fn, code: e.code, islMessage: e.islMessage, file: e.file, line: e.line, message: e.message }
            : { name: err?.name ?? "Error", message: String(err?.message ?? e) },
      };
    }
    // Exit once the reply is flushed; the parent treats an exit without reply as a crash.
    process.send!(reply, () => process.disconnect());
  });
}
