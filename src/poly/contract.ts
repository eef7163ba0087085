/**
 * Array contraction (reference §8.4), as exact isl set tests over the Poly program:
 *  - convert-single-update: a reduction whose elements are each updated at most once becomes
 *    plain definitions (and constant definitions where nothing updates);
 *  - retarget-reduction: a reduction read exactly once per element, by a copy, `R op w`, or an
 *    update with the same op, is written straight into its reader's array;
 *  - forward-substitute: a defined array read at most once per element (counting each read in an
 *    expression apart: `V * V` reads every element twice), or whose definition is a copy or a
 *    constant, or a single cheap operation read at most twice (CHEAP_OPS, CHEAP_USES), is
 *    substituted into its readers (pieces per defining statement), as long as the
 *    result stays at most INLINE_LIMIT operations, so that a chain of single uses does not grow
 *    one expression as deep as the program;
 *  - simplify, remove-dummy-updates, remove-dead.
 * No element is ever recomputed: expressions are only inlined where each value is used once.
 */
import type { IslMap, IslSet, UnionMap } from "./isl/index.js";
import { reads, type PExpr, type PolyProgram, type PStmt } from "./program.js";
import { accessIndex } from "./order.js";
import { StmtIndex } from "./stmt-index.js";
import { PRIMS } from "../core/prims.js";
import { REDUCE_IDENTITY } from "../core/prims.js";

type Read = Extract<PExpr, { k: "read" }>;

/** The most operations (calls and reads) one statement's expression may reach by substitution. */
export const INLINE_LIMIT = 64;
/** An array read by more reads than this (in all statements) is kept without asking isl whether each element is read once. */
const MAX_READS = 16;
/** Operations cheap enough to compute again rather than store, and in how many reads at most. */
const CHEAP_OPS: ReadonlySet<string> = new Set(["+", "-", "*", "==", "<.", ">."]);
const CHEAP_USES = 2;

export interface ContractStats {
  [pass: string]: number;
}

/** The parameter values known at compile time, as an isl context (symbolic sizes ≥ 1). */
export function knownContext(p: PolyProgram): IslSet {
  const names = [...p.params.keys()];
  const cons = names.map((q) => {
    const v = p.params.get(q)!;
    return typeof v === "number" ? `${q} = ${v}` : `${q} >= 1`;
  });
  return p.ctx.set(`[${names.join(", ")}] -> { : ${cons.length ? cons.join(" and ") : "true"} }`);
}

export function contract(p: PolyProgram, stats: ContractStats = {}): ContractStats {
  const c = new Contractor(p);
  const bump = (k: string, n: number) => {
    stats[k] = (stats[k] ?? 0) + n;
    return n;
  };
  for (let round = 0; round < 50; round++) {
    let changed = 0;
    changed += bump("convert-single-update", c.convertSingleUpdates());
    changed += bump("retarget-reduction", c.retargetReductions());
    changed += bump("forward-substitute", c.forwardSubstitute());
    changed += bump("simplify", c.simplifyAll());
    changed += bump("remove-dead", c.removeDead());
    if (!changed) break;
  }
  p.stmts = c.stmts.list();
  return stats;
}

class Contractor {
  private readonly known: IslSet;
  /** The statements, indexed by the arrays they write and read (p.stmts is set from it at the end). */
  readonly stmts: StmtIndex;
  constructor(private readonly p: PolyProgram) {
    this.known = knownContext(p);
    this.stmts = new StmtIndex(p.stmts);
  }

  private fresh(): string {
    return `S${this.p.nextStmt++}`;
  }
  private writers(a: string): PStmt[] {
    return this.stmts.writers(a);
  }
  private readersOf(a: string): PStmt[] {
    return this.stmts.readers(a);
  }
  private readCount(a: string): number {
    return this.stmts.readCount(a);
  }
  /** Every read of `a` reads each element at most once (over its statement's instances). */
  private eachReadOnce(a: string): boolean {
    return this.readersOf(a).every((s) => this.stmts.readsOf(s).every((r) => r.array !== a || r.access.isInjective()));
  }
  private temp(a: string): boolean {
    return this.p.arrays.get(a)?.role === "temp";
  }
  /** Empty for the sizes this program will run with (symbolic ones: any ≥ 1). */
  private emptyReal(s: IslSet): boolean {
    return freed(s.intersectParams(this.known), (x) => x.isEmpty());
  }

