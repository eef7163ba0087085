/**
 * Graph → Poly program (reference §8.3). A node's statement iterates over all its levels'
 * frame axes, then the builtin's cell axes; an operand is indexed by the axes it owns
 * (broadcast by omission). Constants become expression leaves, never arrays.
 */
import { frameOf, operandAxes, type Graph, type PrimNode } from "../core/graph.js";
import { PRIMS } from "../core/prims.js";
import type { Dim } from "../core/shape.js";
import type { Ctx, IslMap, IslSet } from "./isl/index.js";
import { CELL_LOWERINGS } from "./lower_cells.js";
import { LiftError } from "../lang/diagnostics.js";
import {
  emptyProgram,
  paramOf,
  withParams,
  type PArray,
  type PExpr,
  type PolyProgram,
  type PStmt,
  type StmtKind,
} from "./program.js";

export function lower(ctx: Ctx, g: Graph): PolyProgram {
  const decls = [...g.outputs, ...g.grads.filter((d) => !g.outputs.some((o) => o.name === d.name))];
  const p = emptyProgram(ctx, g);
  const L = new Lowerer(p);
  for (const d of g.inputs) {
    const name = `v${d.node}`;
    p.arrays.set(name, { name, shape: [...d.shape], role: "input", labels: [d.name] });
    p.inputs.push({ name: d.name, array: name, role: g.params.includes(d.name) ? "parameter" : "input" });
  }
  for (const id of g.ancestors(decls.map((d) => d.node))) {
    const n = g.node(id);
    if (n.kind === "prim") L.node(n);
  }
  // Each output gets an array of its own: a constant gets a defining statement, and an array
  // that is already another output's is copied.
  let order = g.nodes.length;
  for (const d of decls) {
    const n = g.node(d.node);
    let array = `v${d.node}`;
    const taken = p.outputs.some((o) => o.array === array);
    if (n.kind === "const" || taken) {
      array = taken ? `${array}_${d.name.replace(/[^A-Za-z0-9]/g, "")}${p.outputs.length}` : array;
      p.arrays.set(array, { name: array, shape: [...n.shape], role: "output", labels: [d.name] });
      const src: PExpr =
        n.kind === "const"
          ? { k: "const", v: n.value }
          : L.read(
              d.node,
              n.shape.map((_, i) => i),
              `S${p.nextStmt}`,
              [...n.shape],
            );
      L.stmt(
        "def",
        order++,
        array,
        [...n.shape],
        n.shape.map((_, i) => i),
        src,
      );
    } else {
      const a = p.arrays.get(array)!;
      a.role = "output";
      a.labels.unshift(d.name);
    }
    p.outputs.push({ name: d.name, array, role: g.grads.some((x) => x.name === d.name) ? "gradient" : "output" });
  }
  for (const [name, id] of g.names) {
    const a = p.arrays.get(`v${id}`);
    if (a && !a.labels.includes(name)) a.labels.push(name);
  }
  return p;
}

class Lowerer {
  constructor(private readonly p: PolyProgram) {}
  private get g() {
    return this.p.graph;
  }

  /** An isl size expression for a dimension, registering its parameter. */
  size(d: Dim): string {
    const q = paramOf(d, this.g);
    if (typeof q === "number") return String(q);
    this.p.params.set(q, d);
    return q;
  }

  /** `{ S[i0..] : 0 <= ik < extent_k }`, or with `target` the access `{ S[i0..] -> A[index] : … }`. */
  private islText(stmt: string, extents: Dim[], target?: string): string {
    const its = extents.map((_, i) => `i${i}`);
    const cons = extents.map((d, i) => `0 <= i${i} < ${this.size(d)}`);
    return `{ ${stmt}[${its.join(", ")}]${target ? ` -> ${target}` : ""}${cons.length ? ` : ${cons.join(" and ")}` : ""} }`;
  }

