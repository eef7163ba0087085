import { fail } from "./diagnostics.js";
import type { SourceFile, Span } from "./source.js";

export type TokenKind =
  "name" | "arg" | "number" | "integer" | "assign" | "declare" | "infinity" | "lparen" | "rparen" | "rank";
export interface Token {
  kind: TokenKind;
  text: string;
  span: Span;
}

const NAME_START = /[a-zA-Z+\-*/%<>.]/;
const NAME_CHAR = /[0-9a-zA-Z+\-*/%<>.]/;
// Our numbers extend the original's: an optional exponent sign and `1e2` without a dot.
const NUMBER = /^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?/;
const NEGATIVE = /^-[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/;

/**
 * Splits LiFT source into tokens. Whitespace (newlines too) separates tokens; `;` starts a
 * comment that runs to the end of the line. A name-like token that is exactly a number with a
 * leading `-` is a negative literal (the original rejected it as an unknown name).
 */
// long: one scanner loop over the characters; each token class is one branch, read top to bottom.
export function lex(file: SourceFile): Token[] {
  const src = file.text;
  const tokens: Token[] = [];
  let i = 0;
  const span = (start: number, end: number): Span => ({ file, start, end });
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === ";") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    const start = i;
    if (c === "(") {
      tokens.push({ kind: "lparen", text: c, span: span(i, ++i) });
      continue;
    }
    if (c === ")") {
      tokens.push({ kind: "rparen", text: c, span: span(i, ++i) });
      continue;
    }
    if (c === '"') {
      tokens.push({ kind: "rank", text: c, span: span(i, ++i) });
      continue;
    }
    if (c === "_") {
      i++;
      if (i < src.length && NAME_CHAR.test(src[i]!))
        fail("`_` (infinite rank) must stand alone", span(start, i + 1), "names cannot contain `_`");
      tokens.push({ kind: "infinity", text: "_", span: span(start, i) });
      continue;
    }
    if (c === ":") {
      const next = src[i + 1];
      if (next === "=") {
        tokens.push({ kind: "assign", text: ":=", span: span(i, i + 2) });
        i += 2;
        continue;
      }
      if (next === ":") {
        tokens.push({ kind: "declare", text: "::", span: span(i, i + 2) });
        i += 2;
        continue;
      }
      fail("a lone `:` is not a token", span(i, i + 1), "write `:=` to define or `::` to declare");
    }
    if (c >= "0" && c <= "9") {
      const m = NUMBER.exec(src.slice(i))![0];
      i += m.length;
      if (i < src.length && NAME_CHAR.test(src[i]!)) {
        let j = i;
        while (j < src.length && NAME_CHAR.test(src[j]!)) j++;
        fail(
          `malformed number \`${src.slice(start, j)}\``,
          span(start, j),
          "separate a number from a name with a space",
        );
      }
      const integer = /^[0-9]+$/.test(m);
      tokens.push({ kind: integer ? "integer" : "number", text: m, span: span(start, i) });
      continue;
    }
    if (NAME_START.test(c)) {
      while (i < src.length && NAME_CHAR.test(src[i]!)) i++;
      if (src[i] === "_") {
        let j = i;
        while (j < src.length && (NAME_CHAR.test(src[j]!) || src[j] === "_")) j++;
        fail(
          `names cannot contain \`_\`: \`${src.slice(start, j)}\``,
          span(i, i + 1),
          "`_` alone is the infinite rank; write the name without it, e.g. myW",
        );
      }
      const text = src.slice(start, i);
      if (NEGATIVE.test(text)) tokens.push({ kind: "number", text, span: span(start, i) });
      else tokens.push({ kind: text === "x" || text === "y" ? "arg" : "name", text, span: span(start, i) });
      continue;
    }
    const cp = src.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const invisible = cp < 32 || cp === 0x7f || cp === 0xfeff || (cp >= 0x200b && cp <= 0x200f) || cp === 0xa0;
    const shown = c === "\t" ? "\\t" : invisible ? `U+${cp.toString(16).toUpperCase().padStart(4, "0")}` : ch;
    fail(
      `unexpected character \`${shown}\``,
      span(i, i + ch.length),
      c === "#"
        ? "comments start with `;` and run to the end of the line"
        : c === "[" || c === ","
          ? "there are no vector literals; declare an input instead"
          : undefined,
    );
  }
  return tokens;
}
