import type { Span } from "./source.js";

/**
 * Every user error: a message, where it happened, and a hint where one helps.
 * The CLI prints it as `file:line:col: message`, the line, a caret; never a stack trace.
 */
export class LiftError extends Error {
  constructor(
    message: string,
    readonly span?: Span,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "LiftError";
  }
  get location(): { file: string; line: number; col: number } | undefined {
    if (!this.span) return undefined;
    const { line, col } = this.span.file.position(this.span.start);
    return { file: this.span.file.name, line, col };
  }
  format(): string {
    const out: string[] = [];
    if (!this.span) out.push(`error: ${this.message}`);
    else {
      const { file } = this.span;
      const { line, col } = file.position(this.span.start);
      const endPos = file.position(Math.max(this.span.start, this.span.end - 1));
      // One column per control character, so the caret stays under its place.
      const text = file.lineText(line).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "\ufffd");
      const width = endPos.line === line ? Math.max(1, endPos.col - col + 1) : Math.max(1, text.length - col + 1);
      out.push(`${file.name}:${line}:${col}: error: ${this.message}`);
      out.push(`  ${text}`);
      out.push(`  ${" ".repeat(col - 1)}${"^".repeat(width)}`);
    }
    if (this.hint) out.push(`  hint: ${this.hint}`);
    return out.join("\n");
  }
}

/** Control characters from a user's file, made visible and harmless for a terminal: U+0001. */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
}

export function fail(message: string, span?: Span, hint?: string): never {
  throw new LiftError(message, span, hint);
}
