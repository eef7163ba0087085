// From a model to its training step. A trainable model (docs/training.md) declares
//   Images :: (in N rows cols)   Labels :: (in N classes)   Scale :: (in)
//   Logits :: (out N classes)    Loss :: (out)               one or more (param …)
// and the training step is the model followed by `(use optim)` and, for every
// param P, its gradient `P.grad :: (grad Loss P)`, the optimizer's state inputs
// and the update lines written with the prelude's verbs (prelude/optim.lift).
// The inference program is the model itself.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load, type LiftProgram, type SourceText } from "../api/program.js";
import type { Decl } from "../core/graph.js";
import type { Shape } from "../core/shape.js";
import { LiftError } from "../lang/diagnostics.js";
import { parse } from "../lang/parser.js";
import { SourceFile, type Span } from "../lang/source.js";
import { PRELUDE_DIR, resolveUses } from "../lang/use.js";

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
      defined ? `\`${name}\` is defined but not declared as an output` : `the model has no output \`${name}\` (${what})`,
      undefined,
      defined ? `declare it: ${name} :: (out${name === "Loss" ? "" : " N classes"})` : CONTRACT_HINT,
    );
  };

  const images = input("Images");
  const [n, rows, cols] = images.shape;
  if (images.shape.length !== 3 || typeof n !== "string" || typeof rows !== "number" || typeof cols !== "number") {
    throw fileError(file, `Images must be declared (in N rows cols) with a size name N for the batch, not ${shapeText(images.shape)}`, images.span);
  }
  const labels = input("Labels");
  const classes = labels.shape[1];
  if (labels.shape.length !== 2 || labels.shape[0] !== n || typeof classes !== "number" || classes < 2) {
    throw fileError(file, `Labels must be declared (in ${n} classes), one-hot rows with a known number of classes ≥ 2, not ${shapeText(labels.shape)}`, labels.span);
  }
  const scale = input("Scale");
  if (scale.shape.length !== 0) {
    throw fileError(file, `Scale must be a scalar input, (in), fed 1/batch; it is declared ${shapeText(scale.shape)}`, scale.span);
  }
  const loss = output("Loss", "a scalar: the training objective");
  if (loss.shape.length !== 0) {
    throw fileError(file, `Loss must be a scalar output, (out), to be differentiated; it is declared ${shapeText(loss.shape)}`, loss.span,
      "sum over the batch and scale it: Loss := (Scale * ((reduce 1 +) (Labels xent Logits)))");
  }
  const logits = output("Logits", `(${n} ${classes}): one row of class scores per image`);
  if (logits.shape.length !== 2 || logits.shape[0] !== n || logits.shape[1] !== classes) {
    throw fileError(file, `Logits must be declared (out ${n} ${classes}), like Labels; it is declared ${shapeText(logits.shape)}`, logits.span);
  }
  if (g.params.length === 0) {
    throw fileError(file, "the model has no (param …) declaration, so there is nothing to train", undefined, "declare the weights with (param d…) instead of (in d…)");
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
      throw fileError(file, `param \`${name}\` is not used by \`Loss\`, so it has no gradient and cannot be trained`, d.span,
        "use it in the formulas that lead to Loss, or remove its declaration");
    }
  }
  const fed = new Set(["Images", "Labels", "Scale", ...g.params]);
  for (const d of g.inputs) {
    if (!fed.has(d.name)) {
      throw fileError(file, `input \`${d.name}\` is neither a param nor one of Images, Labels, Scale, so the trainer cannot feed it`, d.span,
        "declare trainable weights with (param …); constants can be written as numbers");
    }
  }
  return { file, batchSize: n, rows, cols, classes, params };
}

