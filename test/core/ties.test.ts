/**
 * The tie rule of max and min (docs/language.md, "Ties"): by default a tie's gradient is divided
 * equally among the tied operands; `(ties full)` gives each of them the whole gradient (the original
 * LiFT). Exact values for every form (the dyads, `reduce`, `oblique`, pooling, under ranks and
 * broadcasting), in the interpreter and the compiled C, first and second order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, LiftError } from "../../src/api/index.js";
import { flatten } from "../helpers.js";
import type { Nested } from "../vectors/reference.js";

interface Case {
  decls: string;
  body: string;
  inputs: Record<string, Nested>;
  split: Record<string, Nested>;
  full: Record<string, Nested>;
}

const CASES: Record<string, Case> = {
  "dyad >. (equal shapes)": {
    decls: "A :: (in 3)\nB :: (in 3)",
    body: "L := ((reduce 1 +) (A >. B))\ndA :: (grad L A)\ndB :: (grad L B)",
    inputs: { A: [1, 3, 2], B: [1, 2, 5] },
    split: { dA: [0.5, 1, 0], dB: [0.5, 0, 1] },
    full: { dA: [1, 1, 0], dB: [1, 0, 1] },
  },
  "dyad <. (equal shapes)": {
    decls: "A :: (in 3)\nB :: (in 3)",
    body: "L := ((reduce 1 +) (A <. B))\ndA :: (grad L A)\ndB :: (grad L B)",
    inputs: { A: [1, 3, 2], B: [1, 2, 5] },
    split: { dA: [0.5, 0, 1], dB: [0.5, 1, 0] },
    full: { dA: [1, 0, 1], dB: [1, 1, 0] },
  },
  "relu (0.0 >. A) with a literal": {
    decls: "A :: (in 3)",
    body: "L := ((reduce 1 +) (0.0 >. A))\ndA :: (grad L A)",
    inputs: { A: [0, 2, -3] },
    split: { dA: [0.5, 1, 0] },
    full: { dA: [1, 1, 0] },
  },
  // B[i] is compared with every A[i, j]: dB sums B's share over j.
  "dyad >. broadcasting (2 3) with (2)": {
    decls: "A :: (in 2 3)\nB :: (in 2)",
    body: "L := ((reduce 2 +) (A >. B))\ndA :: (grad L A)\ndB :: (grad L B)",
    inputs: {
      A: [
        [1, 1, 0],
        [2, 3, 2],
      ],
      B: [1, 2],
    },
    split: {
      dA: [
        [0.5, 0.5, 0],
        [0.5, 1, 0.5],
      ],
      dB: [2, 1],
    },
    full: {
      dA: [
        [1, 1, 0],
        [1, 1, 1],
      ],
      dB: [3, 2],
    },
  },
  "(reduce 1 >.), a three-way tie": {
    decls: "A :: (in 4)",
    body: "L := ((reduce 1 >.) A)\ndA :: (grad L A)",
    inputs: { A: [2, 2, 2, -1] },
    split: { dA: [1 / 3, 1 / 3, 1 / 3, 0] },
    full: { dA: [1, 1, 1, 0] },
  },
  // z[r] = min over (p0, p1) of A[p0, p1, r]: r = 0 ties three ways, r = 1 two ways.
  "(reduce 2 <.) over two axes": {
    decls: "A :: (in 2 2 2)\nW :: (in 2)",
    body: "L := ((reduce 1 +) (W * ((reduce 2 <.) A)))\ndA :: (grad L A)",
    inputs: {
      A: [
        [
          [1, 4],
          [1, 3],
        ],
        [
          [1, 3],
          [5, 9],
        ],
      ],
      W: [3, 10],
    },
    split: {
      dA: [
        [
          [1, 0],
          [1, 5],
        ],
        [
          [1, 5],
          [0, 0],
        ],
      ],
    },
    full: {
      dA: [
        [
          [3, 0],
          [3, 10],
        ],
        [
          [3, 10],
          [0, 0],
        ],
      ],
    },
  },
  '((reduce 1 >.)"1) under a rank': {
    decls: "A :: (in 2 3)",
    body: 'L := ((reduce 1 +) (((reduce 1 >.)"1) A))\ndA :: (grad L A)',
    inputs: {
      A: [
        [1, 4, 4],
        [0, 0, 0],
      ],
    },
    split: {
      dA: [
        [0, 0.5, 0.5],
        [1 / 3, 1 / 3, 1 / 3],
      ],
    },
    full: {
      dA: [
        [0, 1, 1],
        [1, 1, 1],
      ],
    },
  },
  // Diagonal o = 1 of a 2×2 cell holds A[0,0] and A[1,1], tied at 3.
  "(oblique 1 <.)": {
    decls: "A :: (in 2 2)\nW :: (in 3)",
    body: "L := ((reduce 1 +) (W * ((oblique 1 <.) A)))\ndA :: (grad L A)",
    inputs: {
      A: [
        [3, 1],
        [1, 3],
      ],
      W: [1, 10, 100],
    },
    split: {
      dA: [
        [5, 1],
        [100, 5],
      ],
    },
    full: {
      dA: [
        [10, 1],
        [100, 10],
      ],
    },
  },
  "(oblique 1 >.) of a duplicated vector": {
    decls: "A :: (in 2)",
    body: 'L := ((reduce 1 +) ((oblique 1 >.) (((duplicate 2)"0) A)))\ndA :: (grad L A)',
    inputs: { A: [5, 5] },
    split: { dA: [1.5, 1.5] },
    full: { dA: [2, 2] },
  },
  // 2×2 pooling (oblique 2 >. over duplicated pixels): windows tied 4, 1, 3 and 4 ways.
  "max-pooling with tied windows": {
    decls: "(use nn)\nA :: (in 4 4)\nW :: (in 2 2)",
    body: "L := ((reduce 2 +) (W * (maxpool2 A)))\ndA :: (grad L A)",
    inputs: {
      A: [
        [1, 1, 2, 0],
        [1, 1, 0, 0],
        [3, 3, 5, 5],
        [3, 0, 5, 5],
      ],
      W: [
        [1, 10],
        [100, 1000],
      ],
    },
    split: {
      dA: [
        [0.25, 0.25, 10, 0],
        [0.25, 0.25, 0, 0],
        [100 / 3, 100 / 3, 250, 250],
        [100 / 3, 0, 250, 250],
      ],
    },
    full: {
      dA: [
        [1, 1, 10, 0],
        [1, 1, 0, 0],
        [100, 100, 1000, 1000],
        [100, 0, 1000, 1000],
      ],
    },
  },
  // Second order: L = Σ max(A, B)², G = ∂L/∂A = 2z·wA, and ∂(Σ G)/∂A = 2·wA², ∂(Σ G)/∂B = 2·wA·wB.
  "second order through a tied dyad": {
    decls: "A :: (in 2)\nB :: (in 2)",
    body: "Z := (A >. B)\nL := ((reduce 1 +) (Z * Z))\nG :: (grad L A)\nS := ((reduce 1 +) G)\nHA :: (grad S A)\nHB :: (grad S B)",
    inputs: { A: [1, 3], B: [1, 2] },
    split: { G: [1, 6], HA: [0.5, 2], HB: [0.5, 0] },
    full: { G: [2, 6], HA: [2, 2], HB: [2, 0] },
  },
  // L = M², M = max A: G = 2M·e/count, Σ G = 2M, so ∂(Σ G)/∂A = 2·e/count (full: G = 2M·e, ∂(Σ G)/∂A = 4·e).
  "second order through a tied reduction": {
    decls: "A :: (in 3)",
    body: "M := ((reduce 1 >.) A)\nL := (M * M)\nG :: (grad L A)\nS := ((reduce 1 +) G)\nH :: (grad S A)",
    inputs: { A: [2, 2, -3] },
    split: { G: [2, 2, 0], H: [1, 1, 0] },
    full: { G: [4, 4, 0], H: [4, 4, 0] },
  },
};

const sourceOf = (c: Case, rule: "split" | "full") =>
  `${rule === "full" ? "(ties full)\n" : ""}${c.decls}\n${c.body}\n`;
const outs = (c: Case) => Object.keys(c.split);

function assertExact(got: ArrayLike<number>, want: Nested, what: string, rel: number): void {
  const w = flatten(want).data;
  assert.equal(got.length, w.length, `${what}: length`);
  for (let i = 0; i < w.length; i++)
    assert.ok(
      Math.abs(got[i]! - w[i]!) <= rel * Math.abs(w[i]!),
      `${what}[${i}]: got ${got[i]}, want ${w[i]} (all: ${Array.from(got).join(", ")})`,
    );
}

for (const rule of ["split", "full"] as const) {
  test(`ties ${rule}: exact gradients at ties for every max/min form, interpreter (f64)`, () => {
    for (const [name, c] of Object.entries(CASES)) {
      const out = load(sourceOf(c, rule)).run(c.inputs, { dtype: "f64", names: outs(c) });
      for (const [k, want] of Object.entries(c[rule])) assertExact(out[k]!.data, want, `${name} ${k}`, 0);
    }
  });
}

test("ties split: the compiled C gives the same values as the interpreter (f64 and f32)", () => {
  for (const [name, c] of Object.entries(CASES)) {
    for (const dtype of ["f64", "f32"] as const) {
      const src =
        sourceOf(c, "split") +
        outs(c)
          .map((k) => `${k} :: (out ${flatten(c.split[k]!).shape.join(" ")})`)
          .join("\n") +
        "\n";
      const out = load(src).compile({ dtype, name: "ties" }).run(c.inputs);
      for (const [k, want] of Object.entries(c.split))
        assertExact(out[k]!.data, want, `${name} ${k} (compiled ${dtype})`, dtype === "f64" ? 1e-15 : 1e-6);
    }
  }
});

test("(ties …) must come before the first grad declaration and takes split or full", () => {
  assert.throws(
    () => load("A :: (in 2)\nL := ((reduce 1 >.) A)\ndA :: (grad L A)\n(ties full)\n"),
    (e: unknown) =>
      e instanceof LiftError &&
      /comes after a `grad` declaration/.test(e.message) &&
      e.location?.line === 4 &&
      e.location?.col === 1,
  );
  assert.throws(
    () => load("(ties some)\nA :: (in 2)\n"),
    (e: unknown) =>
      e instanceof LiftError &&
      e.message === "`ties` takes one word: (ties split) or (ties full)" &&
      e.location?.line === 1,
  );
});
