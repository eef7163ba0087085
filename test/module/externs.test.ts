/**
 * Extern verbs (core/externs.ts): host code with a user derivative, under ranks, on the
 * interpreter (TS) and the C backend (C between compiled stages), gradient-checked in f64.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, LiftError, type ExternImpls } from "../../src/api/index.js";
import { Mulberry32 } from "../../src/train/init.js";
import { assertClose } from "../helpers.js";

const SOFTPLUS_C = `void lift_test_softplus(const lift_real *x, lift_real *z, int64_t cells, const int64_t *cell, int64_t rank) {
  (void)cell; (void)rank;
  for (int64_t i = 0; i < cells; i++) z[i] = x[i] > 0 ? x[i] + log1p(exp(-x[i])) : log1p(exp(x[i]));
}`;
/** Cumulative sum along the cell's last axis, and its vjp: the reversed cumulative sum of dz. */
const CUMSUM_C = `void lift_test_cumsum(const lift_real *x, lift_real *z, int64_t cells, const int64_t *cell, int64_t rank) {
  int64_t n = cell[rank - 1], rows = cells;
  for (int64_t k = 0; k < rank - 1; k++) rows *= cell[k];
  for (int64_t r = 0; r < rows; r++) { lift_real s = 0; for (int64_t i = 0; i < n; i++) { s += x[r * n + i]; z[r * n + i] = s; } }
}
void lift_test_dcumsum(const lift_real *x, const lift_real *dz, lift_real *dx, int64_t cells, const int64_t *cell, int64_t rank,
                       const int64_t *dz_cell, int64_t dz_rank) {
  (void)x; (void)dz_cell; (void)dz_rank;
  int64_t n = cell[rank - 1], rows = cells;
  for (int64_t k = 0; k < rank - 1; k++) rows *= cell[k];
  for (int64_t r = 0; r < rows; r++) { lift_real s = 0; for (int64_t i = n - 1; i >= 0; i--) { s += dz[r * n + i]; dx[r * n + i] = s; } }
}`;

const rowsOf = (cells: number, cell: number[]) => cells * cell.slice(0, -1).reduce((a, b) => a * b, 1);
const EXTERNS: ExternImpls = {
  softplus: {
    js: ({ x, z }) => {
      for (let i = 0; i < z.length; i++)
        z[i] = x[i]! > 0 ? x[i]! + Math.log1p(Math.exp(-x[i]!)) : Math.log1p(Math.exp(x[i]!));
    },
    c: { symbol: "lift_test_softplus", source: SOFTPLUS_C },
  },
  cumsum: {
    js: ({ x, z, cells, xCell }) => {
      const n = xCell[xCell.length - 1]!;
      for (let r = 0; r < rowsOf(cells, xCell); r++) {
        let s = 0;
        for (let i = 0; i < n; i++) {
          s += x[r * n + i]!;
          z[r * n + i] = s;
        }
      }
    },
    c: { symbol: "lift_test_cumsum", source: CUMSUM_C },
  },
  dcumsum: {
    js: ({ y, z, cells, xCell }) => {
      const n = xCell[xCell.length - 1]!;
      for (let r = 0; r < rowsOf(cells, xCell); r++) {
        let s = 0;
        for (let i = n - 1; i >= 0; i--) {
          s += y![r * n + i]!;
          z[r * n + i] = s;
        }
      }
    },
    c: { symbol: "lift_test_dcumsum", source: CUMSUM_C },
  },
};

const PROGRAM = `X :: (in 3 4)
W :: (in 4)
dsoftplus"0 0 := (y / (1 + (exp (0 - x))))
softplus :: (extern 0 dsoftplus)
dcumsum :: (extern 1 1)
cumsum :: (extern 1 dcumsum)
Z := (softplus (X (*"1 1) W))
C := ((cumsum"1) Z)
Y := ((cumsum"2) (C * C))
`;

function inputs(seed: number) {
  const g = new Mulberry32(seed);
  return {
    X: { shape: [3, 4], data: Array.from({ length: 12 }, () => g.next() * 4 - 2) },
    W: { shape: [4], data: Array.from({ length: 4 }, () => g.next() * 2 - 1) },
  };
}

