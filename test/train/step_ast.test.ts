/** The training step's statements are built, not parsed: they must be what the parser gives for their text. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "../../src/lang/parser.js";
import { SourceFile } from "../../src/lang/source.js";
import { buildStep } from "../../src/train/step_ast.js";
import { loadModel, OPTIMIZERS, trainingStepLines, checkContract } from "../../src/train/program.js";
import { gradientLines, updateProgramLines } from "../../src/train/split_step.js";
import { load } from "../../src/api/program.js";

const LENET = join(process.cwd(), "examples", "fashion-lenet.lift");
const model = { name: LENET, text: readFileSync(LENET, "utf8") };

/** The AST as plain data, each span as `line:col-line:col` of its own file. */
function plain(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === "object") {
    const o = x as Record<string, unknown>;
    if (o.file instanceof SourceFile && typeof o.start === "number" && typeof o.end === "number") {
      const a = o.file.position(o.start),
        b = o.file.position(o.end);
      return `${o.file.name} ${a.line}:${a.col}-${b.line}:${b.col}`;
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)]));
  }
  return x;
}

test("built step statements equal the parse of their own text, spans included", () => {
  const contract = checkContract(load([model]), LENET);
  for (const opt of OPTIMIZERS) {
    for (const [name, lines] of [
      ["step", trainingStepLines(contract, opt)],
      ["grad", gradientLines(contract, opt)],
      ["update", updateProgramLines(contract, opt)],
    ] as const) {
      const built = buildStep(`${name}.lift`, lines);
      // `(use optim)` is a line of text only: the checker is given the prelude's statements in its place.
      const parsed = parse(new SourceFile(`${name}.lift`, built.text)).stmts.filter((s) => s.kind !== "use");
      assert.deepEqual(plain(built.stmts), plain(parsed), `${opt} ${name}`);
      assert.ok(built.stmts.length >= contract.params.length, `${opt} ${name}: ${built.stmts.length} statements`);
    }
  }
});

test("the step's numbers keep their spelling and kind, as the parser's do", () => {
  const b = buildStep("s.lift", [
    { text: "; c" },
    { name: "A", op: "::", expr: ["in", { nums: [3, 2, 2] }] },
    { name: "B", op: ":=", expr: [["A", "*", "A"], "+", "A"] },
  ]);
  assert.equal(b.text, "; c\nA :: (in 3 2 2)\nB := ((A * A) + A)\n");
  const decl = b.stmts[0]!;
  assert.equal(decl.kind, "declare");
  assert.deepEqual(plain(decl.kind === "declare" ? decl.expr : undefined), {
    kind: "list",
    span: "s.lift 2:6-2:16",
    items: [
      { kind: "name", name: "in", span: "s.lift 2:7-2:9" },
      {
        kind: "numbers",
        values: [3, 2, 2],
        texts: ["3", "2", "2"],
        integer: [true, true, true],
        span: "s.lift 2:10-2:15",
      },
    ],
  });
});

test("loadModel checks the model once: the training graph extends a copy of the inference graph", () => {
  const p = loadModel(model, "adam");
  const inf = p.inference.graph,
    tr = p.training.graph;
  assert.ok(tr.nodes.length > inf.nodes.length);
  // The inference graph is unchanged by the step: its nodes are the training graph's first ones.
  assert.deepEqual(inf.nodes, tr.nodes.slice(0, inf.nodes.length));
  assert.deepEqual(
    inf.outputs.map((o) => o.name),
    ["Logits", "Loss"],
  );
  assert.deepEqual(tr.outputs.slice(0, 2), inf.outputs);
  assert.equal(inf.grads.length, 0);
  assert.deepEqual(
    tr.grads.map((d) => d.name),
    p.contract.params.map((q) => `${q.name}.grad`),
  );
  // The same model's graph, loaded alone, is the inference graph node for node.
  assert.equal(load([model]).graph.print(), inf.print());
});
