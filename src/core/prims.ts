/**
 * THE primitive table. Every builtin is one entry; the mapped type `PrimTable` makes `tsc`
 * refuse an entry without its shape rule, evaluation, derivative (vector–Jacobian rule written
 * with primitives of this same table, so gradients can be differentiated again) and printing.
 * Surface builtins are the 14 of reference §4 and `sin`; `==`, `ypow`, `xlogy`, `pad`, `dilate`,
 * `diagonals` are internal: they appear only in the rules of other entries.
 * The layers above keep their per-primitive part in tables over the same names, checked complete
 * by tsc (interp/cells.ts, poly/lower_cells.ts, codegen/wasm.ts `WASM_MATH`, test/core/prim_cases.ts):
 * docs/adding-a-primitive.md lists them.
 */
import type { TieRule } from "../lang/ast.js";
import type { Dim } from "./shape.js";
import type { Params, ReduceOp } from "./params.js";

export type DyadName = "+" | "-" | "*" | "/" | "**" | "<." | ">." | "==" | "ypow" | "xlogy";
export type MapName = "exp" | "log" | "sin";
export type CellName = "reduce" | "oblique" | "trim" | "stride" | "duplicate" | "pad" | "dilate" | "diagonals";
/** A verb implemented by host code (core/externs.ts); evaluated, differentiated and compiled apart. */
export type ExternName = "extern";
export type PrimName = DyadName | MapName | CellName | ExternName;

/**
 * What a derivative rule may use: the incoming gradient `acc`, the operands, the result `z`, and
 * constructors of new primitive applications over the same iteration space. `T` is opaque here
 * (grad.ts decides). Dyads: `x`, `y` are indexed as in the forward node (broadcast by omission);
 * monads: `y` is the operand, `cellIn` its cell shape (after the frame).
 */
export interface VjpCtx<T> {
  acc: T;
  x: T;
  y: T;
  z: T;
  params: Params;
  cellIn: readonly Dim[];
  /** The program's tie rule for max/min (`split` unless it declares `(ties full)`). */
  ties: TieRule;
  lit(c: number): T;
  dyad(op: DyadName, a: T, b: T): T;
  map(op: MapName, a: T): T;
  cell(op: CellName, p: Params, a: T): T;
}
/** A contribution rule; `null` means the contribution is identically zero. */
export type Rule = <T>(v: VjpCtx<T>) => T | null;

export interface DyadEntry {
  kind: "dyad";
  surface: boolean;
  fn: (a: number, b: number) => number;
  /** Present for the operators `reduce`/`oblique` accept. */
  identity?: number;
  vjp: readonly [Rule, Rule];
  /** The C spelling of one application (see `Spell`). */
  c: (a: string, b: string, s: Spell) => string;
}
export interface MapEntry {
  kind: "map";
  surface: boolean;
  fn: (a: number) => number;
  vjp: Rule;
  c: (a: string, s: Spell) => string;
}
/**
 * The C math functions a spelling may call, with their arities. Every dialect names or provides
 * each one (codegen/dialect.ts `math`; the wasm build declares each a builtin or an import from
 * JavaScript, codegen/wasm.ts `WASM_MATH`), so a new one here is a tsc error until it does.
 */
export const MATH_ARITY = { exp: 1, log: 1, pow: 2, sqrt: 1, sin: 1 } as const;
export type MathFn = keyof typeof MATH_ARITY;

/**
 * What a C-like printer (each dialect: C, WebAssembly-C; CUDA next) tells a spelling: the
 * element type, the dialect's name of a math function for that type (`expf` in C's float), a
 * literal of the element type, and which operands are constants (their value, else undefined),
 * so a spelling can choose `sqrt` for `** 0.5` or drop a dead branch.
 * `min`/`max` name the dialect's helpers with this table's semantics (the second operand wins
 * only when strictly smaller/larger, NaN then keeps the first).
 */
