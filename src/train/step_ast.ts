// The statements the trainer adds to a checked model, built as AST nodes (no text is parsed).
// A statement is described as a small tree (a name, a run of numbers, or a parenthesised list);
// `build` lays the whole step out as the text a person would write, so that each node's span is
// a real place in that text (error messages and the C's `file:line` comments point at it), and
// returns the statements with the text and its file. The layout is lang/printer.ts's.

import type { Expr, Stmt } from "../lang/ast.js";
import { SourceFile, type Span } from "../lang/source.js";

/** A name, a run of numbers (`(in 3 2 2)` holds one: [3, 2, 2]), or a parenthesised list. */
export type Term = string | { nums: number[] } | Term[];

/** One line of the step: a comment or blank line (text only), or a statement `name :: e` / `name := e`. */
export type StepLine = { text: string } | { name: string; op: "::" | ":="; expr: Term };

export interface BuiltStep {
  stmts: Stmt[];
  text: string;
  file: SourceFile;
}

/** Lays out `lines` and builds their statements, with spans into a file named `fileName`. */
export function buildStep(fileName: string, lines: readonly StepLine[]): BuiltStep {
  const text = lines.map(lineText).join("\n") + "\n";
  const file = new SourceFile(fileName, text);
  const stmts: Stmt[] = [];
  let at = 0;
  for (const line of lines) {
    if ("name" in line) stmts.push(statement(file, at, line));
    at += lineText(line).length + 1;
  }
  return { stmts, text, file };
}

function lineText(line: StepLine): string {
  return "name" in line ? `${line.name} ${line.op} ${termText(line.expr)}` : line.text;
}

function termText(t: Term): string {
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return `(${t.map(termText).join(" ")})`;
  return t.nums.map(String).join(" ");
}

function statement(file: SourceFile, at: number, line: Extract<StepLine, { name: string }>): Stmt {
  const nameSpan: Span = { file, start: at, end: at + line.name.length };
  const expr = term(file, at + line.name.length + line.op.length + 2, line.expr);
  const span: Span = { file, start: at, end: expr.span.end };
  return line.op === "::"
    ? { kind: "declare", name: line.name, nameSpan, expr, span }
    : { kind: "assign", name: line.name, nameSpan, expr, span };
}

/** The AST of `t` laid out from offset `at`: what the parser gives for `termText(t)` there. */
function term(file: SourceFile, at: number, t: Term): Expr {
  const span: Span = { file, start: at, end: at + termText(t).length };
  if (typeof t === "string") return { kind: "name", name: t, span };
  if (!Array.isArray(t)) {
    const texts = t.nums.map(String);
    return { kind: "numbers", values: [...t.nums], texts, integer: t.nums.map(Number.isInteger), span };
  }
  const items: Expr[] = [];
  let p = at + 1;
  for (const item of t) {
    items.push(term(file, p, item));
    p += termText(item).length + 1;
  }
  return { kind: "list", items, span };
}
