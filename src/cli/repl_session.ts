/**
 * The state of a `lift repl` session and what one entry does to it. Statements extend the
 * program; a bare expression is evaluated and shown with its shape; `:set` gives an input a
 * value. The session runs in a worker thread (repl.ts), so an evaluation can be interrupted; the
 * entries that changed the session are replayed (quietly, without evaluating) to rebuild it.
 */
import { toTensor } from "../core/inputs.js";
import { Checker } from "../core/checker.js";
import { product, shapeEq, shapeText } from "../core/shape.js";
import type { DType, Tensor } from "../core/tensor.js";
import { evaluate } from "../interp/eval.js";
import { fail, LiftError } from "../lang/diagnostics.js";
import { parse, parseExpression } from "../lang/parser.js";
import { resolveUses } from "../lang/use.js";
import { SourceFile } from "../lang/source.js";
import { formatArray, formatSummary, shapeLabel, SUMMARY_THRESHOLD } from "./format.js";

export const HELP = `Type LiFT statements and expressions:
  A :: (in 2 3)              declare an input
  :set A [[1,2,3],[4,5,6]]   give it a value (JSON); declares it if it is new
  dot"1 1 := ((reduce 1 +) (x * y))    define a verb
  B := (A dot A)             define an array (its value is shown when it can be computed)
  ((reduce 1 +) A)           evaluate an expression
  D :: (grad L W)            a gradient
  (use nn)                   include prelude/nn.lift (relu, conv5, maxpool2, softmax, …)
Commands:
  :help        this text            :names    what is defined
  :dtype f64   switch element type   :graph    print the graph so far
  :full        the last value in full (large values are summarised); :full on|off
  :quit        leave (or Ctrl-D)
A line with unbalanced parentheses continues on the next one. Comments start with ;
Ctrl-C cancels the entry being typed, or the evaluation that is running.`;

/** What an entry did: the text to show, and whether it changed the session (then it is replayed on a restart). */
export interface Reply {
  text: string;
  mutated: boolean;
}

export class ReplSession {
  private checker = new Checker();
  private values = new Map<string, Tensor>();
  private libraries = new Set<string>();
  private counter = 0;
  private last: { name: string; t: Tensor } | undefined;
  private full = false;
  /** Statements of the current entry applied so far: an entry that fails after one needs a rollback. */
  applied = 0;
  dtype: DType = "f32";

