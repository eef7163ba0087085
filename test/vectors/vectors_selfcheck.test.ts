// Self-checks of the test-vector data (reference.ts, mnist.ts). These do not use the LiFT implementation: they
// recompute the documented values directly in JavaScript, so a mistyped digit or a wrong program text fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { VECTORS, vectorById, type Nested, type Vector } from "./reference.js";
import {
  CONV_MODEL,
  MNIST_ACT,
  MNIST_GRAD,
  MNIST_MODEL,
  MNIST_TRAIN,
  MNIST_TRAIN_HEADER,
  MNIST_TRAIN_K1,
  MNIST_TRAIN_PARAMS,
  T42,
  T43,
  T43_LOSS,
  T43_PROGRAMS,
  compareT42,
  compareT43,
  convModelInputs,
  mnistGradAccumulators,
  mnistInputs,
  printedTolerance,
  type Tensor,
} from "./mnist.js";

// ---------------------------------------------------------------------------------------------------------
// helpers

function shapeOf(v: Nested): number[] {
  if (typeof v === "number") return [];
  assert.ok(v.length > 0, "empty list");
  const inner = shapeOf(v[0]!);
  for (const e of v) assert.deepEqual(shapeOf(e), inner, "ragged nested list");
  return [v.length, ...inner];
}

function flat(v: Nested): number[] {
  return typeof v === "number" ? [v] : v.flatMap(flat);
}

const m2 = (v: Nested) => v as number[][];
const m1 = (v: Nested) => v as number[];

/** Relative closeness: |a − b| ≤ rel·max(|a|, |b|) (exact equality for zeros). */
function assertClose(got: Nested, want: Nested, rel: number, what: string): void {
  assert.deepEqual(shapeOf(got), shapeOf(want), `${what}: shape`);
  const g = flat(got);
  const w = flat(want);
  g.forEach((x, k) => {
    const tol = rel * Math.max(Math.abs(x), Math.abs(w[k]!));
    assert.ok(Math.abs(x - w[k]!) <= tol, `${what}[${k}]: computed ${x}, data ${w[k]} (rel ${rel})`);
  });
}

/** Declarations `N :: (in d…)` / `N :: (out d…)` of a program text. */
function declarations(src: string): { ins: Map<string, number[]>; outs: Map<string, number[]> } {
  const ins = new Map<string, number[]>();
  const outs = new Map<string, number[]>();
  for (const m of src.matchAll(/(\S+) :: \((in|out)((?: \d+)*)\)/g)) {
    const dims = m[3]!.trim() === "" ? [] : m[3]!.trim().split(/\s+/).map(Number);
    (m[2] === "in" ? ins : outs).set(m[1]!, dims);
  }
  return { ins, outs };
}

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
}

function expected(v: Vector): Record<string, Nested> {
  assert.ok(v.expected, `${v.id} has expected outputs`);
  return v.expected;
}

// ---------------------------------------------------------------------------------------------------------
// structure of the vector list

test("vector ids are unique", () => {
  const ids = VECTORS.map((v) => v.id);
  assert.equal(new Set(ids).size, ids.length);
});

test("every program of §10 / Appendix A is present", () => {
  const want: string[] = [];
  for (let n = 1; n <= 41; n++) {
    if (n === 17) want.push("T17a", "T17b");
    else want.push(`T${n}`);
  }
  want.push("T30b", "T44", "T45", "T46", "T47a", "T47b", "T47c", "T48", "T49", "T50", "T51a", "T51b", "T51c");
  for (const s of "abcdef") want.push(`T52${s}`);
  assert.deepEqual(new Set(VECTORS.map((v) => v.id)), new Set(want));
});

test("T1–T41 have expected outputs and no reject; T44–T52 have a reject reason and no expected", () => {
  for (const v of VECTORS) {
    const n = Number(/^T(\d+)/.exec(v.id)![1]);
    assert.ok(v.name.length > 0, `${v.id} name`);
    assert.ok(v.source.trim().length > 0, `${v.id} source`);
    if (n <= 41) {
      assert.equal(v.reject, undefined, v.id);
      assert.ok(v.expected && Object.keys(v.expected).length > 0, `${v.id} expected`);
    } else {
      assert.ok(n >= 44 && n <= 52, v.id);
      assert.ok(typeof v.reject === "string" && v.reject.length > 0, `${v.id} reject`);
      assert.equal(v.expected, undefined, v.id);
      assert.deepEqual(v.inputs, {}, v.id);
    }
  }
});

