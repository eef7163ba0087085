/** The library entry point: source text → checked program → values. */
import { check } from "../core/checker.js";
import type { Graph } from "../core/graph.js";
import { evaluate, type DType, type EvalStats, type Tensor } from "../interp/eval.js";
import { parse } from "../lang/parser.js";
import { SourceFile } from "../lang/source.js";
import { bindInputs, toTensor, type InputValue } from "./inputs.js";

export interface SourceText { name: string; text: string }

export class LiftProgram {
  constructor(readonly graph: Graph, readonly files: SourceFile[]) {}

  /** Evaluates every output and gradient declaration with the reference interpreter. */
  run(inputs: Record<string, InputValue>, opts: { dtype?: DType; stats?: EvalStats } = {}): Record<string, Tensor> {
    const dtype = opts.dtype ?? "f32";
    const given = new Map(Object.entries(inputs).map(([k, v]) => [k, toTensor(k, v, dtype)]));
    const { byNode, sizes } = bindInputs(this.graph, given);
    const decls = [...this.graph.outputs, ...this.graph.grads];
    const values = evaluate(this.graph, byNode, sizes, dtype, decls.map((d) => d.node), opts.stats);
    const out: Record<string, Tensor> = {};
    for (const d of decls) out[d.name] = values.get(d.node)!;
    return out;
  }

  /** Names of outputs in declaration order (gradient declarations that are not outputs follow). */
  get outputNames(): string[] {
    const names = this.graph.outputs.map((o) => o.name);
    for (const d of this.graph.grads) if (!names.includes(d.name)) names.push(d.name);
    return names;
  }
}

/** Parses and checks one or more sources, concatenated into one program. Throws LiftError. */
export function load(sources: string | SourceText | SourceText[]): LiftProgram {
  const list = typeof sources === "string" ? [{ name: "<input>", text: sources }] : Array.isArray(sources) ? sources : [sources];
  const files = list.map((s) => new SourceFile(s.name, s.text));
  return new LiftProgram(check(parse(files)), files);
}
