/** Reference vectors (reference §10, Appendix A) through the library API, in f32 and f64. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, LiftError } from "../../src/api/index.js";
import { ACCEPT_VECTORS, REJECT_VECTORS, runnableSource, vectorById } from "../vectors/reference.js";
import { assertClose, flatten, tolerance } from "../helpers.js";

for (const dtype of ["f64", "f32"] as const) {
  for (const v of ACCEPT_VECTORS) {
    test(`${v.id} ${v.name} (${dtype})`, () => {
      const out = load({ name: `${v.id}.lift`, text: runnableSource(v) }).run(v.inputs, { dtype });
      for (const [name, want] of Object.entries(v.expected!)) {
        const got = out[name];
        assert.ok(got, `output ${name} missing`);
        const w = flatten(want);
        assert.deepEqual(got.shape, w.shape, `${name} shape`);
        assertClose(got.data, w.data, tolerance(dtype, v.digits), `${v.id} ${name}`);
      }
    });
  }
}

// Two deliberate divergences from the reference (see docs/divergences.md): negative literals
// exist, and gradients may be differentiated again.
const DIVERGING = new Set(["T51c", "T52e"]);

for (const v of REJECT_VECTORS.filter((r) => !DIVERGING.has(r.id))) {
  test(`${v.id} is rejected: ${v.reject}`, () => {
    assert.throws(() => load({ name: `${v.id}.lift`, text: v.source }), (e: unknown) => {
      assert.ok(e instanceof LiftError, `not a LiftError: ${String(e)}`);
      assert.ok(e.location, `${v.id}: the error has no position: ${e.message}`);
      assert.equal(e.location.file, `${v.id}.lift`);
      return true;
    });
  });
}

test("T52e diverges: -1 is a negative literal", () => {
  const out = load(vectorById("T52e").source + "B :: (out 2)\n").run({ A: [1, 5] }, { dtype: "f64" });
  assert.deepEqual(Array.from(out.B!.data), [0, 4]);
});

test("T51c diverges: a gradient can be differentiated again (d²/dA² Σ A³ = 6A)", () => {
  const src = vectorById("T51c").source + "ddA :: (out 3)\nC :: (out)\n";
  const out = load(src).run({ A: [1, -2, 0.5] }, { dtype: "f64" });
  assert.deepEqual(Array.from(out.ddA!.data), [6, -12, 3]);
  assert.equal(out.C!.data[0], 3 * (1 + 4 + 0.25));
});
