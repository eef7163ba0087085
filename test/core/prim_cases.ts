/**
 * The test cases of every primitive, as a mapped type over the table's names (src/core/prims.ts):
 * a primitive without a gradient case and a differential case does not compile. Consumed by
 * test/core/gradcheck.test.ts (float64 central differences, first order and Hessian–vector
 * products) and test/poly/prim_differential.test.ts (the interpreter against the C and wasm
 * backends, f64 and f32). Each consumer also checks that a case's program really contains its
 * primitive, so an internal primitive (`==`, `pad`, …) is reached through the rules that make it.
 */
import type { ExternImpls } from "../../src/core/externs.js";
import type { PrimName } from "../../src/core/prims.js";
import type { ExprCase, Fill, InputSpec } from "./gradcheck_util.js";

/** At least one. */
export type Some<T> = readonly [T, ...T[]];
export interface GradCase extends ExprCase {
  name: string;
}
/**
 * Y := expr over the inputs (named by capitals, used as whole words in `expr`), compared as it is;
 * with `grad`, also ∂(Σ Y·Y)/∂X for every input X. A case with `verbs` (definitions before Y) is
 * compiled alone; with `externs` (host code) as a module, its stages around the externs compiled.
 */
export interface DiffCase {
  name: string;
  inputs: Record<string, InputSpec>;
  expr: string;
  grad?: boolean;
  verbs?: string;
  externs?: ExternImpls;
}
export interface PrimCases {
  grad: Some<GradCase>;
  differential: Some<DiffCase>;
}

/** The elementwise dyads' gradient cases: ranks, broadcasting, nesting, literal operands. */
function dyadGrads(op: string, x: Fill, y: Fill, litRight: string, litLeft: string): Some<GradCase> {
  const two = (expr: string, a: number[], b: number[], what: string): GradCase => ({
    name: `${expr}, ${what}`,
    expr,
    inputs: { A: { shape: a, fill: x }, B: { shape: b, fill: y } },
  });
  return [
    two(`(A ${op} B)`, [3, 4], [3, 4], "equal shapes (3 4)"),
    two(`(A ${op} B)`, [3, 4], [3], "prefix agreement (3 4) with (3)"),
    two(`(A (${op}"1 0) B)`, [3, 4], [3], "explicit ranks (3 4) with (3)"),
    two(`(A ${op} B)`, [2], [2, 3, 2], "prefix agreement (2) with (2 3 2)"),
    two(`(A (${op}"0 1) B)`, [3], [4], "outer-like (3) with (4)"),
    two(`(A (${op}"1 1) B)`, [2, 3], [3], "suffix broadcast (2 3) with (3)"),
    two(`(A (${op}"_ 0) B)`, [2, 2], [3], "infinite rank (2 2) with (3)"),
    two(`(A ((${op}"0 1)"1 1) B)`, [3, 2], [3, 4], "nested (3 2) with (3 4)"),
    two(`(A ((${op}"1 0)"2 1) B)`, [2, 3, 4], [2, 3], "nested (2 3 4) with (2 3)"),
    two(`(A ${op} B)`, [], [], "scalars"),
    {
      name: `(A ${op} ${litRight}), literal right operand`,
      expr: `(A ${op} ${litRight})`,
      inputs: { A: { shape: [2, 3], fill: x } },
    },
    {
      name: `(${litLeft} ${op} A), literal left operand`,
      expr: `(${litLeft} ${op} A)`,
      inputs: { A: { shape: [2, 3], fill: y } },
    },
  ];
}

