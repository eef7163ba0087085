/**
 * Resolving `(use NAME…)`: each name is a library file, `NAME.lift` beside the using file or in
 * the package's prelude/ directory, included once, before the statements of the first file that
 * uses it. Names are restricted to [a-z0-9-], so a model cannot reach outside those folders.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Program, Stmt } from "./ast.js";
import { fail } from "./diagnostics.js";
import { parse } from "./parser.js";
import { SourceFile } from "./source.js";

export const PRELUDE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "prelude");

/** `included` holds the libraries already loaded (a REPL session's); it gains those this call includes. */
export function resolveUses(
  files: SourceFile[],
  included = new Set<string>(),
): { program: Program; files: SourceFile[] } {
  const all: SourceFile[] = [];
  const stmts: Stmt[] = [];
  const visit = (file: SourceFile, stack: string[]): void => {
    all.push(file);
    for (const s of parse(file).stmts) {
      if (s.kind !== "use") {
        stmts.push(s);
        continue;
      }
      for (const { name, span } of s.names) {
        const beside = file.name.includes("/") ? join(dirname(file.name), `${name}.lift`) : undefined;
        const path = beside && existsSync(beside) ? beside : join(PRELUDE_DIR, `${name}.lift`);
        if (stack.includes(path)) fail(`\`${name}\` uses itself`, span);
        if (included.has(path)) continue;
        if (!existsSync(path))
          fail(`no library \`${name}\`: looked for ${name}.lift beside this file and in the prelude`, span);
        included.add(path);
        visit(new SourceFile(path, readFileSync(path, "utf8")), [...stack, path]);
      }
    }
  };
  for (const f of files) visit(f, []);
  return { program: { stmts }, files: all };
}