  /** Handles one complete entry. Throws LiftError on user errors. `replay` rebuilds state without evaluating. */
  handle(line: string, replay = false): Reply {
    this.applied = 0;
    const t = line.trim();
    if (t === "" || t.startsWith(";")) return { text: "", mutated: false };
    if (t.startsWith(":")) return this.command(t);
    const file = new SourceFile(`<repl:${++this.counter}>`, line);
    if (/^\s*\(\s*use\b/.test(line)) return { text: this.use(file), mutated: true };
    if (/^\s*[^\s()";]+\s*("|:=|::)/.test(line)) {
      const { stmts } = parse(file);
      const shown: string[] = [];
      for (const s of stmts) {
        this.checker.statement(s);
        this.applied++;
        if (replay) continue;
        if (
          s.kind === "assign" ||
          (s.kind === "declare" &&
            this.checker.bindings.get(s.name)?.kind === "array" &&
            s.expr.kind === "list" &&
            s.expr.items[0]?.kind === "name" &&
            s.expr.items[0].name === "grad")
        ) {
          const node = this.checker.graph.names.get(s.name)!;
          const v = this.tryValue(node);
          shown.push(v ? this.show(s.name, v) : `${s.name} ${shapeText(this.checker.graph.node(node).shape)}`);
        }
      }
      return { text: shown.join("\n"), mutated: true };
    }
    const node = this.checker.expression(parseExpression(file));
    return { text: this.show("", this.value(node)), mutated: false };
  }

  /**
   * `(use NAME…)`: a library already loaded is not loaded again, and one whose names clash with
   * the session's is refused before any of it is applied.
   */
  private use(file: SourceFile): string {
    const libs = new Set(this.libraries);
    const { program } = resolveUses([file], libs);
    const use = parse(file).stmts.find((s) => s.kind === "use")!;
    for (const s of program.stmts)
      if (s.kind !== "use" && s.kind !== "ties" && this.checker.bindings.has(s.name))
        fail(
          `the library defines \`${s.name}\`, which this session already defines`,
          use.span,
          "nothing was loaded: rename yours, or load the library first",
        );
    for (const s of program.stmts) {
      this.checker.statement(s);
      this.applied++;
    }
    this.libraries = libs;
    return "";
  }

  private command(t: string): Reply {
    const [cmd, ...rest] = t.split(/\s+/);
    const said = (text: string, mutated = false): Reply => ({ text, mutated });
    switch (cmd) {
      case ":help":
      case ":h":
      case ":?":
        return said(HELP);
      case ":names":
        return said(
          [...this.checker.bindings]
            .map(([k, b]) =>
              b.kind === "array"
                ? `${k} ${shapeText(this.checker.graph.node(b.node).shape)}${this.values.has(k) ? " = given" : ""}`
                : `${k} (${b.kind})`,
            )
            .join("\n") || "(nothing defined)",
        );
      case ":graph":
        return said(this.checker.graph.print() || "(empty)");
      case ":full": {
        if (rest[0] === "on" || rest[0] === "off") {
          this.full = rest[0] === "on";
          return said(`large values are shown ${this.full ? "in full" : "summarised"}`, true);
        }
        if (rest.length) throw new LiftError("usage: :full (the last value in full), :full on, :full off");
        if (!this.last) throw new LiftError("no value shown yet");
        return said(this.show(this.last.name, this.last.t, true));
      }
      case ":dtype": {
        if (rest[0] !== "f32" && rest[0] !== "f64") throw new LiftError("usage: :dtype f32|f64");
        this.dtype = rest[0];
        this.values = new Map(
          [...this.values].map(([k, v]) => [
            k,
            { shape: v.shape, data: (rest[0] === "f32" ? Float32Array : Float64Array).from(v.data) },
          ]),
        );
        return said(`element type ${this.dtype}`, true);
      }
      case ":set":
        return said(this.set(t), true);
      case ":quit":
      case ":q":
        return said("");
      default:
        throw new LiftError(`unknown command ${cmd}; type :help`);
    }
  }

  private set(t: string): string {
    const m = /^:set\s+([^\s=]+)\s*=?\s*(.+)$/s.exec(t);
    if (!m) throw new LiftError("usage: :set NAME JSON   e.g. :set A [[1,2],[3,4]]");
    const [, name, json] = m as unknown as [string, string, string];
    let v: unknown;
    try {
      v = JSON.parse(json);
    } catch (e) {
      throw new LiftError(`:set ${name}: malformed JSON: ${(e as Error).message}`);
    }
    const tensor = toTensor(name, v, this.dtype);
    const b = this.checker.bindings.get(name);
    if (!b) {
      this.checker.statement(
        parse(new SourceFile(`<repl:${++this.counter}>`, `${name} :: (in ${tensor.shape.join(" ")})`)).stmts[0]!,
      );
    } else {
      const node = b.kind === "array" ? this.checker.graph.node(b.node) : undefined;
      if (node?.kind !== "input") throw new LiftError(`\`${name}\` is not an input, so it cannot be given a value`);
      if (
        !shapeEq(
          node.shape.map((d) => (typeof d === "number" ? d : -1)).map((d, i) => (d === -1 ? tensor.shape[i]! : d)),
          tensor.shape,
        )
      )
        throw new LiftError(
          `\`${name}\` is declared ${shapeText(node.shape)} but the value has shape ${shapeText(tensor.shape)}`,
        );
    }
    this.values.set(name, tensor);
    return this.show(name, tensor);
  }

  private tryValue(node: number): Tensor | undefined {
    try {
      return this.value(node);
    } catch (e) {
      if (e instanceof LiftError) return undefined;
      throw e;
    }
  }

  private value(node: number): Tensor {
    const g = this.checker.graph;
    const inputs = new Map<number, Tensor>();
    const sizes = new Map<string, number>();
    for (const id of g.ancestors([node])) {
      const n = g.node(id);
      if (n.kind !== "input") continue;
      const v = this.values.get(n.name);
      if (!v) throw new LiftError(`input \`${n.name}\` has no value yet`, undefined, `give it one: :set ${n.name} ...`);
      n.shape.forEach((d, i) => {
        if (typeof d !== "string") return;
        const old = sizes.get(d);
        if (old !== undefined && old !== v.shape[i])
          throw new LiftError(`size ${d} is ${old} in one input and ${v.shape[i]} in \`${n.name}\``);
        sizes.set(d, v.shape[i]!);
      });
      inputs.set(id, v);
    }
    return evaluate(g, inputs, sizes, this.dtype, [node]).get(node)!;
  }

  /** A value with its shape; beyond SUMMARY_THRESHOLD elements summarised, unless `:full`. */
  private show(name: string, t: Tensor, full = this.full): string {
    this.last = { name, t };
    const body = full || product(t.shape) <= SUMMARY_THRESHOLD ? formatArray(t) : formatSummary(t);
    const label = name ? `${name} ${shapeLabel(t.shape)}` : shapeLabel(t.shape);
    return t.shape.length <= 1 ? `${label}: ${body}` : `${label}:\n${body}`;
  }
}
