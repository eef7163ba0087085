/**
 * LiFT test vectors T1–T52 (docs/lift-reference.md §10 and Appendix A), as plain data.
 *
 * - `source` is the exact program text of Appendix A (A.1 for T1–T41, A.2 for the rejections), plus a final
 *   newline. T30b is T30 with two extra `out` declarations for the gradients (values from §6.5).
 * - `inputs` and `expected` are J-order nested lists (row-major, first axis outermost); scalars are plain numbers.
 * - `expected` holds exactly the outputs that §10 prints (copied digit for digit). T15 prints no values; its
 *   expected Z is computed here from the formula Z[f][a][b][c][d] = I[a][b]·K[f][c][d].
 * - `digits` is set when §10 prints the values rounded to that many significant digits (`%.10g`); compare those
 *   with a relative tolerance of about 1e-9. Vectors without `digits` print exact values or full double
 *   precision (compare with ~1e-12 relative).
 * - `reject` is set on programs that must be rejected (T44–T52) and says why; they have no inputs/expected.
 */

/** A J-order nested list (or a scalar). */
export type Nested = number | Nested[];

export interface Vector {
  /** "T1" … "T52f" (T30b is an extra variant of T30). */
  id: string;
  name: string;
  /** Exact program text (Appendix A). */
  source: string;
  /** Input arrays by name (J-order nested lists; scalars plain). Empty for rejections. */
  inputs: Record<string, Nested>;
  /** Expected output arrays by name (only the outputs §10 gives). Absent for rejections. */
  expected?: Record<string, Nested>;
  /** Free-text description of a formula check (T15). */
  check?: string;
  /** Why the program must be rejected (T44–T52). */
  reject?: string;
  /** Significant digits of the printed expected values, when they are rounded (e.g. 10). */
  digits?: number;
}

/** T15 inputs: K = 1..8 as (2,2,2), I = 0..8 as (3,3). */
export const T15_K: Nested = [
  [
    [1, 2],
    [3, 4],
  ],
  [
    [5, 6],
    [7, 8],
  ],
];
export const T15_I: Nested = [
  [0, 1, 2],
  [3, 4, 5],
  [6, 7, 8],
];

/** Z[f][a][b][c][d] = I[a][b]·K[f][c][d], shape (2,3,3,2,2). */
function t15Expected(): Nested {
  const K = T15_K as number[][][];
  const I = T15_I as number[][];
  const Z: number[][][][][] = [];
  for (let f = 0; f < 2; f++) {
    const zf: number[][][][] = [];
    for (let a = 0; a < 3; a++) {
      const za: number[][][] = [];
      for (let b = 0; b < 3; b++) {
        const zb: number[][] = [];
        for (let c = 0; c < 2; c++) {
          const zc: number[] = [];
          for (let d = 0; d < 2; d++) zc.push(I[a]![b]! * K[f]![c]![d]!);
          zb.push(zc);
        }
        za.push(zb);
      }
      zf.push(za);
    }
    Z.push(zf);
  }
  return Z;
}

