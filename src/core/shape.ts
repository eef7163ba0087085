/** A size: a number, or the name of a symbolic size (a batch `N`) fixed only at run time. */
export type Dim = number | string;
export type Shape = readonly Dim[];

export const dimEq = (a: Dim, b: Dim): boolean => a === b;
export const shapeEq = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
export const isPrefix = (p: Shape, s: Shape): boolean => p.length <= s.length && p.every((d, i) => d === s[i]);
export const isSymbolic = (s: Shape): boolean => s.some((d) => typeof d === "string");

/** `(8 24 24)`, `()` for a scalar; J order. */
export function shapeText(s: Shape): string {
  return `(${s.join(" ")})`;
}

/** Numeric sizes of a shape under the given values of its symbolic sizes. */
export function resolveShape(s: Shape, sizes: ReadonlyMap<string, number>): number[] {
  return s.map((d) => {
    if (typeof d === "number") return d;
    const v = sizes.get(d);
    if (v === undefined) throw new Error(`size ${d} has no value`);
    return v;
  });
}

export function product(s: readonly number[]): number {
  let p = 1;
  for (const d of s) p *= d;
  return p;
}
