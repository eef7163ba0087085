import type { Expr, Program, RankNum, Stmt } from "./ast.js";

/** Prints an AST back to source that parses to the same tree (comments are not kept). */
export function printProgram(p: Program): string {
  return p.stmts.map(printStmt).join("\n") + (p.stmts.length ? "\n" : "");
}

export function printStmt(s: Stmt): string {
  switch (s.kind) {
    case "declare":
      return `${s.name} :: ${printExpr(s.expr)}`;
    case "assign":
      return `${s.name} := ${printExpr(s.expr)}`;
    case "verb":
      return `${s.name}"${s.ranks.map(rankText).join(" ")} := ${printExpr(s.body)}`;
    case "use":
      return `(use ${s.names.map((n) => n.name).join(" ")})`;
    case "ties":
      return `(ties ${s.rule})`;
  }
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case "name":
    case "arg":
      return e.name;
    case "rank":
      return '"';
    case "numbers":
      return e.texts.join(" ");
    case "list": {
      // `(V " r)` prints without spaces around the mark, the way people write it.
      if (e.items.length === 3 && e.items[1]!.kind === "rank")
        return `(${printExpr(e.items[0]!)}"${printExpr(e.items[2]!)})`;
      return `(${e.items.map(printExpr).join(" ")})`;
    }
  }
}

export function rankText(r: RankNum): string {
  return r === "inf" ? "_" : String(r);
}
