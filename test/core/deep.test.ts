/**
 * Deep programs (issue 10): the checker, grad and the interpreter traverse iteratively, so a chain of
 * 20,000 statements neither overflows the stack nor loses its gradient.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load } from "../../src/api/index.js";
import { chain } from "../../scripts/deep-programs.js";

test("a gradient through a 20,000-statement chain equals the closed form", () => {
  const n = 20_000;
  // V0 = A + 1, Vi = V{i-1} + A·W: L = Σ_j (A_j + 1 + (n − 1)·A_j·W_j), ∂L/∂A = (n − 1)·W + 1, ∂L/∂W = (n − 1)·A.
  const A = [1, -2, 0.5, 3],
    W = [0.25, 2, -1, 0];
  const out = load(chain(n, true)).run({ A, W }, { dtype: "f64" });
  assert.deepEqual(
    Array.from(out.dA!.data),
    W.map((w) => (n - 1) * w + 1),
  );
  assert.deepEqual(
    Array.from(out.dW!.data),
    A.map((a) => (n - 1) * a),
  );
  assert.equal(
    out.L!.data[0],
    A.reduce((s, a, j) => s + a + 1 + (n - 1) * a * W[j]!, 0),
  );
});
