/**
 * The loop AST's text form (the `ast`, `outline`, `accumulate` dumps) and its parser:
 * `parseLoops(printLoops(lp))` is deep-equal to `lp` and prints identically.
 *
 *   array v2 (8 8) output  ; B
 *   array v2w (8 8) temp wide  ; B
 *   params n8 = 8
 *   output B = v2 output
 *   body {
 *     for c0 = 0 while (le c0 7) step 1 parallel when (ge (mul c0 64) 16384) {
 *       S1 init v2[c0, c1] = 0
 *       S3 update v2[c0, c1] += (* v0[c0, c2] v1[c2, c1])
 *       kernel S18 {form: axpy, …}
 *       accumulate v2[c0] += v6[c0, c1] over c1 = 0 while (le c1 7) step 1
 *       call 0
 *     }
 *   }
 *   function 0 longs (c0 s0) arrays (v0 v2)
 *     S5 def v8[c0] = (>. 0 v6[c0])
 *
 * Integer expressions and float expressions are prefix forms, `(op arg …)`, as in the Poly text;
 * a node's body follows its header: `{ … }` for a block, else one node on the next line.
 */
import type { ReduceOp } from "../core/params.js";
import type { DyadName, MapName } from "../core/prims.js";
import type { Dim } from "../core/shape.js";
import { dataText, parseData, type Data } from "../core/data_text.js";
import { numText, TextReader } from "../core/text_reader.js";
import type {
  Access,
  BufferRole,
  IntOp,
  KernelPlan,
  LExpr,
  LNode,
  LoopArray,
  LoopProgram,
  VExpr,
} from "../loop/ast.js";

export function printLoops(lp: LoopProgram): string {
  const lines: string[] = lp.arrays.map(arrayLine);
  if (lp.params.size) lines.push(`params ${[...lp.params].map(([k, v]) => `${k} = ${dataText(v)}`).join(", ")}`);
  if (lp.sizes.length) lines.push(`sizes ${lp.sizes.map(dataText).join(" ")}`);
  for (const b of lp.inputs) lines.push(`input ${b.name} = ${b.array} ${b.role}`);
  for (const b of lp.outputs) lines.push(`output ${b.name} = ${b.array} ${b.role}`);
  lines.push(`body ${nodeText(lp.body, "")}`);
  lp.functions.forEach((f, i) =>
    lines.push(`function ${i} longs (${f.longs.join(" ")}) arrays (${f.arrays.join(" ")}) ${nodeText(f.body, "")}`),
  );
  return lines.join("\n") + "\n";
}

const dims = (d: readonly Dim[]) => `(${d.join(" ")})`;

function arrayLine(a: LoopArray): string {
  const interior = a.interior ? ` interior ${dims(a.interior.lo)} ${dims(a.interior.shape)}` : "";
  const origin = a.origin !== undefined ? ` origin ${dataText(a.origin)}` : "";
  const labels = a.labels.length ? `  ; ${a.labels.map(dataText).join(" ")}` : "";
  return `array ${a.name} ${dims(a.shape)} ${a.role}${interior}${a.wide ? " wide" : ""}${origin}${labels}`;
}

/** A node's text from its first line on; `indent` is the indentation of that line. */
function nodeText(n: LNode, indent: string): string {
  const child = (c: LNode) =>
    c.k === "block" ? ` ${nodeText(c, indent)}` : `\n${indent}  ${nodeText(c, `${indent}  `)}`;
  switch (n.k) {
    case "block":
      return `{${n.items.map((x) => `\n${indent}  ${nodeText(x, `${indent}  `)}`).join("")}\n${indent}}`;
    case "for":
      return (
        `for ${loopText(n)}${n.parallel ? " parallel" : ""}${n.when ? ` when ${intText(n.when)}` : ""}` + child(n.body)
      );
    case "if":
      return `if ${intText(n.cond)}${child(n.then)}${n.else ? `\n${indent}else${child(n.else)}` : ""}`;
    case "stmt":
      return `${n.name} ${n.kind} ${accessText(n.target)} ${n.op ?? ""}= ${valueText(n.value)}`;
    case "kernel":
      return `kernel ${n.name} ${dataText(n.plan as unknown as Data)}`;
    case "accumulate":
      return `accumulate ${accessText(n.target)} += ${valueText(n.value)} over ${n.loops.map(loopText).join(", ")}`;
    case "call":
      return `call ${n.fn}`;
  }
}

