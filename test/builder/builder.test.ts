/** The TypeScript builder (src/builder/): the same Graph as the text, errors at the TS call site. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load, LiftError, type LiftProgram } from "../../src/api/index.js";
import { add, Builder, div, exp, mul, reduce, sub } from "../../src/builder/index.js";
import * as ex from "./examples.js";
import { assertClose } from "../helpers.js";

const text = (name: string) =>
  load({
    name: join(process.cwd(), "examples", `${name}.lift`),
    text: readFileSync(join(process.cwd(), "examples", `${name}.lift`), "utf8"),
  });

function sameProgram(got: LiftProgram, want: LiftProgram, what: string): void {
  assert.equal(got.graph.print(), want.graph.print(), `${what}: printed graph`);
  const decls = (p: LiftProgram) => ({
    inputs: p.graph.inputs.map((d) => [d.name, d.node, d.shape]),
    outputs: p.graph.outputs.map((d) => [d.name, d.node, d.shape]),
    grads: p.graph.grads.map((d) => [d.name, d.node, d.loss, d.wrt]),
    params: p.graph.params,
    sizes: p.graph.sizes,
    names: [...p.graph.names],
  });
  assert.deepEqual(decls(got), decls(want), `${what}: declarations`);
}

test("the LeNet written with the builder prints exactly the Graph of `lift check examples/fashion-lenet.lift`", () => {
  const got = ex.lenet().build();
  sameProgram(got, text("fashion-lenet"), "fashion-lenet");
  assert.equal(got.graph.nodes.length, text("fashion-lenet").graph.nodes.length);
});

test("every example: the builder's Graph equals the text's", () => {
  sameProgram(ex.matmul().build(), text("matmul"), "matmul");
  sameProgram(ex.backprop().build(), text("backprop"), "backprop");
  sameProgram(ex.conv().build(), text("conv"), "conv");
});

test("a built program runs, compiles and opens as a module like a loaded one", () => {
  const inputs = JSON.parse(readFileSync(join(process.cwd(), "examples", "backprop.json"), "utf8"));
  const p = ex.backprop().build();
  const want = text("backprop").run(inputs, { dtype: "f64" });
  const got = p.run(inputs, { dtype: "f64" });
  for (const k of Object.keys(want)) assert.deepEqual(Array.from(got[k]!.data), Array.from(want[k]!.data), k);
  const compiled = p.compile({ dtype: "f64", name: "built" }).run(inputs);
  for (const k of Object.keys(want)) assertClose(compiled[k]!.data, want[k]!.data, 1e-12, `compiled ${k}`);
  const m = p.module({ outputs: ["Loss"], wrt: ["W1"], backend: "interp", dtype: "f64" });
  assert.deepEqual(
    Array.from(m.backward(m.forward(inputs).residuals, { Loss: 1 }).W1!.data),
    Array.from(want.dW1!.data),
  );
});

const HERE = join(process.cwd(), "test", "builder", "builder.test.ts");
/** The 1-based line of the first line of this file containing `marker`. */
const lineOf = (marker: string) =>
  readFileSync(HERE, "utf8")
    .split("\n")
    .findIndex((l) => l.includes(marker)) + 1;

test("errors point at the TypeScript call site: file, line, column and the line itself", () => {
  const b = new Builder();
  const A = b.input("A", 3),
    B = b.input("B", 4);
  const err = (() => {
    try {
      b.let("C", add(A, B)); // MARK-frames
    } catch (e) {
      return e;
    }
  })() as LiftError;
  assert.ok(err instanceof LiftError, String(err));
  assert.match(
    err.message,
    /frames disagree in `\+`: the left argument's frame is \(3\) and the right argument's is \(4\)/,
  );
  assert.equal(err.location?.file, HERE);
  assert.equal(err.location?.line, lineOf("MARK-frames"));
  assert.equal(
    err.location?.col,
    readFileSync(HERE, "utf8").split("\n")[lineOf("MARK-frames") - 1]!.indexOf("add(A, B)") + 1,
  );
  assert.match(err.format(), /builder\.test\.ts:\d+:\d+: error: frames disagree/);

  // Inside a user verb, the error is at the body's call and names where the verb was used.
  const sq = b.monad("sq", 1, (y) => mul(y, exp.rank(0)(reduce(2, "+")(y)))); // MARK-body
  const e2 = (() => {
    try {
      b.let("D", sq(A)); // MARK-use
    } catch (e) {
      return e;
    }
  })() as LiftError;
  assert.ok(e2 instanceof LiftError, String(e2));
  assert.match(e2.message, /^\(reduce 2 \+\) needs a cell of rank at least 2, but the cell has rank 1$/);
  assert.equal(e2.location?.line, lineOf("MARK-body"));
  assert.match(e2.hint ?? "", new RegExp(`in \`sq\` used at .*builder\\.test\\.ts:${lineOf("MARK-use")}:`));

  const e3 = (() => {
    try {
      b.output("Nope"); // MARK-out
    } catch (e) {
      return e;
    }
  })() as LiftError;
  assert.match(e3.message, /`Nope` is not defined yet/);
  assert.equal(e3.location?.line, lineOf("MARK-out"));
});

test("extern verbs through the builder: the same Graph as the text, and the host code runs", () => {
  const src = `X :: (in 3)\ndsp"0 0 := (y / (1 + (exp (0 - x))))\nsp :: (extern 0 dsp)\nY := (sp X)\nL := ((reduce 1 +) Y)\ndX :: (grad L X)\nL :: (out)\n`;
  const b = new Builder();
  const X = b.input("X", 3);
  const dsp = b.dyad("dsp", 0, 0, (x, y) => div(y, add(1, exp(sub(0, x)))));
  const sp = b.extern("sp", [0], dsp);
  const Y = b.let("Y", sp(X));
  const L = b.let("L", reduce(1, "+")(Y));
  b.grad("dX", L, X);
  b.output("L");
  const externs = {
    sp: {
      js: ({ x, z }: { x: ArrayLike<number>; z: Float32Array | Float64Array }) => {
        for (let i = 0; i < z.length; i++) z[i] = Math.log1p(Math.exp(x[i]!));
      },
    },
  };
  const built = b.build({ externs });
  sameProgram(built, load(src), "extern");
  const r = built.run({ X: [0, 1, -2] }, { dtype: "f64" });
  assertClose(
    r.dX!.data,
    [0, 1, -2].map((v) => 1 / (1 + Math.exp(-v))),
    1e-15,
    "dX = sigmoid(X)",
  );
});
