/**
 * The REPL's session in a worker thread: the main thread stays free to read Ctrl-C while an
 * evaluation runs, and ends a runaway one by terminating this worker.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LiftError } from "../lang/diagnostics.js";
import { ReplSession } from "./repl_session.js";

export type Request = { entry: string };
export type Response = { text: string; mutated: boolean } | { error: string; internal: boolean; dirty: boolean };

const { dtype, replay } = workerData as { dtype: "f32" | "f64"; replay: string[] };
const session = new ReplSession();
session.dtype = dtype;
for (const entry of replay) session.handle(entry, true);

parentPort!.on("message", ({ entry }: Request) => {
  let r: Response;
  try {
    r = session.handle(entry);
  } catch (e) {
    const internal = !(e instanceof LiftError);
    r = {
      error: internal ? ((e as Error).message ?? String(e)).split("\n")[0]! : e.format(),
      internal,
      dirty: session.applied > 0,
    };
    if (internal && process.env.LIFT_DEBUG) r.error += `\n${(e as Error).stack}`;
  }
  parentPort!.postMessage(r);
});