const loopText = (l: { it: string; init: LExpr; cond: LExpr; inc: LExpr }) =>
  `${l.it} = ${intText(l.init)} while ${intText(l.cond)} step ${intText(l.inc)}`;

function intText(e: LExpr): string {
  return e.k === "int" ? String(e.v) : e.k === "id" ? e.name : `(${e.op} ${e.args.map(intText).join(" ")})`;
}

const accessText = (a: Access) => `${a.array}[${a.index.map(intText).join(", ")}]`;

function valueText(v: VExpr): string {
  return v.k === "const"
    ? numText(v.v)
    : v.k === "read"
      ? accessText(v.at)
      : `(${v.op} ${v.args.map(valueText).join(" ")})`;
}

/** Parses `printLoops`'s text. */
export function parseLoops(text: string, fileName = "loops"): LoopProgram {
  const r = new TextReader(fileName, text);
  const lp: LoopProgram = {
    arrays: [],
    params: new Map(),
    sizes: [],
    inputs: [],
    outputs: [],
    body: { k: "block", items: [] },
    functions: [],
  };
  while (r.eat("array ")) lp.arrays.push(parseArray(r));
  if (r.eat("params ")) {
    do {
      const k = r.word(true);
      r.expect("=", true);
      lp.params.set(k, parseData(r) as number | string);
    } while (r.eat(",", true));
  }
  if (r.eat("sizes ")) while (!lineEnd(r)) lp.sizes.push(String(parseData(r)));
  for (
    let kind = r.match(/input|output|body/, "input, output or body");
    kind !== "body";
    kind = r.match(/input|output|body/, "input, output or body")
  ) {
    const name = r.word(true);
    r.expect("=", true);
    (kind === "input" ? lp.inputs : lp.outputs).push({ name, array: r.word(true), role: r.word(true) as BufferRole });
  }
  lp.body = parseNode(r);
  while (r.eat("function ")) {
    const at = r.pos;
    if (r.int(true) !== lp.functions.length) r.fail(`expected function ${lp.functions.length}`, at);
    r.expect("longs", true);
    const longs = names(r);
    r.expect("arrays", true);
    lp.functions.push({ longs, arrays: names(r), body: parseNode(r) });
  }
  if (!r.atEnd()) r.fail("expected a function or the end of the text");
  return lp;
}

function lineEnd(r: TextReader): boolean {
  r.spaces(true);
  return r.pos >= r.text.length || r.text[r.pos] === "\n";
}

function names(r: TextReader): string[] {
  r.expect("(", true);
  const out: string[] = [];
  while (!r.eat(")", true)) out.push(r.word(true));
  return out;
}

function parseDims(r: TextReader): Dim[] {
  return names(r).map((w) => (/^-?\d+$/.test(w) ? Number(w) : w));
}

function parseArray(r: TextReader): LoopArray {
  const name = r.word(true),
    shape = parseDims(r),
    role = r.word(true) as LoopArray["role"];
  const a: LoopArray = { name, shape, role, labels: [] };
  if (r.eat("interior", true)) a.interior = { lo: parseDims(r) as number[], shape: parseDims(r) };
  if (r.eat("wide", true)) a.wide = true;
  if (r.eat("origin", true)) a.origin = String(parseData(r));
  if (r.eat(";", true)) while (!lineEnd(r)) a.labels.push(String(parseData(r)));
  r.endLine();
  return a;
}

