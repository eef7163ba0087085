/** Reading the files a command names: sources, and input values in JSON (`readText` is lang/files.ts). */
import type { InputValue } from "../core/inputs.js";
import type { SourceText } from "../api/program.js";
import { LiftError, printable } from "../lang/diagnostics.js";
import { SourceFile } from "../lang/source.js";
import { readText } from "../lang/files.js";

export function readSources(paths: string[]): SourceText[] {
  return paths.map((p) => ({ name: p, text: readText(p) }));
}

/** Parses an inputs file: a JSON object mapping input names to values. Errors give line and column. */
export function readInputs(path: string): Record<string, InputValue> {
  return parseInputs(readText(path), path);
}

/** The inputs in a JSON text; `path` names it in errors. */
export function parseInputs(text: string, path: string): Record<string, InputValue> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    // Node quotes the text around the error: the caret shows the place, and the quote may hold raw bytes.
    const msg = printable(
      (e as Error).message
        .replace(/, (\.\.\.)?".*$/s, "")
        .replace(/ in JSON at position \d+.*$/s, "")
        .replace(/ after JSON at position \d+.*$/s, " after the JSON value"),
    );
    const at = jsonErrorOffset(text);
    throw new LiftError(`malformed JSON: ${msg}`, { file: new SourceFile(path, text), start: at, end: at + 1 });
  }
  if (!v || typeof v !== "object" || Array.isArray(v))
    throw new LiftError(
      `${path}: expected a JSON object mapping input names to values`,
      undefined,
      `e.g. {"A": [[1, 2], [3, 4]], "b": 0.5}`,
    );
  return v as Record<string, InputValue>;
}

/**
 * Where JSON.parse gives up: the shortest prefix whose error is not "unexpected end". Node 20's
 * messages do not always carry the position; a prefix that is merely incomplete never fails
 * any other way, so the search is a bisection.
 */
function jsonErrorOffset(text: string): number {
  const broken = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return false;
    } catch (e) {
      return !/end of (JSON )?input/i.test((e as Error).message);
    }
  };
  let lo = 0,
    hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (broken(mid + 1)) hi = mid;
    else lo = mid + 1;
  }
  return Math.min(lo, Math.max(0, text.length - 1));
}
