/**
 * `lift repl`: an interactive session like J's. Statements extend the program; a bare
 * expression is evaluated and shown with its shape; `:set` gives an input a value. Errors
 * are reported and the session goes on.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { appendFileSync, readFileSync } from "node:fs";
import * as readline from "node:readline";
import { toTensor } from "../api/inputs.js";
import { Checker } from "../core/checker.js";
import { shapeEq, shapeText } from "../core/shape.js";
import { evaluate, type DType, type Tensor } from "../interp/eval.js";
import { LiftError } from "../lang/diagnostics.js";
import { parse, parseExpression } from "../lang/parser.js";
import { resolveUses } from "../lang/use.js";
import { SourceFile } from "../lang/source.js";
import type { Command } from "./commands.js";
import { formatArray, shapeLabel } from "./format.js";

const HELP = `Type LiFT statements and expressions:
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
  :quit        leave (or Ctrl-D)
A line with unbalanced parentheses continues on the next one. Comments start with ;`;

export class ReplSession {
  private checker = new Checker();
  private values = new Map<string, Tensor>();
  private counter = 0;
  dtype: DType = "f32";

  /** Handles one complete entry; returns the text to show. Throws LiftError on user errors. */
  handle(line: string): string {
    const t = line.trim();
    if (t === "" || t.startsWith(";")) return "";
    if (t.startsWith(":")) return this.command(t);
    const file = new SourceFile(`<repl:${++this.counter}>`, line);
    if (/^\s*\(\s*use\b/.test(line)) {
      for (const s of resolveUses([file]).program.stmts) this.checker.statement(s);
      return "";
    }
    if (/^\s*[^\s()";]+\s*("|:=|::)/.test(line)) {
      const { stmts } = parse(file);
      const shown: string[] = [];
      for (const s of stmts) {
        this.checker.statement(s);
        if (s.kind === "assign" || (s.kind === "declare" && this.checker.bindings.get(s.name)?.kind === "array" && s.expr.kind === "list" && s.expr.items[0]?.kind === "name" && s.expr.items[0].name === "grad")) {
          const node = this.checker.graph.names.get(s.name)!;
          const v = this.tryValue(node);
          shown.push(v ? show(s.name, v) : `${s.name} ${shapeText(this.checker.graph.node(node).shape)}`);
        }
      }
      return shown.join("\n");
    }
    const node = this.checker.expression(parseExpression(file));
    return show("", this.value(node));
  }

  private command(t: string): string {
    const [cmd, ...rest] = t.split(/\s+/);
    switch (cmd) {
      case ":help": case ":h": case ":?": return HELP;
      case ":names": return [...this.checker.bindings].map(([k, b]) =>
        b.kind === "array" ? `${k} ${shapeText(this.checker.graph.node(b.node).shape)}${this.values.has(k) ? " = given" : ""}` : `${k} (${b.kind})`).join("\n") || "(nothing defined)";
      case ":graph": return this.checker.graph.print() || "(empty)";
      case ":dtype": {
        if (rest[0] !== "f32" && rest[0] !== "f64") throw new LiftError("usage: :dtype f32|f64");
        this.dtype = rest[0];
        this.values = new Map([...this.values].map(([k, v]) => [k, { shape: v.shape, data: (rest[0] === "f32" ? Float32Array : Float64Array).from(v.data) }]));
        return `element type ${this.dtype}`;
      }
      case ":set": {
        const m = /^:set\s+([^\s=]+)\s*=?\s*(.+)$/s.exec(t);
        if (!m) throw new LiftError("usage: :set NAME JSON   e.g. :set A [[1,2],[3,4]]");
        const [, name, json] = m as unknown as [string, string, string];
        let v: unknown;
        try { v = JSON.parse(json); } catch (e) { throw new LiftError(`:set ${name}: malformed JSON: ${(e as Error).message}`); }
        const tensor = toTensor(name, v, this.dtype);
        const b = this.checker.bindings.get(name);
        if (!b) {
          this.checker.statement(parse(new SourceFile(`<repl:${++this.counter}>`, `${name} :: (in ${tensor.shape.join(" ")})`)).stmts[0]!);
        } else {
          const node = b.kind === "array" ? this.checker.graph.node(b.node) : undefined;
          if (node?.kind !== "input") throw new LiftError(`\`${name}\` is not an input, so it cannot be given a value`);
          if (!shapeEq(node.shape.map((d) => (typeof d === "number" ? d : -1)).map((d, i) => (d === -1 ? tensor.shape[i]! : d)), tensor.shape))
            throw new LiftError(`\`${name}\` is declared ${shapeText(node.shape)} but the value has shape ${shapeText(tensor.shape)}`);
        }
        this.values.set(name, tensor);
        return show(name, tensor);
      }
      case ":quit": case ":q": return "";
      default: throw new LiftError(`unknown command ${cmd}; type :help`);
    }
  }

  private tryValue(node: number): Tensor | undefined {
    try { return this.value(node); } catch (e) { if (e instanceof LiftError) return undefined; throw e; }
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
        if (old !== undefined && old !== v.shape[i]) throw new LiftError(`size ${d} is ${old} in one input and ${v.shape[i]} in \`${n.name}\``);
        sizes.set(d, v.shape[i]!);
      });
      inputs.set(id, v);
    }
    return evaluate(g, inputs, sizes, this.dtype, [node]).get(node)!;
  }
}

function show(name: string, t: Tensor): string {
  const body = formatArray(t);
  const label = name ? `${name} ${shapeLabel(t.shape)}` : shapeLabel(t.shape);
  return t.shape.length <= 1 ? `${label}: ${body}` : `${label}:\n${body}`;
}

const depth = (s: string) => { let d = 0; for (const c of s.replace(/;.*$/gm, "")) d += c === "(" ? 1 : c === ")" ? -1 : 0; return d; };

export const replCommand: Command = {
  summary: "an interactive session: declare, define, evaluate",
  help: `usage: lift repl [--dtype f32|f64]\n\n${HELP}\nHistory is kept in ~/.lift_history.`,
  options: { dtype: { type: "string" } },
  async run(v) {
    const session = new ReplSession();
    if (v.dtype === "f64") session.dtype = "f64";
    const histFile = join(homedir(), ".lift_history");
    let history: string[] = [];
    try { history = readFileSync(histFile, "utf8").split("\n").filter(Boolean).reverse().slice(0, 500); } catch { /* no history yet */ }
    const interactive = process.stdin.isTTY === true;
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: interactive, history, historySize: 500, prompt: "   " });
    if (interactive) process.stdout.write(`LiFT repl — :help for help, :quit to leave\n`);
    let pending = "";
    const prompt = () => { if (interactive) rl.prompt(); };
    prompt();
    for await (const line of rl) {
      pending = pending ? `${pending}\n${line}` : line;
      if (depth(pending) > 0) { rl.setPrompt("...  "); prompt(); continue; }
      const entry = pending;
      pending = "";
      rl.setPrompt("   ");
      if (entry.trim() === ":quit" || entry.trim() === ":q") break;
      if (interactive && entry.trim()) { try { appendFileSync(histFile, entry.replace(/\n/g, " ") + "\n"); } catch { /* history is best effort */ } }
      try {
        const out = session.handle(entry);
        if (out) process.stdout.write(out + "\n");
      } catch (e) {
        if (!(e instanceof LiftError)) throw e;
        process.stdout.write(e.format() + "\n");
      }
      prompt();
    }
    rl.close();
    return 0;
  },
};