  /**
   * Reader instance → element of `a`, over every read. With `apart`, each read of an expression
   * has a domain of its own, so two reads of one element in one instance (V * V) are two uses.
   */
  private useMap(a: string, apart = false): UnionMap | undefined {
    let u: UnionMap | undefined;
    for (const s of this.readersOf(a))
      this.stmts.readsOf(s).forEach((r, k) => {
        if (r.array !== a) return;
        const m = (apart ? r.access.setTupleName("in", `${s.name}_use${k}`) : r.access).toUnion();
        u = u ? u.union(m) : m;
      });
    return u;
  }

  /**
   * `s` (with `patch`) over `domain` under a fresh name. With `whole` the domain holds all of the
   * maps' domains, so they are only renamed: intersecting them was most of contraction's isl work.
   */
  private renamed(s: PStmt, domain: IslSet, patch: Partial<PStmt>, whole = false): PStmt {
    const name = this.fresh();
    const rn = (m: IslMap) =>
      whole ? m.setTupleName("in", name) : freed(m.intersectDomain(domain), (x) => x.setTupleName("in", name));
    const mapExpr = (e: PExpr): PExpr =>
      e.k === "read" ? { ...e, access: rn(e.access) } : e.k === "call" ? { ...e, args: e.args.map(mapExpr) } : e;
    // Only the maps the result keeps are renamed (the patch's write and expression replace s's).
    const write = rn(patch.write ?? s.write),
      expr = mapExpr(patch.expr ?? s.expr);
    return { ...s, ...patch, name, domain: domain.setTupleName(name), write, expr };
  }

  convertSingleUpdates(): number {
    let n = 0;
    for (const [a] of this.p.arrays) {
      const ws = this.writers(a);
      const ups = ws.filter((s) => s.kind === "update");
      if (!ups.length || ws.some((s) => s.kind === "def")) continue;
      let updated = ups[0]!.write.toUnion();
      for (const u of ups.slice(1)) updated = updated.union(u.write.toUnion());
      if (!updated.isInjective()) continue;
      const elems = updated.range();
      for (const s of ws) {
        if (s.kind === "update") {
          this.stmts.add({ ...s, kind: "def", expr: s.expr, op: undefined } as PStmt);
          continue;
        }
        // init: keep only the elements no update writes, as constant definitions
        const keep = s.domain.subtract(s.write.toUnion().intersectRange(elems).domain().extractSet(s.domain.space()));
        if (!this.emptyReal(keep))
          this.stmts.add({ ...s, kind: "def", domain: keep, write: s.write.intersectDomain(keep) });
        else this.stmts.delete(s);
      }
      n++;
    }
    return n;
  }

  retargetReductions(): number {
    let n = 0;
    for (const [a] of [...this.p.arrays]) {
      if (!this.temp(a)) continue;
      const ws = this.writers(a);
      const ups = ws.filter((s) => s.kind === "update");
      if (!ups.length || ws.some((s) => s.kind === "def") || !ws.some((s) => s.kind === "init")) continue;
      const op = ups[0]!.op!;
      if (ups.some((u) => u.op !== op)) continue;
      const use = this.useMap(a);
      if (!use || !use.isInjective()) continue;
      const readers = this.readersOf(a);
      const forms = readers.map((r) => this.readerForm(r, a, op));
      if (forms.some((f) => f === null)) continue;
      const next: PStmt[] = [];
      // Retargeting through a strided map (a pooling stride) would turn the reduction's dense
      // writes into strided ones in its hottest loop; such a reduction keeps its own array.
      if (
        readers.some(
          (r) =>
            !unitStride(r.write, r.domain.dim("set")) ||
            !unitStride(reads(r.expr).find((x) => x.array === a)!.access, r.domain.dim("set")),
        )
      )
        continue;
      for (const s of [...ws, ...readers]) this.stmts.delete(s);
      readers.forEach((r, i) => {
        const f = forms[i]!;
        const acc = reads(r.expr).find((x) => x.array === a)!.access;
        const phi = acc.reverse().applyRange(r.write); // R element → Z element
        for (const s of ws) {
          if (f.kind === "update" && s.kind === "init") continue;
          const w = s.write.applyRange(phi);
          const dom = w.domain();
          if (this.emptyReal(dom)) continue;
          // It now writes the reader's array, so it runs where the reader did (after Z's own init).
          next.push(this.renamed(s, dom, { array: r.array, write: w, order: r.order }));
        }
        if (f.kind === "op") next.push(this.renamed(r, r.domain, { kind: "update", op, expr: f.rest }));
      });
      for (const s of next) this.stmts.add(s);
      n++;
    }
    return n;
  }