export const VECTORS: Vector[] = [
  {
    id: "T1",
    name: "readme-matmul",
    source: `A :: (in 8 8)
B :: (out 8 8)
B := (((reduce 1 +)"2) (A (*"1 2) A))
`,
    inputs: {
      A: [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [8, 9, 10, 11, 12, 13, 14, 15],
        [16, 17, 18, 19, 20, 21, 22, 23],
        [24, 25, 26, 27, 28, 29, 30, 31],
        [32, 33, 34, 35, 36, 37, 38, 39],
        [40, 41, 42, 43, 44, 45, 46, 47],
        [48, 49, 50, 51, 52, 53, 54, 55],
        [56, 57, 58, 59, 60, 61, 62, 63],
      ],
    },
    expected: {
      B: [
        [1120, 1148, 1176, 1204, 1232, 1260, 1288, 1316],
        [2912, 3004, 3096, 3188, 3280, 3372, 3464, 3556],
        [4704, 4860, 5016, 5172, 5328, 5484, 5640, 5796],
        [6496, 6716, 6936, 7156, 7376, 7596, 7816, 8036],
        [8288, 8572, 8856, 9140, 9424, 9708, 9992, 10276],
        [10080, 10428, 10776, 11124, 11472, 11820, 12168, 12516],
        [11872, 12284, 12696, 13108, 13520, 13932, 14344, 14756],
        [13664, 14140, 14616, 15092, 15568, 16044, 16520, 16996],
      ],
    },
  },
  {
    id: "T2",
    name: "reduce-vec",
    source: `A :: (in 3)
B :: (out)
B := ((reduce 1 +) A)
`,
    inputs: { A: [1, 2, 3] },
    expected: { B: 6 },
  },
  {
    id: "T3",
    name: "reduce-leading-axis",
    source: `A :: (in 2 3)
B :: (out 3)
B := ((reduce 1 +) A)
`,
    inputs: {
      A: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    },
    expected: { B: [5, 7, 9] },
  },
  {
    id: "T4",
    name: "reduce-rank1",
    source: `A :: (in 2 3)
B :: (out 2)
B := (((reduce 1 +)"1) A)
`,
    inputs: {
      A: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    },
    expected: { B: [6, 15] },
  },
  {
    id: "T5",
    name: "reduce-2d",
    source: `A :: (in 2 2)
B :: (out)
B := ((reduce 2 +) A)
`,
    inputs: {
      A: [
        [1, 2],
        [3, 4],
      ],
    },
    expected: { B: 10 },
  },
  {
    id: "T6",
    name: "plus",
    source: `A :: (in 2)
B :: (in 2)
C :: (out 2)
C := (A + B)
`,
    inputs: { A: [1, 2], B: [3, 4] },
    expected: { C: [4, 6] },
  },
  {
    id: "T7",
    name: "plus-rank-0-1",
    source: `A :: (in 2)
B :: (in 2)
C :: (out 2 2)
C := (A (+"0 1) B)
`,
    inputs: { A: [1, 3], B: [3, 4] },
    expected: {
      C: [
        [4, 5],
        [6, 7],
      ],
    },
  },
  {
    id: "T8",
    name: "prefix-agreement",
    source: `A :: (in 2 3)
B :: (in 2)
C :: (out 2 3)
C := (A - B)
`,
    inputs: {
      A: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      B: [10, 100],
    },
    expected: {
      C: [
        [-9, -8, -7],
        [-96, -95, -94],
      ],
    },
  },
  {
    id: "T9",
    name: "rank-1-1-suffix",
    source: `A :: (in 2 3)
B :: (in 3)
C :: (out 2 3)
C := (A (-"1 1) B)
`,
    inputs: {
      A: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      B: [10, 100, 1000],
    },
    expected: {
      C: [
        [-9, -98, -997],
        [-6, -95, -994],
      ],
    },
  },
  {
    id: "T10",
    name: "outer-product",
    source: `A :: (in 2)
B :: (in 3)
C :: (out 2 3)
C := (A (*"0 _) B)
`,
    inputs: { A: [1, 2], B: [3, 4, 5] },
    expected: {
      C: [
        [3, 4, 5],
        [6, 8, 10],
      ],
    },
  },
  {
    id: "T11",
    name: "nested-rank",
    source: `A :: (in 3 2)
B :: (in 3 4)
C :: (out 3 2 4)
C := (A ((*"0 1)"1 1) B)
`,
    inputs: {
      A: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      B: [
        [1, 0, -1, 2],
        [2, 1, 0, -2],
        [1, 1, 1, 1],
      ],
    },
    expected: {
      C: [
        [
          [1, 0, -1, 2],
          [2, 0, -2, 4],
        ],
        [
          [6, 3, 0, -6],
          [8, 4, 0, -8],
        ],
        [
          [5, 5, 5, 5],
          [6, 6, 6, 6],
        ],
      ],
    },
  },
  {
    id: "T12",
    name: "dot-verb-matvec",
    source: `M :: (in 2 3)
V :: (in 3)
R :: (out 2)
dot"1 1 := ((reduce 1 +) (x * y))
R := (M dot V)
`,
    inputs: {
      M: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      V: [1, -1, 2],
    },
    expected: { R: [5, 11] },
  },
  {
    id: "T13",
    name: "dot-verb-matmat",
    source: `A :: (in 2 3)
Bt :: (in 4 3)
C :: (out 2 4)
dot"1 1 := ((reduce 1 +) (x * y))
C := (A (dot"1 2) Bt)
`,
    inputs: {
      A: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      Bt: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 1],
      ],
    },
    expected: {
      C: [
        [1, 2, 3, 6],
        [4, 5, 6, 15],
      ],
    },
  },
  {
    id: "T14",
    name: "matmul-intermediate",
    source: `A :: (in 2 2)
T :: (out 2 2 2)
B :: (out 2 2)
T := (A (*"1 2) A)
B := (((reduce 1 +)"2) T)
`,
    inputs: {
      A: [
        [1, 2],
        [3, 4],
      ],
    },
    expected: {
      T: [
        [
          [1, 2],
          [6, 8],
        ],
        [
          [3, 6],
          [12, 16],
        ],
      ],
      B: [
        [7, 10],
        [15, 22],
      ],
    },
  },
  {
    id: "T15",
    name: "outer-product-filter-bank",
    source: `K :: (in 2 2 2)
I :: (in 3 3)
Z :: (out 2 3 3 2 2)
Z := (K ((*"2 0)"2 2) I)
`,
    inputs: { K: T15_K, I: T15_I },
    expected: { Z: t15Expected() },
    check: "Z[f][a][b][c][d] = I[a][b]·K[f][c][d] (K = 1..8, I = 0..8 row-major; any data works)",
  },
  {
    id: "T16",
    name: "oblique-1-plus (code order)",
    source: `A :: (in 3 3)
B :: (out 5)
B := ((oblique 1 +) A)
`,
    inputs: {
      A: [
        [0, 1, 2],
        [4, 5, 6],
        [7, 8, 9],
      ],
    },
    expected: { B: [2, 7, 14, 12, 7] },
  },
  {
    id: "T17a",
    name: "oblique-1-max (code order)",
    source: `A :: (in 3 3)
B :: (out 5)
B := ((oblique 1 >.) A)
`,
    inputs: {
      A: [
        [0, 1, 2],
        [4, 5, 6],
        [7, 8, 9],
      ],
    },
    expected: { B: [2, 6, 9, 8, 7] },
  },
  {
    id: "T17b",
    name: "oblique-1-min (code order)",
    source: `A :: (in 3 3)
B :: (out 5)
B := ((oblique 1 <.) A)
`,
    inputs: {
      A: [
        [0, 1, 2],
        [4, 5, 6],
        [7, 8, 9],
      ],
    },
    expected: { B: [2, 1, 0, 4, 7] },
  },
  {
    id: "T18",
    name: "oblique-nonsquare",
    source: `A :: (in 2 3)
B :: (out 4)
B := ((oblique 1 +) A)
`,
    inputs: {
      A: [
        [1, 10, 100],
        [1000, 10000, 100000],
      ],
    },
    expected: { B: [100, 100010, 10001, 1000] },
  },
  {
    id: "T19",
    name: "oblique-rest-axes",
    source: `A :: (in 2 2 2)
B :: (out 3 2)
B := ((oblique 1 +) A)
`,
    inputs: {
      A: [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
    },
    expected: {
      B: [
        [3, 4],
        [8, 10],
        [5, 6],
      ],
    },
  },
  {
    id: "T20",
    name: "oblique-2",
    source: `A :: (in 2 2 2 2)
B :: (out 3 3)
B := ((oblique 2 +) A)
`,
    inputs: {
      A: [
        [
          [
            [0, 1],
            [2, 3],
          ],
          [
            [4, 5],
            [6, 7],
          ],
        ],
        [
          [
            [8, 9],
            [10, 11],
          ],
          [
            [12, 13],
            [14, 15],
          ],
        ],
      ],
    },
    expected: {
      B: [
        [3, 9, 6],
        [12, 30, 18],
        [9, 21, 12],
      ],
    },
  },
  {
    id: "T21",
    name: "duplicate",
    source: `A :: (in 2)
B :: (out 3 2)
C :: (out 2 2)
B := ((duplicate 3) A)
C := ((duplicate 2 2) 1)
`,
    inputs: { A: [5, 6] },
    expected: {
      B: [
        [5, 6],
        [5, 6],
        [5, 6],
      ],
      C: [
        [1, 1],
        [1, 1],
      ],
    },
  },
  {
    id: "T22",
    name: "duplicate-rank0",
    source: `A :: (in 2)
B :: (out 2 3)
B := (((duplicate 3)"0) A)
`,
    inputs: { A: [5, 6] },
    expected: {
      B: [
        [5, 5, 5],
        [6, 6, 6],
      ],
    },
  },
  {
    id: "T23",
    name: "trim",
    source: `A :: (in 5)
C :: (in 3 3)
B1 :: (out 3)
B2 :: (out 1)
D :: (out 1 1)
B1 := ((trim 1) A)
B2 := ((trim 2) A)
D := ((trim 1 1) C)
`,
    inputs: {
      A: [1, 2, 3, 4, 5],
      C: [
        [1, 1, 1],
        [1, 2, 1],
        [1, 1, 1],
      ],
    },
    expected: {
      B1: [2, 3, 4],
      B2: [3],
      D: [[2]],
    },
  },
  {
    id: "T24",
    name: "trim-partial-axes",
    source: `A :: (in 3 4)
B :: (out 1 4)
B := ((trim 1) A)
`,
    inputs: {
      A: [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9, 10, 11],
      ],
    },
    expected: { B: [[4, 5, 6, 7]] },
  },
  {
    id: "T25",
    name: "stride",
    source: `A :: (in 5)
C :: (in 4)
D :: (in 3 3)
S1 :: (out 3)
S2 :: (out 2)
S3 :: (out 2)
S4 :: (out 2 2)
S1 := ((stride 2) A)
S2 := ((stride 4) A)
S3 := ((stride 3) C)
S4 := ((stride 2 2) D)
`,
    inputs: {
      A: [1, 2, 3, 4, 5],
      C: [1, 2, 2, 1],
      D: [
        [1, 2, 1],
        [2, 2, 2],
        [1, 2, 1],
      ],
    },
    expected: {
      S1: [1, 3, 5],
      S2: [1, 5],
      S3: [1, 1],
      S4: [
        [1, 1],
        [1, 1],
      ],
    },
  },
  {
    id: "T26",
    name: "valid-conv-4x4-k2",
    source: `I :: (in 4 4)
K :: (in 2 2)
C :: (out 3 3)
C := (((trim 1 1)"2) (((oblique 2 +)"4) (K ((*"2 0)"2 2) I)))
`,
    inputs: {
      I: [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9, 10, 11],
        [12, 13, 14, 15],
      ],
      K: [
        [1, 2],
        [3, 4],
      ],
    },
    expected: {
      C: [
        [34, 44, 54],
        [74, 84, 94],
        [114, 124, 134],
      ],
    },
  },
  {
    id: "T27",
    name: "maxpool-2x2",
    source: `R :: (in 4 4)
P :: (out 2 2)
P := (((stride 2 2)"2) (((trim 1 1)"2) (((oblique 2 >.)"4) (((duplicate 2 2)"0) R))))
`,
    inputs: {
      R: [
        [1, 5, 2, 0],
        [3, 4, 8, 1],
        [0, 0, 1, 1],
        [9, 2, 1, 7],
      ],
    },
    expected: {
      P: [
        [5, 8],
        [9, 7],
      ],
    },
  },
  {
    id: "T28",
    name: "softmax",
    source: `F :: (in 3)
O :: (out 3)
ratio"1 := (y / ((reduce 1 +) y))
Max := ((reduce 1 >.) F)
O := (ratio (exp (F - Max)))
`,
    inputs: { F: [1, 2, 3] },
    expected: { O: [0.09003057317, 0.2447284711, 0.6652409558] },
    digits: 10,
  },
  {
    id: "T29",
    name: "softmax-xent-grad",
    source: `F :: (in 3)
T :: (in 3)
O :: (out 3)
L :: (out)
dF :: (out 3)
ratio"1 := (y / ((reduce 1 +) y))
Max := ((reduce 1 >.) F)
O := (ratio (exp (F - Max)))
L := ((reduce 1 +) (0 - ((log O) * T)))
dF :: (grad L F)
`,
    inputs: { F: [1, 2, 3], T: [0, 1, 0] },
    expected: {
      O: [0.09003057317, 0.2447284711, 0.6652409558],
      L: 1.407605964,
      dF: [0.09003057317, -0.7552715289, 0.6652409558],
    },
    digits: 10,
  },
  {
    id: "T30",
    name: "mattmazur",
    source: `Input :: (in 2)
W1 :: (in 2 2)
B1 :: (in)
W2 :: (in 2 2)
B2 :: (in)
Output :: (out 2)

sigmoid"0 := (1 / ((exp (0 - y)) + 1))
dot"1 1 := ((reduce 1 +) (x * y))

Hidden := (sigmoid ((W1 dot Input) + B1))
Output := (sigmoid ((W2 dot Hidden) + B2))

Target :: (in 2)
Loss :: (out)

Loss := ((reduce 1 +) (0.5 * ((Target - Output) ** 2)))

dW1 :: (grad Loss W1)
dW2 :: (grad Loss W2)

nW1 :: (out 2 2)
nW2 :: (out 2 2)

nW1 := (W1 - (0.5 * dW1))
nW2 := (W2 - (0.5 * dW2))
`,
    inputs: {
      W1: [
        [0.15, 0.2],
        [0.25, 0.3],
      ],
      B1: 0.35,
      W2: [
        [0.4, 0.45],
        [0.5, 0.55],
      ],
      B2: 0.6,
      Input: [0.05, 0.1],
      Target: [0.01, 0.99],
    },
    expected: {
      Output: [0.7513650695523157, 0.7729284653214625],
      Loss: 0.2983711087600027,
      nW1: [
        [0.1497807161327628, 0.19956143226552567],
        [0.24975114363236958, 0.29950228726473915],
      ],
      nW2: [
        [0.35891647971788465, 0.4086661860762334],
        [0.5113012702387375, 0.5613701211079891],
      ],
    },
  },
  {
    id: "T30b",
    name: "mattmazur-with-gradients",
    source: `Input :: (in 2)
W1 :: (in 2 2)
B1 :: (in)
W2 :: (in 2 2)
B2 :: (in)
Output :: (out 2)

sigmoid"0 := (1 / ((exp (0 - y)) + 1))
dot"1 1 := ((reduce 1 +) (x * y))

Hidden := (sigmoid ((W1 dot Input) + B1))
Output := (sigmoid ((W2 dot Hidden) + B2))

Target :: (in 2)
Loss :: (out)

Loss := ((reduce 1 +) (0.5 * ((Target - Output) ** 2)))

dW1 :: (grad Loss W1)
dW2 :: (grad Loss W2)

nW1 :: (out 2 2)
nW2 :: (out 2 2)
dW1 :: (out 2 2)
dW2 :: (out 2 2)

nW1 := (W1 - (0.5 * dW1))
nW2 := (W2 - (0.5 * dW2))
`,
    inputs: {
      W1: [
        [0.15, 0.2],
        [0.25, 0.3],
      ],
      B1: 0.35,
      W2: [
        [0.4, 0.45],
        [0.5, 0.55],
      ],
      B2: 0.6,
      Input: [0.05, 0.1],
      Target: [0.01, 0.99],
    },
    expected: {
      Output: [0.7513650695523157, 0.7729284653214625],
      Loss: 0.2983711087600027,
      nW1: [
        [0.1497807161327628, 0.19956143226552567],
        [0.24975114363236958, 0.29950228726473915],
      ],
      nW2: [
        [0.35891647971788465, 0.4086661860762334],
        [0.5113012702387375, 0.5613701211079891],
      ],
      dW1: [
        [0.00043856773447434685, 0.0008771354689486937],
        [0.0004977127352608602, 0.0009954254705217204],
      ],
      dW2: [
        [0.0821670405642308, 0.08266762784753327],
        [-0.02260254047747507, -0.022740242215978222],
      ],
    },
  },
  {
    id: "T31",
    name: "grad-broadcast-sum",
    source: `A :: (in 2 3)
b :: (in)
L :: (out)
db :: (out)
dA :: (out 2 3)
L := ((reduce 2 +) ((A + b) * (A + b)))
db :: (grad L b)
dA :: (grad L A)
`,
    inputs: {
      A: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      b: 0.5,
    },
    expected: {
      L: 113.5,
      db: 48,
      dA: [
        [3, 5, 7],
        [9, 11, 13],
      ],
    },
  },
  {
    id: "T32",
    name: "grad-relu-tie",
    source: `A :: (in 3)
L :: (out)
dA :: (out 3)
L := ((reduce 1 +) (0.0 >. A))
dA :: (grad L A)
`,
    inputs: { A: [0, 2, -3] },
    expected: {
      L: 2,
      dA: [1, 1, 0],
    },
  },
  {
    id: "T33",
    name: "grad-reduce-max-tie",
    source: `A :: (in 3)
L :: (out)
dA :: (out 3)
L := ((reduce 1 >.) A)
dA :: (grad L A)
`,
    inputs: { A: [2, 2, -3] },
    expected: {
      L: 2,
      dA: [1, 1, 0],
    },
  },
  {
    id: "T34",
    name: "grad-div",
    source: `A :: (in 2)
B :: (in 2)
L :: (out)
dA :: (out 2)
dB :: (out 2)
L := ((reduce 1 +) (A / B))
dA :: (grad L A)
dB :: (grad L B)
`,
    inputs: { A: [1, 3], B: [2, 4] },
    expected: {
      L: 1.25,
      dA: [0.5, 0.25],
      dB: [-0.25, -0.1875],
    },
  },
  {
    id: "T35",
    name: "grad-exp-log",
    source: `A :: (in 2)
L :: (out)
dA :: (out 2)
L := ((reduce 1 +) (log (exp A)))
dA :: (grad L A)
`,
    inputs: { A: [0.5, 2] },
    expected: {
      L: 2.5,
      dA: [1, 1],
    },
  },
  {
    id: "T36",
    name: "grad-pow",
    source: `A :: (in 3)
L :: (out)
dA :: (out 3)
L := ((reduce 1 +) (A ** 3))
dA :: (grad L A)
`,
    inputs: { A: [1, 2, -1.5] },
    expected: {
      L: 5.625,
      dA: [3, 12, 6.75],
    },
  },
  {
    id: "T37",
    name: "grad-trim-stride-dup",
    source: `A :: (in 5)
W :: (in 2 2)
L :: (out)
dA :: (out 5)
L := ((reduce 2 +) (W * ((duplicate 2) ((stride 2) ((trim 1) A)))))
dA :: (grad L A)
`,
    inputs: {
      A: [1, 2, 3, 4, 5],
      W: [
        [1, 10],
        [100, 1000],
      ],
    },
    expected: {
      L: 4242,
      dA: [0, 101, 0, 1010, 0],
    },
  },
  {
    id: "T38",
    name: "grad-oblique",
    source: `A :: (in 2 3)
W :: (in 4)
L :: (out)
dA :: (out 2 3)
L := ((reduce 1 +) (W * ((oblique 1 +) A)))
dA :: (grad L A)
`,
    inputs: {
      A: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      W: [1, 10, 100, 1000],
    },
    expected: {
      L: 4683,
      dA: [
        [100, 10, 1],
        [1000, 100, 10],
      ],
    },
  },
  {
    id: "T39",
    name: "grad-oblique-max",
    source: `A :: (in 2 2)
W :: (in 3)
L :: (out)
dA :: (out 2 2)
L := ((reduce 1 +) (W * ((oblique 1 >.) A)))
dA :: (grad L A)
`,
    inputs: {
      A: [
        [1, 5],
        [3, 2],
      ],
      W: [1, 10, 100],
    },
    expected: {
      L: 325,
      dA: [
        [0, 1],
        [100, 10],
      ],
    },
  },
  {
    id: "T40",
    name: "adadelta-step",
    source: `gamma := 0.95
epsilon := 0.000001
l2 := 0.001
f"1 1 := (((1 - gamma) * (x ** 2)) + (gamma * y))
g"1 1 := (((x + epsilon) / (y + epsilon)) ** 0.5)
batch"1 1 := (((l2 * x) + y) / 20)
K :: (in 3)
nK :: (out 3)
dK :: (in 3)
Kg0 :: (in 3)
Kg1 :: (out 3)
Ks0 :: (in 3)
Ks1 :: (out 3)
gK := (K batch dK)
Kg1 := (gK f Kg0)
deltaK := ((Ks0 g Kg1) * gK)
Ks1 := (deltaK f Ks0)
nK := (K - deltaK)
`,
    inputs: { K: [0.5, -0.25, 1], dK: [2, -4, 0], Kg0: [0, 0, 0], Ks0: [0, 0, 0] },
    expected: {
      Kg1: [0.0005002500313, 0.002000250008, 1.25e-10],
      Ks1: [9.980049877e-7, 9.995003123e-7, 1.24984377e-10],
      nK: [0.4955323273, -0.2455289815, 0.9999500031],
    },
    digits: 10,
  },
  {
    id: "T41",
    name: "adadelta-step-2",
    source: `gamma := 0.95
epsilon := 0.000001
l2 := 0.001
f"1 1 := (((1 - gamma) * (x ** 2)) + (gamma * y))
g"1 1 := (((x + epsilon) / (y + epsilon)) ** 0.5)
batch"1 1 := (((l2 * x) + y) / 20)
K :: (in 3)
nK :: (out 3)
dK :: (in 3)
Kg0 :: (in 3)
Kg1 :: (out 3)
Ks0 :: (in 3)
Ks1 :: (out 3)
gK := (K batch dK)
Kg1 := (gK f Kg0)
deltaK := ((Ks0 g Kg1) * gK)
Ks1 := (deltaK f Ks0)
nK := (K - deltaK)
`,
    inputs: { K: [0.5, -0.25, 1], dK: [2, -4, 0.5], Kg0: [0.01, 0.02, 0], Ks0: [0.0001, 0.0004, 0] },
    expected: {
      Kg1: [0.01000025003, 0.02100025001, 3.1375125e-5],
      Ks1: [0.0001000518938, 0.0004181929767, 9.691120884e-7],
      nK: [0.4899482401, -0.2223619911, 0.9955974733],
    },
    digits: 10,
  },
  {
    id: "T44",
    name: "reject-frame-disagreement",
    source: `A :: (in 2 3)
B :: (in 4 3)
C := (A (+"1 2) B)
`,
    inputs: {},
    reject: "frames disagree: inner frames (3) and (4,3)",
  },
  {
    id: "T45",
    name: "reject-rank-exceeds-cell",
    source: `V :: (in 3)
W := (((reduce 1 +)"2) V)
`,
    inputs: {},
    reject: "rank 2 > cell rank 1",
  },
  {
    id: "T46",
    name: "reject-verb-rank-exceeds-cell",
    source: `V :: (in 3)
f"1 := (y + 1)
W := ((f"0) V)
`,
    inputs: {},
    reject: "verb rank 1 > cell rank 0",
  },
  {
    id: "T47a",
    name: "reject-stride-length",
    source: `A :: (in 4)
B := ((stride 2) A)
`,
    inputs: {},
    reject: "stride: axis length 4 mod 2 != 1",
  },
  {
    id: "T47b",
    name: "reject-stride-1",
    source: `A :: (in 3)
B := ((stride 1) A)
`,
    inputs: {},
    reject: "stride 1 is always rejected (3 mod 1 != 1)",
  },
  {
    id: "T47c",
    name: "reject-trim-0",
    source: `A :: (in 3)
B := ((trim 0) A)
`,
    inputs: {},
    reject: "trim parameter must be >= 1",
  },
  {
    id: "T48",
    name: "reject-out-shape-mismatch",
    source: `A :: (in 2)
B :: (out 3)
B := (A + 1)
`,
    inputs: {},
    reject: "declared output shape (3) differs from computed (2)",
  },
  {
    id: "T49",
    name: "reject-out-is-input",
    source: `A :: (in 2)
A :: (out 2)
`,
    inputs: {},
    reject: "an output may not be an input array",
  },
  {
    id: "T50",
    name: "reject-redefinition",
    source: `A :: (in 2)
B := (A + 1)
B := (A + 2)
`,
    inputs: {},
    reject: "redefinition of B",
  },
  {
    id: "T51a",
    name: "reject-grad-nonscalar-loss",
    source: `A :: (in 3)
B := (A * A)
dA :: (grad B A)
`,
    inputs: {},
    reject: "loss of grad must be scalar",
  },
  {
    id: "T51b",
    name: "reject-grad-independent",
    source: `A :: (in 3)
C :: (in 3)
B := ((reduce 1 +) (A * A))
dC :: (grad B C)
`,
    inputs: {},
    reject: "loss does not depend on C",
  },
  {
    id: "T51c",
    name: "reject-grad-second-order",
    source: `A :: (in 3)
B := ((reduce 1 +) (A * (A * A)))
dA :: (grad B A)
C := ((reduce 1 +) dA)
ddA :: (grad C A)
`,
    inputs: {},
    reject: "first order only: loss depends on a gradient node",
  },
  {
    id: "T52a",
    name: "reject-reduce-minus",
    source: `A :: (in 3)
B := ((reduce 1 -) A)
`,
    inputs: {},
    reject: "reduce op - has no identity",
  },
  {
    id: "T52b",
    name: "reject-reduce-times",
    source: `A :: (in 3)
B := ((reduce 1 *) A)
`,
    inputs: {},
    reject: "reduce op * has no identity",
  },
  {
    id: "T52c",
    name: "reject-dyad-as-monad",
    source: `A :: (in 2)
B := (- A)
`,
    inputs: {},
    reject: "dyad - used monadically",
  },
  {
    id: "T52d",
    name: "reject-monad-as-dyad",
    source: `A :: (in 2)
B := (A exp A)
`,
    inputs: {},
    reject: "monad exp used dyadically",
  },
  {
    id: "T52e",
    name: "reject-negative-literal",
    source: `A :: (in 2)
B := (A + -1)
`,
    inputs: {},
    reject: "-1 is an unknown name (no negative literals)",
  },
  {
    id: "T52f",
    name: "reject-vector-literal",
    source: `A :: (in 2)
B := (A + 1 2)
`,
    inputs: {},
    reject: "vector literal unsupported",
  },
];

/** The vector with the given id (throws if absent). */
export function vectorById(id: string): Vector {
  const v = VECTORS.find((x) => x.id === id);
  if (!v) throw new Error(`no test vector ${id}`);
  return v;
}

/** Vectors with expected outputs (T1–T41, T30b). */
export const ACCEPT_VECTORS: Vector[] = VECTORS.filter((v) => v.reject === undefined);

/**
 * The vectors whose expected gradients follow the original LiFT's tie rule for max/min (every tied
 * operand gets the whole gradient). LiFT splits a tie equally unless a program says `(ties full)`.
 */
export const FULL_TIE_VECTORS: ReadonlySet<string> = new Set(["T32", "T33"]);

/** The program to run for a vector: its Appendix A text, under `(ties full)` where its figures need it. */
export function runnableSource(v: Vector): string {
  return FULL_TIE_VECTORS.has(v.id) ? `(ties full)\n${v.source}` : v.source;
}

/** Vectors that must be rejected (T44–T52f). */
export const REJECT_VECTORS: Vector[] = VECTORS.filter((v) => v.reject !== undefined);
