// Ctrl-C and SIGTERM while training. The first asks the loop to stop: it
// finishes the step it is in, writes a resumable checkpoint and says how to
// resume. A second one aborts at once (the checkpoint of the last epoch, or of
// the last interruption, stays). Handlers run only when the loop yields to the
// event loop, which it does between steps (stopPoint), never inside one.

import { setImmediate as yieldNow } from "node:timers/promises";

const EXIT_CODE: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
export const exitCodeFor = (signal: string) => EXIT_CODE[signal] ?? 1;

export interface Trap {
  /** aborted, with the signal's name as the reason, at the first signal */
  readonly signal: AbortSignal;
  /** removes the handlers */
  dispose(): void;
}

export interface TrapOptions {
  note: (line: string) => void;
  /** called on the second signal, synchronously, before exiting (releases the lock) */
  onAbort?: () => void;
  /** how to exit on the second signal (tests replace it) */
  exit?: (code: number) => void;
}

/** Installs SIGINT and SIGTERM handlers for the duration of a training loop. */
export function trapSignals(opts: TrapOptions): Trap {
  const controller = new AbortController();
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const handler = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      opts.note(
        `${signal}: finishing the current step, then saving a checkpoint to resume from (${signal === "SIGINT" ? "Ctrl-C" : signal} again aborts at once)`,
      );
      controller.abort(signal);
      return;
    }
    opts.note(`${signal} again: aborted without saving; the last checkpoint written stays resumable`);
    opts.onAbort?.();
    exit(exitCodeFor(signal));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** Between two steps: lets pending signal handlers run, then says whether to stop (the reason, or null). */
export async function stopPoint(signals: (AbortSignal | undefined)[]): Promise<string | null> {
  await yieldNow();
  for (const s of signals) if (s?.aborted) return String(s.reason ?? "stop");
  return null;
}