  /** How a statement reads reduction array `a`: a copy, `a op rest`, or an update `Z op= a`. */
  private readerForm(
    r: PStmt,
    a: string,
    op: string,
  ): { kind: "copy" } | { kind: "op"; rest: PExpr } | { kind: "update" } | null {
    const e = r.expr;
    if (r.kind === "def" && e.k === "read" && e.array === a) return { kind: "copy" };
    if (r.kind === "update" && r.op === op && e.k === "read" && e.array === a) return { kind: "update" };
    if (r.kind === "def" && e.k === "call" && e.op === op && e.args.length === 2) {
      const [x, y] = e.args as [PExpr, PExpr];
      if (x.k === "read" && x.array === a && !reads(y).some((q) => q.array === a)) return { kind: "op", rest: y };
      if (y.k === "read" && y.array === a && !reads(x).some((q) => q.array === a)) return { kind: "op", rest: x };
    }
    return null;
  }

  forwardSubstitute(): number {
    let n = 0;
    for (const [a] of [...this.p.arrays]) {
      if (!this.temp(a)) continue;
      const defs = this.writers(a);
      if (!defs.length || defs.some((s) => s.kind !== "def")) continue;
      // Constants and unit-stride copies are substituted even into several readers: that costs only
      // index arithmetic. A strided copy (a pooling stride) is kept as its own dense array when it
      // is read more than once, so the heavy loops that read it see contiguous data.
      const copies = defs.every(
        (d) => d.expr.k === "const" || (d.expr.k === "read" && unitStride(d.expr.access, d.domain.dim("set"))),
      );
      // The cost model: recomputing one cheap operation of loaded values (a tie test `z == y`, a
      // sum) at most CHEAP_USES times per element costs less than storing and reloading it.
      const oneOp = defs.every(
        (d) => d.expr.k === "call" && CHEAP_OPS.has(d.expr.op) && d.expr.args.every((x) => x.k !== "call"),
      );
      const cheap = copies || (oneOp && this.readCount(a) <= CHEAP_USES && this.eachReadOnce(a));
      const readers = this.readersOf(a);
      if (!readers.length) continue;
      if (!cheap) {
        // The cheap tests first: isl's injectivity test grows fast with the number of reads.
        if (this.readCount(a) > MAX_READS) continue;
        const defSize = Math.max(...defs.map((d) => exprSize(d.expr)));
        if (readers.some((r) => exprSize(r.expr) + defSize > INLINE_LIMIT)) continue;
        const use = this.useMap(a, true);
        if (!use || !use.isInjective()) continue;
      }
      const out: PStmt[] = [];
      let ok = true;
      for (const r of readers) {
        const pieces = this.substitute(r, a, defs);
        if (!pieces) {
          ok = false;
          break;
        }
        out.push(...pieces);
      }
      if (!ok) continue;
      for (const s of [...readers, ...defs]) this.stmts.delete(s);
      for (const s of out) this.stmts.add(s);
      n++;
    }
    return n;
  }

  /** Splits reader `r` by which definition of `a` each of its reads of `a` sees, and inlines it. */
  private substitute(r: PStmt, a: string, defs: PStmt[]): PStmt[] | null {
    const leaf = reads(r.expr).find((x) => x.array === a);
    if (!leaf) return [r];
    let covered: IslSet | undefined;
    const pieces: PStmt[] = [];
    for (const d of defs) {
      const m = freed(d.write.reverse(), (w) => leaf.access.applyRange(w)); // reader instance → def instance
      const dom = m.domain();
      if (this.emptyReal(dom)) continue;
      // One definition covering the whole reader (a chain's case): no intersections, nothing left.
      const whole = !covered && r.domain.isSubset(dom);
      covered = covered ? covered.union(dom) : dom;
      const inlined = composeInto(d.expr, m);
      const piece = this.renamed(r, dom, { expr: replaceLeaf(r.expr, leaf, inlined) }, whole);
      // The composed maps were copied into the piece: a deep program's isl heap is otherwise gigabytes.
      for (const x of reads(inlined)) x.access.free();
      m.free();
      const rest = this.substitute(piece, a, defs);
      if (!rest) return null;
      if (whole) return rest;
      pieces.push(...rest);
    }
    // A part of the reader that no definition covers must not exist for the real sizes.
    const left = covered ? r.domain.subtract(covered) : r.domain;
    if (!this.emptyReal(left)) return null;
    return pieces;
  }

