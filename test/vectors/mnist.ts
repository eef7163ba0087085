/**
 * The model files of docs/lift-reference.md A.3, the deterministic inputs of §10.6, and the expected figures of
 * T42 (conv.model) and T43 (mnist.model + mnist.act / mnist.grad), as plain data.
 *
 * All shapes are J order; all flat data is row-major (first axis outermost).
 */

/** conv.model of the final repository (T42). */
export const CONV_MODEL = `Input :: (in 24 24)
K :: (in 5 5)
B :: (in)
Pool :: (out 10 10)

relu"0 := (0.0 >. y)

Conv := ((((trim 4 4)"2) (((oblique 2 +)"4) (K ((*"2 0)"2 2) Input))) + B)
Relu := (relu Conv)
Pool := (((stride 2 2)"2) (((trim 1 1)"2) (((oblique 2 >.)"4) (((duplicate 2 2)"0) Relu))))
`;

/** mnist.model of the tutorial (forward network; T43). */
export const MNIST_MODEL = `Input :: (in 24 24)
K1 :: (in 8 5 5)
B1 :: (in 8)
K2 :: (in 16 8 5 5)
B2 :: (in 16)
W :: (in 10 16 1 4 4)
B :: (in 10)
Conv1 :: (out 8 24 24)
Relu1 :: (out 8 24 24)
Pool1 :: (out 8 12 12)
Conv2 :: (out 16 1 12 12)
Relu2 :: (out 16 1 12 12)
Pool2 :: (out 16 1 4 4)
FC :: (out 10)
Output :: (out 10)

relu"0 := (0.0 >. y)
ratio"1 := (y / ((reduce 1 +) y))

Conv1 := ((((trim 2 2)"2) (((oblique 2 +)"4) (K1 ((*"2 0)"2 2) Input))) + B1)
Relu1 := (relu Conv1)
Pool1 := (((stride 2 2)"2) (((trim 1 1)"2) (((oblique 2 >.)"4) (((duplicate 2 2)"0) Relu1))))

Conv2 := ((((trim 7 2 2)"3) (((oblique 3 +)"6)  (K2 ((*"3 0)"3 3) Pool1))) + B2)
Relu2 := (relu Conv2)
Pool2 := (((stride 3 3)"2) (((trim 2 2)"2) (((oblique 2 >.)"4) (((duplicate 3 3)"0) Relu2))))

FC := ((((reduce 4 +)"4) (W (*"4 4) Pool2)) + B)

Max := ((reduce 1 >.) FC)
Output := (ratio (exp (FC - Max)))
`;

/** mnist.grad (append to MNIST_MODEL): loss, parameter gradients and accumulators. */
export const MNIST_GRAD = `Target :: (in 10)
Loss :: (out)
Loss := ((reduce 1 +) (0 - ((log Output) * Target)))

gK1 :: (in 8 5 5)
gB1 :: (in 8)
gK2 :: (in 16 8 5 5)
gB2 :: (in 16)
gW :: (in 10 16 1 4 4)
gB :: (in 10)
ngK1 :: (out 8 5 5)
ngB1 :: (out 8)
ngK2 :: (out 16 8 5 5)
ngB2 :: (out 16)
ngW :: (out 10 16 1 4 4)
ngB :: (out 10)

dK1 :: (grad Loss K1)
dB1 :: (grad Loss B1)
dK2 :: (grad Loss K2)
dB2 :: (grad Loss B2)
dW :: (grad Loss W)
dB :: (grad Loss B)

ngK1 := (gK1 + dK1)
ngB1 := (gB1 + dB1)
ngK2 := (gK2 + dK2)
ngB2 := (gB2 + dB2)
ngW := (gW + dW)
ngB := (gB + dB)
`;

/** mnist.act (append to MNIST_MODEL): loss and gradients wrt input and every layer (T43). */
export const MNIST_ACT = `Target :: (in 10)
Loss :: (out)
Loss := ((reduce 1 +) (0 - ((log Output) * Target)))

dInput :: (out 24 24)
dK1 :: (out 8 5 5)
dK2 :: (out 16 8 5 5)
dConv1 :: (out 8 24 24)
dRelu1 :: (out 8 24 24)
dPool1 :: (out 8 12 12)
dConv2 :: (out 16 1 12 12)
dRelu2 :: (out 16 1 12 12)
dPool2 :: (out 16 1 4 4)
dFC :: (out 10)

dInput :: (grad Loss Input)
dK1 :: (grad Loss K1)
dK2 :: (grad Loss K2)
dConv1 :: (grad Loss Conv1)
dRelu1 :: (grad Loss Relu1)
dPool1 :: (grad Loss Pool1)
dConv2 :: (grad Loss Conv2)
dRelu2 :: (grad Loss Relu2)
dPool2 :: (grad Loss Pool2)
dFC :: (grad Loss FC)
`;

