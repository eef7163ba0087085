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

/**
 * Each rejection's message and line:col. `facts` are the parts of the reference's reason (the
 * vector's `reject`) that the message must carry; each is checked to be in both, so the reason
 * is what the message is held to (commas in shapes read as spaces, >= as ≥).
 */
const REJECTIONS: Record<string, { at: string; message: string; facts: string[] }> = {
  T44: {
    at: "3:6",
    message: "frames disagree in `+`: the left argument's frame is (3) and the right argument's is (4 3)",
    facts: ["frames disagree", "(3)", "(4 3)"],
  },
  T45: {
    at: "2:6",
    message: "rank 2 of the rank form is larger than the rank 1 of its argument's cell (3)",
    facts: ["rank 2", "rank 1"],
  },
  T46: {
    at: "3:6",
    message: "rank 1 of `f` is larger than the rank 0 of its argument's cell ()",
    facts: ["rank 1", "rank 0"],
  },
  T47a: {
    at: "2:6",
    message: "(stride 2) needs axis 0 of the cell to have a length n with n mod 2 = 1, but it has 4 (4 mod 2 = 0)",
    facts: ["stride", "4 mod 2"],
  },
  T47b: {
    at: "2:6",
    message: "(stride 1) is always rejected on axis 0: it needs a length n with n mod 1 = 1, which no length has",
    facts: ["stride 1", "is always rejected", "mod 1"],
  },
  T47c: {
    at: "2:13",
    message: "the parameters of `trim` must be whole numbers ≥ 1, not `0`",
    facts: ["trim", "must be", "≥ 1"],
  },
  T48: { at: "2:1", message: "`B` is declared (3) but its value has shape (2)", facts: ["(3)", "(2)"] },
  T49: { at: "2:1", message: "`A` is an input; an output must be computed", facts: ["input", "output"] },
  T50: { at: "3:1", message: "`B` is already defined", facts: ["B"] },
  T51a: {
    at: "3:7",
    message: "the loss `B` must be a scalar, but it has shape (3)",
    facts: ["loss", "must be", "scalar"],
  },
  T51b: { at: "4:7", message: "the loss `B` does not depend on `C`", facts: ["loss", "does not depend on", "C"] },
  T52a: {
    at: "2:17",
    message: "`reduce` needs an operator with an identity: +, <. or >.; `-` has none",
    facts: ["reduce", "-", "identity"],
  },
  T52b: {
    at: "2:17",
    message: "`reduce` needs an operator with an identity: +, <. or >.; `*` has none",
    facts: ["reduce", "*", "identity"],
  },
  T52c: { at: "2:6", message: "`-` is a dyad and needs two arguments: (x - y)", facts: ["-", "dyad"] },
  T52d: { at: "2:6", message: "`exp` is a monad and takes one argument: (exp y)", facts: ["exp", "monad"] },
  T52f: { at: "2:11", message: "vector literals are not supported", facts: ["vector literal", "unsupported"] },
};

const normal = (s: string) =>
  s.replace(/\((\d+(?:,\d+)*)\)/g, (_, d: string) => `(${d.split(",").join(" ")})`).replace(/>=/g, "≥");

test("every rejection vector (but the two divergences) has its expected message and position", () => {
  assert.deepEqual(
    Object.keys(REJECTIONS).sort(),
    REJECT_VECTORS.filter((r) => !DIVERGING.has(r.id))
      .map((r) => r.id)
      .sort(),
  );
});

for (const v of REJECT_VECTORS.filter((r) => !DIVERGING.has(r.id))) {
  test(`${v.id} is rejected: ${v.reject}`, () => {
    const want = REJECTIONS[v.id]!;
    for (const f of want.facts)
      assert.ok(normal(v.reject!).includes(f), `${v.id}: \`${f}\` is not in the reference's reason "${v.reject}"`);
    assert.throws(
      () => load({ name: `${v.id}.lift`, text: v.source }),
      (e: unknown) => {
        assert.ok(e instanceof LiftError, `not a LiftError: ${String(e)}`);
        assert.ok(e.location, `${v.id}: the error has no position: ${e.message}`);
        assert.equal(e.location.file, `${v.id}.lift`);
        assert.equal(`${e.location.line}:${e.location.col}`, want.at, `${v.id}: ${e.message}`);
        assert.equal(e.message, want.message);
        // "unsupported" in the reference is "not supported" here; every other fact is word for word.
        for (const f of want.facts)
          assert.ok(
            e.message.includes(f === "unsupported" ? "not supported" : f),
            `${v.id}: the message lacks \`${f}\``,
          );
        return true;
      },
    );
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