/** A dyad's differential cases: broadcasting, a literal operand, with gradients. */
function dyadDiffs(op: string, x: Fill, y: Fill, lit: string): Some<DiffCase> {
  return [
    {
      name: `(A ${op} B), (3 4) with (3)`,
      expr: `(A ${op} B)`,
      grad: true,
      inputs: { A: { shape: [3, 4], fill: x }, B: { shape: [3], fill: y } },
    },
    {
      name: `(A (${op}"0 1) B), (3) with (5)`,
      expr: `(A (${op}"0 1) B)`,
      grad: true,
      inputs: { A: { shape: [3], fill: x }, B: { shape: [5], fill: y } },
    },
    { name: `(A ${op} ${lit})`, expr: `(A ${op} ${lit})`, grad: true, inputs: { A: { shape: [2, 3], fill: x } } },
  ];
}

function monadGrads(op: string, fill: Fill): Some<GradCase> {
  const one = (expr: string, shape: number[], verbs?: string): GradCase => ({
    name: `${verbs ? `${verbs} as ` : ""}${expr}, A (${shape.join(" ")})`,
    expr,
    ...(verbs ? { verbs } : {}),
    inputs: { A: { shape, fill } },
  });
  return [
    one(`(${op} A)`, [3, 4]),
    one(`(${op} A)`, []),
    one(`((${op}"1) A)`, [3, 4]),
    one(`(((${op}"1)"2) A)`, [2, 3, 4]),
    one("(f A)", [2, 5], `f"1 := (${op} y)`),
  ];
}

/** (reduce n op) and (oblique n op) for the three reduction operators. */
function foldGrads(adverb: "reduce" | "oblique"): Some<GradCase> {
  const cases: [string, number[]][] =
    adverb === "reduce"
      ? [
          ["((reduce 1 OP) A)", [5]],
          ["((reduce 1 OP) A)", [3, 4]],
          ["((reduce 2 OP) A)", [3, 2, 4]],
          ['(((reduce 1 OP)"1) A)', [3, 4]],
          ['(((reduce 2 OP)"3) A)', [2, 3, 4, 2]],
          ['((((reduce 1 OP)"2)"3) A)', [2, 3, 4, 2]],
        ]
      : [
          ["((oblique 1 OP) A)", [3, 4]],
          ["((oblique 1 OP) A)", [2, 3, 2]],
          ["((oblique 2 OP) A)", [3, 2, 2, 3]],
          ['(((oblique 1 OP)"2) A)', [2, 3, 4]],
          ['(((oblique 2 OP)"4) A)', [2, 3, 3, 2, 2]],
          ['((((oblique 1 OP)"2)"3) A)', [2, 2, 3, 3]],
        ];
  const all = (["+", "<.", ">."] as const).flatMap((op) =>
    cases.map(([e, shape]): GradCase => {
      const expr = e.replace("OP", op);
      return {
        name: `${expr}, A (${shape.join(" ")})`,
        expr,
        inputs: { A: { shape, fill: op === "+" ? "any" : "distinct" } },
      };
    }),
  );
  return [all[0]!, ...all.slice(1)];
}

function shapeGrads(list: [string, number[]][]): Some<GradCase> {
  const all = list.map(([expr, shape]): GradCase => ({
    name: `${expr}, A (${shape.join(" ")})`,
    expr,
    inputs: { A: { shape } },
  }));
  return [all[0]!, ...all.slice(1)];
}
const one = (
  expr: string,
  shape: number[],
  fill: Fill = "any",
): { name: string; expr: string; inputs: Record<string, InputSpec> } => ({
  name: `${expr}, A (${shape.join(" ")})`,
  expr,
  inputs: { A: { shape, fill } },
});

/** softplus as host code (TypeScript and C), its derivative the LiFT dyad dsoftplus. */
const SOFTPLUS: ExternImpls = {
  softplus: {
    js: ({ x, z }) => {
      for (let i = 0; i < z.length; i++)
        z[i] = x[i]! > 0 ? x[i]! + Math.log1p(Math.exp(-x[i]!)) : Math.log1p(Math.exp(x[i]!));
    },
    c: {
      symbol: "lift_case_softplus",
      source: `void lift_case_softplus(const lift_real *x, lift_real *z, int64_t cells, const int64_t *cell, int64_t rank) {
  (void)cell; (void)rank;
  for (int64_t i = 0; i < cells; i++) z[i] = x[i] > 0 ? x[i] + log1p(exp(-x[i])) : log1p(exp(x[i]));
}`,
    },
  },
};
const SOFTPLUS_DECL = `dsoftplus"0 0 := (y / (1 + (exp (0 - x))))\nsoftplus :: (extern 0 dsoftplus)`;

