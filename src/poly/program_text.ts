/**
 * The Poly program's text form (the `lower`, `contract`, `kernels`, `order` dumps and the golden
 * `.poly` files) and its parser: `parsePoly(ctx, g, printPoly(p))` gives a program equal to `p`
 * (`polyDifferences` finds none) that prints identically.
 *
 *   params n2 = 2, n6 = 6, s0 = N
 *   array v0 (6 6) input  ; Image
 *   array v0p0 (8 10) temp interior (1 1) (6 6)  ; "Image padded"
 *   array v7w (4) temp wide  ; B
 *   input Image = v0 input
 *   output Conv = v6 output
 *   next 22
 *   S4 def @6 [n2, n6] -> { S4[i0, i1, i2] : 0 <= i0 < n2 and 0 <= i1 < n6 and 0 <= i2 < n6 }
 *       v6[i0, i1, i2] = (+ v5[i0, i1, i2] v2[i0])
 *   S18 update @6 { S18[] }
 *       { S18[] -> v6[o0, o1, o2] : 0 <= o0 <= 1 and … } += (* { S18[] -> v1[…] : … } …)
 *       kernel {form: axpy, iters: [{name: i0, extent: 2, role: r}, …], z: {array: v6, …}, …}
 *
 * Statements are listed in the program's order, each a header (name, kind, topological order,
 * isl domain), its assignment and, after kernel recognition, its plan as data (core/data_text.ts).
 * An access is `array[index]` when it is the function `{ S[domain iterators] -> array[index] }`;
 * otherwise (a relation, as a kernel's one instance reads whole regions) the isl map itself, so
 * every iterator in the text is bound.
 */
import type { Graph } from "../core/graph.js";
import type { ReduceOp } from "../core/params.js";
import type { DyadName, MapName } from "../core/prims.js";
import type { Dim } from "../core/shape.js";
import { dataText, parseData, type Data } from "../core/data_text.js";
import { numText, TextReader } from "../core/text_reader.js";
import type { BufferRole, KernelPlan } from "../loop/ast.js";
import type { Ctx, IslMap, IslSet } from "./isl/index.js";
import { emptyProgram, type ArrayRole, type PArray, type PExpr, type PolyProgram, type PStmt } from "./program.js";

export function printPoly(p: PolyProgram): string {
  const lines: string[] = [];
  if (p.params.size) lines.push(`params ${[...p.params].map(([k, v]) => `${k} = ${dataText(v)}`).join(", ")}`);
  for (const a of p.arrays.values()) lines.push(arrayLine(a));
  for (const b of p.inputs) lines.push(`input ${b.name} = ${b.array} ${b.role}`);
  for (const b of p.outputs) lines.push(`output ${b.name} = ${b.array} ${b.role}`);
  lines.push(`next ${p.nextStmt}`);
  for (const s of p.stmts) lines.push(...stmtLines(p, s));
  return lines.join("\n") + "\n";
}

const dims = (d: readonly Dim[]) => `(${d.join(" ")})`;

function arrayLine(a: PArray): string {
  const interior = a.interior ? ` interior ${dims(a.interior.lo)} ${dims(a.interior.shape)}` : "";
  const labels = a.labels.length ? `  ; ${a.labels.map(dataText).join(" ")}` : "";
  return `array ${a.name} ${dims(a.shape)} ${a.role}${interior}${a.wide ? " wide" : ""}${labels}`;
}

function stmtLines(p: PolyProgram, s: PStmt): string[] {
  const c = accessCtx(p, s.domain);
  const lines = [
    `${s.name} ${s.kind} @${numText(s.order)} ${c.domain}`,
    `    ${accessText(c, s.write)} ${s.op ?? ""}= ${exprText(c, s.expr)}`,
  ];
  if (s.kernel) lines.push(`    kernel ${dataText(s.kernel as unknown as Data)}`);
  return lines;
}

function exprText(c: AccessCtx, e: PExpr): string {
  switch (e.k) {
    case "const":
      return numText(e.v);
    case "read":
      return accessText(c, e.access);
    case "call":
      return `(${e.op} ${e.args.map((a) => exprText(c, a)).join(" ")})`;
  }
}

/**
 * `v5[i0, 1 + i1]` when the map is exactly that function of the domain's iterators on the
 * statement's domain (isl prints it as the domain's text with `-> v5[…]` after the tuple), else
 * the map itself.
 */
function accessText(c: AccessCtx, m: IslMap): string {
  const s = canonical(m, (t) => c.p.ctx.map(t));
  if (s.startsWith(c.before) && s.endsWith(c.after)) {
    const range = s.slice(c.before.length, s.length - c.after.length);
    return /^[A-Za-z_][A-Za-z0-9_]*\[[^\]]*\]$/.test(range) ? range : s;
  }
  // The texts can differ where the maps do not (isl lists a map's parameters in the order it
  // met them): read the short form back on the domain and ask isl whether it is the same map.
  const range = /\{ [^{}]*?\] -> ([A-Za-z_][A-Za-z0-9_]*\[[^\]]*\])( :| \})/.exec(s)?.[1];
  return range !== undefined && sameMap(c, m, range) ? range : s;
}

