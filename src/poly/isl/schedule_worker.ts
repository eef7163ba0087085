// Child-process side of scheduleWithTimeout (schedule_child.ts): receives one request over
// IPC, computes the schedule, sends the text back and exits. Kept tiny so that start-up is
// mostly node + koffi + libisl loading.

import { IslError } from "./error.js";
import { scheduleInProcess, type WorkerReply, type WorkerRequest } from "./schedule_child.js";

if (process.send) {
  process.once("message", (msg: WorkerRequest) => {
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