test("inputs and expected outputs match the declarations in the program text", () => {
  for (const v of VECTORS) {
    if (v.reject !== undefined) continue;
    const { ins, outs } = declarations(v.source);
    assert.deepEqual(new Set(Object.keys(v.inputs)), new Set(ins.keys()), `${v.id} input names`);
    for (const [name, val] of Object.entries(v.inputs))
      assert.deepEqual(shapeOf(val), ins.get(name), `${v.id} input ${name}`);
    // every declared output has an expected value in these vectors, and nothing else is expected
    assert.deepEqual(new Set(Object.keys(expected(v))), new Set(outs.keys()), `${v.id} output names`);
    for (const [name, val] of Object.entries(expected(v))) {
      assert.deepEqual(shapeOf(val), outs.get(name), `${v.id} output ${name}`);
      for (const x of flat(val)) assert.ok(Number.isFinite(x), `${v.id} ${name} finite`);
    }
  }
});

test("T30b is T30 plus dW1/dW2 output declarations and the §6.5 gradients", () => {
  const a = vectorById("T30");
  const b = vectorById("T30b");
  assert.equal(b.source.replace("dW1 :: (out 2 2)\ndW2 :: (out 2 2)\n", ""), a.source);
  assert.deepEqual(b.inputs, a.inputs);
  for (const [k, val] of Object.entries(expected(a))) assert.deepEqual(expected(b)[k], val);
});

// ---------------------------------------------------------------------------------------------------------
// values recomputed directly

test("T1: B = A·A", () => {
  const v = vectorById("T1");
  const A = m2(v.inputs.A!);
  A.forEach((row, i) => row.forEach((x, j) => assert.equal(x, 8 * i + j)));
  assert.deepEqual(expected(v).B, matmul(A, A));
});

test("T14: T[k][i][j] = A[k][i]·A[i][j] and B = A·A", () => {
  const v = vectorById("T14");
  const A = m2(v.inputs.A!);
  const T = A.map((_, k) => A.map((_, i) => A[i]!.map((_, j) => A[k]![i]! * A[i]![j]!)));
  assert.deepEqual(expected(v).T, T);
  assert.deepEqual(expected(v).B, matmul(A, A));
});

