/**
 * Fuzzing support shared by test/lang/fuzz.test.ts and scripts/fuzz.ts:
 *
 * - a seeded PRNG (`Rng`), so every source is reproducible from (seed, index);
 * - a grammar generator of well-formed-looking programs (`genProgram`) that tracks shapes with a
 *   small independent model of the rank rules (reference §3–4), so most programs are valid and
 *   the generator knows which ones should be rejected and what shape each output has;
 * - a mutator of valid sources (`mutate`): character, token, parenthesis and line edits;
 * - the properties (`checkSource`): `load` returns or throws a located LiftError, within 1 s;
 *   a loaded program runs on random inputs of the declared shapes and returns arrays of the
 *   declared shapes, or throws a LiftError;
 * - a delta-debugging shrinker (`shrinkSource`) for failing sources.
 */
import { load, LiftError, type LiftProgram } from "../../src/api/index.js";
import { VECTORS } from "../vectors/reference.js";

// ---------------------------------------------------------------------------------------------
// Random numbers

/** mulberry32: small, fast, and good enough for test generation. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)]!;
  }
}

/** The seed of source number `index` of a run with seed `seed` (so one source can be replayed alone). */
export function sourceSeed(seed: number, index: number): number {
  const mix = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  };
  return mix((mix(seed >>> 0) + Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

// ---------------------------------------------------------------------------------------------
// A small model of programs: expressions, verbs, and the shape rules of reference §3.4 / §4

export type Dim = number | string;
export type Rank = number | "inf";

export type GVerb =
  | { k: "prim"; name: string }
  | { k: "user"; name: string }
  | { k: "fold"; name: "reduce" | "oblique"; n: number; op: string }
  | { k: "ints"; name: "trim" | "stride" | "duplicate"; ints: number[] }
  | { k: "rank"; inner: GVerb; ranks: Rank[] };

export type GExpr =
  | { k: "name"; name: string }
  | { k: "arg"; name: "x" | "y" }
  | { k: "lit"; text: string }
  | { k: "group"; e: GExpr }
  | { k: "app1"; verb: GVerb; y: GExpr }
  | { k: "app2"; x: GExpr; verb: GVerb; y: GExpr };

interface VerbDef {
  name: string;
  ranks: Rank[];
  body: GExpr;
}
interface ArrayInfo {
  shape: Dim[];
  input: boolean;
  deps: Set<string>;
}
export interface Model {
  arrays: Map<string, ArrayInfo>;
  verbs: Map<string, VerbDef>;
}
type Env = { x?: Dim[]; y?: Dim[] };

const DYADS = ["+", "-", "*", "/", "**", "<.", ">."];
const MONADS = ["exp", "log"];
const FOLD_OPS = ["+", "<.", ">."];
/** The symbolic size used by generated programs, and its value at run time. */
export const SYMBOLIC_SIZE = 2;

const isPrefix = (p: readonly Dim[], s: readonly Dim[]) => p.length <= s.length && p.every((d, i) => d === s[i]);
const longer = (a: Dim[], b: Dim[]): Dim[] | null => (isPrefix(a, b) ? b : isPrefix(b, a) ? a : null);

function split(s: Dim[], r: Rank): [Dim[], Dim[]] | null {
  const rr = r === "inf" ? s.length : r;
  if (rr > s.length) return null;
  return [s.slice(0, s.length - rr), s.slice(s.length - rr)];
}

/** The result shape of a monadic use of `v` on an argument of shape `s`, or null if rejected. */
export function apply1(m: Model, v: GVerb, s: Dim[]): Dim[] | null {
  switch (v.k) {
    case "prim":
      return MONADS.includes(v.name) ? s : null;
    case "fold": {
      if (v.name === "reduce") return s.length >= v.n ? s.slice(v.n) : null;
      if (s.length < 2 * v.n) return null;
      const out: Dim[] = [];
      for (let i = 0; i < v.n; i++) {
        const p = s[i]!,
          q = s[v.n + i]!;
        if (typeof p !== "number" || typeof q !== "number") return null;
        out.push(p + q - 1);
      }
      return [...out, ...s.slice(2 * v.n)];
    }
    case "ints": {
      if (v.name === "duplicate") return [...v.ints, ...s];
      if (v.ints.length > s.length) return null;
      const out: Dim[] = [];
      for (let i = 0; i < v.ints.length; i++) {
        const d = s[i]!,
          t = v.ints[i]!;
        if (typeof d !== "number") return null;
        if (v.name === "trim") {
          if (d - 2 * t < 1) return null;
          out.push(d - 2 * t);
        } else {
          if (!(d % t === 1 || (d === 1 && t > 1))) return null;
          out.push((d - 1) / t + 1);
        }
      }
      return [...out, ...s.slice(v.ints.length)];
    }
    case "user": {
      const def = m.verbs.get(v.name);
      if (!def || def.ranks.length !== 1) return null;
      const fc = split(s, def.ranks[0]!);
      if (!fc) return null;
      const b = shapeOf(m, def.body, { y: fc[1] });
      return b && [...fc[0], ...b];
    }
    case "rank": {
      if (v.ranks.length !== 1) return null;
      const fc = split(s, v.ranks[0]!);
      if (!fc) return null;
      const b = apply1(m, v.inner, fc[1]);
      return b && [...fc[0], ...b];
    }
  }
}

/** The result shape of a dyadic use of `v`, or null if rejected. */
export function apply2(m: Model, v: GVerb, sx: Dim[], sy: Dim[]): Dim[] | null {
  switch (v.k) {
    case "prim":
      return DYADS.includes(v.name) ? longer(sx, sy) : null;
    case "fold":
    case "ints":
      return null;
    case "user":
    case "rank": {
      const def = v.k === "user" ? m.verbs.get(v.name) : undefined;
      const ranks = v.k === "user" ? def?.ranks : v.ranks;
      if (!ranks || ranks.length !== 2) return null;
      const fx = split(sx, ranks[0]!),
        fy = split(sy, ranks[1]!);
      if (!fx || !fy) return null;
      const f = longer(fx[0], fy[0]);
      if (!f) return null;
      const b = v.k === "user" ? shapeOf(m, def!.body, { x: fx[1], y: fy[1] }) : apply2(m, v.inner, fx[1], fy[1]);
      return b && [...f, ...b];
    }
  }
}

/**
 * The shape of an expression. A verb body is checked as if at the top level with its
 * arguments' cells: frames pass through a body that uses all its arguments (the generator
 * only writes such bodies), and globals have no frames (reference §3.3).
 */
export function shapeOf(m: Model, e: GExpr, env: Env): Dim[] | null {
  switch (e.k) {
    case "name":
      return m.arrays.get(e.name)?.shape ?? null;
    case "arg":
      return env[e.name] ?? null;
    case "lit":
      return [];
    case "group":
      return shapeOf(m, e.e, env);
    case "app1": {
      const s = shapeOf(m, e.y, env);
      return s && apply1(m, e.verb, s);
    }
    case "app2": {
      const sx = shapeOf(m, e.x, env),
        sy = shapeOf(m, e.y, env);
      return sx && sy && apply2(m, e.verb, sx, sy);
    }
  }
}

function verbDeps(m: Model, v: GVerb, out: Set<string>): void {
  if (v.k === "rank") verbDeps(m, v.inner, out);
  else if (v.k === "user") {
    const d = m.verbs.get(v.name);
    if (d) exprDeps(m, d.body, out);
  }
}
/** Names of the arrays an expression depends on, through verb bodies and earlier definitions. */
function exprDeps(m: Model, e: GExpr, out: Set<string>): Set<string> {
  switch (e.k) {
    case "name": {
      out.add(e.name);
      for (const d of m.arrays.get(e.name)?.deps ?? []) out.add(d);
      break;
    }
    case "group":
      exprDeps(m, e.e, out);
      break;
    case "app1":
      verbDeps(m, e.verb, out);
      exprDeps(m, e.y, out);
      break;
    case "app2":
      exprDeps(m, e.x, out);
      verbDeps(m, e.verb, out);
      exprDeps(m, e.y, out);
      break;
    default:
      break;
  }
  return out;
}

function usesArg(e: GExpr, a: "x" | "y"): boolean {
  switch (e.k) {
    case "arg":
      return e.name === a;
    case "group":
      return usesArg(e.e, a);
    case "app1":
      return usesArg(e.y, a);
    case "app2":
      return usesArg(e.x, a) || usesArg(e.y, a);
    default:
      return false;
  }
}

const rankText = (r: Rank) => (r === "inf" ? "_" : String(r));

export function showVerb(v: GVerb): string {
  switch (v.k) {
    case "prim":
    case "user":
      return v.name;
    case "fold":
      return `(${v.name} ${v.n} ${v.op})`;
    case "ints":
      return `(${v.name} ${v.ints.join(" ")})`;
    case "rank":
      return `(${showVerb(v.inner)}"${v.ranks.map(rankText).join(" ")})`;
  }
}

export function showExpr(e: GExpr, sep: () => string = () => " "): string {
  switch (e.k) {
    case "name":
    case "arg":
      return e.name;
    case "lit":
      return e.text;
    case "group":
      return `(${showExpr(e.e, sep)})`;
    case "app1":
      return `(${showVerb(e.verb)}${sep()}${showExpr(e.y, sep)})`;
    case "app2":
      return `(${showExpr(e.x, sep)}${sep()}${showVerb(e.verb)}${sep()}${showExpr(e.y, sep)})`;
  }
}

const elems = (s: Dim[]) => s.reduce<number>((a, d) => a * (typeof d === "number" ? d : SYMBOLIC_SIZE), 1);
const small = (s: Dim[] | null): s is Dim[] => s !== null && s.length <= 6 && elems(s) <= 1024;

// ---------------------------------------------------------------------------------------------
// The grammar generator

export interface Generated {
  source: string;
  /** Whether the model expects `load` to accept the program (undefined: it cannot tell). */
  valid: boolean | undefined;
  /** Expected shape of every output and gradient (when valid). */
  outputs: Map<string, Dim[]>;
}

const LITERALS = [
  "0",
  "1",
  "2",
  "3",
  "0.5",
  "0.25",
  "2.",
  "1.5",
  "1.5e1",
  "1.e-3",
  "2e-1",
  "-1",
  "-0.5",
  "-2.5",
  "-1.e-1",
  "10",
];
const ARRAY_NAMES = [
  "A",
  "B",
  "C",
  "W",
  "W1",
  "b2",
  "Xin",
  "v.1",
  "s+",
  "p<q",
  "r%",
  "K*",
  "-a",
  "toString",
  "constructor",
  "e",
  "h1",
  "Z.z",
];
const VERB_NAMES = ["f", "g", "h", "sq", "dot", "nrm", "relu", "f.1", "g-", "mix", "valueOf"];
const COMMENTS = ["; a comment", ";", "; (unbalanced ( in a comment", '; x y := :: "_', "; ünïcödé ✓", ";;; ))))"];

class Gen {
  readonly m: Model = { arrays: new Map(), verbs: new Map() };
  private readonly used = new Set<string>();
  private n = 0;
  constructor(readonly rng: Rng) {}

  fresh(pool: readonly string[]): string {
    for (let i = 0; i < 4; i++) {
      const c = this.rng.pick(pool);
      if (!this.used.has(c)) {
        this.used.add(c);
        return c;
      }
    }
    let c: string;
    do c = `${this.rng.pick(["R", "T", "q", "u"])}${this.n++}`;
    while (this.used.has(c));
    this.used.add(c);
    return c;
  }

  lit(): GExpr {
    return { k: "lit", text: this.rng.pick(LITERALS) };
  }

  leaf(env: Env | undefined): { e: GExpr; s: Dim[] } {
    const r = this.rng;
    if (env) {
      const args = (["x", "y"] as const).filter((a) => env[a]);
      if (r.chance(0.7)) {
        const a = r.pick(args);
        return { e: { k: "arg", name: a }, s: env[a]! };
      }
    }
    const names = [...this.m.arrays.keys()];
    if (names.length && r.chance(0.75)) {
      const n = r.pick(names);
      return { e: { k: "name", name: n }, s: this.m.arrays.get(n)!.shape };
    }
    return { e: this.lit(), s: [] };
  }

  /** A monad verb valid on shape `s`, chosen with the shape in mind (null if none found). */
  monad(s: Dim[], depth: number): { v: GVerb; out: Dim[] } | null {
    const r = this.rng;
    for (let tries = 0; tries < 6; tries++) {
      let v: GVerb;
      const c = r.int(0, 9);
      if (c === 0) v = { k: "prim", name: r.pick(MONADS) };
      else if (c === 1)
        v = { k: "fold", name: "reduce", n: r.int(1, Math.max(1, Math.min(2, s.length))), op: r.pick(FOLD_OPS) };
      else if (c === 2) v = { k: "fold", name: "oblique", n: r.chance(0.8) ? 1 : 2, op: r.pick(FOLD_OPS) };
      else if (c === 3)
        v = {
          k: "ints",
          name: "trim",
          ints: Array.from({ length: r.chance(0.8) ? 1 : 2 }, () => (r.chance(0.9) ? 1 : 2)),
        };
      else if (c === 4) {
        const want = (d: Dim | undefined) => {
          if (typeof d !== "number" || d === 1) return r.int(2, 3);
          const divs = [2, 3, 4].filter((t) => (d - 1) % t === 0);
          return divs.length ? r.pick(divs) : r.int(2, 3);
        };
        v = { k: "ints", name: "stride", ints: r.chance(0.8) ? [want(s[0])] : [want(s[0]), want(s[1])] };
      } else if (c === 5)
        v = { k: "ints", name: "duplicate", ints: Array.from({ length: r.chance(0.8) ? 1 : 2 }, () => r.int(1, 3)) };
      else if (c <= 7 && depth > 0) {
        const rk: Rank = r.chance(0.15) ? "inf" : r.int(0, s.length);
        const fc = split(s, rk)!;
        const inner = this.monad(fc[1], depth - 1);
        if (!inner) continue;
        v = { k: "rank", inner: inner.v, ranks: [rk] };
      } else {
        const users = [...this.m.verbs.values()].filter((d) => d.ranks.length === 1);
        if (!users.length) continue;
        v = { k: "user", name: r.pick(users).name };
      }
      const out = apply1(this.m, v, s);
      if (small(out)) return { v, out };
    }
    return null;
  }

  /** A dyad verb valid on shapes `sx`, `sy` (null if none found). */
  dyad(sx: Dim[], sy: Dim[], depth: number): { v: GVerb; out: Dim[] } | null {
    const r = this.rng;
    for (let tries = 0; tries < 6; tries++) {
      let v: GVerb;
      const c = r.int(0, 9);
      if (c <= 3) v = { k: "prim", name: r.pick(DYADS) };
      else if (c <= 7 && depth > 0) {
        // pick ranks whose frames agree, then a verb for the cells
        const opts: [Rank, Rank][] = [];
        const ranks = (s: Dim[]): Rank[] => [...Array.from({ length: s.length + 1 }, (_, i) => i), "inf"];
        for (const a of ranks(sx))
          for (const b of ranks(sy)) {
            const fx = split(sx, a)!,
              fy = split(sy, b)!;
            if (longer(fx[0], fy[0])) opts.push([a, b]);
          }
        const [a, b] = r.chance(0.9) ? r.pick(opts) : [r.pick(ranks(sx)), r.pick(ranks(sy))];
        const cx = split(sx, a)![1],
          cy = split(sy, b)![1];
        const inner = this.dyad(cx, cy, depth - 1);
        if (!inner) continue;
        v = { k: "rank", inner: inner.v, ranks: [a, b] };
      } else {
        const users = [...this.m.verbs.values()].filter((d) => d.ranks.length === 2);
        if (!users.length) continue;
        v = { k: "user", name: r.pick(users).name };
      }
      const out = apply2(this.m, v, sx, sy);
      if (small(out)) return { v, out };
    }
    return null;
  }

  value(depth: number, env: Env | undefined): { e: GExpr; s: Dim[] } {
    const r = this.rng;
    if (depth <= 0 || r.chance(0.2)) return this.leaf(env);
    if (r.chance(0.5)) {
      const a = this.value(depth - 1, env);
      const mv = this.monad(a.s, 2);
      if (mv) return { e: { k: "app1", verb: mv.v, y: a.e }, s: mv.out };
      return a;
    }
    const a = this.value(depth - 1, env);
    let b = this.value(depth - 1, env);
    for (let t = 0; t < 3; t++) {
      const [x, y] = r.chance(0.5) ? [a, b] : [b, a];
      const dv = this.dyad(x.s, y.s, 2);
      if (dv) return { e: { k: "app2", x: x.e, verb: dv.v, y: y.e }, s: dv.out };
      if (t === 1) b = { e: this.lit(), s: [] };
    }
    return a;
  }

  verbDef(): { text: string } | null {
    const r = this.rng;
    const dyadic = r.chance(0.4);
    const pickRank = (): Rank => r.pick([0, 0, 1, 1, 2, "inf"] as Rank[]);
    const repr = (k: Rank): Dim[] => {
      const n = k === "inf" ? r.int(0, 2) : k;
      return Array.from({ length: n }, () => r.int(1, 4));
    };
    for (let tries = 0; tries < 5; tries++) {
      let body: GExpr | undefined;
      const ranks: Rank[] = dyadic ? [pickRank(), pickRank()] : [pickRank()];
      if (!dyadic) {
        const env: Env = { y: repr(ranks[0]!) };
        const b = this.value(r.int(1, 3), env);
        // a bare `y` would make the verb an identity, whose result is its argument's node
        if (usesArg(b.e, "y") && b.e.k !== "arg") body = b.e;
      } else {
        const sx = repr(ranks[0]!),
          sy = r.chance(0.6) ? [...sx] : repr(ranks[1]!);
        const env: Env = { x: sx, y: sy };
        const wrap = (a: "x" | "y") => {
          const base = { e: { k: "arg", name: a } as GExpr, s: env[a]! };
          if (r.chance(0.5)) return base;
          const mv = this.monad(base.s, 1);
          return mv ? { e: { k: "app1", verb: mv.v, y: base.e } as GExpr, s: mv.out } : base;
        };
        const ex = wrap("x"),
          ey = wrap("y");
        const dv = this.dyad(ex.s, ey.s, 1);
        if (dv) {
          body = { k: "app2", x: ex.e, verb: dv.v, y: ey.e };
          if (r.chance(0.3)) {
            const mv = this.monad(dv.out, 1);
            if (mv) body = { k: "app1", verb: mv.v, y: body };
          }
        }
      }
      if (!body) continue;
      const name = this.fresh(VERB_NAMES);
      this.m.verbs.set(name, { name, ranks, body });
      return { text: `${name}"${ranks.map(rankText).join(" ")} := ${showExpr(body, () => this.sep())}` };
    }
    return null;
  }

  /** Mostly a space; sometimes other whitespace or a comment (newlines are insignificant). */
  sep(): string {
    const r = this.rng;
    if (r.chance(0.9)) return " ";
    return r.pick(["  ", "\t", "\n  ", "\r\n ", ` ${r.pick(COMMENTS)}\n   `]);
  }
}

/** A program from the grammar, with what the model expects of it. */
export function genProgram(r: Rng): Generated {
  const g = new Gen(r);
  const m = g.m;
  const stmts: string[] = [];
  let valid: boolean | undefined = true;
  const outputs = new Map<string, Dim[]>();
  const assigned: string[] = [];
  const sym = r.chance(0.3) ? r.pick(["N", "N", "M", "batch"]) : undefined;
  if (sym) g.fresh([sym]);

  // inputs
  const nIn = r.int(1, 3);
  for (let i = 0; i < nIn; i++) {
    const name = g.fresh(ARRAY_NAMES);
    const rank = r.int(0, 3);
    const shape: Dim[] = Array.from({ length: rank }, () => r.int(1, 4));
    if (sym && rank > 0 && r.chance(0.5)) shape[0] = sym;
    m.arrays.set(name, { shape, input: true, deps: new Set() });
    stmts.push(`${name} :: (in${shape.map((d) => ` ${d}`).join("")})`);
  }
  // verbs and assignments
  const nStmt = r.int(1, 6);
  for (let i = 0; i < nStmt; i++) {
    if (r.chance(0.35)) {
      const d = g.verbDef();
      if (d) stmts.push(d.text);
      continue;
    }
    const v = g.value(r.int(1, 4), undefined);
    const name = g.fresh(ARRAY_NAMES);
    const alias = v.e.k === "name" && m.arrays.get(v.e.name)!.input;
    m.arrays.set(name, { shape: v.s, input: alias, deps: exprDeps(m, v.e, new Set()) });
    stmts.push(`${name} := ${showExpr(v.e, () => g.sep())}`);
    if (!alias) assigned.push(name);
  }
  // outputs: anywhere in the program (an `out` may precede the definition)
  const outDecl = (name: string, shape: Dim[]) => `${name} :: (out${shape.map((d) => ` ${d}`).join("")})`;
  for (const name of assigned) {
    if (!r.chance(0.6)) continue;
    const shape = m.arrays.get(name)!.shape;
    stmts.splice(r.int(nIn, stmts.length), 0, outDecl(name, shape));
    outputs.set(name, shape);
  }
  // gradients of a scalar loss
  if (r.chance(0.35)) {
    const base = assigned.length ? r.pick(assigned) : undefined;
    if (base) {
      const info = m.arrays.get(base)!;
      let loss = base;
      if (info.shape.length) {
        loss = g.fresh(["L", "Loss", "loss"]);
        m.arrays.set(loss, { shape: [], input: false, deps: new Set([base, ...info.deps]) });
        stmts.push(`${loss} := ((reduce ${info.shape.length} ${r.pick(FOLD_OPS)}) ${base})`);
      }
      const wrts = [...m.arrays.get(loss)!.deps].filter((d) => d !== loss);
      for (let k = r.int(1, 2); k > 0 && wrts.length; k--) {
        const w = r.pick(wrts);
        const name = g.fresh(["dW", "dA", "G", "dB"]);
        stmts.push(`${name} :: (grad ${loss} ${w})`);
        outputs.set(name, m.arrays.get(w)!.shape);
        if (r.chance(0.3)) stmts.push(outDecl(name, m.arrays.get(w)!.shape));
        m.arrays.set(name, { shape: m.arrays.get(w)!.shape, input: false, deps: new Set(["?"]) });
        wrts.splice(wrts.indexOf(w), 1);
        // now and then a second derivative (allowed here, unlike the original): whether the
        // gradient still depends on w is beyond the model, so validity becomes unknown
        if (r.chance(0.25)) {
          const rank = m.arrays.get(w)!.shape.length;
          const l2 = g.fresh(["L2", "Lsq"]),
            h = g.fresh(["H", "ddW"]);
          stmts.push(
            `${l2} := ${rank ? `((reduce ${rank} +) (${name} * ${name}))` : `(${name} * ${name})`}`,
            `${h} :: (grad ${l2} ${w})`,
          );
          outputs.set(h, m.arrays.get(w)!.shape);
          valid = undefined;
        }
      }
    }
  }
  // sometimes a deliberate error, judged by the model
  if (r.chance(0.15)) {
    const c = r.int(0, 5);
    const names = [...m.arrays.keys()];
    if (c === 0 && outputs.size) {
      const [name, shape] = r.pick([...outputs]);
      const bad = r.chance(0.5) ? [...shape, 2] : shape.map((d) => (typeof d === "number" ? d + 1 : d));
      if (bad.length !== shape.length || bad.some((d, i) => d !== shape[i])) {
        stmts.push(outDecl(name, bad));
        valid = false;
      }
    } else if (c === 1 && names.length) {
      stmts.splice(r.int(0, stmts.length), 0, `${r.pick(names)} := 1`);
      valid = false;
    } else if (c === 2) {
      stmts.push(`${g.fresh(ARRAY_NAMES)} := (${r.pick(["nosuch", "Q9"])} + 1)`);
      valid = false;
    } else if (c === 3 && names.length) {
      // a random application, without regard to shapes: the model says whether it is valid
      const sx = r.pick(names),
        sy = r.pick(names);
      const v: GVerb = r.chance(0.5)
        ? { k: "rank", inner: { k: "prim", name: r.pick(DYADS) }, ranks: [r.int(0, 3), r.int(0, 3)] }
        : { k: "prim", name: r.pick(DYADS) };
      const out = apply2(m, v, m.arrays.get(sx)!.shape, m.arrays.get(sy)!.shape);
      stmts.push(`${g.fresh(ARRAY_NAMES)} := (${sx} ${showVerb(v)} ${sy})`);
      if (!out) valid = false;
    } else if (c === 4 && names.length) {
      const s = r.pick(names);
      const v: GVerb = r.pick<GVerb>([
        { k: "fold", name: "reduce", n: r.int(1, 4), op: r.pick([...FOLD_OPS, "-", "*"]) },
        { k: "ints", name: "trim", ints: [r.int(1, 2)] },
        { k: "ints", name: "stride", ints: [r.int(1, 3)] },
        { k: "rank", inner: { k: "prim", name: "exp" }, ranks: [r.int(0, 4)] },
        { k: "fold", name: "oblique", n: r.int(1, 2), op: r.pick(FOLD_OPS) },
      ]);
      const bad = v.k === "fold" && !FOLD_OPS.includes(v.op);
      const out = bad ? null : apply1(m, v, m.arrays.get(s)!.shape);
      stmts.push(`${g.fresh(ARRAY_NAMES)} := (${showVerb(v)} ${s})`);
      if (!out) valid = false;
    } else if (c === 5 && names.length) {
      const nonScalar = names.filter((n) => m.arrays.get(n)!.shape.length > 0 && !m.arrays.get(n)!.input);
      if (nonScalar.length) {
        stmts.push(`${g.fresh(["dX"])} :: (grad ${r.pick(nonScalar)} ${r.pick(names)})`);
        valid = false;
      }
    }
  }
  // layout: newlines, several statements per line, comments, CRLF
  const parts: string[] = [];
  if (r.chance(0.2)) parts.push(r.pick(COMMENTS) + "\n");
  stmts.forEach((s, i) => {
    parts.push(s);
    if (i === stmts.length - 1) {
      parts.push(r.pick(["\n", "", " ; end\n", "\n\n"]));
      return;
    }
    parts.push(r.pick(["\n", "\n", "\n", "\n", " ", "\r\n", `  ${r.pick(COMMENTS)}\n`, "\n\n\t"]));
  });
  return { source: parts.join(""), valid, outputs };
}

// ---------------------------------------------------------------------------------------------
// The mutator

const TOKEN_POOL = [
  "(",
  ")",
  '"',
  "_",
  ":=",
  "::",
  "in",
  "out",
  "grad",
  "x",
  "y",
  "+",
  "-",
  "*",
  "/",
  "**",
  "<.",
  ">.",
  "exp",
  "log",
  "reduce",
  "oblique",
  "trim",
  "stride",
  "duplicate",
  "0",
  "1",
  "2",
  "3",
  "7",
  "-1",
  "-1.5",
  "0.5",
  "1e2",
  "1.e-6",
  "99999999999",
  "1e400",
  "N",
  "A",
  "B",
  "f",
  "(reduce 1 +)",
  '(+"1 0)',
  "; comment\n",
  "\n",
];
const CHAR_POOL = [
  ..."()\"_:=;#.,-+*/<>%xyNAB0123456789eE \n\t\r[]{}@'`!?\\",
  "\u00e9",
  "\u0000",
  "\ud83d",
  "\u00a0",
  "\u2028",
  "\ud835\udc65",
  "\uff08",
];
const NUMBER_RE = /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/;

export function tokens(src: string): string[] {
  return src.match(/\s+|;[^\n]*|[()"]|[^\s()";]+/g) ?? [];
}

/** One to four random edits of `src` (mostly one). */
export function mutate(r: Rng, src: string): string {
  let s = src;
  const n = r.chance(0.6) ? 1 : r.chance(0.6) ? 2 : r.int(3, 4);
  for (let k = n; k > 0; k--) s = mutateOnce(r, s);
  return s;
}

function mutateOnce(r: Rng, s: string): string {
  const pos = () => r.int(0, s.length);
  const c = r.int(0, 13);
  if (c === 0) {
    const p = pos();
    return s.slice(0, p) + r.pick(CHAR_POOL) + s.slice(p);
  }
  if (c === 1) {
    const p = pos();
    return s.slice(0, p) + s.slice(p + r.int(1, 3));
  }
  if (c === 2) {
    const p = pos();
    return s.slice(0, p) + r.pick(CHAR_POOL) + s.slice(p + 1);
  }
  const t = tokens(s);
  const ti = () => r.int(0, Math.max(0, t.length - 1));
  const nonSpace = () => {
    for (let i = 0; i < 8; i++) {
      const j = ti();
      if (t[j] && !/^\s+$/.test(t[j]!)) return j;
    }
    return ti();
  };
  if (c === 3) {
    t.splice(nonSpace(), 1);
    return t.join("");
  }
  if (c === 4) {
    const j = nonSpace();
    t.splice(j, 0, t[j] ?? "", " ");
    return t.join("");
  }
  if (c === 5) {
    t[nonSpace()] = r.pick(r.chance(0.5) ? TOKEN_POOL : t.filter((x) => !/^\s+$/.test(x)));
    return t.join("");
  }
  if (c === 6) {
    const a = nonSpace(),
      b = nonSpace();
    [t[a], t[b]] = [t[b]!, t[a]!];
    return t.join("");
  }
  if (c === 7) {
    // swap, flip or drop parentheses
    const opens = t.flatMap((x, i) => (x === "(" ? [i] : [])),
      closes = t.flatMap((x, i) => (x === ")" ? [i] : []));
    const d = r.int(0, 3);
    if (d === 0 && opens.length && closes.length) {
      const a = r.pick(opens),
        b = r.pick(closes);
      t[a] = ")";
      t[b] = "(";
    } else if (d === 1 && opens.length) t[r.pick(opens)] = ")";
    else if (d === 2 && closes.length) t[r.pick(closes)] = "(";
    else if (opens.length) t.splice(r.pick(opens), 1);
    return t.join("");
  }
  if (c === 8) {
    // wrap a token in parentheses, or insert a "
    const j = nonSpace();
    t[j] = r.chance(0.5) ? `(${t[j] ?? ""})` : `${t[j] ?? ""}"${r.pick(["0", "1", "_", "1 1", "2 0"])}`;
    return t.join("");
  }
  if (c === 9) {
    // perturb a number (shapes, ranks, parameters)
    const nums = t.flatMap((x, i) => (NUMBER_RE.test(x) ? [i] : []));
    if (!nums.length) return s;
    const j = r.pick(nums),
      v = Number(t[j]);
    t[j] = r.pick([String(v + 1), String(Math.max(0, v - 1)), "0", "1", String(v * 2), "_", "N", String(v) + ".5"]);
    return t.join("");
  }
  const lines = s.split("\n");
  const li = () => r.int(0, Math.max(0, lines.length - 1));
  if (c === 10) {
    const j = li();
    lines.splice(j, 0, lines[j] ?? "");
    return lines.join("\n");
  }
  if (c === 11) {
    lines.splice(li(), 1);
    return lines.join("\n");
  }
  if (c === 12) {
    const a = li(),
      b = li();
    [lines[a], lines[b]] = [lines[b]!, lines[a]!];
    return lines.join("\n");
  }
  // splice in a line of another program
  const other = r.pick(VECTORS).source.split("\n");
  lines.splice(li(), 0, r.pick(other));
  return lines.join("\n");
}

/** Sources to mutate: every reference vector (the rejections too; they are nearly valid). */
export const SEED_SOURCES: readonly string[] = VECTORS.map((v) => v.source);

// ---------------------------------------------------------------------------------------------
// The properties

export const LOAD_LIMIT_MS = 1000;
/** Loaded programs whose nodes hold more values than this (at N = 2) are not run. */
export const RUN_LIMIT_VALUES = 400_000;

export interface Outcome {
  loaded: boolean;
  ran: boolean;
  /** Run threw a LiftError. */
  runRejected: boolean;
  /** Why a property failed, or undefined. `kind` groups failures for shrinking. */
  failure?: { kind: string; message: string };
  loadMs: number;
  runMs: number;
}

function describeError(e: unknown): string {
  if (e instanceof Error)
    return `${e.constructor.name}: ${e.message}\n${(e.stack ?? "").split("\n").slice(1, 6).join("\n")}`;
  return `non-Error value thrown: ${String(e)}`;
}

function product(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

/** Resolved numeric shape (symbolic sizes → SYMBOLIC_SIZE). */
export function resolve(s: readonly Dim[]): number[] {
  return s.map((d) => (typeof d === "number" ? d : SYMBOLIC_SIZE));
}

/** Random inputs of the declared shapes. */
export function randomInputs(p: LiftProgram, r: Rng): Record<string, { shape: number[]; data: Float64Array }> {
  const inputs: Record<string, { shape: number[]; data: Float64Array }> = {};
  for (const d of p.graph.inputs) {
    const shape = resolve(d.shape);
    const data = new Float64Array(product(shape));
    for (let i = 0; i < data.length; i++)
      data[i] = r.chance(0.1) ? r.int(-2, 2) : Math.round((r.next() * 4 - 1) * 1000) / 1000;
    inputs[d.name] = { shape, data };
  }
  return inputs;
}

/**
 * Checks one source against every property. `expect`, from the generator, adds the model's
 * judgement: valid programs must load with outputs of the expected shapes, invalid ones must not.
 */
export function checkSource(name: string, text: string, r: Rng, expect?: Generated): Outcome {
  const out: Outcome = { loaded: false, ran: false, runRejected: false, loadMs: 0, runMs: 0 };
  const fail = (kind: string, message: string): Outcome => {
    out.failure = { kind, message };
    return out;
  };
  let program: LiftProgram | undefined;
  let t0 = performance.now();
  try {
    program = load({ name, text });
  } catch (e) {
    out.loadMs = performance.now() - t0;
    if (!(e instanceof LiftError))
      return fail(
        `load-threw-${e instanceof Error ? e.constructor.name : typeof e}`,
        `load threw a non-LiftError: ${describeError(e)}`,
      );
    const loc = e.location;
    if (!loc) return fail("no-location", `LiftError without a location: ${e.message}`);
    const lines = text.split("\n");
    if (loc.file !== name) return fail("bad-location", `location file ${loc.file}, expected ${name}: ${e.message}`);
    if (!(
      Number.isInteger(loc.line) &&
      Number.isInteger(loc.col) &&
      loc.line >= 1 &&
      loc.col >= 1 &&
      loc.line <= lines.length &&
      loc.col <= lines[loc.line - 1]!.length + 1
    ))
      return fail(
        "bad-location",
        `location ${loc.line}:${loc.col} is outside the source (${lines.length} lines): ${e.message}`,
      );
    let formatted: string;
    try {
      formatted = e.format();
    } catch (f) {
      return fail("format-threw", `err.format() threw: ${describeError(f)}`);
    }
    if (!formatted.startsWith(`${name}:${loc.line}:${loc.col}: error: `))
      return fail("bad-format", `format() does not start with the location: ${formatted}`);
    if (expect?.valid === true)
      return fail("model-valid-rejected", `the model expects this program to load, but: ${formatted}`);
  }
  if (!program) {
    if (out.loadMs > LOAD_LIMIT_MS) return fail("slow-load", `load took ${out.loadMs.toFixed(0)} ms`);
    return out;
  }
  out.loadMs = performance.now() - t0;
  out.loaded = true;
  if (out.loadMs > LOAD_LIMIT_MS) return fail("slow-load", `load took ${out.loadMs.toFixed(0)} ms`);
  if (expect?.valid === false)
    return fail("model-invalid-accepted", "the model expects this program to be rejected, but it loads");

  // expected output shapes: the declarations (checked by load) and the gradients
  const want = new Map<string, number[]>();
  for (const o of program.graph.outputs) want.set(o.name, resolve(o.shape));
  for (const d of program.graph.grads)
    if (!want.has(d.name)) want.set(d.name, resolve(program.graph.node(program.graph.names.get(d.name)!).shape));
  if (expect) {
    const got = [...want.keys()].sort().join(","),
      exp = [...expect.outputs.keys()].sort().join(",");
    if (got !== exp) return fail("model-outputs", `outputs ${got}, the model expects ${exp}`);
    for (const [n, s] of expect.outputs)
      if (want.get(n)!.join(",") !== resolve(s).join(","))
        return fail(
          "model-shape",
          `output ${n} has shape (${want.get(n)!.join(" ")}), the model expects (${resolve(s).join(" ")})`,
        );
  }
  let values = 0;
  for (const n of program.graph.nodes) values += product(resolve(n.shape));
  if (values > RUN_LIMIT_VALUES) return out;

  const inputs = randomInputs(program, r);
  t0 = performance.now();
  let result: Record<string, { shape: number[]; data: ArrayLike<number> }>;
  try {
    result = program.run(inputs, { dtype: "f64" });
  } catch (e) {
    out.runMs = performance.now() - t0;
    if (!(e instanceof LiftError))
      return fail(
        `run-threw-${e instanceof Error ? e.constructor.name : typeof e}`,
        `run threw a non-LiftError: ${describeError(e)}`,
      );
    out.runRejected = true;
    return out;
  }
  out.runMs = performance.now() - t0;
  out.ran = true;
  if (out.runMs > LOAD_LIMIT_MS) return fail("slow-run", `run took ${out.runMs.toFixed(0)} ms`);
  const keys = Object.keys(result).sort().join(","),
    wantKeys = [...want.keys()].sort().join(",");
  if (keys !== wantKeys) return fail("run-outputs", `run returned ${keys}, expected ${wantKeys}`);
  for (const [n, shape] of want) {
    const t = result[n]!;
    if (!t || !Array.isArray(t.shape) || t.shape.join(",") !== shape.join(",") || t.shape.length !== shape.length)
      return fail("run-shape", `output ${n} has shape ${JSON.stringify(t?.shape)}, declared (${shape.join(" ")})`);
    if (!(t.data instanceof Float64Array)) return fail("run-dtype", `output ${n} is not a Float64Array`);
    if (t.data.length !== product(shape))
      return fail("run-length", `output ${n} has ${t.data.length} values for shape (${shape.join(" ")})`);
    for (let i = 0; i < t.data.length; i++) {
      // finite, NaN, or an IEEE overflow to ±∞ (exp of a large value, x/0): never anything else
      if (typeof t.data[i] !== "number") return fail("run-value", `output ${n}[${i}] is ${String(t.data[i])}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shrinking

/**
 * Greedy delta debugging: removes lines, then token runs, then characters, while `fails` keeps
 * holding. Stops after `budget` calls of `fails` or `deadlineMs`.
 */
export function shrinkSource(text: string, fails: (t: string) => boolean, budget = 3000, deadlineMs = 60_000): string {
  let best = text,
    calls = 0;
  const end = performance.now() + deadlineMs;
  const tryIt = (t: string) => {
    if (calls >= budget || t === best) return false;
    if (performance.now() > end) {
      calls = budget;
      return false;
    }
    calls++;
    if (fails(t)) {
      best = t;
      return true;
    }
    return false;
  };
  const pass = (split: (s: string) => string[], sizes: number[]) => {
    for (const size of sizes) {
      if (calls >= budget) return;
      let parts = split(best);
      for (let i = parts.length - size; i >= 0 && calls < budget; i--) {
        if (i + size > parts.length) continue;
        const cand = [...parts.slice(0, i), ...parts.slice(i + size)].join("");
        if (tryIt(cand)) parts = split(best);
      }
    }
  };
  const halvings = (n: number) => {
    const out: number[] = [];
    for (let k = Math.floor(n / 2); k > 1; k = Math.floor(k / 2)) out.push(k);
    return [...out, 1];
  };
  for (let round = 0; round < 3 && calls < budget; round++) {
    const before = best;
    pass((s) => s.split(/(?<=\n)/), halvings(best.split("\n").length));
    pass(tokens, halvings(tokens(best).length));
    if (best.length < 400) pass((s) => [...s], [1]);
    // unwrap parentheses: "(e)" → "e"
    for (let i = 0; i < best.length && calls < budget; i++) {
      if (best[i] !== "(") continue;
      let depth = 0,
        j = i;
      for (; j < best.length; j++) {
        if (best[j] === "(") depth++;
        else if (best[j] === ")" && --depth === 0) break;
      }
      if (j < best.length) tryIt(best.slice(0, i) + best.slice(i + 1, j) + best.slice(j + 1));
    }
    if (best === before) break;
  }
  return best;
}

/** A failure predicate for shrinking: the same failure kind, and no model expectations (they do not survive edits). */
export function failsLike(name: string, kind: string, seed: number): (t: string) => boolean {
  return (t) => checkSource(name, t, new Rng(seed)).failure?.kind === kind;
}

// ---------------------------------------------------------------------------------------------
// One fuzz case

export interface Case {
  index: number;
  origin: "grammar" | "mutant";
  source: string;
  expect?: Generated;
}

/** Source number `index` of the run with `seed`: even indices from the grammar, odd ones mutants. */
export function makeCase(seed: number, index: number): Case {
  const r = new Rng(sourceSeed(seed, index));
  if (index % 2 === 0) {
    const g = genProgram(r);
    return { index, origin: "grammar", source: g.source, expect: g };
  }
  // mutate a reference vector, or now and then a generated program
  const base = r.chance(0.75) ? r.pick(SEED_SOURCES) : genProgram(r).source;
  return { index, origin: "mutant", source: mutate(r, base) };
}

/** The name given to source `index` (error locations must name it). */
export const caseName = (index: number) => `fuzz${index}.lift`;
const runSeed = (seed: number, index: number) => sourceSeed(seed ^ 0x7f4a7c15, index);

/** Generates source `index` of the run with `seed` and checks every property on it. */
export function runCase(seed: number, index: number): { c: Case; o: Outcome } {
  const c = makeCase(seed, index);
  return { c, o: checkSource(caseName(index), c.source, new Rng(runSeed(seed, index)), c.expect) };
}

/**
 * A failure report: how to replay it, the message, the source, and the source shrunk while the
 * same kind of failure persists (model disagreements are not shrunk: the model's expectations do
 * not survive edits).
 */
export function explainFailure(seed: number, c: Case, o: Outcome, shrinkBudget = 2000, deadlineMs = 30_000): string {
  const f = o.failure!;
  const lines = [`[${f.kind}] seed ${seed} index ${c.index} (${c.origin}): ${f.message}`, "source:", indent(c.source)];
  if (!f.kind.startsWith("model-")) {
    const small = shrinkSource(
      c.source,
      failsLike(caseName(c.index), f.kind, runSeed(seed, c.index)),
      shrinkBudget,
      deadlineMs,
    );
    if (small !== c.source) lines.push("shrunk:", indent(small), `  as a JS string: ${JSON.stringify(small)}`);
  }
  return lines.join("\n");
}

const indent = (s: string) =>
  s
    .split("\n")
    .map((l) => `  | ${l}`)
    .join("\n");