/** loss(Y) = Σ c_i·Y_i computed in TS; its gradient by central differences through forward. */
function gradCheck(backend: "interp" | "c", src: string, outputs: string[]) {
  const m = load(src, { externs: EXTERNS }).module({
    outputs,
    wrt: ["X", "W"],
    backend,
    dtype: "f64",
    compile: { name: "ext" },
  });
  const base = inputs(3);
  const c = Array.from({ length: 12 }, (_, i) => Math.cos(i));
  const loss = (v: typeof base) => {
    const y = m.forward(v).outputs[outputs[0]!]!.data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += c[i]! * y[i]!;
    return s;
  };
  const { residuals } = m.forward(base);
  const grads = m.backward(residuals, { [outputs[0]!]: { shape: [3, 4], data: c } });
  const h = 1e-6;
  for (const w of ["X", "W"] as const) {
    for (let k = 0; k < base[w].data.length; k++) {
      const at = (d: number) => {
        const data = [...base[w].data];
        data[k]! += d;
        return loss({ ...base, [w]: { shape: base[w].shape, data } });
      };
      const fd = (at(h) - at(-h)) / (2 * h),
        g = grads[w]!.data[k]!;
      assert.ok(
        Math.abs(fd - g) <= 1e-6 * Math.max(1, Math.abs(g)),
        `${backend} ${w}[${k}]: backward ${g}, finite difference ${fd}`,
      );
    }
  }
  return grads;
}

test("a scalar extern (softplus) and an array extern (cumsum along the last axis, its vjp an extern) under ranks: gradients match finite differences, f64, TS and C", () => {
  const ts = gradCheck("interp", PROGRAM, ["Y"]);
  const c = gradCheck("c", PROGRAM, ["Y"]);
  for (const w of ["X", "W"]) assertClose(c[w]!.data, ts[w]!.data, 1e-12, `C against TS, d${w}`);
});

test("the extern softplus gives the gradients of the same formula written in LiFT (f64, 1e-12), through (grad L W) and a module", () => {
  const body = `X :: (in 3 4)\nW :: (in 4)\nZ := (softplus (X (*"1 1) W))\nL := ((reduce 2 +) (Z * Z))\nL :: (out)\ndW :: (grad L W)\ndX :: (grad L X)\n`;
  const ext = load(`dsoftplus"0 0 := (y / (1 + (exp (0 - x))))\nsoftplus :: (extern 0 dsoftplus)\n${body}`, {
    externs: EXTERNS,
  });
  const formula = load(`softplus"0 := (log (1 + (exp y)))\n${body}`);
  const v = inputs(9);
  const want = formula.run(v, { dtype: "f64" });
  const got = ext.run(v, { dtype: "f64" });
  for (const k of ["L", "dW", "dX"]) assertClose(got[k]!.data, want[k]!.data, 1e-12, `interpreter ${k}`);
  const m = ext.module({ outputs: ["L"], wrt: ["W", "X"], dtype: "f64", compile: { name: "sp" } });
  const g = m.backward(m.forward(v).residuals, { L: 1 });
  assertClose(g.W!.data, want.dW!.data, 1e-12, "C module dW");
  assertClose(g.X!.data, want.dX!.data, 1e-12, "C module dX");
});

test("extern errors: no derivative, no implementation, a derivative that names an array, a bad symbol, compile()", () => {
  const noD = `A :: (in 3)\nf :: (extern 1)\nL := ((reduce 1 +) (f A))\ndA :: (grad L A)\n`;
  assert.throws(
    () => load(noD),
    (e: unknown) =>
      e instanceof LiftError && /the extern `f` has no derivative, so no gradient flows through it/.test(e.message),
  );
  const p = load(`A :: (in 3)\nf :: (extern 1)\nB := (f A)\nB :: (out 3)\n`);
  assert.throws(() => p.run({ A: [1, 2, 3] }), /the extern `f` has no TypeScript implementation/);
  assert.throws(() => p.compile(), /a program with extern verbs is compiled only as a module/);
  assert.throws(
    () => load(`A :: (in 3)\nd"0 0 := (y * A)\nf :: (extern 0 d)\n`),
    /may use only its arguments x and y, but `d` uses the array `A`/,
  );
  assert.throws(() => load(`m"0 := (y * 2)\nf :: (extern 0 m)\n`), /the derivative `m` must be a dyad/);
  // A gradient that does not pass through the extern needs no derivative.
  const bad = load(`A :: (in 3)\nC :: (in 3)\nf :: (extern 1)\nB := ((f A) + C)\n`, {
    externs: { f: { js: ({ x, z }) => z.set(x), c: { symbol: "f; system", source: "" } } },
  });
  const m = bad.module({ outputs: ["B"], wrt: ["C"], backend: "interp" });
  assert.deepEqual(
    Array.from(m.backward(m.forward({ A: [1, 2, 3], C: [0, 0, 0] }).residuals, { B: [1, 2, 3] }).C!.data),
    [1, 2, 3],
  );
  assert.throws(
    () => bad.module({ outputs: ["B"], wrt: ["C"] }).forward({ A: [1, 2, 3], C: [0, 0, 0] }),
    /the C symbol of extern `f` must be a C identifier/,
  );
});