test("T15: Z[f][a][b][c][d] = I[a][b]·K[f][c][d]", () => {
  const v = vectorById("T15");
  const K = v.inputs.K as number[][][];
  const I = m2(v.inputs.I!);
  assert.deepEqual(flat(v.inputs.K!), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(flat(v.inputs.I!), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  const Z = expected(v).Z as number[][][][][];
  assert.deepEqual(shapeOf(Z), [2, 3, 3, 2, 2]);
  for (let f = 0; f < 2; f++)
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++)
        for (let c = 0; c < 2; c++)
          for (let d = 0; d < 2; d++) assert.equal(Z[f]![a]![b]![c]![d], I[a]![b]! * K[f]![c]![d]!);
});

test("T2–T13: reductions, agreement, outer products, dot", () => {
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  assert.equal(expected(vectorById("T2")).B, sum(m1(vectorById("T2").inputs.A!)));
  const A3 = m2(vectorById("T3").inputs.A!);
  assert.deepEqual(
    expected(vectorById("T3")).B,
    A3[0]!.map((_, j) => A3[0]![j]! + A3[1]![j]!),
  );
  assert.deepEqual(expected(vectorById("T4")).B, m2(vectorById("T4").inputs.A!).map(sum));
  assert.equal(expected(vectorById("T5")).B, sum(flat(vectorById("T5").inputs.A!)));
  const t6 = vectorById("T6");
  assert.deepEqual(
    expected(t6).C,
    m1(t6.inputs.A!).map((x, i) => x + m1(t6.inputs.B!)[i]!),
  );
  const t7 = vectorById("T7");
  assert.deepEqual(
    expected(t7).C,
    m1(t7.inputs.A!).map((x) => m1(t7.inputs.B!).map((y) => x + y)),
  );
  const t8 = vectorById("T8");
  assert.deepEqual(
    expected(t8).C,
    m2(t8.inputs.A!).map((r, i) => r.map((x) => x - m1(t8.inputs.B!)[i]!)),
  );
  const t9 = vectorById("T9");
  assert.deepEqual(
    expected(t9).C,
    m2(t9.inputs.A!).map((r) => r.map((x, j) => x - m1(t9.inputs.B!)[j]!)),
  );
  const t10 = vectorById("T10");
  assert.deepEqual(
    expected(t10).C,
    m1(t10.inputs.A!).map((x) => m1(t10.inputs.B!).map((y) => x * y)),
  );
  const t11 = vectorById("T11");
  const B11 = m2(t11.inputs.B!);
  assert.deepEqual(
    expected(t11).C,
    m2(t11.inputs.A!).map((r, i) => r.map((x) => B11[i]!.map((y) => x * y))),
  );
  const t12 = vectorById("T12");
  const V = m1(t12.inputs.V!);
  assert.deepEqual(
    expected(t12).R,
    m2(t12.inputs.M!).map((r) => sum(r.map((x, j) => x * V[j]!))),
  );
  const t13 = vectorById("T13");
  const Bt = m2(t13.inputs.Bt!);
  assert.deepEqual(
    expected(t13).C,
    m2(t13.inputs.A!).map((r) => Bt.map((b) => sum(r.map((x, j) => x * b[j]!)))),
  );
});

/** Oblique in code order: z[o, r] = fold{ y[p, q, r] : o_i = p_i − q_i + Q_i − 1 } (N = 1 or 2 axis pairs). */
function oblique(A: Nested, n: 1 | 2, op: (a: number, b: number) => number): Nested {
  if (n === 1) {
    const Y = A as Nested[][];
    const P = Y.length;
    const Q = Y[0]!.length;
    const out: Nested[] = [];
    for (let o = 0; o < P + Q - 1; o++) {
      let acc: Nested | undefined;
      for (let p = 0; p < P; p++) {
        const q = p + Q - 1 - o;
        if (q < 0 || q >= Q) continue;
        acc = acc === undefined ? Y[p]![q] : zipWith(acc, Y[p]![q]!, op);
      }
      out.push(acc!);
    }
    return out;
  }
  const Y = A as number[][][][];
  const [P1, P2, Q1, Q2] = [Y.length, Y[0]!.length, Y[0]![0]!.length, Y[0]![0]![0]!.length];
  const out: number[][] = [];
  for (let o1 = 0; o1 < P1 + Q1 - 1; o1++) {
    const r: number[] = [];
    for (let o2 = 0; o2 < P2 + Q2 - 1; o2++) {
      let acc: number | undefined;
      for (let p1 = 0; p1 < P1; p1++)
        for (let p2 = 0; p2 < P2; p2++) {
          const q1 = p1 + Q1 - 1 - o1;
          const q2 = p2 + Q2 - 1 - o2;
          if (q1 < 0 || q1 >= Q1 || q2 < 0 || q2 >= Q2) continue;
          const y = Y[p1]![p2]![q1]![q2];
          acc = acc === undefined ? y : op(acc, y!);
        }
      r.push(acc!);
    }
    out.push(r);
  }
  return out;
}

function zipWith(a: Nested, b: Nested, op: (x: number, y: number) => number): Nested {
  if (typeof a === "number") return op(a, b as number);
  return a.map((x, i) => zipWith(x, (b as Nested[])[i]!, op));
}

test("T16–T20: oblique (code direction o = p − q + Q − 1)", () => {
  const add = (a: number, b: number) => a + b;
  assert.deepEqual(expected(vectorById("T16")).B, oblique(vectorById("T16").inputs.A!, 1, add));
  assert.deepEqual(expected(vectorById("T17a")).B, oblique(vectorById("T17a").inputs.A!, 1, Math.max));
  assert.deepEqual(expected(vectorById("T17b")).B, oblique(vectorById("T17b").inputs.A!, 1, Math.min));
  assert.deepEqual(expected(vectorById("T18")).B, oblique(vectorById("T18").inputs.A!, 1, add));
  assert.deepEqual(expected(vectorById("T19")).B, oblique(vectorById("T19").inputs.A!, 1, add));
  assert.deepEqual(expected(vectorById("T20")).B, oblique(vectorById("T20").inputs.A!, 2, add));
});

test("T26: valid cross-correlation Σ I[i+a][j+b]·K[a][b]", () => {
  const v = vectorById("T26");
  const I = m2(v.inputs.I!);
  const K = m2(v.inputs.K!);
  assert.deepEqual(
    flat(I),
    Array.from({ length: 16 }, (_, k) => k),
  );
  const C: number[][] = [];
  for (let i = 0; i < 3; i++) {
    C.push([]);
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) s += I[i + a]![j + b]! * K[a]![b]!;
      C[i]!.push(s);
    }
  }
  assert.deepEqual(expected(v).C, C);
});