function sameMap(c: AccessCtx, m: IslMap, range: string): boolean {
  let short: IslMap | undefined;
  try {
    short = c.p.ctx.map(`${c.before}${range}${c.after}`);
    return short.isEqual(m);
  } catch {
    return false; // a name the domain does not have: keep the map's own text
  } finally {
    short?.free();
  }
}

/** The domain's text split after its tuple: an access `array[…]` is the map `before array[…] after`. */
interface AccessCtx {
  p: PolyProgram;
  domain: string;
  before: string;
  after: string;
}
function accessCtx(p: PolyProgram, domain: IslSet): AccessCtx {
  const t = canonical(domain, (x) => p.ctx.set(x));
  const end = t.indexOf("]", t.indexOf("{")) + 1;
  return { p, domain: t, before: `${t.slice(0, end)} -> `, after: t.slice(end) };
}

/**
 * isl's text of an object, as isl prints it again once it has read it: the order of a union's
 * pieces depends on how the object was built, so a set made by subtraction and the same set
 * read from text print their pieces in different orders. Only texts with pieces are re-read.
 */
function canonical(o: IslSet | IslMap, read: (text: string) => IslSet | IslMap): string {
  const t = o.toString();
  if (!/ or |;/.test(t)) return t;
  const again = read(t);
  const text = again.toString();
  again.free();
  return text;
}

/** Parses `printPoly`'s text into a program over `ctx` for graph `g` (the text does not hold the graph). */
export function parsePoly(ctx: Ctx, g: Graph, text: string, fileName = "poly"): PolyProgram {
  const r = new TextReader(fileName, text);
  const p = emptyProgram(ctx, g);
  if (r.eat("params ")) {
    do {
      const k = r.word(true);
      r.expect("=", true);
      p.params.set(k, parseData(r) as number | string);
    } while (r.eat(",", true));
  }
  while (r.eat("array ")) {
    const a = parseArray(r);
    p.arrays.set(a.name, a);
  }
  for (
    let kind = r.match(/input|output|next/, "input, output or next");
    kind !== "next";
    kind = r.match(/input|output|next/, "input, output or next")
  ) {
    const name = r.word(true);
    r.expect("=", true);
    (kind === "input" ? p.inputs : p.outputs).push({ name, array: r.word(true), role: r.word(true) as BufferRole });
  }
  p.nextStmt = r.int(true);
  while (!r.atEnd()) p.stmts.push(parseStmt(r, p));
  return p;
}

function parseDims(r: TextReader): Dim[] {
  r.expect("(", true);
  const out: Dim[] = [];
  while (!r.eat(")", true)) {
    const w = r.word(true);
    out.push(/^-?\d+$/.test(w) ? Number(w) : w);
  }
  return out;
}

function parseArray(r: TextReader): PArray {
  const name = r.word(true),
    shape = parseDims(r),
    role = r.word(true) as ArrayRole;
  const a: PArray = { name, shape, role, labels: [] };
  if (r.eat("interior", true)) a.interior = { lo: parseDims(r) as number[], shape: parseDims(r) };
  if (r.eat("wide", true)) a.wide = true;
  if (r.eat(";", true)) {
    for (r.spaces(true); r.pos < r.text.length && r.text[r.pos] !== "\n"; r.spaces(true))
      a.labels.push(String(parseData(r)));
  }
  r.endLine();
  return a;
}

function parseStmt(r: TextReader, p: PolyProgram): PStmt {
  const name = r.word(),
    kind = r.match(/def|init|update/, "def, init or update", true) as PStmt["kind"];
  r.expect("@", true);
  const order = r.num(true);
  r.spaces(true);
  const at = r.pos;
  const domain = isl(r, p, (t) => p.ctx.set(t), r.restOfLine().trim(), at);
  const ctx = accessCtx(p, domain);
  r.spaces();
  const write = parseAccess(r, ctx);
  const op = r.match(/(\+|<\.|>\.)?=/, "= or an update operator (+= <.= >.=)").slice(0, -1);
  const s: PStmt = { name, kind, order, domain, array: write.array, write: write.access, expr: parseExpr(r, ctx) };
  if (op) s.op = op as ReduceOp;
  if (r.eat("kernel ")) s.kernel = parseData(r) as unknown as KernelPlan;
  return s;
}

