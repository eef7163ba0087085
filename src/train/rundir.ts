// The output directory of one run: its lock (lock.ts), the refusal to write a
// new run over another one, and the history, one append-only JSON line per
// epoch in history.jsonl beside the checkpoints. A line is appended (and
// fsynced) before the epoch's checkpoint is written, so every checkpoint's
// epochs are in the history; a kill during an append leaves at most a torn
// last line, which reading ignores.

import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { LiftError } from "../lang/diagnostics.js";
import { writeFileAtomic } from "./atomic.js";
import { RunLock } from "./lock.js";
import { epochRecordProblem, type EpochRecord } from "./runinfo.js";

export const HISTORY_FILE = "history.jsonl";
export const LAST_CHECKPOINT = "last.safetensors";
const EPOCH_FILE = /^epoch-[0-9]+\.safetensors$/;
/** What --overwrite deletes: a run's own files, and the temp files of its atomic writes. */
const RUN_FILE =
  /^(epoch-[0-9]+\.safetensors|last\.safetensors|history\.jsonl|report\.html|\.(epoch-[0-9]+\.safetensors|last\.safetensors|history\.jsonl|report\.html)\.tmp-.*)$/;

export const epochFile = (dir: string, epoch: number) => join(dir, `epoch-${epoch}.safetensors`);

/** Splits history.jsonl into complete lines and a torn tail (a write cut short), with line numbers. */
function historyLines(text: string): { lines: { n: number; text: string }[]; torn: boolean } {
  const parts = text.split("\n");
  const tail = parts.pop()!;
  return {
    lines: parts.map((t, i) => ({ n: i + 1, text: t })).filter((l) => l.text.trim() !== ""),
    torn: tail.trim() !== "",
  };
}

/**
 * The epochs 1…`upTo` of `dir`'s history, or null when there is no history file. A torn last line
 * is ignored (with a note); any other malformed line is an error naming it. A later line for an
 * epoch replaces an earlier one.
 */
export function readHistory(dir: string, upTo: number, note: (line: string) => void): EpochRecord[] | null {
  const path = join(dir, HISTORY_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new LiftError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const { lines, torn } = historyLines(text);
  if (torn) note(`note: ${path}: the last line is incomplete (the run was killed while writing it); ignoring it`);
  const byEpoch = new Map<number, EpochRecord>();
  for (const { n, text: line } of lines) {
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      r = undefined;
    }
    const problem = r === undefined ? "not JSON" : epochRecordProblem(r);
    if (problem) {
      throw new LiftError(
        `${path}:${n}: malformed epoch record (${problem})`,
        undefined,
        "the history only feeds the report: fix or delete that line, or delete the file to resume without it",
      );
    }
    byEpoch.set((r as EpochRecord).epoch, r as EpochRecord);
  }
  return [...byEpoch.values()].filter((r) => r.epoch <= upTo).sort((a, b) => a.epoch - b.epoch);
}

/** The run `dir` holds: what is there, and the newest checkpoint to resume it from; undefined when none. */
function existingRun(dir: string): { held: string; resumeFrom: string } | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  // Only checkpoints make a run worth protecting: a history without one has nothing to resume.
  const epochs = names.filter((n) => EPOCH_FILE.test(n)).map((n) => Number(n.slice(6, -12)));
  const last = names.includes(LAST_CHECKPOINT);
  if (!last && epochs.length === 0) return undefined;
  const parts = [
    last ? LAST_CHECKPOINT : "",
    epochs.length ? `${epochs.length} epoch checkpoint${epochs.length === 1 ? "" : "s"}` : "",
  ];
  return {
    held: parts.filter(Boolean).join(", "),
    resumeFrom: last ? join(dir, LAST_CHECKPOINT) : epochFile(dir, Math.max(...epochs)),
  };
}

const samePath = (a: string, b: string) => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

export interface OpenOptions {
  /** the checkpoint being resumed: its own directory may hold its run */
  resume?: string;
  /** delete another run's files instead of refusing */
  overwrite?: boolean;
  note: (line: string) => void;
}

/** An output directory this process holds the lock of. */
export class RunDir {
  private constructor(
    readonly dir: string,
    readonly lock: RunLock,
  ) {}

  /**
   * Creates `dir` if needed and takes its lock. A directory holding another run is refused
   * unless that run is the one being resumed, or `overwrite` (which deletes the run's files).
   */
  static open(dir: string, opts: OpenOptions): RunDir {
    try {
      mkdirSync(dir, { recursive: true });
      if (!statSync(dir).isDirectory()) throw new LiftError(`${dir}: is not a directory`);
    } catch (e) {
      if (e instanceof LiftError) throw e;
      throw new LiftError(
        `cannot create the output directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      );
    }
    let lock: RunLock;
    try {
      lock = RunLock.acquire(dir, opts.note);
    } catch (e) {
      if (e instanceof LiftError) throw e;
      throw new LiftError(
        `cannot write to the output directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        undefined,
        "choose another --out",
      );
    }
    try {
      const found = existingRun(dir);
      const held = found?.held;
      const ownRun = opts.resume !== undefined && samePath(dirname(opts.resume), dir);
      if (held && ownRun && opts.overwrite) {
        throw new LiftError(
          `--overwrite would delete the run that --resume ${opts.resume} continues`,
          undefined,
          "drop --overwrite, or write the resumed run elsewhere with --out",
        );
      }
      if (held && !ownRun) {
        if (!opts.overwrite) {
          throw new LiftError(
            `${dir} already holds another run (${held})`,
            undefined,
            `continue it with --resume ${found!.resumeFrom}, start over with --overwrite (deletes its checkpoints, history and report), or choose another --out`,
          );
        }
        for (const n of readdirSync(dir)) if (RUN_FILE.test(n)) rmSync(join(dir, n), { force: true });
        opts.note(`note: --overwrite: deleted the previous run in ${dir} (${held})`);
      }
    } catch (e) {
      lock.release();
      throw e;
    }
    return new RunDir(dir, lock);
  }

  /** Starts the history with `records` (those of the checkpoint resumed, or none), replacing the file. */
  async startHistory(records: EpochRecord[]): Promise<void> {
    this.lock.assertOwned();
    await writeFileAtomic(join(this.dir, HISTORY_FILE), records.map((r) => JSON.stringify(r) + "\n").join(""));
  }

  /** Appends one epoch's record, durably (see the header for why before the checkpoint). */
  async appendHistory(record: EpochRecord): Promise<void> {
    this.lock.assertOwned();
    const fh = await open(join(this.dir, HISTORY_FILE), "a");
    try {
      await fh.write(JSON.stringify(record) + "\n");
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
