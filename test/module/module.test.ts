/**
 * Modules (src/api/module.ts): the vector–Jacobian product of forward/backward against the
 * whole program's `(grad L W)` in f64, on the reference programs, the LeNet and random
 * programs; outstanding residuals; a loss computed in TypeScript checked by finite differences.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load, LiftError, type Tensor } from "../../src/api/index.js";
import { Mulberry32 } from "../../src/train/init.js";
import { assertClose, flatten } from "../helpers.js";
import { ACCEPT_VECTORS } from "../vectors/reference.js";
import { randomProgram } from "../poly/random_programs.js";

const LENET = readFileSync(join(process.cwd(), "examples", "fashion-lenet.lift"), "utf8");

function lenetInputs(n: number, seed: number): Record<string, Tensor> {
  const g = new Mulberry32(seed);
  const t = (shape: number[], s = 0.3): Tensor => ({
    shape,
    data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (g.next() * 2 - 1) * s),
  });
  const labels = t([n, 10]);
  labels.data.fill(0);
  for (let i = 0; i < n; i++) labels.data[i * 10 + ((3 * i) % 10)] = 1;
  return {
    Images: t([n, 28, 28], 1),
    Labels: labels,
    Scale: { shape: [], data: Float64Array.of(1 / n) },
    K1: t([8, 5, 5]),
    B1: t([8]),
    K2: t([16, 8, 5, 5]),
    B2: t([16]),
    W: t([10, 16, 7, 7]),
    B: t([10]),
  };
}

test("reference programs: backward of the loss with cotangent 1 equals every (grad L W) of an input, f64, both backends", () => {
  let checked = 0;
  for (const v of ACCEPT_VECTORS) {
    const p = load(v.source);
    const g = p.graph;
    const names = g.nameOf();
    const inputs = Object.fromEntries(Object.entries(v.inputs).map(([k, x]) => [k, flatten(x)]));
    const grads = g.grads.filter(
      (d) => g.node(d.wrt).kind === "input" && names.has(d.loss) && g.node(d.loss).kind !== "input",
    );
    if (!grads.length) continue;
    const whole = p.run(inputs, { dtype: "f64", names: grads.map((d) => d.name) });
    for (const backend of ["interp", "c"] as const) {
      for (const d of grads) {
        const m = p.module({
          outputs: [names.get(d.loss)!],
          wrt: [names.get(d.wrt)!],
          backend,
          dtype: "f64",
          compile: { name: "ref" },
        });
        const { residuals } = m.forward(inputs);
        const got = m.backward(residuals, { [names.get(d.loss)!]: 1 });
        assertClose(got[names.get(d.wrt)!]!.data, whole[d.name]!.data, 1e-12, `${v.id} ${backend} ${d.name}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 18, `only ${checked} gradients checked`);
});

test("the LeNet (compiled, f64): backward from Logits with the program's ∂Loss/∂Logits equals (grad Loss W) for every param and the images", () => {
  const wrt = ["K1", "B1", "K2", "B2", "W", "B", "Images"];
  const src = `${LENET}\n${["Logits", ...wrt].map((w) => `d${w} :: (grad Loss ${w})`).join("\n")}\n`;
  const p = load(src);
  const inputs = lenetInputs(3, 7);
  const whole = p.run(inputs, { dtype: "f64" });
  const m = p.module({ outputs: ["Logits"], wrt, dtype: "f64", compile: { name: "lenet" } });
  assert.deepEqual(m.inputs, ["Images", "K1", "B1", "K2", "B2", "W", "B"], "Logits needs neither Labels nor Scale");
  const { outputs, residuals } = m.forward(inputs); // Labels and Scale are passed and ignored
  assertClose(outputs.Logits!.data, whole.Logits!.data, 1e-12, "Logits");
  const grads = m.backward(residuals, { Logits: whole.dLogits! });
  for (const w of wrt) assertClose(grads[w]!.data, whole[`d${w}`]!.data, 1e-12, `d${w}`);
});

test("random programs: backward from the loss's last term with cotangent 2·T equals (grad L In), f64", () => {
  let checked = 0;
  for (let i = 0; i < 16; i++) {
    const rp = randomProgram(4242 + i, `q${i}.`);
    const p = load(rp.source);
    const wrt = p.graph.grads.map((d) => p.graph.nameOf().get(d.wrt)!);
    if (!wrt.length) continue;
    // L := ((reduce k +) (T * T)), so ∂L/∂T = 2T: the cotangent is computed here, in TS.
    const last = /:= \((?:\(reduce \d+ \+\) )?\((\S+) \* \1\)\)/.exec(
      rp.source.split("\n").find((l) => l.startsWith(`q${i}.L :=`))!,
    )?.[1];
    assert.ok(last, `program ${i}: no loss line`);
    const whole = p.run(rp.inputs, { dtype: "f64" });
    const backend = i < 4 ? "c" : "interp";
    const m = p.module({ outputs: [last], wrt, backend, dtype: "f64", compile: { name: "rnd" } });
    const { outputs, residuals } = m.forward(rp.inputs);
    const T = outputs[last]!;
    const grads = m.backward(residuals, { [last]: { shape: T.shape, data: T.data.map((x) => 2 * x) } });
    for (const d of p.graph.grads)
      assertClose(
        grads[p.graph.nameOf().get(d.wrt)!]!.data,
        whole[d.name]!.data,
        1e-12,
        `program ${i} (${backend}) ${d.name}`,
      );
    checked += wrt.length;
  }
  assert.ok(checked >= 18, `only ${checked} gradients checked`);
});

const MLP = `X :: (in N 3)
W1 :: (param 4 3)
B1 :: (param 4)
W2 :: (param 2 4)
dot"1 1 := ((reduce 1 +) (x * y))
tanh"0 := ((1 - (exp (-2 * y))) / (1 + (exp (-2 * y))))
H := (tanh ((W1 ((dot"1 1)"2 1) X) (+"1 1) B1))
Y := (W2 ((dot"1 1)"2 1) H)
Y :: (out N 2)
`;
const mlpInputs = (seed: number) => {
  const g = new Mulberry32(seed);
  const t = (shape: number[]) => ({
    shape,
    data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g.next() * 2 - 1),
  });
  return { X: t([5, 3]), W1: t([4, 3]), B1: t([4]), W2: t([2, 4]) };
};

test("several residuals outstanding, backwards in any order, released ones refused", () => {
  const p = load(MLP);
  const m = p.module({
    outputs: ["Y"],
    wrt: ["W1", "B1", "W2", "X"],
    backend: "c",
    dtype: "f64",
    compile: { name: "mlp" },
  });
  const runs = [1, 2, 3].map((s) => {
    const inputs = mlpInputs(s);
    return { inputs, ...m.forward(inputs) };
  });
  const ct = (r: (typeof runs)[0]) => ({
    Y: { shape: [5, 2], data: r.outputs.Y!.data.map((y, i) => Math.sin(y + i)) },
  });
  // Each backward, taken in reverse order with the others still held, equals a fresh forward/backward.
  const got = [2, 0, 1].map((k) => m.backward(runs[k]!.residuals, ct(runs[k]!)));
  [2, 0, 1].forEach((k, j) => {
    const fresh = m.forward(runs[k]!.inputs);
    const want = m.backward(fresh.residuals, ct(runs[k]!));
    for (const w of m.wrt) assert.deepEqual(Array.from(got[j]![w]!.data), Array.from(want[w]!.data), `run ${k} ${w}`);
  });
  assert.ok(!got[0]!.W1!.data.every((x, i) => x === got[1]!.W1!.data[i]), "different inputs give different gradients");
  assert.equal(runs[0]!.residuals.bytes, (15 + 12 + 4 + 8) * 8, "the residuals are the inputs backward reads, in f64");
  runs[0]!.residuals.release();
  assert.equal(runs[0]!.residuals.bytes, 0);
  assert.throws(
    () => m.backward(runs[0]!.residuals, ct(runs[0]!)),
    (e: unknown) => e instanceof LiftError && /these residuals were released/.test(e.message),
  );
  const other = p.module({ outputs: ["Y"], wrt: ["W1"], backend: "interp", dtype: "f64" });
  assert.throws(() => other.backward(runs[1]!.residuals, {}), /residuals returned by this module's forward/);
});

test("a loss computed in TypeScript through forward/backward agrees with central finite differences (f64, interpreter and C)", () => {
  const p = load(MLP);
  const base = mlpInputs(11);
  // loss(Y) = Σ log(1 + Y²)·c_i, computed here; its cotangent is 2Y·c/(1 + Y²).
  const c = Array.from({ length: 10 }, (_, i) => 1 + i / 10);
  const lossOf = (Y: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < Y.length; i++) s += c[i]! * Math.log(1 + Y[i]! ** 2);
    return s;
  };
  for (const backend of ["interp", "c"] as const) {
    const m = p.module({
      outputs: ["Y"],
      wrt: ["W1", "B1", "W2", "X"],
      backend,
      dtype: "f64",
      compile: { name: "mlpfd" },
    });
    const { outputs, residuals } = m.forward(base);
    const Y = outputs.Y!.data;
    const grads = m.backward(residuals, {
      Y: { shape: [5, 2], data: Array.from(Y, (y, i) => (2 * y * c[i]!) / (1 + y * y)) },
    });
    const h = 1e-6;
    for (const w of m.wrt) {
      const v = base[w as keyof typeof base];
      for (let k = 0; k < v.data.length; k++) {
        const at = (d: number) => {
          const data = [...v.data];
          data[k]! += d;
          return lossOf(m.forward({ ...base, [w]: { shape: v.shape, data } }).outputs.Y!.data);
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        const g = grads[w]!.data[k]!;
        assert.ok(
          Math.abs(fd - g) <= 1e-7 * Math.max(1, Math.abs(g)),
          `${backend} ${w}[${k}]: backward ${g}, finite difference ${fd}`,
        );
      }
    }
  }
});

test("missing cotangents are zero; several outputs add their products", () => {
  const src = `A :: (in 3)\nB :: (in 3)\nP := (A * B)\nQ := (exp A)\nP :: (out 3)\nQ :: (out 3)\n`;
  const m = load(src).module({ outputs: ["P", "Q"], wrt: ["A", "B"], backend: "interp", dtype: "f64" });
  const A = [0.5, -1, 2],
    B = [3, 4, -5];
  const { residuals } = m.forward({ A, B });
  const onlyP = m.backward(residuals, { P: [1, 1, 1] });
  assert.deepEqual(Array.from(onlyP.A!.data), B);
  assert.deepEqual(Array.from(onlyP.B!.data), A);
  const both = m.backward(residuals, { P: [1, 0, 0], Q: [0, 1, 2] });
  assert.deepEqual(Array.from(both.A!.data), [3, Math.exp(-1), 2 * Math.exp(2)]);
  assert.deepEqual(Array.from(m.backward(residuals, {}).A!.data), [0, 0, 0]);
});

test("module errors name the array and say why", () => {
  const p = load(MLP);
  assert.throws(() => p.module({ outputs: ["Z"], wrt: ["X"] }), /`Z` is not an array of the program/);
  assert.throws(() => p.module({ outputs: ["X"], wrt: ["X"] }), /`X` is an input; a module's output must be computed/);
  assert.throws(() => p.module({ outputs: ["H"], wrt: ["W2"] }), /the outputs H do not depend on `W2`/);
  assert.throws(() => p.module({ outputs: ["Y"], wrt: ["H"] }), /`H` is not an input of the program/);
  const m = p.module({ outputs: ["Y"], wrt: ["X"], backend: "interp", dtype: "f64" });
  assert.throws(
    () => m.forward({ ...mlpInputs(1), Q: 1 }),
    /a value is given for `Q`, which is not an input of the program/,
  );
  const { residuals } = m.forward(mlpInputs(1));
  assert.throws(
    () => m.backward(residuals, { Y: { shape: [4, 2], data: new Array(8).fill(0) } }),
    /the cotangent for `Y` has shape \(4 2\), but the output has shape \(5 2\)/,
  );
  assert.throws(
    () => m.backward(residuals, { H: 0 }),
    /a cotangent is given for `H`, which is not an output of the module/,
  );
});
