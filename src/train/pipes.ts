// A closed stdout or stderr (`lift train … 2>&1 | head -3`) must not end a
// training run: its point is the checkpoints, not the text. So while training,
// a broken pipe (EPIPE) only stops the writes to that stream; the run goes on
// and checkpoints as usual, and, when the other stream still works, one line
// there says so. (The entry's policy for other commands — exit 0 when the
// reader has gone — is right for them: their output is the point.)

import type { TextSink } from "./progress.js";

export interface GuardedOutput {
  /** stderr for progress and notes; writes stop when it is closed */
  stderr: TextSink;
  /** writes to stdout unless it is closed */
  stdout(text: string): void;
  /** puts the previous error handlers back */
  restore(): void;
}

const isClosedPipe = (e: NodeJS.ErrnoException) => e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED";

export function guardOutput(
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): GuardedOutput {
  const closed = new Set<NodeJS.WriteStream>();
  const saved = new Map([out, err].map((s) => [s, s.listeners("error") as ((e: Error) => void)[]]));
  const write = (s: NodeJS.WriteStream, text: string) => {
    if (closed.has(s) || s.destroyed) return;
    s.write(text);
  };
  for (const s of [out, err]) {
    s.removeAllListeners("error");
    s.on("error", (e: NodeJS.ErrnoException) => {
      if (!isClosedPipe(e)) throw e;
      if (closed.has(s)) return;
      closed.add(s);
      const other = s === out ? err : out;
      if (other === err)
        write(
          err,
          `lift train: stdout was closed (${e.code}); training goes on, and its checkpoints are written as usual\n`,
        );
    });
  }
  return {
    stderr: {
      write: (t: string) => write(err, t),
      get isTTY() {
        return err.isTTY === true && !closed.has(err);
      },
      get columns() {
        return err.columns;
      },
    },
    stdout: (t) => write(out, t),
    restore() {
      for (const [s, listeners] of saved) {
        s.removeAllListeners("error");
        if (!closed.has(s)) for (const l of listeners) s.on("error", l);
        else s.on("error", () => {});
      }
    },
  };
}