/** mnist.train as printed in A.3: the gamma/epsilon/l2 literals, the verbs f, g, batch and the K1 block only. */
export const MNIST_TRAIN_K1 = `gamma := 0.95
epsilon := 0.000001
l2 := 0.001

f"1 1 := (((1 - gamma) * (x ** 2)) + (gamma * y))
g"1 1 := (((x + epsilon) / (y + epsilon)) ** 0.5)
batch"1 1 := (((l2 * x) + y) / 20)

K1 :: (in 200)
nK1 :: (out 200)
dK1 :: (in 200)
K1g0 :: (in 200)
K1g1 :: (out 200)
K1s0 :: (in 200)
K1s1 :: (out 200)

gK1 := (K1 batch dK1)
K1g1 := (gK1 f K1g0)
deltaK1 := ((K1s0 g K1g1) * gK1)
K1s1 := (deltaK1 f K1s0)
nK1 := (K1 - deltaK1)
`;

const TRAIN_BLOCK_START = "K1 :: (in 200)";

/** The gamma/epsilon/l2 literals and the verbs f, g, batch of mnist.train (first lines of MNIST_TRAIN_K1). */
export const MNIST_TRAIN_HEADER: string = MNIST_TRAIN_K1.slice(0, MNIST_TRAIN_K1.indexOf(TRAIN_BLOCK_START));

/** Parameter names and flat sizes of the blocks of mnist.train, in file order. */
export const MNIST_TRAIN_PARAMS: ReadonlyArray<readonly [string, number]> = [
  ["K1", 200],
  ["B1", 8],
  ["K2", 3200],
  ["B2", 16],
  ["W", 2560],
  ["B", 10],
];

/**
 * The whole mnist.train, reconstructed as A.3 describes it: the header, then the K1 block repeated for
 * B1 (8), K2 (3200), B2 (16), W (2560), B (10) with the names changed (`K1` → `B1` in every name, 200 → size).
 * A.3 prints only the K1 block literally, so this text is a reconstruction, not a copy.
 */
export const MNIST_TRAIN: string = (() => {
  const block = MNIST_TRAIN_K1.slice(MNIST_TRAIN_K1.indexOf(TRAIN_BLOCK_START));
  const blocks = MNIST_TRAIN_PARAMS.map(([name, size]) =>
    block
      .replace(/K1/g, name)
      .replace(/\b200\b/g, String(size))
      .trimEnd(),
  );
  return MNIST_TRAIN_HEADER + blocks.join("\n\n") + "\n";
})();

// ---------------------------------------------------------------------------------------------------------
// Deterministic inputs (§10.6)

/** A dense float64 tensor: J-order shape and row-major data. */
export interface Tensor {
  shape: number[];
  data: Float64Array;
}

/** Non-negative remainder. */
function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

function product(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Builds a tensor whose element at multi-index `ix` (row-major enumeration of `shape`) is `f(ix)`. */
function tabulate(shape: number[], f: (ix: number[]) => number): Tensor {
  const data = new Float64Array(product(shape));
  const ix = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < data.length; k++) {
    data[k] = f(ix);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++ix[a]! < shape[a]!) break;
      ix[a] = 0;
    }
  }
  return { shape, data };
}

/** Input[i][j] = ((24i + j)·37 mod 101) / 100, shape (24,24). */
function inputImage(): Tensor {
  return tabulate([24, 24], ([i, j]) => mod((24 * i! + j!) * 37, 101) / 100);
}

/** K1[f][a][b] = (((25f + 5a + b)·17 mod 23) − 11) / 50, shape (8,5,5). */
function kernel1(): Tensor {
  return tabulate([8, 5, 5], ([f, a, b]) => (mod((25 * f! + 5 * a! + b!) * 17, 23) - 11) / 50);
}

/**
 * The deterministic inputs of §10.6 for mnist.model (+ Target for mnist.grad / mnist.act):
 * Input (24,24), K1 (8,5,5), B1 (8), K2 (16,8,5,5), B2 (16), W (10,16,1,4,4), B (10), Target (10, one-hot at 3).
 */
