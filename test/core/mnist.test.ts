/** The MNIST model of the original demo (reference §10.6, T42–T43) through the interpreter. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, type EvalStats } from "../../src/api/index.js";
import {
  compareT42,
  compareT43,
  CONV_MODEL,
  convModelInputs,
  MNIST_ACT,
  MNIST_GRAD,
  MNIST_MODEL,
  mnistGradAccumulators,
  mnistInputs,
  T43_PROGRAMS,
} from "../vectors/mnist.js";

test("T42 conv.model", () => {
  const out = load(CONV_MODEL).run(convModelInputs(), { dtype: "f64" });
  assert.deepEqual(compareT42(out.Pool!.data), []);
});

test("T43 mnist.model + mnist.act: every forward value and activation gradient", () => {
  const inputs = mnistInputs();
  // The activation gradients tie inside pooling windows: the reference figures follow the original rule.
  const out = load([
    { name: "ties.lift", text: "(ties full)\n" },
    { name: "mnist.model", text: MNIST_MODEL },
    { name: "mnist.act", text: MNIST_ACT },
  ]).run(inputs, { dtype: "f64" });
  const errs = [...T43_PROGRAMS.model, ...T43_PROGRAMS.act].flatMap((k) => compareT43(k, out[k]!.data));
  assert.deepEqual(errs, []);
});

test("T43 mnist.model + mnist.grad: parameter gradients, and the interpreter's peak memory", () => {
  const stats: EvalStats = { peakValues: 0, totalValues: 0, nodesEvaluated: 0 };
  const out = load([
    { name: "mnist.model", text: MNIST_MODEL },
    { name: "mnist.grad", text: MNIST_GRAD },
  ]).run({ ...mnistInputs(), ...mnistGradAccumulators() }, { dtype: "f64", stats });
  const errs = Object.entries(T43_PROGRAMS.grad).flatMap(([name, key]) => compareT43(key, out[name]!.data));
  assert.deepEqual(errs, []);
  // Freed after last use, the interpreter holds far less than the 7.9 M values the original materialised.
  assert.ok(stats.peakValues < 7_919_075, `peak ${stats.peakValues}`);
});