export interface Spell {
  type: string;
  math(f: MathFn): string;
  lit(v: number): string;
  consts: readonly (number | undefined)[];
  min: string;
  max: string;
}
export interface CellEntry {
  kind: "cell";
  surface: boolean;
  params: "reduce" | "ints";
  /** The result cell of one application, or a message saying why the cell does not fit. */
  cellShape(cell: readonly Dim[], p: Params): Dim[] | string;
  vjp: Rule;
}

/** The entry each name needs; a reduction operator's dyad must also give its identity. */
type PrimTable = {
  [P in PrimName]: P extends ReduceOp
    ? DyadEntry & { identity: number }
    : P extends DyadName
      ? DyadEntry
      : P extends MapName
        ? MapEntry
        : CellEntry;
};

/** ∂ max(x, y)/∂t for t = x or y (min alike): [z = t] − ½[x = y], or [z = t] under (ties full). */
function tieWeight<T>(v: VjpCtx<T>, t: T): T {
  const hit = v.dyad("==", v.z, t);
  return v.ties === "full" ? hit : v.dyad("-", hit, v.dyad("*", v.lit(0.5), v.dyad("==", v.x, v.y)));
}

const known = (d: Dim, what: string): number | string =>
  typeof d === "number" ? d : `${what} needs a known size, but this axis has the symbolic size ${d}`;

/** Checks the leading `k` axes for an ints-parameter builtin and maps them with `f`. */
function mapLeading(
  cell: readonly Dim[],
  ints: readonly Dim[],
  name: string,
  f: (s: number, t: number, i: number) => number | string,
): Dim[] | string {
  if (ints.length > cell.length)
    return `(${name} ${ints.join(" ")}) acts on ${ints.length} axes, but the cell has rank ${cell.length}`;
  const out: Dim[] = [];
  for (let i = 0; i < ints.length; i++) {
    const s = known(cell[i]!, name);
    if (typeof s === "string") return s;
    const r = f(s, ints[i] as number, i);
    if (typeof r === "string") return r;
    out.push(r);
  }
  return [...out, ...cell.slice(ints.length)];
}

/** x^y: sqrt for y = 0.5, a product for y = 2, x for y = 1, else pow. */
function powSpelling(a: string, b: string, y: number | undefined, s: Spell): string {
  if (y === 0.5) return `${s.math("sqrt")}(${a})`;
  if (y === 2) return `(${a} * ${a})`;
  if (y === 1) return a;
  if (y === 0) return s.lit(1);
  return `${s.math("pow")}(${a}, ${b})`;
}
/** ypow(x, y) = y·x^(y−1), 0 when y = 0: with a constant y the test is decided here and x^(y−1) spelled as above. */
function ypowSpelling(a: string, b: string, y: number | undefined, s: Spell): string {
  if (y === undefined) return `((${b}) == 0 ? ${s.lit(0)} : (${b}) * ${s.math("pow")}(${a}, (${b}) - 1))`;
  if (y === 0) return s.lit(0);
  if (y === 1) return s.lit(1);
  return `(${b} * ${powSpelling(a, s.lit(y - 1), y - 1, s)})`;
}