export const CASES: { [P in PrimName]: PrimCases } = {
  "+": { grad: dyadGrads("+", "any", "any", "-0.5", "1.25"), differential: dyadDiffs("+", "any", "any", "-0.5") },
  "-": { grad: dyadGrads("-", "any", "any", "0.75", "1.25"), differential: dyadDiffs("-", "any", "any", "0.75") },
  "*": { grad: dyadGrads("*", "any", "any", "-1.5", "1.25"), differential: dyadDiffs("*", "any", "any", "-1.5") },
  "/": { grad: dyadGrads("/", "any", "pos", "0.75", "1.25"), differential: dyadDiffs("/", "any", "pos", "0.75") },
  // The spelling of ** depends on a constant exponent (sqrt, x·x, x, 1, pow): each is compiled.
  "**": {
    grad: dyadGrads("**", "pos", "any", "1.5", "1.25"),
    differential: [
      ...dyadDiffs("**", "pos", "any", "1.5"),
      ...["0.5", "2", "1", "0"].map((e) => ({ ...one(`(A ** ${e})`, [5], "pos"), grad: true })),
    ],
  },
  "<.": {
    grad: dyadGrads("<.", "distinct", "distinct", "0.0", "0.0"),
    differential: dyadDiffs("<.", "distinct", "distinct", "0.0"),
  },
  ">.": {
    grad: dyadGrads(">.", "distinct", "distinct", "0.0", "0.0"),
    differential: dyadDiffs(">.", "distinct", "distinct", "0.0"),
  },
  // [x = y] appears in the gradients of min/max: the Hessian–vector checks differentiate it (to 0).
  "==": {
    grad: [one("(A >. 0.0)", [2, 3], "distinct"), { ...one('(((reduce 1 <.)"1) A)', [3, 4], "distinct") }],
    differential: [{ ...one("((reduce 1 >.) A)", [4, 3], "distinct"), grad: true }],
  },
  // ypow(x, y) = y·x^(y−1) and xlogy(z, x) = z·ln x appear in the gradient of x^y.
  ypow: {
    grad: [
      {
        name: "(A ** B), A (2 3) > 0",
        expr: "(A ** B)",
        inputs: { A: { shape: [2, 3], fill: "pos" }, B: { shape: [2, 3] } },
      },
      one("(A ** 2.5)", [4], "pos"),
    ],
    differential: [
      {
        name: "(A ** B), A > 0",
        expr: "(A ** B)",
        grad: true,
        inputs: { A: { shape: [3, 2], fill: "pos" }, B: { shape: [3, 2] } },
      },
      ...["3", "2", "1", "0"].map((e) => ({ ...one(`(A ** ${e})`, [4], "pos"), grad: true })),
    ],
  },
  xlogy: {
    grad: [
      { name: "(A ** B), A (3) > 0", expr: "(A ** B)", inputs: { A: { shape: [3], fill: "pos" }, B: { shape: [3] } } },
      one("(1.5 ** A)", [2, 2]),
    ],
    differential: [
      { ...one("(1.5 ** A)", [2, 3]), grad: true },
      { ...one("(A ** A)", [5], "pos"), grad: true },
    ],
  },
  exp: {
    grad: monadGrads("exp", "any"),
    differential: [
      { ...one("(exp A)", [2, 3]), grad: true },
      { ...one('((exp"1) A)', [3]), grad: true },
    ],
  },
  // Values in (−1, 1) and in (0.5, 2): both signs of cos, and its zero at π/2 nearby.
  sin: {
    grad: [...monadGrads("sin", "any"), { ...one("(sin A)", [6], "pos") }],
    differential: [
      { ...one("(sin A)", [2, 3]), grad: true },
      { ...one('((sin"1) (A * 3))', [4]), grad: true },
    ],
  },
  log: { grad: monadGrads("log", "pos"), differential: [{ ...one("(log A)", [2, 3], "pos"), grad: true }] },
  reduce: {
    grad: foldGrads("reduce"),
    differential: [
      { ...one("((reduce 1 +) A)", [5, 3]), grad: true },
      { ...one('(((reduce 1 >.)"1) A)', [3, 4], "distinct"), grad: true },
      { ...one("((reduce 2 <.) A)", [2, 3, 2], "distinct"), grad: true },
    ],
  },
  oblique: {
    grad: foldGrads("oblique"),
    differential: [
      { ...one("((oblique 1 +) A)", [3, 4]), grad: true },
      { ...one('(((oblique 2 >.)"4) A)', [2, 3, 3, 2, 2], "distinct"), grad: true },
    ],
  },
  trim: {
    grad: shapeGrads([
      ["((trim 1) A)", [5]],
      ["((trim 2) A)", [6, 3]],
      ["((trim 1 2) A)", [4, 6, 2]],
      ['(((trim 1)"1) A)', [3, 5]],
      ['((((trim 1 1)"2)"3) A)', [2, 2, 4, 5]],
    ]),
    differential: [{ ...one('(((trim 1 1)"2) A)', [2, 4, 5]), grad: true }],
  },
  stride: {
    grad: shapeGrads([
      ["((stride 2) A)", [5]],
      ["((stride 2 3) A)", [5, 7, 2]],
      ["((stride 2) A)", [1, 3]],
      ['(((stride 2)"1) A)', [3, 5]],
      ['((((stride 3 2)"2)"3) A)', [2, 2, 4, 5]],
    ]),
    differential: [{ ...one("((stride 2 3) A)", [5, 7, 2]), grad: true }],
  },
  duplicate: {
    grad: shapeGrads([
      ["((duplicate 3) A)", [4]],
      ["((duplicate 2) A)", []],
      ["((duplicate 2 3) A)", [2, 2]],
      ['(((duplicate 2)"0) A)', [3]],
      ['(((duplicate 2)"1) A)', [3, 4]],
      ['((((duplicate 2 2)"0)"1) A)', [3, 2]],
    ]),
    differential: [{ ...one('(((duplicate 2 3)"1) A)', [2, 3]), grad: true }],
  },
  // pad, dilate and diagonals are the adjoints of trim, stride and oblique: reached through their gradients.
  pad: {
    grad: [one('(((trim 1 2)"2) A)', [2, 4, 6])],
    differential: [{ ...one("((trim 1 2) A)", [4, 6, 2]), grad: true }],
  },
  dilate: {
    grad: [one('(((stride 2 3)"2) A)', [2, 5, 4])],
    differential: [{ ...one('(((stride 2)"1) A)', [3, 5]), grad: true }],
  },
  diagonals: {
    grad: [one("((oblique 1 +) A)", [3, 4]), one('(((oblique 2 >.)"4) A)', [2, 3, 2, 2, 2], "distinct")],
    differential: [{ ...one('(((oblique 2 +)"4) A)', [2, 3, 3, 2, 2]), grad: true }],
  },
  // Host code: the derivative is the declared LiFT dyad; C runs between compiled stages.
  extern: {
    grad: [{ ...one('((softplus"1) A)', [3, 4]), verbs: SOFTPLUS_DECL, externs: SOFTPLUS }],
    differential: [{ ...one("((softplus (A * 2)) + A)", [2, 3]), verbs: SOFTPLUS_DECL, externs: SOFTPLUS }],
  },
};