test("T27: 2×2 max pool with stride 2", () => {
  const v = vectorById("T27");
  const R = m2(v.inputs.R!);
  const P = [0, 1].map((i) =>
    [0, 1].map((j) =>
      Math.max(R[2 * i]![2 * j]!, R[2 * i]![2 * j + 1]!, R[2 * i + 1]![2 * j]!, R[2 * i + 1]![2 * j + 1]!),
    ),
  );
  assert.deepEqual(expected(v).P, P);
});

test("T28/T29: softmax, cross entropy, dF = O − T", () => {
  for (const id of ["T28", "T29"]) {
    const v = vectorById(id);
    assert.equal(v.digits, 10);
    const F = m1(v.inputs.F!);
    const mx = Math.max(...F);
    const e = F.map((f) => Math.exp(f - mx));
    const s = e.reduce((a, b) => a + b, 0);
    const O = e.map((x) => x / s);
    assertClose(expected(v).O!, O, 1e-9, `${id} O`);
    if (id === "T29") {
      const T = m1(v.inputs.T!);
      assertClose(expected(v).L!, -O.reduce((acc, o, k) => acc + Math.log(o) * T[k]!, 0), 1e-9, "T29 L");
      assertClose(
        expected(v).dF!,
        O.map((o, k) => o - T[k]!),
        1e-9,
        "T29 dF",
      );
    }
  }
});

test("T30/T30b: mattmazur network forward, backward and update (full precision)", () => {
  for (const id of ["T30", "T30b"]) {
    const v = vectorById(id);
    assert.equal(v.digits, undefined);
    const W1 = m2(v.inputs.W1!);
    const W2 = m2(v.inputs.W2!);
    const B1 = v.inputs.B1 as number;
    const B2 = v.inputs.B2 as number;
    const x = m1(v.inputs.Input!);
    const t = m1(v.inputs.Target!);
    const sig = (z: number) => 1 / (Math.exp(0 - z) + 1);
    const H = W1.map((r) => sig(r[0]! * x[0]! + r[1]! * x[1]! + B1));
    const O = W2.map((r) => sig(r[0]! * H[0]! + r[1]! * H[1]! + B2));
    const loss = O.reduce((s, o, k) => s + 0.5 * (t[k]! - o) ** 2, 0);
    const dNet2 = O.map((o, k) => (o - t[k]!) * o * (1 - o));
    const dW2 = dNet2.map((d) => H.map((h) => d * h));
    const dH = H.map((_, j) => dNet2.reduce((s, d, k) => s + d * W2[k]![j]!, 0));
    const dNet1 = H.map((h, j) => dH[j]! * h * (1 - h));
    const dW1 = dNet1.map((d) => x.map((xi) => d * xi));
    const ex = expected(v);
    assertClose(ex.Output!, O, 1e-12, `${id} Output`);
    assertClose(ex.Loss!, loss, 1e-12, `${id} Loss`);
    assertClose(
      ex.nW1!,
      W1.map((r, i) => r.map((w, j) => w - 0.5 * dW1[i]![j]!)),
      1e-12,
      `${id} nW1`,
    );
    assertClose(
      ex.nW2!,
      W2.map((r, i) => r.map((w, j) => w - 0.5 * dW2[i]![j]!)),
      1e-12,
      `${id} nW2`,
    );
    if (id === "T30b") {
      assertClose(ex.dW1!, dW1, 1e-12, "T30b dW1");
      assertClose(ex.dW2!, dW2, 1e-12, "T30b dW2");
    }
  }
});

