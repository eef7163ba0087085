/** Shared test helpers: flattening nested lists, comparing with a tolerance, running an example. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import type { Nested } from "./vectors/reference.js";

export function flatten(v: Nested): { shape: number[]; data: number[] } {
  const shape: number[] = [];
  let p: Nested = v;
  while (Array.isArray(p)) {
    shape.push(p.length);
    p = p[0]!;
  }
  const data: number[] = [];
  const walk = (a: Nested) => (Array.isArray(a) ? a.forEach(walk) : data.push(a));
  walk(v);
  return { shape, data };
}

/**
 * |got − want| ≤ rel·max(|want|, scale) element by element, where scale is the largest magnitude
 * in the expected array (so values that cancel to near zero are judged against the array's size).
 */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!,
      w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    const tol = rel * Math.max(Math.abs(w), scale * 1e-3, 1e-300);
    assert.ok(Math.abs(g - w) <= tol, `${what}[${i}]: got ${g}, want ${w} (tolerance ${tol})`);
  }
}

/** Relative tolerances per dtype for a vector printed with `digits` significant digits (if rounded). */
export function tolerance(dtype: "f32" | "f64", digits?: number): number {
  if (dtype === "f32") return 1e-5;
  return digits ? 5 * 10 ** -digits : 1e-12;
}

/** Runs an example script (`node SCRIPT ARGS…`, args including `--json`), asserts it exits 0 and prints one JSON line; returns it parsed. */
export function runJsonExample(script: string, args: readonly string[]): Record<string, any> {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, "one JSON line");
  return JSON.parse(lines[0]!);
}
