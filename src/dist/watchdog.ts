// A bound on how long a rank waits inside a collective. MPI calls block the main thread, so the
// watch runs on a worker thread: the main thread stamps the time it entered a call into shared
// memory, and the worker, if a call lasts longer than the bound, writes why to stderr and kills
// its own process — mpirun then sees a rank die and ends the job. This covers what mpirun cannot
// see: a rank that is alive but stopped or hung, or a launcher that does not abort on a death.

import { Worker } from "node:worker_threads";

/** The watcher, as CommonJS source for an eval'd worker (no file to locate at run time). */
const WATCHER = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const { since, timeout, message } = workerData;
setInterval(() => {
  const t = Number(Atomics.load(since, 0));
  if (t !== 0 && Date.now() - t > timeout * 1000) {
    writeSync(2, message);
    process.kill(process.pid, "SIGKILL");
  }
}, 200);
`;

export class Watchdog {
  /** when the call under watch began (ms since 1970), 0 when none is */
  private readonly since = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;

  /** `message` is written to stderr when a call outlasts `timeoutSeconds`. */
  constructor(readonly timeoutSeconds: number, message: string) {
    this.worker = new Worker(WATCHER, { eval: true, workerData: { since: this.since, timeout: timeoutSeconds, message } });
    this.worker.unref();
  }

  /** Runs a blocking call under the watch. */
  guard<T>(fn: () => T): T {
    Atomics.store(this.since, 0, BigInt(Date.now()));
    try {
      return fn();
    } finally {
      Atomics.store(this.since, 0, 0n);
    }
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}