/** An isl object from its text; a size parameter the program does not have is an error, not a new one. */
function isl<T>(r: TextReader, p: PolyProgram, make: (text: string) => T, text: string, at: number): T {
  const declared =
    /^\[([^\]]*)\] ->/
      .exec(text)?.[1]
      ?.split(",")
      .map((x) => x.trim())
      .filter(Boolean) ?? [];
  const unknown = declared.find((x) => !p.params.has(x));
  if (unknown) r.fail(`"${unknown}" is not a size parameter of the program`, at);
  try {
    return make(text);
  } catch (e) {
    return r.fail(`isl cannot read "${text}": ${(e as Error).message}`, at);
  }
}

/** Names in a short access's index must be the statement's iterators or size parameters. */
function checkIndex(r: TextReader, c: AccessCtx, index: string, at: number): void {
  const tuple = c.before.slice(c.before.lastIndexOf("[") + 1);
  const iters = new Set(tuple.match(/[A-Za-z_]\w*/g) ?? []);
  for (const name of index.match(/[A-Za-z_]\w*/g) ?? []) {
    if (!iters.has(name) && !c.p.params.has(name) && name !== "floor" && name !== "mod")
      r.fail(`"${name}" is neither an iterator of the statement nor a size parameter`, at);
  }
}

function parseAccess(r: TextReader, c: AccessCtx): { array: string; access: IslMap } {
  r.spaces(true);
  const start = r.pos;
  if (r.peek("[", true) || r.peek("{", true)) {
    if (r.eat("[", true)) {
      r.balanced("[", "]");
      r.expect("->", true);
    }
    r.expect("{", true);
    r.balanced("{", "}");
    const access = isl(r, c.p, (t) => c.p.ctx.map(t), r.text.slice(start, r.pos), start);
    return { array: access.tupleName("out") ?? r.fail("an access map must name its array", start), access };
  }
  const array = r.word(true);
  r.expect("[", true);
  const index = r.balanced("[", "]");
  checkIndex(r, c, index, start);
  return { array, access: isl(r, c.p, (t) => c.p.ctx.map(t), `${c.before}${array}[${index}]${c.after}`, start) };
}

function parseExpr(r: TextReader, c: AccessCtx): PExpr {
  r.spaces(true);
  if (r.eat("(", true)) {
    const op = r.match(/[^\s()[\]{}]+/, "an operator", true) as DyadName | MapName;
    const args: PExpr[] = [];
    while (!r.eat(")", true)) args.push(parseExpr(r, c));
    return { k: "call", op, args };
  }
  if (/[-0-9]/.test(r.text[r.pos] ?? "") || /^(inf|nan)\b/.test(r.text.slice(r.pos, r.pos + 4)))
    return { k: "const", v: r.num(true) };
  const { array, access } = parseAccess(r, c);
  return { k: "read", array, access };
}

/**
 * Where two programs differ, as messages (none: equal). Sets and maps are compared by isl as sets
 * of points; the rest structurally, statements in list order.
 */
export function polyDifferences(a: PolyProgram, b: PolyProgram): string[] {
  const out: string[] = [];
  const same = (what: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${what}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  };
  same("arrays", [...a.arrays], [...b.arrays]);
  same("params", [...a.params], [...b.params]);
  same("inputs", a.inputs, b.inputs);
  same("outputs", a.outputs, b.outputs);
  same("nextStmt", a.nextStmt, b.nextStmt);
  same(
    "statements",
    a.stmts.map((s) => s.name),
    b.stmts.map((s) => s.name),
  );
  a.stmts.forEach((s, i) => {
    const t = b.stmts[i];
    if (!t) return;
    same(
      `${s.name}`,
      { k: s.kind, o: s.order, a: s.array, op: s.op, kernel: s.kernel },
      { k: t.kind, o: t.order, a: t.array, op: t.op, kernel: t.kernel },
    );
    if (!s.domain.isEqual(t.domain)) out.push(`${s.name} domain: ${s.domain} vs ${t.domain}`);
    if (!s.write.isEqual(t.write)) out.push(`${s.name} write: ${s.write} vs ${t.write}`);
    exprDifferences(s.name, s.expr, t.expr, out);
  });
  return out;
}

function exprDifferences(at: string, x: PExpr, y: PExpr, out: string[]): void {
  if (x.k !== y.k) {
    out.push(`${at}: ${x.k} vs ${y.k}`);
    return;
  }
  if (x.k === "const" && y.k === "const") {
    if (!Object.is(x.v, y.v)) out.push(`${at}: ${x.v} vs ${y.v}`);
    return;
  }
  if (x.k === "read" && y.k === "read") {
    if (x.array !== y.array || !x.access.isEqual(y.access)) out.push(`${at}: read ${x.access} vs ${y.access}`);
    return;
  }
  if (x.k === "call" && y.k === "call") {
    if (x.op !== y.op || x.args.length !== y.args.length) {
      out.push(`${at}: ${x.op}/${x.args.length} vs ${y.op}/${y.args.length}`);
      return;
    }
    x.args.forEach((e, i) => exprDifferences(at, e, y.args[i]!, out));
  }
}
