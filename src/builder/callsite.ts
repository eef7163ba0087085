/**
 * Where the user's code called the builder: the first stack frame outside src/builder/, as a
 * span in that file (read once), so a LiftError prints the user's TypeScript line and a caret.
 * A frame in compiled JavaScript is mapped back to the TypeScript through tsc's source map.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SourceFile, type Span } from "../lang/source.js";
import { original } from "./sourcemap.js";

const files = new Map<string, SourceFile>();
const FRAME = /\(?((?:file:\/\/)?\/[^\s()]+?):(\d+):(\d+)\)?$/;
const INSIDE = /[\\/]src[\\/]builder[\\/]/;

function fileFor(path: string, line: number, col: number): SourceFile {
  let f = files.get(path);
  if (!f) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      text = `${"\n".repeat(line - 1)}${" ".repeat(col - 1)}?`;
    }
    files.set(path, (f = new SourceFile(path, text)));
  }
  return f;
}

/** The span of the user's call that is running now. */
export function callSite(): Span {
  const stack = (new Error().stack ?? "").split("\n").slice(1);
  for (const line of stack) {
    const m = FRAME.exec(line.trim());
    if (!m || INSIDE.test(m[1]!)) continue;
    const at = original(m[1]!.startsWith("file://") ? fileURLToPath(m[1]!) : m[1]!, Number(m[2]), Number(m[3]));
    const { path, line: ln, col } = at;
    const file = fileFor(path, ln, col);
    const start = Math.min(file.text.length, (file.lineStarts[ln - 1] ?? 0) + col - 1);
    return { file, start, end: start + 1 };
  }
  const file = fileFor("<builder>", 1, 1);
  return { file, start: 0, end: 1 };
}