export const PRIMS: PrimTable = {
  // d(x+y) = dx + dy
  "+": {
    kind: "dyad",
    surface: true,
    fn: (a, b) => a + b,
    identity: 0,
    vjp: [(v) => v.acc, (v) => v.acc],
    c: (a, b) => `(${a} + ${b})`,
  },
  // d(x−y) = dx − dy
  "-": {
    kind: "dyad",
    surface: true,
    fn: (a, b) => a - b,
    vjp: [(v) => v.acc, (v) => v.dyad("-", v.lit(0), v.acc)],
    c: (a, b) => `(${a} - ${b})`,
  },
  // d(x·y) = y·dx + x·dy
  "*": {
    kind: "dyad",
    surface: true,
    fn: (a, b) => a * b,
    vjp: [(v) => v.dyad("*", v.acc, v.y), (v) => v.dyad("*", v.acc, v.x)],
    c: (a, b) => `(${a} * ${b})`,
  },
  // d(x/y) = dx/y − x·dy/y²
  "/": {
    kind: "dyad",
    surface: true,
    fn: (a, b) => a / b,
    vjp: [
      (v) => v.dyad("/", v.acc, v.y),
      (v) => v.dyad("-", v.lit(0), v.dyad("/", v.dyad("*", v.acc, v.x), v.dyad("*", v.y, v.y))),
    ],
    c: (a, b) => `(${a} / ${b})`,
  },
  // d(x^y) = ypow(x, y)·dx + xlogy(x^y, x)·dy, with ypow(x, y) = y·x^(y−1) and xlogy(z, x) = z·ln x,
  // each defined as 0 where its first factor is 0, so a zero base gives no 0·∞ at any order
  "**": {
    kind: "dyad",
    surface: true,
    fn: Math.pow,
    vjp: [(v) => v.dyad("*", v.acc, v.dyad("ypow", v.x, v.y)), (v) => v.dyad("*", v.acc, v.dyad("xlogy", v.z, v.x))],
    c: (a, b, s) => powSpelling(a, b, s.consts[1], s),
  },
  // ypow(x, y) = y·x^(y−1) (0 when y = 0);  d/dx = y·ypow(x, y − 1);  d/dy = x^(y−1) + xlogy(ypow(x, y), x)
  ypow: {
    kind: "dyad",
    surface: false,
    fn: (x, y) => (y === 0 ? 0 : y * Math.pow(x, y - 1)),
    vjp: [
      (v) => v.dyad("*", v.acc, v.dyad("*", v.y, v.dyad("ypow", v.x, v.dyad("-", v.y, v.lit(1))))),
      (v) => v.dyad("*", v.acc, v.dyad("+", v.dyad("**", v.x, v.dyad("-", v.y, v.lit(1))), v.dyad("xlogy", v.z, v.x))),
    ],
    c: (a, b, s) => ypowSpelling(a, b, s.consts[1], s),
  },
  // xlogy(a, b) = a·ln b (0 when a = 0);  d/da = ln b;  d/db = a / b
  xlogy: {
    kind: "dyad",
    surface: false,
    fn: (a, b) => (a === 0 ? 0 : a * Math.log(b)),
    vjp: [(v) => v.dyad("*", v.acc, v.map("log", v.y)), (v) => v.dyad("*", v.acc, v.dyad("/", v.x, v.y))],
    c: (a, b, s) =>
      s.consts[0] === undefined
        ? `((${a}) == 0 ? ${s.lit(0)} : (${a}) * ${s.math("log")}(${b}))`
        : s.consts[0] === 0
          ? s.lit(0)
          : `(${a} * ${s.math("log")}(${b}))`,
  },
  // d min(x,y) = wx·dx + wy·dy with wx = [z = x] − ½[x = y] (split: a tie gives each operand half),
  // or wx = [z = x] under (ties full) (a tie sends the whole gradient to both, reference §4.6)
  "<.": {
    kind: "dyad",
    surface: true,
    fn: (a, b) => (b < a ? b : a),
    identity: Infinity,
    vjp: [(v) => v.dyad("*", v.acc, tieWeight(v, v.x)), (v) => v.dyad("*", v.acc, tieWeight(v, v.y))],
    c: (a, b, s) => `${s.min}(${a}, ${b})`,
  },
  // d max(x,y): the same weights as min
  ">.": {
    kind: "dyad",
    surface: true,
    fn: (a, b) => (b > a ? b : a),
    identity: -Infinity,
    vjp: [(v) => v.dyad("*", v.acc, tieWeight(v, v.x)), (v) => v.dyad("*", v.acc, tieWeight(v, v.y))],
    c: (a, b, s) => `${s.max}(${a}, ${b})`,
  },
  // [x = y] is piecewise constant: its derivative is zero almost everywhere
  "==": {
    kind: "dyad",
    surface: false,
    fn: (a, b) => (a === b ? 1 : 0),
    vjp: [() => null, () => null],
    c: (a, b, s) => `((${s.type})(${a} == ${b}))`,
  },

  // d eʸ = eʸ·dy
  exp: {
    kind: "map",
    surface: true,
    fn: Math.exp,
    vjp: (v) => v.dyad("*", v.acc, v.z),
    c: (a, s) => `${s.math("exp")}(${a})`,
  },
  // d sin y = cos y · dy = sin(y + π/2) · dy
  sin: {
    kind: "map",
    surface: true,
    fn: Math.sin,
    vjp: (v) => v.dyad("*", v.acc, v.map("sin", v.dyad("+", v.y, v.lit(Math.PI / 2)))),
    c: (a, s) => `${s.math("sin")}(${a})`,
  },
  // d ln y = dy / y  (the compiler's rule; the original interpreter divided by ln y, reference §4.8)
  log: {
    kind: "map",
    surface: true,
    fn: Math.log,
    vjp: (v) => v.dyad("/", v.acc, v.y),
    c: (a, s) => `${s.math("log")}(${a})`,
  },

  // z[r] = fold_p y[p, r];  dy[p, r] = acc[r] for +; for min/max dy[p, r] = acc[r]·e[p, r] / Σ_p e[p, r]
  // with e[p, r] = [z[r] = y[p, r]] (split), or acc[r]·e[p, r] under (ties full)
  reduce: {
    kind: "cell",
    surface: true,
    params: "reduce",
    cellShape: (cell, p) =>
      cell.length < p.n!
        ? `(reduce ${p.n} ${p.op}) needs a cell of rank at least ${p.n}, but the cell has rank ${cell.length}`
        : cell.slice(p.n!),
    vjp: (v) => {
      const spread = (t: typeof v.acc) => v.cell("duplicate", { ints: v.cellIn.slice(0, v.params.n!) }, t);
      if (v.params.op === "+") return spread(v.acc);
      const e = v.dyad("==", spread(v.z), v.y);
      const share = v.ties === "full" ? v.acc : v.dyad("/", v.acc, v.cell("reduce", { n: v.params.n!, op: "+" }, e));
      return v.dyad("*", spread(share), e);
    },
  },
  // z[o, r] = fold { y[p, q, r] : o = p − q + Q − 1 };  dy[p, q, r] = acc[o, r] for +; for min/max
  // dy[p, q, r] = acc[o, r]·e[p, q, r] / Σ_{p−q+Q−1=o} e (split) or acc[o, r]·e (full), e = [z[o, r] = y[p, q, r]]
  oblique: {
    kind: "cell",
    surface: true,
    params: "reduce",
    cellShape: (cell, p) => {
      const n = p.n!;
      if (cell.length < 2 * n)
        return `(oblique ${n} ${p.op}) needs a cell of rank at least ${2 * n}, but the cell has rank ${cell.length}`;
      const out: Dim[] = [];
      for (let i = 0; i < n; i++) {
        const a = known(cell[i]!, "oblique"),
          b = known(cell[n + i]!, "oblique");
        if (typeof a === "string") return a;
        if (typeof b === "string") return b;
        out.push(a + b - 1);
      }
      return [...out, ...cell.slice(2 * n)];
    },
    vjp: (v) => {
      const n = v.params.n!;
      const spread = (t: typeof v.acc) => v.cell("diagonals", { ints: v.cellIn.slice(n, 2 * n) }, t);
      if (v.params.op === "+") return spread(v.acc);
      const e = v.dyad("==", spread(v.z), v.y);
      const share = v.ties === "full" ? v.acc : v.dyad("/", v.acc, v.cell("oblique", { n, op: "+" }, e));
      return v.dyad("*", spread(share), e);
    },
  },
  // z[i, r] = y[i + t, r];  dy = pad t (acc)
  trim: {
    kind: "cell",
    surface: true,
    params: "ints",
    cellShape: (cell, p) =>
      mapLeading(cell, p.ints!, "trim", (s, t, i) =>
        s - 2 * t >= 1
          ? s - 2 * t
          : `(trim ${p.ints!.join(" ")}) removes ${2 * t} elements from axis ${i} of the cell, which has only ${s}`,
      ),
    vjp: (v) => v.cell("pad", v.params, v.acc),
  },
  // z[i, r] = y[s·i, r], with S mod s = 1 so both ends are kept;  dy = dilate s (acc)
  stride: {
    kind: "cell",
    surface: true,
    params: "ints",
    cellShape: (cell, p) =>
      mapLeading(cell, p.ints!, "stride", (s, st, i) =>
        s % st === 1 || (s === 1 && st > 1)
          ? (s - 1) / st + 1
          : st === 1
            ? `(stride ${p.ints!.join(" ")}) is always rejected on axis ${i}: it needs a length n with n mod 1 = 1, which no length has`
            : `(stride ${p.ints!.join(" ")}) needs axis ${i} of the cell to have a length n with n mod ${st} = 1, but it has ${s} (${s} mod ${st} = ${s % st})`,
      ),
    vjp: (v) => v.cell("dilate", v.params, v.acc),
  },
  // Host code: the interpreter, grad.ts and the C runtime handle it by name (core/externs.ts);
  // its result cell is the (left) argument's cell.
  extern: {
    kind: "cell",
    surface: false,
    params: "ints",
    cellShape: (cell) => [...cell],
    vjp: () => {
      throw new Error("internal: an extern's derivative comes from its declaration");
    },
  },
  // z[e, c] = y[c];  dy[c] = Σ_e acc[e, c]
  duplicate: {
    kind: "cell",
    surface: true,
    params: "ints",
    cellShape: (cell, p) => [...p.ints!, ...cell],
    vjp: (v) => v.cell("reduce", { n: v.params.ints!.length, op: "+" }, v.acc),
  },
  // z[i + t, r] = y[i, r], zero elsewhere;  dy = trim t (acc)
  pad: {
    kind: "cell",
    surface: false,
    params: "ints",
    cellShape: (cell, p) => mapLeading(cell, p.ints!, "pad", (s, t) => s + 2 * t),
    vjp: (v) => v.cell("trim", v.params, v.acc),
  },
  // z[s·i, r] = y[i, r], zero elsewhere;  dy = stride s (acc)
  dilate: {
    kind: "cell",
    surface: false,
    params: "ints",
    cellShape: (cell, p) => mapLeading(cell, p.ints!, "dilate", (s, st) => (s - 1) * st + 1),
    vjp: (v) => v.cell("stride", v.params, v.acc),
  },
  // z[p, q, r] = y[p − q + Q − 1, r] for a cell (P+Q−1, R);  dy = oblique + (acc)
  diagonals: {
    kind: "cell",
    surface: false,
    params: "ints",
    cellShape: (cell, p) => {
      const Q = p.ints!,
        n = Q.length;
      if (cell.length < n) return `diagonals ${Q.join(" ")} needs a cell of rank at least ${n}`;
      const P: Dim[] = [];
      for (let i = 0; i < n; i++) {
        const o = known(cell[i]!, "diagonals");
        if (typeof o === "string") return o;
        if (o - (Q[i] as number) + 1 < 1) return `diagonals: axis ${i} of length ${o} is shorter than ${Q[i]}`;
        P.push(o - (Q[i] as number) + 1);
      }
      return [...P, ...Q, ...cell.slice(n)];
    },
    vjp: (v) => v.cell("oblique", { n: v.params.ints!.length, op: "+" }, v.acc),
  },
};

export const PRIM_NAMES = Object.keys(PRIMS) as PrimName[];
export const SURFACE_NAMES: readonly PrimName[] = PRIM_NAMES.filter((p) => PRIMS[p].surface);
export const isPrim = (s: string): s is PrimName => Object.prototype.hasOwnProperty.call(PRIMS, s);
export const isSurfacePrim = (s: string): s is PrimName => isPrim(s) && PRIMS[s].surface;
/** The surface adverbs: cell primitives written with parameters, `(reduce 1 +)`, `(trim 1)`. */
export const isAdverb = (s: string): s is CellName => isSurfacePrim(s) && PRIMS[s].kind === "cell";
/** The identity of each reduction operator (reference §4.9), from its dyad's entry. */
export const REDUCE_IDENTITY: Record<ReduceOp, number> = {
  "+": PRIMS["+"].identity,
  "<.": PRIMS["<."].identity,
  ">.": PRIMS[">."].identity,
};
export const isReduceOp = (s: string): s is ReduceOp => Object.prototype.hasOwnProperty.call(REDUCE_IDENTITY, s);