test("T31–T39: gradients of individual rules", () => {
  const t31 = vectorById("T31");
  const A31 = flat(t31.inputs.A!);
  const b = t31.inputs.b as number;
  assert.equal(
    expected(t31).L,
    A31.reduce((s, a) => s + (a + b) ** 2, 0),
  );
  assert.deepEqual(
    flat(expected(t31).dA!),
    A31.map((a) => 2 * (a + b)),
  );
  assert.equal(
    expected(t31).db,
    A31.reduce((s, a) => s + 2 * (a + b), 0),
  );
  const A32 = m1(vectorById("T32").inputs.A!);
  assert.equal(
    expected(vectorById("T32")).L,
    A32.reduce((s, a) => s + Math.max(0, a), 0),
  );
  assert.deepEqual(
    expected(vectorById("T32")).dA,
    A32.map((a) => (a >= 0 ? 1 : 0)),
  );
  const A33 = m1(vectorById("T33").inputs.A!);
  assert.equal(expected(vectorById("T33")).L, Math.max(...A33));
  assert.deepEqual(
    expected(vectorById("T33")).dA,
    A33.map((a) => (a === Math.max(...A33) ? 1 : 0)),
  );
  const t34 = vectorById("T34");
  const [A34, B34] = [m1(t34.inputs.A!), m1(t34.inputs.B!)];
  assert.equal(expected(t34).L, A34[0]! / B34[0]! + A34[1]! / B34[1]!);
  assert.deepEqual(
    expected(t34).dA,
    B34.map((y) => 1 / y),
  );
  assert.deepEqual(
    expected(t34).dB,
    A34.map((x, k) => -x / (B34[k]! * B34[k]!)),
  );
  const A35 = m1(vectorById("T35").inputs.A!);
  assertClose(
    expected(vectorById("T35")).L!,
    A35.reduce((s, a) => s + Math.log(Math.exp(a)), 0),
    1e-15,
    "T35 L",
  );
  assert.deepEqual(expected(vectorById("T35")).dA, [1, 1]);
  const A36 = m1(vectorById("T36").inputs.A!);
  assert.equal(
    expected(vectorById("T36")).L,
    A36.reduce((s, a) => s + a ** 3, 0),
  );
  assert.deepEqual(
    expected(vectorById("T36")).dA,
    A36.map((a) => 3 * a * a),
  );
  // T37: (duplicate 2) ((stride 2) ((trim 1) A)) = [[A1, A3], [A1, A3]]
  const t37 = vectorById("T37");
  const [A37, W37] = [m1(t37.inputs.A!), m2(t37.inputs.W!)];
  assert.equal(
    expected(t37).L,
    W37.reduce((s, r) => s + r[0]! * A37[1]! + r[1]! * A37[3]!, 0),
  );
  assert.deepEqual(expected(t37).dA, [0, W37[0]![0]! + W37[1]![0]!, 0, W37[0]![1]! + W37[1]![1]!, 0]);
  // T38/T39: element (p,q) feeds oblique output o = p − q + Q − 1
  for (const id of ["T38", "T39"]) {
    const v = vectorById(id);
    const A = m2(v.inputs.A!);
    const W = m1(v.inputs.W!);
    const op = id === "T38" ? (a: number, c: number) => a + c : Math.max;
    const z = oblique(A, 1, op) as number[];
    assert.equal(
      expected(v).L,
      z.reduce((s, x, o) => s + W[o]! * x, 0),
      `${id} L`,
    );
    const Q = A[0]!.length;
    const dA = A.map((r, p) => r.map((y, q) => (id === "T38" || y === z[p - q + Q - 1] ? W[p - q + Q - 1] : 0)));
    assert.deepEqual(expected(v).dA, dA, `${id} dA`);
  }
});

test("T40/T41: AdaDelta step (§9.3) to 1e-9 relative", () => {
  const gamma = 0.95;
  const eps = 1e-6;
  const l2 = 0.001;
  for (const id of ["T40", "T41"]) {
    const v = vectorById(id);
    assert.equal(v.digits, 10);
    const input = (n: string) => m1(v.inputs[n]!);
    const [K, dK, Kg0, Ks0] = [input("K"), input("dK"), input("Kg0"), input("Ks0")];
    const g = K.map((th, i) => (l2 * th + dK[i]!) / 20);
    const Kg1 = g.map((gi, i) => (1 - gamma) * gi * gi + gamma * Kg0[i]!);
    const delta = g.map((gi, i) => Math.sqrt((Ks0[i]! + eps) / (Kg1[i]! + eps)) * gi);
    const Ks1 = delta.map((d, i) => (1 - gamma) * d * d + gamma * Ks0[i]!);
    const nK = K.map((th, i) => th - delta[i]!);
    assertClose(expected(v).Kg1!, Kg1, 1e-9, `${id} Kg1`);
    assertClose(expected(v).Ks1!, Ks1, 1e-9, `${id} Ks1`);
    assertClose(expected(v).nK!, nK, 1e-9, `${id} nK`);
  }
});

