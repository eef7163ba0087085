/**
 * The statement list of a Poly program with indexes by written and by read array, for
 * contraction (issue 10): asking "who writes / reads array a" by scanning every statement made
 * contraction quadratic in the program's length. The list keeps the order the array form had:
 * a replacement keeps its place, a new statement goes last, so `list()` is what the array
 * operations (filter, then append) produced.
 */
import { reads, type PExpr, type PStmt } from "./program.js";

type Read = Extract<PExpr, { k: "read" }>;

export class StmtIndex {
  readonly #order = new Map<string, PStmt>();
  readonly #seq = new Map<string, number>();
  readonly #reads = new Map<string, Read[]>();
  readonly #writers = new Map<string, Set<string>>();
  /** array → reading statement → how many of its reads read the array. */
  readonly #readers = new Map<string, Map<string, number>>();
  #next = 0;

  constructor(stmts: PStmt[]) {
    for (const s of stmts) this.add(s);
  }

  get size(): number {
    return this.#order.size;
  }
  list(): PStmt[] {
    return [...this.#order.values()];
  }
  /** The statement's reads, in expression order (computed once per statement). */
  readsOf(s: PStmt): Read[] {
    return this.#reads.get(s.name) ?? reads(s.expr);
  }

  /** Appends a new statement, or replaces the one of the same name in place. */
  add(s: PStmt): void {
    const old = this.#order.get(s.name);
    if (old) this.#unlink(old);
    else this.#seq.set(s.name, this.#next++);
    this.#order.set(s.name, s);
    const rs = reads(s.expr);
    this.#reads.set(s.name, rs);
    bucket(this.#writers, s.array, () => new Set<string>()).add(s.name);
    for (const r of rs) {
      const m = bucket(this.#readers, r.array, () => new Map<string, number>());
      m.set(s.name, (m.get(s.name) ?? 0) + 1);
    }
  }

  delete(s: PStmt): void {
    const cur = this.#order.get(s.name);
    if (!cur) return;
    this.#unlink(cur);
    this.#order.delete(s.name);
    this.#seq.delete(s.name);
    this.#reads.delete(s.name);
  }

  /** The statements writing `a`, in list order. */
  writers(a: string): PStmt[] {
    return this.#sorted(this.#writers.get(a)?.keys());
  }
  /** The statements reading `a`, in list order. */
  readers(a: string): PStmt[] {
    return this.#sorted(this.#readers.get(a)?.keys());
  }
  /** How many reads (over all statements) read `a`. */
  readCount(a: string): number {
    let k = 0;
    for (const c of this.#readers.get(a)?.values() ?? []) k += c;
    return k;
  }
  isRead(a: string): boolean {
    return (this.#readers.get(a)?.size ?? 0) > 0;
  }

  #unlink(s: PStmt): void {
    this.#writers.get(s.array)?.delete(s.name);
    for (const r of this.#reads.get(s.name) ?? []) {
      const m = this.#readers.get(r.array)!;
      const c = m.get(s.name)! - 1;
      if (c) m.set(s.name, c);
      else m.delete(s.name);
    }
  }

  #sorted(names: Iterable<string> | undefined): PStmt[] {
    if (!names) return [];
    return [...names].sort((x, y) => this.#seq.get(x)! - this.#seq.get(y)!).map((n) => this.#order.get(n)!);
  }
}

function bucket<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    m.set(k, v);
  }
  return v;
}