  /**
   * isl objects parsed once per distinct text with placeholder tuple names, then renamed: a parse
   * costs ~0.1 ms and a rename ~2 µs, and a deep program has few shapes but many statements.
   */
  private readonly parsed = new Map<string, IslSet | IslMap>();
  private template<T extends IslSet | IslMap>(text: string, parse: (t: string) => T): T {
    let t = this.parsed.get(text) as T | undefined;
    if (!t) this.parsed.set(text, (t = parse(withParams(this.p, text))));
    return t;
  }
  private domain(stmt: string, extents: Dim[]): IslSet {
    return this.template(this.islText("S", extents), (t) => this.p.ctx.set(t)).setTupleName(stmt);
  }
  /** `{ stmt[i…] -> array[index] }` over the statement's domain. */
  private access(stmt: string, extents: Dim[], array: string, index: string[]): IslMap {
    const t = this.template(this.islText("S", extents, `A[${index.join(", ")}]`), (x) => this.p.ctx.map(x));
    const named = t.setTupleName("in", stmt);
    const r = named.setTupleName("out", array);
    named.free();
    return r;
  }

  /** A read of node `id` (an array, or a constant leaf) at the given iterator positions. */
  read(id: number, axes: number[], stmt: string, extents?: Dim[], index?: string[]): PExpr {
    const n = this.g.node(id);
    if (n.kind === "const") return { k: "const", v: n.value };
    const at = index ?? axes.map((a) => `i${a}`);
    return { k: "read", array: `v${id}`, access: this.access(stmt, extents ?? [], `v${id}`, at) };
  }

  /** Adds a statement over `extents` writing `array` at the iterators `axes` (or `index`). */
  stmt(
    kind: StmtKind,
    order: number,
    array: string,
    extents: Dim[],
    axes: number[],
    expr: PExpr | ((stmt: string) => PExpr),
    op?: PStmt["op"],
    index?: string[],
  ): PStmt {
    const name = `S${this.p.nextStmt++}`;
    const domain = this.domain(name, extents);
    const write = this.access(name, extents, array, index ?? axes.map((a) => `i${a}`));
    const s: PStmt = {
      name,
      kind,
      order,
      domain,
      array,
      write,
      expr: typeof expr === "function" ? expr(name) : expr,
      ...(op ? { op } : {}),
    };
    this.p.stmts.push(s);
    return s;
  }

  node(n: PrimNode): void {
    const z = `v${n.id}`;
    this.p.arrays.set(z, { name: z, shape: [...n.shape], role: "temp", labels: [] });
    const entry = PRIMS[n.prim];
    const shape = n.shape;
    const all = shape.map((_, i) => i);
    const order = n.id;
    if (entry.kind === "dyad") {
      this.stmt("def", order, z, [...shape], all, (S) => ({
        k: "call",
        op: n.prim as never,
        args: [0, 1].map((k) => this.read(n.args[k]!, operandAxes(n, k), S, [...shape])),
      }));
      return;
    }
    const y = n.args[0]!;
    const yShape = this.g.node(y).shape;
    if (entry.kind === "map") {
      this.stmt("def", order, z, [...shape], all, (S) => ({
        k: "call",
        op: n.prim as never,
        args: [this.read(y, all, S, [...shape])],
      }));
      return;
    }
    const shapeZ = [...shape],
      shapeY = [...yShape];
    CELL_LOWERINGS[n.prim as keyof typeof CELL_LOWERINGS]({
      // kind "cell" is exactly CELL_LOWERINGS' keys
      n,
      shape,
      yShape,
      F: frameOf(n).length,
      size: (d) => this.size(d),
      gather: (index) => {
        this.stmt("def", order, z, shapeZ, all, (S) => this.read(y, [], S, shapeZ, index));
      },
      scatter: (op, identity, index) => {
        this.stmt("init", order, z, shapeZ, all, { k: "const", v: identity });
        const at = index();
        const every = yShape.map((_, i) => `i${i}`);
        this.stmt("update", order, z, shapeY, [], (S) => this.read(y, [], S, shapeY, every), op, at);
      },
    });
  }
}