test("rejected programs use exactly the constructs §10.7 describes", () => {
  const src = (id: string) => vectorById(id).source;
  assert.match(src("T44"), /\(A \(\+"1 2\) B\)/);
  assert.match(src("T45"), /\(\(\(reduce 1 \+\)"2\) V\)/);
  assert.match(src("T46"), /f"1 := \(y \+ 1\)[\s\S]*\(\(f"0\) V\)/);
  assert.match(src("T47a"), /A :: \(in 4\)\nB := \(\(stride 2\) A\)/);
  assert.match(src("T47b"), /\(\(stride 1\) A\)/);
  assert.match(src("T47c"), /\(\(trim 0\) A\)/);
  assert.match(src("T49"), /A :: \(in 2\)\nA :: \(out 2\)/);
  assert.match(src("T52e"), /\(A \+ -1\)/);
  assert.match(src("T52f"), /\(A \+ 1 2\)/);
});

// ---------------------------------------------------------------------------------------------------------
// mnist.ts

test("model texts declare what the inputs provide", () => {
  const model = declarations(MNIST_MODEL);
  const act = declarations(MNIST_ACT);
  const grad = declarations(MNIST_GRAD);
  const inputs = mnistInputs();
  assert.deepEqual(new Set(Object.keys(inputs)), new Set([...model.ins.keys(), ...act.ins.keys()]));
  for (const [name, t] of Object.entries(inputs)) {
    assert.deepEqual(t.shape, model.ins.get(name) ?? act.ins.get(name), name);
    assert.equal(
      t.data.length,
      t.shape.reduce((p, d) => p * d, 1),
      name,
    );
  }
  assert.deepEqual(grad.ins.get("Target"), [10]);
  for (const [name, t] of Object.entries(mnistGradAccumulators())) {
    assert.deepEqual(t.shape, grad.ins.get(name), name);
    assert.ok(t.data.every((x) => x === 0));
  }
  const conv = declarations(CONV_MODEL);
  const ci = convModelInputs();
  assert.deepEqual(new Set(Object.keys(ci)), new Set(conv.ins.keys()));
  for (const [name, t] of Object.entries(ci)) assert.deepEqual(t.shape, conv.ins.get(name), name);
  assert.deepEqual(conv.outs.get("Pool"), T42.poolShape);
  assert.deepEqual(Array.from(ci.K.data), Array.from(inputs.K1.data.slice(0, 25)));
  assert.deepEqual(Array.from(ci.B.data), [0.01]);
  // every T43 key that a program outputs is declared there with the table's shape
  for (const k of T43_PROGRAMS.model) assert.deepEqual(model.outs.get(k), T43[k].shape, k);
  for (const k of T43_PROGRAMS.act) assert.deepEqual(act.outs.get(k), T43[k].shape, k);
  for (const [out, k] of Object.entries(T43_PROGRAMS.grad)) assert.deepEqual(grad.outs.get(out), T43[k].shape, out);
});

test("deterministic inputs follow the §10.6 formulas (spot values)", () => {
  const x = mnistInputs();
  assert.equal(x.Input.data[0], 0);
  assert.equal(x.Input.data[1], 0.37); // 37 mod 101
  assert.equal(x.Input.data[24 * 2 + 3], ((51 * 37) % 101) / 100);
  assert.equal(x.K1.data[0], -11 / 50);
  assert.equal(x.K1.data[1], (17 - 11) / 50);
  assert.equal(x.B1.data[0], -0.035);
  assert.equal(x.K2.data[200 * 1 + 25 * 2 + 5 * 3 + 4], ((((200 + 50 + 15 + 4) * 13) % 29) - 14) / 200);
  assert.equal(x.B2.data[7], 0);
  assert.equal(x.W.data[256 * 9 + 16 * 15 + 4 * 3 + 3], ((((256 * 9 + 16 * 15 + 15) * 7) % 31) - 15) / 100);
  assert.equal(x.B.data[0], -0.09);
  assert.deepEqual(Array.from(x.Target.data), [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
});

test("MNIST_TRAIN reconstruction: header + 6 blocks, the first equal to A.3's K1 block", () => {
  assert.ok(MNIST_TRAIN.startsWith(MNIST_TRAIN_K1.trimEnd()));
  assert.match(MNIST_TRAIN_HEADER, /^gamma := 0\.95\n/);
  const d = declarations(MNIST_TRAIN);
  for (const [name, size] of MNIST_TRAIN_PARAMS) {
    for (const n of [name, `d${name}`, `${name}g0`, `${name}s0`]) assert.deepEqual(d.ins.get(n), [size], n);
    for (const n of [`n${name}`, `${name}g1`, `${name}s1`]) assert.deepEqual(d.outs.get(n), [size], n);
    assert.ok(MNIST_TRAIN.includes(`delta${name} := ((${name}s0 g ${name}g1) * g${name})`), name);
  }
  assert.equal(d.ins.size, 24);
  assert.equal(d.outs.size, 18);
});

test("T43 tolerances are half a unit in the last printed digit", () => {
  assert.ok(Math.abs(printedTolerance(708.6288, { decimals: 4 }) - 0.5e-4) < 1e-10);
  assert.ok(Math.abs(printedTolerance(2.361005428, { digits: 10 }) - 0.5e-9) < 1e-12);
  assert.ok(Math.abs(printedTolerance(0.000119034188, { digits: 10 }) - 0.5e-13) < 1e-16);
  assert.equal(T43.Loss.sum, T43_LOSS);
  for (const [k, e] of Object.entries(T43)) {
    for (const t of [e.tol.sum, e.tol.sumAbs, ...(e.tol.first ?? []), ...(e.tol.all ?? [])]) {
      if (t !== undefined) assert.ok(t > 0 && t <= 0.5e-4 + 1e-9, `${k} tol ${t}`);
    }
  }
});

// A plain float64 CNN (conv "same" 5×5 + ReLU + max-pool, twice; FC; softmax) with the LiFT tie rule
// (every element equal to its window maximum receives the window's gradient; relu passes the gradient at 0).

function convSame(
  x: Float64Array,
  cin: number,
  n: number,
  k: Float64Array,
  cout: number,
  bias: Float64Array,
): Float64Array {
  const out = new Float64Array(cout * n * n);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let c = 0; c < cin; c++)
          for (let a = 0; a < 5; a++)
            for (let b = 0; b < 5; b++) {
              const p = i + a - 2;
              const q = j + b - 2;
              if (p >= 0 && p < n && q >= 0 && q < n)
                s += x[(c * n + p) * n + q]! * k[((o * cin + c) * 5 + a) * 5 + b]!;
            }
        out[(o * n + i) * n + j] = s + bias[o]!;
      }
  return out;
}

/** Backward of convSame: returns [dx, dk]; db = per-channel sums of dy. */
function convSameBack(
  x: Float64Array,
  cin: number,
  n: number,
  k: Float64Array,
  cout: number,
  dy: Float64Array,
): [Float64Array, Float64Array] {
  const dx = new Float64Array(x.length);
  const dk = new Float64Array(k.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const g = dy[(o * n + i) * n + j];
        for (let c = 0; c < cin; c++)
          for (let a = 0; a < 5; a++)
            for (let b = 0; b < 5; b++) {
              const p = i + a - 2;
              const q = j + b - 2;
              if (p < 0 || p >= n || q < 0 || q >= n) continue;
              const ki = ((o * cin + c) * 5 + a) * 5 + b;
              const xi = (c * n + p) * n + q;
              dk[ki]! += x[xi]! * g!;
              dx[xi]! += k[ki]! * g!;
            }
      }
  return [dx, dk];
}

function maxPool(x: Float64Array, ch: number, n: number, w: number): Float64Array {
  const m = n / w;
  const out = new Float64Array(ch * m * m).fill(-Infinity);
  for (let c = 0; c < ch; c++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const o = (c * m + Math.floor(i / w)) * m + Math.floor(j / w);
        out[o] = Math.max(out[o]!, x[(c * n + i) * n + j]!);
      }
  return out;
}

function maxPoolBack(
  x: Float64Array,
  pooled: Float64Array,
  dp: Float64Array,
  ch: number,
  n: number,
  w: number,
): Float64Array {
  const m = n / w;
  const dx = new Float64Array(x.length);
  for (let c = 0; c < ch; c++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const o = (c * m + Math.floor(i / w)) * m + Math.floor(j / w);
        const xi = (c * n + i) * n + j;
        if (x[xi] === pooled[o]) dx[xi] = dp[o]!;
      }
  return dx;
}

const relu = (x: Float64Array) => x.map((v) => Math.max(0, v));
const reluBack = (x: Float64Array, dy: Float64Array) => dy.map((g, k) => (x[k]! >= 0 ? g : 0));
const channelSums = (x: Float64Array, ch: number) => {
  const s = new Float64Array(ch);
  const per = x.length / ch;
  x.forEach((v, k) => (s[Math.floor(k / per)]! += v));
  return s;
};

test("T42: conv.model figures match a direct valid convolution + ReLU + 2×2 pool", () => {
  const { Input, K, B } = convModelInputs();
  const conv = new Float64Array(20 * 20);
  for (let i = 0; i < 20; i++)
    for (let j = 0; j < 20; j++) {
      let s = 0;
      for (let a = 0; a < 5; a++)
        for (let b = 0; b < 5; b++) s += Input.data[(i + a) * 24 + j + b]! * K.data[a * 5 + b]!;
      conv[i * 20 + j] = s + B.data[0]!;
    }
  const pool = maxPool(relu(conv), 1, 20, 2);
  assert.deepEqual(compareT42(pool), []);
});

test("T43: the table matches a direct float64 CNN forward and backward pass", () => {
  const x = mnistInputs();
  const conv1 = convSame(x.Input.data, 1, 24, x.K1.data, 8, x.B1.data);
  const relu1 = relu(conv1);
  const pool1 = maxPool(relu1, 8, 24, 2);
  const conv2 = convSame(pool1, 8, 12, x.K2.data, 16, x.B2.data);
  const relu2 = relu(conv2);
  const pool2 = maxPool(relu2, 16, 12, 3);
  const fc = new Float64Array(10).map((_, k) => {
    let s = 0;
    for (let m = 0; m < 256; m++) s += x.W.data[k * 256 + m]! * pool2[m]!;
    return s + x.B.data[k]!;
  });
  const mx = Math.max(...fc);
  const e = fc.map((v) => Math.exp(v - mx));
  const se = e.reduce((a, b) => a + b, 0);
  const output = e.map((v) => v / se);
  const loss = -output.reduce((s, o, k) => s + Math.log(o) * x.Target.data[k]!, 0);
  const dFC = output.map((o, k) => o - x.Target.data[k]!);
  const dW = new Float64Array(2560).map((_, i) => dFC[Math.floor(i / 256)]! * pool2[i % 256]!);
  const dPool2 = new Float64Array(256).map((_, m) => {
    let s = 0;
    for (let k = 0; k < 10; k++) s += x.W.data[k * 256 + m]! * dFC[k]!;
    return s;
  });
  const dRelu2 = maxPoolBack(relu2, pool2, dPool2, 16, 12, 3);
  const dConv2 = reluBack(conv2, dRelu2);
  const [dPool1, dK2] = convSameBack(pool1, 8, 12, x.K2.data, 16, dConv2);
  const dRelu1 = maxPoolBack(relu1, pool1, dPool1, 8, 24, 2);
  const dConv1 = reluBack(conv1, dRelu1);
  const [dInput, dK1] = convSameBack(x.Input.data, 1, 24, x.K1.data, 8, dConv1);
  const computed: Record<string, ArrayLike<number>> = {
    Conv1: conv1,
    Relu1: relu1,
    Pool1: pool1,
    Conv2: conv2,
    Relu2: relu2,
    Pool2: pool2,
    FC: fc,
    Output: output,
    Loss: [loss],
    dInput,
    dK1,
    dB1: channelSums(dConv1, 8),
    dK2,
    dB2: channelSums(dConv2, 16),
    dW,
    dB: dFC,
    dConv1,
    dRelu1,
    dPool1,
    dConv2,
    dRelu2,
    dPool2,
    dFC,
  };
  assert.deepEqual(new Set(Object.keys(computed)), new Set(Object.keys(T43)));
  const errors = Object.entries(computed).flatMap(([k, v]) => compareT43(k, v));
  assert.deepEqual(errors, []);
});
