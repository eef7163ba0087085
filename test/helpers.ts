/** Shared test helpers: flattening nested lists and comparing with a tolerance. */
import assert from "node:assert/strict";
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
