/**
 * A cursor over an IR's text form, shared by the parsers of the Graph, Poly and loop-AST texts
 * (graph_text.ts, poly/program_text.ts, codegen/loop_text.ts). Every failure is a LiftError at
 * the offending place, so a hand-edited dump that does not parse says `file:line:col` and why.
 */
import { LiftError } from "../lang/diagnostics.js";
import { SourceFile } from "../lang/source.js";

export class TextReader {
  readonly file: SourceFile;
  pos = 0;
  constructor(name: string, text: string) {
    this.file = new SourceFile(name, text);
  }

  get text(): string {
    return this.file.text;
  }
  atEnd(): boolean {
    this.spaces();
    return this.pos >= this.text.length;
  }

  /** Skips blanks and newlines (`inline`: blanks only, so line-structured texts see their ends). */
  spaces(inline = false): void {
    const re = inline ? /[ \t]/ : /\s/;
    while (this.pos < this.text.length && re.test(this.text[this.pos]!)) this.pos++;
  }

  /** Whether the text continues with `s` (after blanks); consumes it if so. */
  eat(s: string, inline = false): boolean {
    this.spaces(inline);
    if (!this.text.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }
  peek(s: string, inline = false): boolean {
    this.spaces(inline);
    return this.text.startsWith(s, this.pos);
  }
  expect(s: string, inline = false): void {
    if (!this.eat(s, inline)) this.fail(`expected "${s}"`);
  }

  /** The next match of `re` (anchored here), consumed; `what` names it in the error. */
  match(re: RegExp, what: string, inline = false): string {
    this.spaces(inline);
    const m = new RegExp(re.source, "y");
    m.lastIndex = this.pos;
    const r = m.exec(this.text);
    if (!r) return this.fail(`expected ${what}`);
    this.pos += r[0].length;
    return r[0];
  }
  word(inline = false): string {
    return this.match(/[^\s()[\]{},;:=%]+/, "a name", inline);
  }
  int(inline = false): number {
    return Number(this.match(/-?\d+/, "an integer", inline));
  }
  /** A number as `numText` writes it: decimal, `inf`, `-inf`, `nan`, `-0`. */
  num(inline = false): number {
    const t = this.match(/-?inf|nan|-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/, "a number", inline);
    return t === "inf" ? Infinity : t === "-inf" ? -Infinity : t === "nan" ? NaN : Number(t);
  }
  /** The rest of the current line (not its newline), consumed. */
  restOfLine(): string {
    const end = this.text.indexOf("\n", this.pos);
    const stop = end < 0 ? this.text.length : end;
    const s = this.text.slice(this.pos, stop);
    this.pos = stop;
    return s;
  }
  /** Text up to the balanced closing `close` of an `open` just consumed (isl sets nest braces). */
  balanced(open: string, close: string): string {
    const start = this.pos;
    let depth = 1;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++];
      if (c === open) depth++;
      else if (c === close && --depth === 0) return this.text.slice(start, this.pos - 1);
    }
    return this.fail(`unclosed "${open}"`, start - 1);
  }
  /** The end of a line: nothing but blanks before it. */
  endLine(): void {
    this.spaces(true);
    if (this.pos < this.text.length && this.text[this.pos] !== "\n")
      this.fail("unexpected text at the end of the line");
  }
  fail(message: string, at = this.pos): never {
    throw new LiftError(message, { file: this.file, start: at, end: at + 1 });
  }
}

/** A number as the IR texts write it: finite as JavaScript does (keeping -0), else inf/-inf/nan. */
export function numText(v: number): string {
  if (Object.is(v, -0)) return "-0";
  return Number.isFinite(v) ? String(v) : v > 0 ? "inf" : Number.isNaN(v) ? "nan" : "-inf";
}
