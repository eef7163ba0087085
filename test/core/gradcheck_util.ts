/**
 * Deterministic finite-difference checking of LiFT gradients, in float64.
 *
 * - `checkDirectional`: the gradient declared by `dW :: (grad L W)` against the central difference of the
 *   scalar L along a random direction d: (L(W+εd) − L(W−εd)) / 2ε  vs  Σ dW·d.
 * - `checkHvp`: a Hessian–vector product declared as a gradient of a gradient (`HV :: (grad S W)` with
 *   S = Σ G·V and `G :: (grad L W)`) against the central difference of G along V.
 * - `checkExpr`: builds `L := Σ (Y * V)` around an expression Y with random inputs, and checks the
 *   gradient with respect to each operand (and, optionally, a Hessian–vector product of Σ Y·Y·V).
 */
import { Mulberry32 } from "../../src/train/init.js";
import assert from "node:assert/strict";
import { load, type ExternImpls, type LiftProgram } from "../../src/api/index.js";

export interface F64Tensor {
  shape: number[];
  data: Float64Array;
}
export type Inputs = Record<string, F64Tensor>;
export type Rng = () => number;

/** mulberry32: a small seeded PRNG with uniform output in [0, 1). */
export function mulberry32(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}

/** A stable 32-bit hash of a string (FNV-1a), to derive a per-check seed from its label. */
export function seedOf(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

export function tensor(shape: number[], f: (i: number) => number): F64Tensor {
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(i);
  return { shape, data };
}

export const uniform = (rng: Rng, shape: number[], lo = -1, hi = 1): F64Tensor =>
  tensor(shape, () => lo + (hi - lo) * rng());

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function dotp(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * `n` values in (−1, 1), pairwise at least 0.6/k apart and at least 0.3/k away from 0 (k ≈ n/2), in random
 * order: inputs for min/max, reduce/oblique with `<.`/`>.`, relu and pooling have no ties and no kink within
 * reach of a finite-difference step.
 */
export function distinctValues(rng: Rng, n: number): number[] {
  const k = Math.ceil(n / 2) + 1;
  const ints: number[] = [];
  for (let m = 1; m <= k; m++) ints.push(m, -m);
  for (let i = ints.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [ints[i], ints[j]] = [ints[j]!, ints[i]!];
  }
  return ints.slice(0, n).map((m) => (m + 0.4 * (rng() - 0.5)) / (k + 1));
}

/** Evaluates `names` in float64 and returns their flat data. */
export function runF64(prog: LiftProgram, inputs: Inputs, names: string[]): Record<string, F64Tensor> {
  const out = prog.run(inputs, { dtype: "f64", names });
  const res: Record<string, F64Tensor> = {};
  for (const n of names) {
    const t = out[n]!;
    assert.ok(t.data instanceof Float64Array, `${n} is not float64`);
    res[n] = { shape: t.shape, data: t.data };
  }
  return res;
}

/** The inputs with `name` replaced by `name + s·d`. */
export function shifted(inputs: Inputs, name: string, d: Float64Array, s: number): Inputs {
  const w = inputs[name]!;
  const data = new Float64Array(w.data.length);
  for (let i = 0; i < data.length; i++) data[i] = w.data[i]! + s * d[i]!;
  return { ...inputs, [name]: { shape: w.shape, data } };
}

/** A step of about 1e-6 relative to the magnitude of W (and never below 1e-6 absolute). */
export const stepFor = (w: ArrayLike<number>): number => 1e-6 * Math.max(1, maxAbs(w));

/** Running tally of comparisons made, for the summary. */
export const tally = { directional: 0, hvp: 0, exact: 0 };

export interface DirectionalOptions {
  loss: string;
  wrt: string;
  grad: string;
  rng: Rng;
  label: string;
  /** Number of random directions (default 2). */
  directions?: number;
  /** Relative tolerance (default 1e-6). */
  tol?: number;
  /** The gradient, if already computed. */
  value?: Float64Array;
  /** Candidate steps ε, tried in order (default: `stepFor(W)` alone). */
  steps?: number[];
  /**
   * For piecewise-smooth losses: evaluates the loss together with a signature of the active pieces (relu
   * signs, pooling argmaxes…). The first step ε whose endpoints W ± εd have the signature of W is used, so
   * the difference crosses no kink; if every candidate crosses one, the check fails saying so.
   */
  piecewise?: (inputs: Inputs) => { loss: number; pieces: string };
}

/**
 * Σ dW·d vs (L(W+εd) − L(W−εd)) / 2ε for random directions d with entries uniform in [−1, 1];
 * the relative error |fd − an| / max(|fd|, |an|) must be below `tol`. Returns the worst error.
 */
export function checkDirectional(prog: LiftProgram, inputs: Inputs, o: DirectionalOptions): number {
  const w = inputs[o.wrt];
  assert.ok(w, `${o.label}: no input ${o.wrt}`);
  const g = o.value ?? runF64(prog, inputs, [o.grad])[o.grad]!.data;
  assert.equal(g.length, w.data.length, `${o.label}: ${o.grad} has the size of ${o.wrt}`);
  for (let i = 0; i < g.length; i++) assert.ok(Number.isFinite(g[i]!), `${o.label}: ${o.grad}[${i}] = ${g[i]}`);
  const steps = o.steps ?? [stepFor(w.data)];
  const at = o.piecewise ?? ((x: Inputs) => ({ loss: runF64(prog, x, [o.loss])[o.loss]!.data[0]!, pieces: "" }));
  const here = o.piecewise?.(inputs).pieces ?? "";
  let worst = 0;
  for (let k = 0; k < (o.directions ?? 2); k++) {
    const d = tensor(w.shape, () => 2 * o.rng() - 1).data;
    let eps: number | undefined,
      lp = NaN,
      lm = NaN;
    for (const e of steps) {
      const p = at(shifted(inputs, o.wrt, d, e)),
        m = at(shifted(inputs, o.wrt, d, -e));
      if (p.pieces === here && m.pieces === here) {
        eps = e;
        lp = p.loss;
        lm = m.loss;
        break;
      }
    }
    assert.ok(
      eps !== undefined,
      `${o.label}: every step in ${steps.join(", ")} along the direction crosses a kink of d${o.loss}/d${o.wrt}`,
    );
    const fd = (lp - lm) / (2 * eps);
    const an = dotp(g, d);
    const scale = Math.max(Math.abs(fd), Math.abs(an));
    const rel = scale === 0 ? 0 : Math.abs(fd - an) / scale;
    tally.directional++;
    assert.ok(
      rel < (o.tol ?? 1e-6),
      `${o.label}: d${o.loss}/d${o.wrt} along a random direction: gradient gives ${an}, central difference ${fd} (relative error ${rel.toExponential(2)})`,
    );
    worst = Math.max(worst, rel);
  }
  return worst;
}

export interface HvpOptions {
  /** The first-order gradient G = ∂L/∂W, the Hessian–vector product HV = ∂(Σ G·V)/∂W, and the names W, V. */
  grad: string;
  hv: string;
  wrt: string;
  dir: string;
  label: string;
  tol?: number;
}

/**
 * HV against (G(W+εV) − G(W−εV)) / 2ε in the max norm, relative to max |HV| (tolerance 1e-6).
 * V is an input of the program (it defines S); G does not depend on it.
 */
export function checkHvp(prog: LiftProgram, inputs: Inputs, o: HvpOptions): number {
  const hv = runF64(prog, inputs, [o.hv])[o.hv]!.data;
  const v = inputs[o.dir]!.data;
  const eps = stepFor(inputs[o.wrt]!.data);
  const gp = runF64(prog, shifted(inputs, o.wrt, v, eps), [o.grad])[o.grad]!.data;
  const gm = runF64(prog, shifted(inputs, o.wrt, v, -eps), [o.grad])[o.grad]!.data;
  assert.equal(hv.length, gp.length, `${o.label}: ${o.hv} and ${o.grad} have the same size`);
  let err = 0;
  for (let i = 0; i < hv.length; i++) {
    assert.ok(Number.isFinite(hv[i]!), `${o.label}: ${o.hv}[${i}] = ${hv[i]}`);
    err = Math.max(err, Math.abs(hv[i]! - (gp[i]! - gm[i]!) / (2 * eps)));
  }
  // Both may vanish identically (e.g. the operand of a min/max that is never selected).
  const scale = Math.max(maxAbs(hv), err);
  tally.hvp++;
  const rel = scale === 0 ? 0 : err / scale;
  assert.ok(
    rel < (o.tol ?? 1e-6),
    `${o.label}: Hessian–vector product off by ${err} (max |HV| = ${scale}, relative ${rel.toExponential(2)})`,
  );
  return rel;
}

// ---------------------------------------------------------------------------------------------------------
// Expression cases: Y := expr over declared inputs, loss Σ Y·V

/** How to fill an input: uniform in [−1, 1], uniform in [0.5, 2], or tie-free values away from 0. */
export type Fill = "any" | "pos" | "distinct";
export interface InputSpec {
  shape: number[];
  fill?: Fill;
}

export interface ExprCase {
  /** Array inputs and how to fill them. */
  inputs: Record<string, InputSpec>;
  /** The expression defining Y (may use the verbs). */
  expr: string;
  /** Verb definitions placed before Y. */
  verbs?: string;
  /** The operands to differentiate with respect to (default: every input). */
  wrt?: string[];
  /** Also check a Hessian–vector product of Σ Y·Y·V with respect to each operand (default true). */
  hvp?: boolean;
  /** Host code of the extern verbs that `verbs` declares. */
  externs?: ExternImpls;
}

const decl = (name: string, shape: readonly number[]): string => `${name} :: (in${shape.map((d) => ` ${d}`).join("")})`;
const sumAll = (rank: number, e: string): string => (rank === 0 ? e : `((reduce ${rank} +) ${e})`);

/** Random inputs for the specs; every `distinct` input draws from one tie-free pool. */
export function makeInputs(rng: Rng, specs: Record<string, InputSpec>): Inputs {
  const nDistinct = Object.values(specs)
    .filter((s) => s.fill === "distinct")
    .reduce((n, s) => n + size(s.shape), 0);
  const pool = distinctValues(rng, nDistinct);
  const out: Inputs = {};
  for (const [name, s] of Object.entries(specs)) {
    const fill = s.fill ?? "any";
    out[name] =
      fill === "distinct"
        ? tensor(s.shape, () => pool.pop()!)
        : fill === "pos"
          ? uniform(rng, s.shape, 0.5, 2)
          : uniform(rng, s.shape);
  }
  return out;
}

/**
 * Checks Y := expr (named `Yc`; the helper's names end in `c` to stay clear of the case's inputs): the shape
 * of Y is found by evaluating it, then L := Σ (Y * V) with a random V of that shape, and `dX :: (grad L X)`
 * for every operand X is compared with directional central differences. With `hvp`, also S := Σ (G * U) for
 * G = ∂(Σ Y·Y·V)/∂X, `HV :: (grad S X)` is compared with central differences of G along U (a second-order
 * check of every rule on the path, adjoints of adjoints included). Returns the programs checked.
 */
export function checkExpr(c: ExprCase, label: string): LiftProgram[] {
  const opts = { externs: c.externs ?? {} };
  const rng = mulberry32(seedOf(label));
  const inputs = makeInputs(rng, c.inputs);
  const head =
    Object.entries(c.inputs)
      .map(([n, s]) => decl(n, s.shape))
      .join("\n") +
    "\n" +
    (c.verbs ?? "") +
    "\n";
  const yShape = runF64(load(`${head}Yc := ${c.expr}\n`, opts), inputs, ["Yc"]).Yc!.shape;
  const wrt = c.wrt ?? Object.keys(c.inputs);
  const vName = "Vc";
  inputs[vName] = uniform(rng, yShape);
  const src =
    `${head}${decl(vName, yShape)}\nYc := ${c.expr}\nLc := ${sumAll(yShape.length, `(Yc * ${vName})`)}\n` +
    wrt.map((w) => `dc${w} :: (grad Lc ${w})`).join("\n") +
    "\n";
  const prog = load(src, opts);
  const checked = [prog];
  const grads = runF64(
    prog,
    inputs,
    wrt.map((w) => `dc${w}`),
  );
  for (const w of wrt) {
    checkDirectional(prog, inputs, {
      loss: "Lc",
      wrt: w,
      grad: `dc${w}`,
      rng,
      label: `${label} wrt ${w}`,
      value: grads[`dc${w}`]!.data,
    });
  }
  if (c.hvp === false) return checked;
  for (const w of wrt) {
    const uName = "Uc";
    const hin: Inputs = { ...inputs, [uName]: uniform(rng, inputs[w]!.shape) };
    const wRank = inputs[w]!.shape.length;
    const hsrc =
      `${head}${decl(vName, yShape)}\n${decl(uName, inputs[w]!.shape)}\nYc := ${c.expr}\n` +
      `Lc := ${sumAll(yShape.length, `((Yc * Yc) * ${vName})`)}\nGc :: (grad Lc ${w})\nSc := ${sumAll(wRank, `(Gc * ${uName})`)}\nHVc :: (grad Sc ${w})\n`;
    const hp = load(hsrc, opts);
    checkHvp(hp, hin, {
      grad: "Gc",
      hv: "HVc",
      wrt: w,
      dir: uName,
      label: `${label}: Hessian–vector product wrt ${w}`,
    });
    checked.push(hp);
  }
  return checked;
}

/** Whether the program computes primitive `p` on the way to the named arrays (default: its outputs and gradients). */
export function computes(prog: LiftProgram, p: string, names?: readonly string[]): boolean {
  const g = prog.graph;
  const ids = g.ancestors(
    names ? names.map((n) => g.names.get(n)!) : [...g.outputs.map((o) => o.node), ...g.grads.map((d) => d.node)],
  );
  return ids.some((id) => {
    const n = g.node(id);
    return n.kind === "prim" && n.prim === p;
  });
}