function parseNode(r: TextReader): LNode {
  r.spaces();
  const at = r.pos;
  if (r.eat("{")) {
    const items: LNode[] = [];
    while (!r.eat("}")) {
      if (r.atEnd()) r.fail("unclosed block", at);
      items.push(parseNode(r));
    }
    return { k: "block", items };
  }
  const head = r.word(true);
  switch (head) {
    case "for":
      return parseFor(r);
    case "if": {
      const cond = parseInt(r),
        then = parseNode(r);
      return r.eat("else") ? { k: "if", cond, then, else: parseNode(r) } : { k: "if", cond, then };
    }
    case "kernel":
      return { k: "kernel", name: r.word(true), plan: parseData(r) as unknown as KernelPlan };
    case "call":
      return { k: "call", fn: r.int(true) };
    case "accumulate": {
      const target = parseAccess(r);
      r.expect("+=", true);
      const value = parseValue(r);
      r.expect("over", true);
      const loops = [parseLoop(r)];
      while (r.eat(",", true)) loops.push(parseLoop(r));
      return { k: "accumulate", target, loops, value };
    }
    default:
      return parseStmt(r, head, at);
  }
}

function parseFor(r: TextReader): LNode {
  const l = parseLoop(r);
  const parallel = r.eat("parallel", true);
  const when = r.eat("when", true) ? parseInt(r) : undefined;
  const body = parseNode(r);
  return { k: "for", ...l, body, parallel, ...(when ? { when } : {}) };
}

function parseLoop(r: TextReader): { it: string; init: LExpr; cond: LExpr; inc: LExpr } {
  const it = r.word(true);
  r.expect("=", true);
  const init = parseInt(r);
  r.expect("while", true);
  const cond = parseInt(r);
  r.expect("step", true);
  return { it, init, cond, inc: parseInt(r) };
}

function parseStmt(r: TextReader, name: string, at: number): LNode {
  const kind = r.word(true);
  if (kind !== "def" && kind !== "init" && kind !== "update")
    return r.fail(`expected a node (for, if, {, kernel, accumulate, call or a statement), not "${name}"`, at);
  const target = parseAccess(r);
  const op = r.match(/(\+|<\.|>\.)?=/, "= or an update operator (+= <.= >.=)", true).slice(0, -1);
  const value = parseValue(r);
  return { k: "stmt", name, kind, ...(op ? { op: op as ReduceOp } : {}), target, value };
}

function parseInt(r: TextReader): LExpr {
  r.spaces(true);
  if (r.eat("(", true)) {
    const op = r.word(true) as IntOp;
    const args: LExpr[] = [];
    while (!r.eat(")", true)) args.push(parseInt(r));
    return { k: "op", op, args };
  }
  if (/[-0-9]/.test(r.text[r.pos] ?? "")) return { k: "int", v: r.int(true) };
  return { k: "id", name: r.word(true) };
}

function parseAccess(r: TextReader): Access {
  const array = r.word(true);
  r.expect("[", true);
  const index: LExpr[] = [];
  if (!r.eat("]", true)) {
    do index.push(parseInt(r));
    while (r.eat(",", true));
    r.expect("]", true);
  }
  return { array, index };
}

function parseValue(r: TextReader): VExpr {
  r.spaces(true);
  if (r.eat("(", true)) {
    const op = r.match(/[^\s()[\]{}]+/, "an operator", true) as DyadName | MapName;
    const args: VExpr[] = [];
    while (!r.eat(")", true)) args.push(parseValue(r));
    return { k: "call", op, args };
  }
  if (/[-0-9]/.test(r.text[r.pos] ?? "") || /^(inf|nan)\b/.test(r.text.slice(r.pos, r.pos + 4)))
    return { k: "const", v: r.num(true) };
  return { k: "read", at: parseAccess(r) };
}
