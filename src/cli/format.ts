/** Printing values: readable J-style rows for people, exact JSON for programs. */
import type { DType, Tensor } from "../core/tensor.js";

/** The shortest decimal that reads back to the same value in the given precision. */
export function shortest(x: number, dtype: DType): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
  if (dtype === "f64") return String(x);
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return String(s);
  }
  return String(x);
}

/** JSON numbers; NaN and infinities, which JSON lacks, become the strings "NaN", "Infinity", "-Infinity". */
export function jsonValue(t: Tensor, dtype: DType): string {
  const items = Array.from(t.data, (v) =>
    Number.isFinite(v) ? shortest(v, dtype) : JSON.stringify(shortest(v, dtype)),
  );
  return `{"shape":${JSON.stringify(t.shape)},"data":[${items.join(",")}]}`;
}

/** J-style display: a scalar alone, a vector on one line, a matrix as aligned rows, higher ranks as blocks of matrices. */
export function formatArray(t: Tensor, digits = 6): string {
  const text = Array.from(t.data, (v) =>
    Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : Number.isNaN(v) ? "_." : v > 0 ? "_" : "__",
  );
  if (t.shape.length === 0) return text[0]!;
  const width = Math.max(...text.map((s) => s.length));
  const cols = t.shape[t.shape.length - 1]!;
  const rows: string[] = [];
  for (let i = 0; i < text.length; i += cols)
    rows.push(
      text
        .slice(i, i + cols)
        .map((s) => s.padStart(width))
        .join(" "),
    );
  if (t.shape.length === 1) return rows[0] ?? "";
  // Between blocks of rank k a J display leaves k−1 blank lines: as many as the trailing
  // zeros of the row's index over the leading axes.
  const rowDims = t.shape.slice(0, -1);
  const out: string[] = [];
  rows.forEach((r, i) => {
    let blanks = 0;
    for (let k = rowDims.length - 1, rest = i; k > 0 && rest % rowDims[k]! === 0 && i > 0; k--) {
      blanks++;
      rest /= rowDims[k]!;
    }
    for (let b = 0; b < blanks; b++) out.push("");
    out.push(r);
  });
  return out.join("\n");
}

export function shapeLabel(shape: readonly number[]): string {
  return `(${shape.join(" ")})`;
}

/** Arrays with more elements than this are shown summarised (numpy's threshold). */
export const SUMMARY_THRESHOLD = 1000;

/**
 * Like formatArray, but along every axis longer than 2·edge only the first and last `edge`
 * items are shown, with `...` between: a 100×460 matrix prints 7 rows of 7 cells.
 */
export function formatSummary(t: Tensor, edge = 3, digits = 6): string {
  const rank = t.shape.length;
  if (rank === 0) return formatArray(t, digits);
  const pick = (n: number) =>
    n > 2 * edge
      ? [...Array(edge).keys(), -1, ...Array.from({ length: edge }, (_, k) => n - edge + k)]
      : [...Array(n).keys()];
  const sel = t.shape.map(pick);
  const strides = t.shape.map((_, a) => t.shape.slice(a + 1).reduce((p, d) => p * d, 1));
  const cell = (v: number) =>
    Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : Number.isNaN(v) ? "_." : v > 0 ? "_" : "__";
  // Cells are formatted first, so that every column shares the widest one's width.
  const walk = (axis: number, offset: number, out: (string[] | "...")[]): void => {
    if (axis === rank - 1) {
      out.push(sel[axis]!.map((j) => (j < 0 ? "..." : cell(t.data[offset + j]!))));
      return;
    }
    for (const i of sel[axis]!) {
      if (i < 0) out.push("...");
      else walk(axis + 1, offset + i * strides[axis]!, out);
    }
  };
  const flat: (string[] | "...")[] = [];
  walk(0, 0, flat);
  const width = Math.max(
    1,
    ...flat.flatMap((r) => (r === "..." ? [] : r.filter((c) => c !== "...").map((c) => c.length))),
  );
  const line = (r: string[] | "...") =>
    r === "..." ? "..." : r.map((c) => (c === "..." ? c : c.padStart(width))).join(" ");
  if (rank === 1) return line(flat[0]!);
  // Blank lines between blocks as formatArray leaves them, counted over the shown rows.
  const out: string[] = [];
  let k = 0;
  const blocks = (axis: number): void => {
    sel[axis]!.forEach((i, n) => {
      if (n > 0) for (let b = 0; b < rank - axis - 2; b++) out.push("");
      if (axis === rank - 2 || i < 0) {
        out.push(line(flat[k++]!));
        return;
      }
      blocks(axis + 1);
    });
  };
  blocks(0);
  return out.join("\n");
}
