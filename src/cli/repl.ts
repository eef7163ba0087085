/**
 * `lift repl`: an interactive session like J's (repl_session.ts says what an entry does). The
 * session lives in a worker thread; this side reads lines, joins continuations, and handles
 * Ctrl-C: it cancels the entry being typed, or ends the running evaluation by restarting the
 * worker, which replays the entries that built the session. Ctrl-D (end of input) quits; a
 * piped script whose last entry is unbalanced is an error.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { appendFileSync, readFileSync } from "node:fs";
import * as readline from "node:readline";
import { Worker } from "node:worker_threads";
import { LiftError } from "../lang/diagnostics.js";
import { SourceFile } from "../lang/source.js";
import type { Command } from "./commands.js";
import { HELP } from "./repl_session.js";
import type { Response } from "./repl_worker.js";

export { ReplSession } from "./repl_session.js";

/** The worker holding the session, and the log of entries that changed it. */
class SessionHost {
  private worker!: Worker;
  private readonly log: string[] = [];
  private pending: ((r: Response) => void) | undefined;

  constructor(private dtype: "f32" | "f64") {
    this.start();
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  private start(): void {
    const w = new Worker(new URL("./repl_worker.js", import.meta.url), {
      workerData: { dtype: this.dtype, replay: this.log },
    });
    this.worker = w;
    // A reply from a worker already replaced (it answered as it was being ended) is not this entry's.
    w.on("message", (r: Response) => {
      if (w === this.worker) this.settle(r);
    });
    w.on("error", (e) => {
      if (w === this.worker) this.settle({ error: e.message, internal: true, dirty: true });
    });
  }

  private settle(r: Response): void {
    const p = this.pending;
    this.pending = undefined;
    p?.(r);
  }

  /** Runs one entry; on an error after part of it was applied, the session is rebuilt without it. */
  async handle(entry: string): Promise<Response> {
    const r = await new Promise<Response>((resolve) => {
      this.pending = resolve;
      this.worker.postMessage({ entry });
    });
    if ("text" in r && r.mutated) this.log.push(entry);
    if ("error" in r && r.dirty) this.restart();
    return r;
  }

  /** Ends the running evaluation: the entry is dropped and the session rebuilt from the log. */
  interrupt(): void {
    if (!this.pending) return;
    this.restart();
    this.settle({ error: "interrupted", internal: false, dirty: false });
  }

  private restart(): void {
    void this.worker.terminate();
    this.start();
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

const depth = (s: string) => {
  let d = 0;
  for (const c of s.replace(/;.*$/gm, "")) d += c === "(" ? 1 : c === ")" ? -1 : 0;
  return d;
};

/** The last 500 entries of the history file, newest first (none when it does not exist yet). */
function readHistory(histFile: string): string[] {
  try {
    return readFileSync(histFile, "utf8").split("\n").filter(Boolean).reverse().slice(0, 500);
  } catch {
    return [];
  }
}

function printResult(r: Awaited<ReturnType<SessionHost["handle"]>>): void {
  if ("text" in r) {
    if (r.text) process.stdout.write(r.text + "\n");
  } else if (r.internal)
    process.stdout.write(
      `internal error: ${r.error}\n  this is a bug in LiFT: please report it (the session goes on)\n`,
    );
  else process.stdout.write((r.error === "interrupted" ? "interrupted" : r.error) + "\n");
}

export const replCommand: Command = {
  summary: "an interactive session: declare, define, evaluate",
  help: `usage: lift repl [--dtype f32|f64]\n\n${HELP}\nHistory is kept in ~/.lift_history.`,
  options: { dtype: { type: "string" } },
  async run(v) {
    const host = new SessionHost(v.dtype === "f64" ? "f64" : "f32");
    const histFile = join(homedir(), ".lift_history");
    const history = readHistory(histFile);
    const interactive = process.stdin.isTTY === true;
    const rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: interactive,
      history,
      historySize: 500,
      prompt: "   ",
    });
    if (interactive) process.stdout.write(`LiFT repl — :help for help, :quit to leave\n`);
    let pending = "",
      counter = 0,
      status = 0;
    const prompt = () => {
      if (interactive) rl.prompt();
    };
    // Ctrl-C: a keypress in a terminal (readline's SIGINT), a signal when input is piped.
    const cancel = () => {
      if (host.busy) {
        host.interrupt();
        return;
      }
      pending = "";
      if (interactive) {
        rl.write(null, { ctrl: true, name: "e" });
        rl.write(null, { ctrl: true, name: "u" });
        process.stdout.write("^C\n");
        rl.setPrompt("   ");
        prompt();
      } else process.stdout.write("(cancelled)\n");
    };
    rl.on("SIGINT", cancel);
    process.on("SIGINT", cancel);
    prompt();
    for await (const line of rl) {
      pending = pending ? `${pending}\n${line}` : line;
      if (depth(pending) > 0) {
        rl.setPrompt("...  ");
        prompt();
        continue;
      }
      const entry = pending;
      pending = "";
      counter++;
      rl.setPrompt("   ");
      if (entry.trim() === ":quit" || entry.trim() === ":q") break;
      if (interactive && entry.trim()) {
        try {
          appendFileSync(histFile, entry.replace(/\n/g, " ") + "\n");
        } catch {
          /* history is best effort */
        }
      }
      printResult(await host.handle(entry));
      prompt();
    }
    process.off("SIGINT", cancel);
    rl.close();
    await host.close();
    if (pending.trim() && !interactive) {
      process.stdout.write(unbalanced(`<repl:${counter + 1}>`, pending).format() + "\n");
      status = 1;
    }
    return status;
  },
};

/** The error for an entry that ends inside parentheses: located at the `(` never closed. */
function unbalanced(name: string, text: string): LiftError {
  const open: number[] = [];
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") comment = false;
    else if (comment) continue;
    else if (c === ";") comment = true;
    else if (c === "(") open.push(i);
    else if (c === ")") open.pop();
  }
  const at = open[open.length - 1] ?? 0;
  return new LiftError(`the input ends inside this \`(\`: ${open.length} \`)\` missing`, {
    file: new SourceFile(name, text),
    start: at,
    end: at + 1,
  });
}
