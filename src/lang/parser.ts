import type { Expr, Program, RankNum, Stmt } from "./ast.js";
import { fail } from "./diagnostics.js";
import { lex, type Token } from "./lexer.js";
import { SourceFile, spanUnion, type Span } from "./source.js";

/** Parses one or more source files, concatenated, into a program (reference §1.2). */
export function parse(files: SourceFile | SourceFile[]): Program {
  const stmts: Stmt[] = [];
  for (const file of Array.isArray(files) ? files : [files]) stmts.push(...new Parser(lex(file), file).program());
  return { stmts };
}

export function parseText(text: string, name = "<input>"): Program {
  return parse(new SourceFile(name, text));
}

/** Parses a file holding exactly one expression (the REPL's input). */
export function parseExpression(file: SourceFile): Expr {
  const p = new Parser(lex(file), file);
  return p.soleExpression();
}

/** Deeper nesting than this is surely a mistake, and would exhaust the stack of the recursive passes. */
export const MAX_NESTING = 256;

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly file: SourceFile,
  ) {}

  private peek(k = 0): Token | undefined {
    return this.tokens[this.pos + k];
  }
  private endSpan(): Span {
    const n = this.file.text.length;
    return { file: this.file, start: Math.max(0, n - 1), end: n };
  }

  soleExpression(): Expr {
    const e = this.expr();
    const extra = this.peek();
    if (extra)
      fail(`unexpected ${describe(extra)} after the expression`, extra.span, "an application is (f y) or (x f y)");
    return e;
  }

  program(): Stmt[] {
    const stmts: Stmt[] = [];
    while (this.pos < this.tokens.length) stmts.push(this.statement());
    return stmts;
  }

  private statement(): Stmt {
    if (this.peek()?.kind === "lparen") return this.use();
    const head = this.tokens[this.pos++]!;
    if (head.kind !== "name") {
      const hint =
        head.kind === "arg"
          ? "`x` and `y` are reserved for verb arguments"
          : 'a statement starts with a name: `A :: (in 3)`, `B := (A + A)` or `f"0 := (y * y)`';
      fail(`expected a statement, found ${describe(head)}`, head.span, hint);
    }
    const next = this.peek();
    if (!next) fail(`\`${head.text}\` is not followed by \`:=\`, \`::\` or a rank`, head.span);
    if (next.kind === "declare") {
      this.pos++;
      const expr = this.expr();
      return { kind: "declare", name: head.text, nameSpan: head.span, expr, span: spanUnion(head.span, expr.span) };
    }
    if (next.kind === "assign") {
      this.pos++;
      const expr = this.expr();
      return { kind: "assign", name: head.text, nameSpan: head.span, expr, span: spanUnion(head.span, expr.span) };
    }
    if (next.kind === "rank") {
      this.pos++;
      const nums = this.peek();
      if (!nums || !isNumberToken(nums))
        fail(
          `expected the rank of verb \`${head.text}\` after \`"\``,
          nums?.span ?? next.span,
          'write `f"0 := ...` for a monad or `g"1 1 := ...` for a dyad',
        );
      const numbers = this.numbers();
      if (numbers.kind !== "numbers") throw new Error("unreachable");
      numbers.values.forEach((v, k) => {
        if (v !== "inf" && !numbers.integer[k])
          fail(`a rank must be a whole number or \`_\`, not \`${numbers.texts[k]}\``, numbers.span);
        if (v !== "inf" && v < 0) fail(`a rank cannot be negative`, numbers.span);
      });
      if (numbers.values.length > 2)
        fail(`verb \`${head.text}\` has ${numbers.values.length} ranks; a monad has one, a dyad two`, numbers.span);
      const assign = this.peek();
      if (!assign || assign.kind !== "assign")
        fail(`expected \`:=\` after the rank of verb \`${head.text}\``, assign?.span ?? numbers.span);
      this.pos++;
      const body = this.expr();
      return {
        kind: "verb",
        name: head.text,
        nameSpan: head.span,
        ranks: numbers.values,
        rankSpan: numbers.span,
        body,
        span: spanUnion(head.span, body.span),
      };
    }
    fail(
      `expected \`:=\`, \`::\` or \`"\` after \`${head.text}\`, found ${describe(next)}`,
      next.span,
      'statements are `A :: (in 3)`, `B := (A + A)` or `f"0 := (y * y)`',
    );
  }

  private use(): Stmt {
    const e = this.expr();
    const items = e.kind === "list" ? e.items : [];
    const head = items[0];
    if (head?.kind === "name" && head.name === "ties") {
      const rule = items[1];
      if (items.length !== 2 || rule?.kind !== "name" || (rule.name !== "split" && rule.name !== "full"))
        fail(
          "`ties` takes one word: (ties split) or (ties full)",
          e.span,
          "(ties full) gives every tied operand of max/min the whole gradient, as the original LiFT did",
        );
      return { kind: "ties", rule: rule.name, span: e.span };
    }
    if (head?.kind !== "name" || head.name !== "use" || items.length < 2)
      fail(
        "a statement in parentheses must be (use NAME…) or (ties split|full)",
        e.span,
        'statements are `A :: (in 3)`, `B := (A + A)`, `f"0 := (y * y)` or `(use nn)`',
      );
    const names = items.slice(1).map((it) => {
      if (it.kind !== "name" || !/^[a-z][a-z0-9-]*$/.test(it.name))
        fail("`use` takes library names such as nn or optim", it.span);
      return { name: it.name, span: it.span };
    });
    return { kind: "use", names, span: e.span };
  }

  private numbers(): Expr {
    const first = this.peek()!;
    const values: RankNum[] = [],
      texts: string[] = [],
      integer: boolean[] = [];
    let span = first.span;
    while (this.peek() && isNumberToken(this.peek()!)) {
      const t = this.tokens[this.pos++]!;
      values.push(t.kind === "infinity" ? "inf" : Number(t.text));
      texts.push(t.text);
      integer.push(t.kind === "integer");
      span = spanUnion(span, t.span);
    }
    return { kind: "numbers", values, texts, integer, span };
  }

  private expr(): Expr {
    const t = this.peek();
    if (!t) fail("expected an expression, found the end of the input", this.endSpan());
    switch (t.kind) {
      case "name":
        this.pos++;
        return { kind: "name", name: t.text, span: t.span };
      case "arg":
        this.pos++;
        return { kind: "arg", name: t.text as "x" | "y", span: t.span };
      case "rank":
        this.pos++;
        return { kind: "rank", span: t.span };
      case "number":
      case "integer":
      case "infinity":
        return this.numbers();
      case "lparen": {
        if (++this.depth > MAX_NESTING)
          fail(
            `parentheses nested more than ${MAX_NESTING} deep`,
            t.span,
            "split the expression with named intermediate arrays",
          );
        this.pos++;
        const items: Expr[] = [];
        for (;;) {
          const n = this.peek();
          if (!n) fail("unclosed `(`", t.span, "every `(` needs a matching `)`");
          if (n.kind === "rparen") {
            this.pos++;
            break;
          }
          if (n.kind === "assign" || n.kind === "declare")
            fail(`\`${n.text}\` inside parentheses`, n.span, "is a `)` missing before it?");
          items.push(this.expr());
        }
        const span = spanUnion(t.span, this.tokens[this.pos - 1]!.span);
        if (items.length === 0) fail("empty parentheses `()`", span);
        this.depth--;
        return { kind: "list", items, span };
      }
      case "rparen":
        fail("unexpected `)`", t.span, "parentheses do not balance");
      default:
        fail(`expected an expression, found ${describe(t)}`, t.span);
    }
  }
}

function isNumberToken(t: Token): boolean {
  return t.kind === "number" || t.kind === "integer" || t.kind === "infinity";
}

function describe(t: Token): string {
  switch (t.kind) {
    case "name":
      return `the name \`${t.text}\``;
    case "arg":
      return `the argument \`${t.text}\``;
    case "number":
    case "integer":
      return `the number \`${t.text}\``;
    default:
      return `\`${t.text}\``;
  }
}
