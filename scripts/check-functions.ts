/**
 * Lists the functions in src/ longer than the limit (80 lines) that do not say why:
 *
 *   node dist/scripts/check-functions.js [--limit 80] [DIR…]      (default DIR: src)
 *
 * A function may pass the limit when a comment starting `long:` gives the reason, on the lines
 * just above it (its doc comment counts) or on its first line: `// long: one table, read top to
 * bottom`. Every function counts on its own: declarations, methods, function expressions and
 * arrows, nested ones too (a nested function's lines also count towards its parent). Files are
 * parsed with prettier's TypeScript parser. Exits 1 when some function is listed.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parsers } from "prettier/plugins/typescript";

export const LIMIT = 80;

interface Loc {
  start: { line: number };
  end: { line: number };
}
interface EsNode {
  type: string;
  loc: Loc;
  [key: string]: unknown;
}
interface EsComment {
  value: string;
  loc: Loc;
}

export interface LongFunction {
  file: string;
  line: number;
  name: string;
  lines: number;
}

const FUNCTION_TYPES = new Set([
  "FunctionDeclaration",
  "FunctionExpression",
  "ArrowFunctionExpression",
  "TSDeclareFunction",
]);

/** What a person would call the function: its own name, or the name it is bound to. */
function nameOf(fn: EsNode, parent: EsNode | undefined): string {
  const id = fn.id as { name?: string } | null | undefined;
  if (id?.name) return id.name;
  const key = (parent?.key ?? parent?.id) as { name?: string; value?: string } | undefined;
  if (parent && ["MethodDefinition", "Property", "PropertyDefinition", "VariableDeclarator"].includes(parent.type))
    return key?.name ?? String(key?.value ?? "<computed>");
  return "<anonymous>";
}

/** Whether a `long:` comment ends on the function's first line or on the lines just above it. */
function justified(line: number, comments: readonly EsComment[]): boolean {
  const endingOn = new Map<number, EsComment[]>();
  for (const c of comments) endingOn.set(c.loc.end.line, [...(endingOn.get(c.loc.end.line) ?? []), c]);
  const says = (c: EsComment) => /(^|[\s*])long:\s*\S/.test(c.value);
  const sameLine = comments.filter((c) => c.loc.start.line === line);
  if (sameLine.some(says)) return true;
  // Walk up through the comment block that sits directly above the function.
  for (let l = line - 1; endingOn.has(l);) {
    const block = endingOn.get(l)!;
    if (block.some(says)) return true;
    l = Math.min(...block.map((c) => c.loc.start.line)) - 1;
  }
  return false;
}

/** The functions of one TypeScript text over `limit` lines without a `long:` reason. */
export function longFunctions(text: string, file: string, limit = LIMIT): LongFunction[] {
  const ast = parsers.typescript.parse(text, {} as never) as unknown as EsNode & { comments: EsComment[] };
  const out: LongFunction[] = [];
  const visit = (node: EsNode, parent: EsNode | undefined): void => {
    if (FUNCTION_TYPES.has(node.type)) {
      // A method's function expression starts after its name: measure from the method itself.
      const at = parent?.type === "MethodDefinition" ? parent : node;
      const lines = node.loc.end.line - at.loc.start.line + 1;
      if (lines > limit && !justified(at.loc.start.line, ast.comments))
        out.push({ file, line: at.loc.start.line, name: nameOf(node, parent), lines });
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "loc" || key === "range" || key === "parent" || key === "tokens" || key === "comments") continue;
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof child === "object" && typeof (child as EsNode).type === "string" && (child as EsNode).loc)
          visit(child as EsNode, node);
      }
    }
  };
  visit(ast, undefined);
  return out.sort((a, b) => a.line - b.line);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
    });
}

/** Every long function without a reason under `dirs`. */
export function checkTree(dirs: readonly string[], limit = LIMIT): LongFunction[] {
  return dirs.flatMap(tsFiles).flatMap((f) => longFunctions(readFileSync(f, "utf8"), f, limit));
}

function main(argv: string[]): number {
  let limit = LIMIT;
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--limit") limit = Number(argv[++i]);
    else dirs.push(argv[i]!);
  }
  if (!Number.isInteger(limit) || limit < 1) {
    console.error("usage: check-functions [--limit N] [DIR…]");
    return 2;
  }
  const found = checkTree(dirs.length ? dirs : ["src"], limit);
  for (const f of found)
    console.log(`${f.file}:${f.line} ${f.name}: ${f.lines} lines (over ${limit}, no \`// long: <reason>\`)`);
  if (found.length) console.log(`${found.length} function(s) over ${limit} lines without a reason`);
  return found.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href)
  process.exitCode = main(process.argv.slice(2));