  simplifyAll(): number {
    let n = 0;
    for (const s of this.stmts.list()) {
      const e = simplify(s.expr);
      if (e !== s.expr) n++;
      // An update that adds the identity changes nothing.
      if (s.kind === "update" && e.k === "const" && e.v === REDUCE_IDENTITY[s.op!]) {
        n++;
        this.stmts.delete(s);
        continue;
      }
      if (e !== s.expr) this.stmts.add({ ...s, expr: e });
    }
    return n;
  }

  removeDead(): number {
    // A worklist: removing a dead array's statements can leave the arrays they read unread.
    let n = 0;
    const dead = [...this.p.arrays.values()]
      .filter((a) => a.role === "temp" && !this.stmts.isRead(a.name))
      .map((a) => a.name);
    while (dead.length) {
      const d = dead.pop()!;
      if (!this.p.arrays.delete(d)) continue;
      n++;
      for (const s of this.writers(d)) {
        this.stmts.delete(s);
        for (const r of this.stmts.readsOf(s))
          if (this.temp(r.array) && !this.stmts.isRead(r.array)) dead.push(r.array);
      }
    }
    return n;
  }
}

/** f(x), then x freed (x is a temporary no statement holds). */
function freed<T extends { free(): void }, R>(x: T, f: (x: T) => R): R {
  try {
    return f(x);
  } finally {
    x.free();
  }
}

/** Operations in an expression: calls and reads (constants are free). */
function exprSize(e: PExpr): number {
  return e.k === "call" ? 1 + e.args.reduce((n, x) => n + exprSize(x), 0) : e.k === "read" ? 1 : 0;
}

/** The definition's expression as seen from the reader: its reads composed with m (reader → def instance). */
function composeInto(e: PExpr, m: IslMap): PExpr {
  if (e.k === "read") return { k: "read", array: e.array, access: m.applyRange(e.access) };
  if (e.k === "call") return { ...e, args: e.args.map((x) => composeInto(x, m)) };
  return e;
}

function replaceLeaf(e: PExpr, leaf: Read, by: PExpr): PExpr {
  if (e === leaf) return by;
  if (e.k === "call") return { ...e, args: e.args.map((x) => replaceLeaf(x, leaf, by)) };
  return e;
}

/** Constant folding and the identities x+0, x−0, x·1, x·0 → 0 (as the original; not IEEE-exact for inf/NaN). */
export function simplify(e: PExpr): PExpr {
  if (e.k !== "call") return e;
  const args = e.args.map(simplify);
  const changed = args.some((a, i) => a !== e.args[i]);
  if (args.every((a) => a.k === "const")) {
    const entry = PRIMS[e.op];
    const vals = args.map((a) => (a as { v: number }).v);
    return {
      k: "const",
      v: entry.kind === "dyad" ? entry.fn(vals[0]!, vals[1]!) : (entry as { fn: (a: number) => number }).fn(vals[0]!),
    };
  }
  const [x, y] = args;
  const isC = (a: PExpr | undefined, v: number) => a?.k === "const" && a.v === v;
  switch (e.op) {
    case "+":
      if (isC(x, 0)) return y!;
      if (isC(y, 0)) return x!;
      break;
    case "-":
      if (isC(y, 0)) return x!;
      break;
    case "*":
      if (isC(x, 1)) return y!;
      if (isC(y, 1)) return x!;
      if (isC(x, 0) || isC(y, 0)) return { k: "const", v: 0 };
      break;
    case "/":
      if (isC(y, 1)) return x!;
      if (isC(x, 0)) return { k: "const", v: 0 };
      break;
  }
  return changed ? { ...e, args } : e;
}

function unitStride(access: IslMap, iters: number): boolean {
  return accessIndex(access, iters).every((e) => e !== null && [...e.values()].every((c) => Math.abs(c) <= 1));
}