/** The inputs of mnist.model (§10.6), by name. */
export type MnistInputs = Record<"Input" | "K1" | "B1" | "K2" | "B2" | "W" | "B" | "Target", Tensor>;

export function mnistInputs(): MnistInputs {
  return {
    Input: inputImage(),
    K1: kernel1(),
    B1: tabulate([8], ([f]) => (f! - 3.5) / 100),
    K2: tabulate([16, 8, 5, 5], ([o, c, a, b]) => (mod((200 * o! + 25 * c! + 5 * a! + b!) * 13, 29) - 14) / 200),
    B2: tabulate([16], ([o]) => (mod(o!, 5) - 2) / 100),
    W: tabulate([10, 16, 1, 4, 4], ([k, o, , a, b]) => (mod((256 * k! + 16 * o! + 4 * a! + b!) * 7, 31) - 15) / 100),
    B: tabulate([10], ([k]) => (k! - 4.5) / 50),
    Target: tabulate([10], ([k]) => (k === 3 ? 1 : 0)),
  };
}

/** Zero gradient accumulators gK1, gB1, gK2, gB2, gW, gB for mnist.grad (then ngX = dX). */
export function mnistGradAccumulators(): Record<string, Tensor> {
  const shapes: Record<string, number[]> = {
    gK1: [8, 5, 5],
    gB1: [8],
    gK2: [16, 8, 5, 5],
    gB2: [16],
    gW: [10, 16, 1, 4, 4],
    gB: [10],
  };
  const out: Record<string, Tensor> = {};
  for (const [name, shape] of Object.entries(shapes)) out[name] = { shape, data: new Float64Array(product(shape)) };
  return out;
}

