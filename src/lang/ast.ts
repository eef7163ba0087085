import type { Span } from "./source.js";

/** A rank number or `_` (infinite). */
export type RankNum = number | "inf";

export type Expr =
  | { kind: "name"; name: string; span: Span }
  | { kind: "arg"; name: "x" | "y"; span: Span }
  | { kind: "rank"; span: Span }
  /** Adjacent numbers merge into one item; `texts` keeps their spelling for printing. */
  | { kind: "numbers"; values: RankNum[]; texts: string[]; integer: boolean[]; span: Span }
  | { kind: "list"; items: Expr[]; span: Span };

export type Stmt =
  | { kind: "declare"; name: string; nameSpan: Span; expr: Expr; span: Span }
  | { kind: "verb"; name: string; nameSpan: Span; ranks: RankNum[]; rankSpan: Span; body: Expr; span: Span }
  | { kind: "assign"; name: string; nameSpan: Span; expr: Expr; span: Span }
  /** `(use nn optim)`: include library files (prelude/nn.lift, …) before this file's statements. */
  | { kind: "use"; names: { name: string; span: Span }[]; span: Span }
  /** `(ties split)` (the default) or `(ties full)`: how max and min share a tie's gradient. */
  | { kind: "ties"; rule: TieRule; span: Span };

/** `split`: a tie's gradient is divided equally among the tied operands; `full`: each gets all of it (the original LiFT). */
export type TieRule = "split" | "full";

export interface Program {
  stmts: Stmt[];
}
