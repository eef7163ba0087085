/**
 * Random well-ranked LiFT programs for differential tests: inputs of small random shapes,
 * expressions built from every builtin under random (and nested) ranks, user verbs, and a
 * scalar loss with gradients. Candidates the checker rejects are simply redrawn, so every
 * program returned is valid. Names carry a prefix so programs can be concatenated.
 */
import { Mulberry32 } from "../../src/train/init.js";
import { load, LiftError } from "../../src/api/index.js";

export function rng(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}

interface Item {
  text: string;
  shape: number[];
}
export interface RandomProgram {
  source: string;
  inputs: Record<string, { shape: number[]; data: number[] }>;
  outputs: string[];
}

export function randomProgram(seed: number, prefix: string): RandomProgram {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const lines: string[] = [];
  const inputs: RandomProgram["inputs"] = {};
  const pool: Item[] = [];
  const nIn = 2 + Math.floor(r() * 2);
  for (let k = 0; k < nIn; k++) {
    const rank = Math.floor(r() * 4);
    const shape = Array.from({ length: rank }, () => pick([1, 2, 3, 3, 4, 5]));
    const name = `${prefix}In${k}`;
    lines.push(`${name} :: (in ${shape.join(" ")})`);
    const n = shape.reduce((a, b) => a * b, 1);
    inputs[name] = { shape, data: Array.from({ length: n }, () => Math.round((r() * 2 - 1) * 1000) / 1000) };
    pool.push({ text: name, shape });
  }
  // Verbs the expressions may use (defined once per program).
  lines.push(`${prefix}sq"0 := (y * y)`);
  lines.push(`${prefix}dot"1 1 := ((reduce 1 +) (x * y))`);
  lines.push(`${prefix}soft"1 := ((exp (y - ((reduce 1 >.) y))) / ((reduce 1 +) (exp (y - ((reduce 1 >.) y)))))`);
  const src = () => lines.join("\n");
  const shapeOf = (extra: string, name: string): number[] | null => {
    try {
      const p = load(`${src()}\n${extra}`);
      const id = p.graph.names.get(name)!;
      return p.graph.node(id).shape as number[];
    } catch (e) {
      if (e instanceof LiftError) return null;
      throw e;
    }
  };
  const dyads = ["+", "-", "*", ">.", "<."];
  const rank = (s: Item) => s.shape.length;
  const candidates = (a: Item, b: Item): string[] => {
    const op = pick(dyads);
    const ra = Math.floor(r() * (rank(a) + 1)),
      rb = Math.floor(r() * (rank(b) + 1));
    return [
      `(${a.text} ${op} ${b.text})`,
      `(${a.text} (${op}"${ra} ${rb}) ${b.text})`,
      `(${a.text} ((${op}"0 ${Math.min(1, rb)})"${ra} ${rb}) ${b.text})`,
      `(${a.text} / (1 + (${b.text} * ${b.text})))`,
      `(${a.text} (${prefix}dot"${Math.min(1, ra) || 1} ${Math.min(1, rb) || 1}) ${b.text})`,
    ];
  };
  const monads = (a: Item): string[] => {
    const n = rank(a);
    const rr = Math.floor(r() * (n + 1));
    const c = [
      `(exp (0.5 * ${a.text}))`,
      `(log (1 + (${a.text} * ${a.text})))`,
      `(${prefix}sq ${a.text})`,
      `((${a.text} ** 2) + (${a.text} ** 3))`,
      `(((duplicate 2)"${rr}) ${a.text})`,
      `(0.0 >. ${a.text})`,
    ];
    if (n >= 1)
      c.push(
        `(((reduce 1 ${pick(["+", ">.", "<."])})"${Math.max(1, rr)}) ${a.text})`,
        `(${prefix}soft ${a.text})`,
        `((reduce ${n} +) ${a.text})`,
      );
    if (n >= 2)
      c.push(`(((oblique 1 ${pick(["+", ">."])})"${Math.max(2, rr)}) ${a.text})`, `((reduce 2 >.) ${a.text})`);
    if (n >= 1 && a.shape[n - 1]! >= 3) c.push(`(((trim 1)"1) ${a.text})`);
    if (n >= 1 && a.shape[n - 1]! % 2 === 1 && a.shape[n - 1]! > 1) c.push(`(((stride 2)"1) ${a.text})`);
    if (n >= 2 && a.shape[n - 1]! >= 3 && a.shape[n - 2]! >= 3) c.push(`(((trim 1 1)"2) ${a.text})`);
    return c;
  };
  const steps = 3 + Math.floor(r() * 4);
  for (let s = 0; s < steps; s++) {
    const name = `${prefix}T${s}`;
    for (let attempt = 0; attempt < 30; attempt++) {
      const a = pick(pool),
        b = pick(pool);
      const text = r() < 0.55 ? pick(candidates(a, b)) : pick(monads(a));
      const def = `${name} := ${text}`;
      const shape = shapeOf(def, name);
      if (shape && shape.reduce((x, y) => x * y, 1) <= 400 && shape.length <= 5) {
        lines.push(def);
        pool.push({ text: name, shape });
        break;
      }
    }
  }
  const made = pool.slice(nIn);
  const outputs: string[] = [];
  for (const it of made.slice(-2)) {
    lines.push(`${it.text} :: (out ${it.shape.join(" ")})`);
    outputs.push(it.text);
  }
  // A scalar loss over everything made, and gradients with respect to the inputs it depends on.
  const last = made[made.length - 1] ?? pool[0]!;
  const loss = `${prefix}L`;
  lines.push(`${loss} := ((reduce ${rank(last)} +) (${last.text} * ${last.text}))`.replace("(reduce 0 +) ", ""));
  lines.push(`${loss} :: (out)`);
  outputs.push(loss);
  for (const inp of Object.keys(inputs)) {
    const g = `${prefix}d${inp.slice(prefix.length)}`;
    try {
      load(`${src()}\n${g} :: (grad ${loss} ${inp})`);
      lines.push(`${g} :: (grad ${loss} ${inp})`);
      outputs.push(g);
    } catch (e) {
      if (!(e instanceof LiftError)) throw e;
    }
  }
  return { source: src() + "\n", inputs, outputs };
}