/** Inputs of T42 (conv.model): Input as in mnistInputs, K = K1[0] (5,5), B = 0.01 (scalar, shape []). */
export function convModelInputs(): Record<"Input" | "K" | "B", Tensor> {
  const k1 = kernel1();
  return {
    Input: inputImage(),
    K: { shape: [5, 5], data: k1.data.slice(0, 25) },
    B: { shape: [], data: Float64Array.of(0.01) },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Tolerances derived from the printed figures

/** Absolute tolerance used for figures printed as 0 (exact zeros or ~1e-16 round-off, e.g. Σ dB = Σ(Output − Target)). */
export const ZERO_TOL = 1e-12;

/** How a row of figures was printed: to a fixed number of decimals, or to a number of significant digits. */
export type PrintFormat = { decimals: number } | { digits: number };

/**
 * Absolute tolerance for comparing a computed value with a printed figure `v`: half a unit in the last printed
 * digit (plus a tiny relative slack for float round-off); ZERO_TOL for a printed 0.
 */
export function printedTolerance(v: number, fmt: PrintFormat): number {
  if (v === 0) return ZERO_TOL;
  let unit: number;
  if ("decimals" in fmt) {
    unit = 10 ** -fmt.decimals;
  } else {
    const exponent = Number(v.toExponential().split("e")[1]);
    unit = 10 ** (exponent - fmt.digits + 1);
  }
  return 0.5 * unit + 1e-13 * Math.abs(v);
}

// ---------------------------------------------------------------------------------------------------------
// T42: conv.model

/**
 * T42 expected figures (§10.6), printed to 4 decimals. Conv values are exact multiples of 0.0002 for these
 * inputs, so the figures are exact up to float round-off.
 */
export const T42 = {
  decimals: 4,
  poolShape: [10, 10],
  /** Σ Pool */
  poolSum: 18.6604,
  /** Pool[0][*] */
  poolRow0: [0.3232, 0.3292, 0.0506, 0.3192, 0.2292, 0.0736, 0.3202, 0.1242, 0.2152, 0],
  /** Pool[9][9] */
  pool99: 0.2162,
} as const;

/** Checks a flat (10,10) Pool against T42; returns a list of mismatch messages (empty when it matches). */
export function compareT42(pool: ArrayLike<number>): string[] {
  const fmt = { decimals: T42.decimals };
  const errs: string[] = [];
  const near = (what: string, got: number, want: number) => {
    if (!(Math.abs(got - want) <= printedTolerance(want, fmt))) errs.push(`${what}: got ${got}, expected ${want}`);
  };
  if (pool.length !== 100) errs.push(`Pool: ${pool.length} elements, expected 100`);
  let s = 0;
  for (let k = 0; k < pool.length; k++) s += pool[k]!;
  near("sum Pool", s, T42.poolSum);
  T42.poolRow0.forEach((w, j) => near(`Pool[0][${j}]`, pool[j]!, w));
  near("Pool[9][9]", pool[99]!, T42.pool99);
  return errs;
}

// ---------------------------------------------------------------------------------------------------------
// T43: mnist.model + mnist.act (and mnist.grad with zero accumulators)

/** One row of the T43 table. Absent fields were not printed. */
export interface T43Entry {
  shape: number[];
  /** Σ of all elements. */
  sum?: number;
  /** Σ of absolute values. */
  sumAbs?: number;
  /** The first elements in row-major order. */
  first?: number[];
  /** All elements (FC, Output, dFC, dB, dB1). */
  all?: number[];
  /** Significant digits printed (rows printed like %.10g; trailing zeros dropped). */
  digits?: number;
  /** Decimals printed (rows printed rounded to a fixed number of decimals; trailing zeros dropped). */
  decimals?: number;
  /** Absolute tolerances, 0.5 unit in the last printed digit of each figure (ZERO_TOL for a printed 0). */
  tol: { sum?: number; sumAbs?: number; first?: number[]; all?: number[] };
}

function row(
  shape: number[],
  fmt: PrintFormat,
  sum: number | undefined,
  sumAbs: number | undefined,
  first: number[] | undefined,
  all?: number[],
): T43Entry {
  const t = (v: number) => printedTolerance(v, fmt);
  const e: T43Entry = { shape, ...fmt, tol: {} };
  if (sum !== undefined) {
    e.sum = sum;
    e.tol.sum = t(sum);
  }
  if (sumAbs !== undefined) {
    e.sumAbs = sumAbs;
    e.tol.sumAbs = t(sumAbs);
  }
  if (all !== undefined) {
    e.all = all;
    e.tol.all = all.map(t);
  }
  const f = first ?? all?.slice(0, 3);
  if (f !== undefined) {
    e.first = f;
    e.tol.first = f.map(t);
  }
  return e;
}

const D4 = { decimals: 4 };
const D6 = { decimals: 6 };
const D8 = { decimals: 8 };
const G10 = { digits: 10 };

/** FC (printed to 8 decimals). */
export const T43_FC = [
  -0.04175032, -0.0847894, -0.06581174, -0.05785334, 0.00663852, 0.00943325, 0.03194212, 0.01794539, 0.0545233,
  0.1178012,
];
/** Output = softmax(FC) (10 significant digits). */
export const T43_OUTPUT = [
  0.09585655649, 0.09181849894, 0.09357763857, 0.09432533815, 0.1006089994, 0.1008905676, 0.1031872512, 0.1017530278,
  0.1055438484, 0.1124382735,
];
/** dFC = Output − Target (10 significant digits); also dB. */
export const T43_DFC = [
  0.09585655649, 0.09181849894, 0.09357763857, -0.9056746618, 0.1006089994, 0.1008905676, 0.1031872512, 0.1017530278,
  0.1055438484, 0.1124382735,
];
/** dB1 (10 significant digits). */
export const T43_DB1 = [
  0.001225198951, -0.02236269176, 0.02270755019, -0.003208561713, 0.04586851237, -0.03088875412, -0.1386189182,
  -0.003443987602,
];

/** Loss of T43 (10 significant digits). */
export const T43_LOSS = 2.361005428;

/**
 * The T43 table of §10.6, keyed by the tensor names of mnist.model / mnist.act / mnist.grad (dX = ngX with zero
 * accumulators; see T43_PROGRAMS). Print formats (checked against an independent float64 computation):
 * Conv1/Relu1/Pool1 4 decimals, Conv2/Relu2/Pool2 6 decimals, FC 8 decimals, everything else 10 significant
 * digits. Σ dW is printed "≈ 0 (−8.9e−16)"; it is 0 mathematically and is stored as 0 (tolerance ZERO_TOL).
 */
export const T43 = {
  Conv1: row([8, 24, 24], D4, -1.6, 708.6288, [-0.3758, -0.0898, -0.2804]),
  Relu1: row([8, 24, 24], D4, 353.5144, 353.5144, [0, 0, 0]),
  Pool1: row([8, 12, 12], D4, 219.8438, 219.8438, [0, 0.0364, 0]),
  Conv2: row([16, 1, 12, 12], D6, -5.326458, 80.302024, [-0.02564, -0.030306, 0.032723]),
  Relu2: row([16, 1, 12, 12], D6, 37.487783, 37.487783, [0, 0, 0.032723]),
  Pool2: row([16, 1, 4, 4], D6, 12.911861, 12.911861, [0.032723, 0.047089, 0.033909]),
  FC: row([10], D8, -0.01192102, 0.48848858, undefined, T43_FC),
  Output: row([10], G10, 1, 1, undefined, T43_OUTPUT),
  Loss: row([], G10, T43_LOSS, undefined, [T43_LOSS]),
  dInput: row([24, 24], G10, 0.03372382885, 5.660405038, [0.000119034188, 0.007911625705, -0.003643999843]),
  dK1: row([8, 5, 5], G10, -1.94463945, 9.272341266, [-0.04121207325, -0.05887591696, -0.1117276153]),
  dB1: row([8], G10, -0.1287216519, 0.2683241749, undefined, T43_DB1),
  dK2: row([16, 8, 5, 5], G10, 3.019823053, 135.9381927, [-0.03408761534, 0.01414956673, 0.03535666435]),
  dB2: row([16], G10, -0.1740551412, 2.301527867, [-0.07482723769, 0.0138356292, 0.05220902538]),
  dW: row([10, 16, 1, 4, 4], G10, 0, 23.38789069, [0.003136714098, 0.004513789389, 0.003250399974]),
  dB: row([10], G10, 0, 1.811349324, undefined, T43_DFC),
  dConv1: row([8, 24, 24], G10, -0.1287216519, 17.3225363, [0, 0, 0]),
  dRelu1: row([8, 24, 24], G10, -0.1701061996, 25.64174548, [-0.004021669065, -0.004021669065, 0]),
  dPool1: row([8, 12, 12], G10, -0.1390677888, 19.40233859, [-0.004021669065, 0.03105632105, -0.007916223701]),
  dConv2: row([16, 1, 12, 12], G10, -0.1740551412, 18.66689922, [0, 0, 0.001998697175]),
  dRelu2: row([16, 1, 12, 12], G10, 1.910862902, 22.89391792, [0, 0, 0.001998697175]),
  dPool2: row([16, 1, 4, 4], G10, 0.0576024192, 19.13656796, [0.001998697175, -0.05845308538, -0.1190055919]),
  dFC: row([10], G10, 0, 1.811349324, undefined, T43_DFC),
} satisfies Record<string, T43Entry>;

/**
 * Which program produces which T43 row. `model`: outputs of MNIST_MODEL. `act`: outputs of
 * MNIST_MODEL + MNIST_ACT (same names). `grad`: outputs of MNIST_MODEL + MNIST_GRAD with zero accumulators,
 * mapped output name → T43 key. dRelu1/dRelu2 depend on the LiFT tie rule (every tied maximum gets the gradient).
 */
export const T43_PROGRAMS = {
  model: ["Conv1", "Relu1", "Pool1", "Conv2", "Relu2", "Pool2", "FC", "Output"],
  act: ["Loss", "dInput", "dK1", "dK2", "dConv1", "dRelu1", "dPool1", "dConv2", "dRelu2", "dPool2", "dFC"],
  grad: { Loss: "Loss", ngK1: "dK1", ngB1: "dB1", ngK2: "dK2", ngB2: "dB2", ngW: "dW", ngB: "dB" },
} as const;

/**
 * Compares a flat row-major tensor with the T43 row `key`; returns mismatch messages (empty when it matches).
 * Tolerances: entry.tol (0.5 unit in the last printed digit).
 */
export function compareT43(key: string, data: ArrayLike<number>): string[] {
  const e = (T43 as Record<string, T43Entry | undefined>)[key];
  if (!e) return [`no T43 entry ${key}`];
  const errs: string[] = [];
  const n = product(e.shape);
  if (data.length !== n) return [`${key}: ${data.length} elements, expected ${n}`];
  const near = (what: string, got: number, want: number, tol: number) => {
    if (!(Math.abs(got - want) <= tol)) errs.push(`${key} ${what}: got ${got}, expected ${want} ± ${tol}`);
  };
  let s = 0;
  let sa = 0;
  for (let k = 0; k < n; k++) {
    s += data[k]!;
    sa += Math.abs(data[k]!);
  }
  if (e.sum !== undefined) near("sum", s, e.sum, e.tol.sum!);
  if (e.sumAbs !== undefined) near("sumAbs", sa, e.sumAbs, e.tol.sumAbs!);
  e.first?.forEach((w, k) => near(`[${k}]`, data[k]!, w, e.tol.first![k]!));
  e.all?.forEach((w, k) => near(`[${k}]`, data[k]!, w, e.tol.all![k]!));
  return errs;
}