/** The lines of the training step that follow the model, for one optimizer. */
export function trainingStepText(contract: ModelContract, opt: OptimizerName): string {
  const lines = [`; generated by lift train: gradients and the ${opt} update of every param of ${contract.file}`, "(use optim)"];
  for (const { name: p, shape } of contract.params) {
    const d = shape.join(" ");
    const decl = d ? ` ${d}` : "";
    const nm = namesFor(p, opt);
    lines.push("", `${nm.grad} :: (grad Loss ${p})`);
    for (const s of nm.state) lines.push(`${s} :: (in${decl})`);
    if (opt === "adam") {
      const [m, s] = nm.state as [string, string];
      const [m1, s1] = nm.stateNext as [string, string];
      lines.push(`${m1} := (${m} adam.m ${nm.grad})`, `${s1} := (${s} adam.s ${nm.grad})`, `${nm.next} := (${p} adam.p (${m1} adam.dir ${s1}))`);
    } else if (opt === "sgd") {
      const [v] = nm.state as [string];
      const [v1] = nm.stateNext as [string];
      lines.push(`${v1} := (${v} sgd.v ${nm.grad})`, `${nm.next} := (${p} sgd.p ${v1})`);
    } else {
      const [eg, ed] = nm.state as [string, string];
      const [eg1, ed1] = nm.stateNext as [string, string];
      lines.push(
        `${p}.g := (${p} adadelta.g ${nm.grad})`,
        `${eg1} := (${p}.g adadelta.e ${eg})`,
        `${p}.delta := ((${ed} adadelta.d ${eg1}) * ${p}.g)`,
        `${ed1} := (${p}.delta adadelta.e ${ed})`,
        `${nm.next} := (${p} adadelta.p ${p}.delta)`,
      );
    }
    for (const o of [nm.next, ...nm.stateNext]) lines.push(`${o} :: (out${decl})`);
  }
  return lines.join("\n") + "\n";
}

/** Names bound by the optimizer prelude (Lr, Step, the verbs). */
function optimPreludeNames(): Set<string> {
  const path = join(PRELUDE_DIR, "optim.lift");
  const names = new Set<string>();
  for (const s of parse(new SourceFile(path, readFileSync(path, "utf8"))).stmts) if (s.kind !== "use" && s.kind !== "ties") names.add(s.name);
  return names;
}

/**
 * Fails if the model binds a name that the training step generates for `opt` (or that the
 * optimizer prelude defines), naming the model's binding.
 */
export function checkNameCollisions(model: SourceText, contract: ModelContract, opt: OptimizerName): void {
  const generated = new Map<string, string>();
  for (const p of contract.params) {
    const nm = namesFor(p.name, opt);
    for (const n of [nm.grad, nm.next, ...nm.state, ...nm.stateNext, ...extraNames(p.name, opt)]) {
      generated.set(n, `the training step's name for param \`${p.name}\``);
    }
  }
  const optimPath = join(PRELUDE_DIR, "optim.lift");
  const prelude = optimPreludeNames();
  const { program } = resolveUses([new SourceFile(model.name, model.text)]);
  for (const s of program.stmts) {
    if (s.kind === "use" || s.kind === "ties" || s.nameSpan.file.name === optimPath) continue;
    const why = generated.get(s.name) ?? (prelude.has(s.name) ? "defined by the optimizer prelude (prelude/optim.lift)" : undefined);
    if (why) throw new LiftError(`\`${s.name}\` is ${why}, so the model cannot define it`, s.nameSpan, "rename it in the model");
  }
}

export interface ModelPrograms {
  contract: ModelContract;
  /** The model itself: outputs Logits and Loss. */
  inference: LiftProgram;
  /** Model, gradients and the optimizer update. */
  training: LiftProgram;
  /** The text that follows the model in the training step. */
  stepText: string;
}

/** Loads a model, checks the contract and builds the training program for `opt`. */
export function loadModel(model: SourceText, opt: OptimizerName): ModelPrograms {
  const inference = load([model]);
  const contract = checkContract(inference, model.name);
  checkNameCollisions(model, contract, opt);
  const stepText = trainingStepText(contract, opt);
  const training = load([model, { name: `${opt}-step.lift (generated)`, text: stepText }]);
  return { contract, inference, training, stepText };
}

/** The whole training step as one text: the model, then the generated lines. */
export function trainingProgramText(model: SourceText, opt: OptimizerName): string {
  const { stepText } = loadModel(model, opt);
  return `${model.text.replace(/\n?$/, "\n")}\n${stepText}`;
}
