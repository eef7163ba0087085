// From a model to its training step. A trainable model (docs/training.md) declares
//   Images :: (in N rows cols)   Labels :: (in N classes)   Scale :: (in)
//   Logits :: (out N classes)    Loss :: (out)               one or more (param …)
// and the training step is the model followed by `(use optim)` and, for every
// param P, its gradient `P.grad :: (grad Loss P)`, the optimizer's state inputs
// and the update lines written with the prelude's verbs (prelude/optim.lift).
// The inference program is the model itself. The model is parsed and checked once; the step's
// statements are built as AST (step_ast.ts) and extend the checked model (`loadModel`).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LiftProgram, type SourceText } from "../api/program.js";
import { Checker } from "../core/checker.js";
import { shareExterns } from "../core/externs.js";
import type { Decl } from "../core/graph.js";
import type { Shape } from "../core/shape.js";
import type { Stmt } from "../lang/ast.js";
import { LiftError } from "../lang/diagnostics.js";
import { parse } from "../lang/parser.js";
import { SourceFile, type Span } from "../lang/source.js";
import { PRELUDE_DIR, resolveUses } from "../lang/use.js";
import { buildStep, type StepLine, type Term } from "./step_ast.js";

export const OPTIMIZERS = ["adam", "sgd", "adadelta"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const isOptimizer = (s: string): s is OptimizerName => (OPTIMIZERS as readonly string[]).includes(s);

/** The learning rate each optimizer uses when none is given. */
export const DEFAULT_LR: Record<OptimizerName, number> = { adam: 1e-3, sgd: 1e-2, adadelta: 1 };

/** Per param P, the optimizer state P.<suffix>: inputs fed each step, replaced by P.<suffix>1 after it. */
export const STATE_SUFFIXES: Record<OptimizerName, readonly string[]> = {
  adam: ["m", "s"],
  sgd: ["v"],
  adadelta: ["eg", "ed"],
};

export interface ParamInfo {
  name: string;
  shape: number[];
}

/** What the trainer needs to know about a model that satisfies the contract. */
export interface ModelContract {
  /** The model file, as named in errors. */
  file: string;
  /** The symbolic batch size (N in the example). */
  batchSize: string;
  rows: number;
  cols: number;
  classes: number;
  params: ParamInfo[];
}

export interface TrainingNames {
  /** P → P.grad */
  grad: string;
  /** P → P.next */
  next: string;
  /** state inputs (P.m …) in order */
  state: string[];
  /** the same states after the step (P.m1 …) */
  stateNext: string[];
}

export const namesFor = (p: string, opt: OptimizerName): TrainingNames => ({
  grad: `${p}.grad`,
  next: `${p}.next`,
  state: STATE_SUFFIXES[opt].map((s) => `${p}.${s}`),
  stateNext: STATE_SUFFIXES[opt].map((s) => `${p}.${s}1`),
});

/** The names the generated lines bind for one param, besides those in the list of `namesFor`. */
const extraNames = (p: string, opt: OptimizerName): string[] => (opt === "adadelta" ? [`${p}.g`, `${p}.delta`] : []);

const fileError = (file: string, problem: string, span?: Span, hint?: string) =>
  new LiftError(span ? problem : `${file}: ${problem}`, span, hint);

const shapeText = (s: Shape) => `(${s.join(" ")})`;

const CONTRACT_HINT =
  "a trainable model declares Images :: (in N rows cols), Labels :: (in N classes), Scale :: (in), " +
  "Logits :: (out N classes), Loss :: (out) and at least one (param …); see docs/training.md";

/**
 * Checks a loaded model against the contract of `lift train` and returns its sizes and params.
 * Every violation is a LiftError naming the model file (and the line, where there is one).
 */
// long: one check per declaration the training contract needs, each with its own message.
export function checkContract(program: LiftProgram, file: string): ModelContract {
  const g = program.graph;
  const input = (name: string): Decl => {
    const d = g.inputs.find((i) => i.name === name);
    if (!d) throw fileError(file, `the model has no input \`${name}\``, undefined, CONTRACT_HINT);
    return d;
  };
  const output = (name: string, what: string): Decl => {
    const d = g.outputs.find((o) => o.name === name);
    if (d) return d;
    const defined = g.names.has(name);
    throw fileError(
      file,
      defined
        ? `\`${name}\` is defined but not declared as an output`
        : `the model has no output \`${name}\` (${what})`,
      undefined,
      defined ? `declare it: ${name} :: (out${name === "Loss" ? "" : " N classes"})` : CONTRACT_HINT,
    );
  };

  const images = input("Images");
  const [n, rows, cols] = images.shape;
  if (images.shape.length !== 3 || typeof n !== "string" || typeof rows !== "number" || typeof cols !== "number") {
    throw fileError(
      file,
      `Images must be declared (in N rows cols) with a size name N for the batch, not ${shapeText(images.shape)}`,
      images.span,
    );
  }
  const labels = input("Labels");
  const classes = labels.shape[1];
  if (labels.shape.length !== 2 || labels.shape[0] !== n || typeof classes !== "number" || classes < 2) {
    throw fileError(
      file,
      `Labels must be declared (in ${n} classes), one-hot rows with a known number of classes ≥ 2, not ${shapeText(labels.shape)}`,
      labels.span,
    );
  }
  const scale = input("Scale");
  if (scale.shape.length !== 0) {
    throw fileError(
      file,
      `Scale must be a scalar input, (in), fed 1/batch; it is declared ${shapeText(scale.shape)}`,
      scale.span,
    );
  }
  const loss = output("Loss", "a scalar: the training objective");
  if (loss.shape.length !== 0) {
    throw fileError(
      file,
      `Loss must be a scalar output, (out), to be differentiated; it is declared ${shapeText(loss.shape)}`,
      loss.span,
      "sum over the batch and scale it: Loss := (Scale * ((reduce 1 +) (Labels xent Logits)))",
    );
  }
  const logits = output("Logits", `(${n} ${classes}): one row of class scores per image`);
  if (logits.shape.length !== 2 || logits.shape[0] !== n || logits.shape[1] !== classes) {
    throw fileError(
      file,
      `Logits must be declared (out ${n} ${classes}), like Labels; it is declared ${shapeText(logits.shape)}`,
      logits.span,
    );
  }
  if (g.params.length === 0) {
    throw fileError(
      file,
      "the model has no (param …) declaration, so there is nothing to train",
      undefined,
      "declare the weights with (param d…) instead of (in d…)",
    );
  }
  const params: ParamInfo[] = [];
  for (const name of g.params) {
    const d = input(name);
    if (!d.shape.every((x): x is number => typeof x === "number")) {
      throw fileError(file, `param \`${name}\` must have known sizes, not ${shapeText(d.shape)}`, d.span);
    }
    params.push({ name, shape: [...d.shape] });
  }
  // Checked here, at the param's own line: the generated `(grad Loss P)` would fail in a file the user never sees.
  const used = new Set(g.ancestors([loss.node]));
  for (const name of g.params) {
    const d = input(name);
    if (!used.has(d.node)) {
      throw fileError(
        file,
        `param \`${name}\` is not used by \`Loss\`, so it has no gradient and cannot be trained`,
        d.span,
        "use it in the formulas that lead to Loss, or remove its declaration",
      );
    }
  }
  const fed = new Set(["Images", "Labels", "Scale", ...g.params]);
  for (const d of g.inputs) {
    if (!fed.has(d.name)) {
      throw fileError(
        file,
        `input \`${d.name}\` is neither a param nor one of Images, Labels, Scale, so the trainer cannot feed it`,
        d.span,
        "declare trainable weights with (param …); constants can be written as numbers",
      );
    }
  }
  return { file, batchSize: n, rows, cols, classes, params };
}

/** The lines of the training step that follow the model, for one optimizer. */
export function trainingStepLines(contract: ModelContract, opt: OptimizerName): StepLine[] {
  const lines: StepLine[] = [
    { text: `; generated by lift train: gradients and the ${opt} update of every param of ${contract.file}` },
    { text: "(use optim)" },
  ];
  for (const param of contract.params) {
    lines.push(
      { text: "" },
      { name: namesFor(param.name, opt).grad, op: "::", expr: ["grad", "Loss", param.name] },
      ...updateLines(param, opt),
    );
  }
  return lines;
}

/**
 * One param's optimizer update, from its gradient P.grad: the state inputs, the update lines
 * written with the prelude's verbs, and the outputs P.next and the new states. Shared by the
 * fused training step and the update program of a split step (src/train/split_step.ts).
 */
export function updateLines({ name: p, shape }: ParamInfo, opt: OptimizerName): StepLine[] {
  const decl = (io: string): Term => (shape.length ? [io, { nums: shape }] : [io]);
  const nm = namesFor(p, opt);
  const lines: StepLine[] = [];
  const def = (name: string, expr: Term) => lines.push({ name, op: ":=", expr });
  for (const s of nm.state) lines.push({ name: s, op: "::", expr: decl("in") });
  if (opt === "adam") {
    const [m, s] = nm.state as [string, string];
    const [m1, s1] = nm.stateNext as [string, string];
    def(m1, [m, "adam.m", nm.grad]);
    def(s1, [s, "adam.s", nm.grad]);
    def(nm.next, [p, "adam.p", [m1, "adam.dir", s1]]);
  } else if (opt === "sgd") {
    const [v] = nm.state as [string];
    const [v1] = nm.stateNext as [string];
    def(v1, [v, "sgd.v", nm.grad]);
    def(nm.next, [p, "sgd.p", v1]);
  } else {
    const [eg, ed] = nm.state as [string, string];
    const [eg1, ed1] = nm.stateNext as [string, string];
    def(`${p}.g`, [p, "adadelta.g", nm.grad]);
    def(eg1, [`${p}.g`, "adadelta.e", eg]);
    def(`${p}.delta`, [[ed, "adadelta.d", eg1], "*", `${p}.g`]);
    def(ed1, [`${p}.delta`, "adadelta.e", ed]);
    def(nm.next, [p, "adadelta.p", `${p}.delta`]);
  }
  for (const o of [nm.next, ...nm.stateNext]) lines.push({ name: o, op: "::", expr: decl("out") });
  return lines;
}

const OPTIM_PATH = join(PRELUDE_DIR, "optim.lift");

/** The optimizer prelude's statements (Lr, Step, the verbs), parsed from prelude/optim.lift. */
export function optimPrelude(): { stmts: Stmt[]; file: SourceFile } {
  const file = new SourceFile(OPTIM_PATH, readFileSync(OPTIM_PATH, "utf8"));
  return { stmts: parse(file).stmts, file };
}

/**
 * Fails if the model (its statements, `(use …)` resolved) binds a name that the training step
 * generates for `opt` or that the optimizer prelude defines, naming the model's binding.
 */
export function checkNameCollisions(
  model: readonly Stmt[],
  contract: ModelContract,
  opt: OptimizerName,
  prelude = optimPrelude().stmts,
): void {
  const generated = new Map<string, string>();
  for (const p of contract.params) {
    const nm = namesFor(p.name, opt);
    for (const n of [nm.grad, nm.next, ...nm.state, ...nm.stateNext, ...extraNames(p.name, opt)]) {
      generated.set(n, `the training step's name for param \`${p.name}\``);
    }
  }
  const preludeNames = new Set(prelude.flatMap((s) => (s.kind === "use" || s.kind === "ties" ? [] : [s.name])));
  for (const s of model) {
    if (s.kind === "use" || s.kind === "ties" || s.nameSpan.file.name === OPTIM_PATH) continue;
    const why =
      generated.get(s.name) ??
      (preludeNames.has(s.name) ? "defined by the optimizer prelude (prelude/optim.lift)" : undefined);
    if (why)
      throw new LiftError(
        `\`${s.name}\` is ${why}, so the model cannot define it`,
        s.nameSpan,
        "rename it in the model",
      );
  }
}

export interface ModelPrograms {
  contract: ModelContract;
  /** The model itself: outputs Logits and Loss. */
  inference: LiftProgram;
  /** Model, gradients and the optimizer update. */
  training: LiftProgram;
  /** The text that follows the model in the training step (the layout of its statements). */
  stepText: string;
}

/**
 * Loads a model, checks the contract and builds the training program for `opt`. The model is
 * parsed and checked once: the inference program is a copy of the checked graph, and the
 * training step's statements (step_ast.ts) extend the same checker, after the optimizer
 * prelude, as if they followed the model in one file.
 */
export function loadModel(model: SourceText, opt: OptimizerName): ModelPrograms {
  const included = new Set<string>();
  const { program, files } = resolveUses([new SourceFile(model.name, model.text)], included);
  const checker = new Checker();
  for (const s of program.stmts) checker.statement(s);
  checker.finish();
  const copy = checker.graph.clone();
  shareExterns(checker.graph, copy);
  const inference = new LiftProgram(copy, files);
  const contract = checkContract(inference, model.name);
  const prelude = optimPrelude();
  checkNameCollisions(program.stmts, contract, opt, prelude.stmts);
  const step = buildStep(`${opt}-step.lift (generated)`, trainingStepLines(contract, opt));
  // `(use optim)` in a model already brought the prelude in, before the model's own statements.
  const extra = included.has(OPTIM_PATH) ? step.stmts : [...prelude.stmts, ...step.stmts];
  for (const s of extra) checker.statement(s);
  checker.finish();
  const trainingFiles = [...files, ...(included.has(OPTIM_PATH) ? [] : [prelude.file]), step.file];
  return { contract, inference, training: new LiftProgram(checker.graph, trainingFiles), stepText: step.text };
}

/** The whole training step as one text: the model, then the generated lines. */
export function trainingProgramText(model: SourceText, opt: OptimizerName): string {
  const { stepText } = loadModel(model, opt);
  return `${model.text.replace(/\n?$/, "\n")}\n${stepText}`;
}
