// The HTML report of a training run: one self-contained file (inline SVG
// charts, test images as PNG data URIs), readable offline and easy to share.

import type { EpochRecord } from "./checkpoint.js";
import { grayPngDataUri } from "./png.js";

export interface ReportInput {
  model: string;
  settings: [string, string][];
  history: EpochRecord[];
  classNames: string[];
  /** confusion[true][predicted] counts on the test set */
  confusion: number[][];
  test: { images: Float32Array; labels: Uint8Array; rows: number; cols: number };
  /** predicted class and its probability for each test image */
  predicted: Uint8Array;
  probability: Float32Array;
  /** how many test images to show in the grid (from the start of the test set) */
  gridCount?: number;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dots?: boolean;
}

/** A line chart as an inline SVG. */
export function lineChart(
  title: string,
  xLabel: string,
  series: Series[],
  opts: { yMin?: number; yMax?: number; percent?: boolean } = {},
): string {
  const W = 600,
    H = 300,
    L = 56,
    R = 16,
    T = 30,
    B = 42;
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (all.length === 0)
    return `<svg width="${W}" height="${H}" role="img"><text x="${L}" y="${T}">${esc(title)}: no data yet</text></svg>`;
  let x0 = Math.min(...all.map((p) => p[0])),
    x1 = Math.max(...all.map((p) => p[0]));
  let y0 = opts.yMin ?? Math.min(...all.map((p) => p[1])),
    y1 = opts.yMax ?? Math.max(...all.map((p) => p[1]));
  if (x1 === x0) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  if (y1 === y0) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  if (opts.yMin === undefined) y0 -= pad;
  if (opts.yMax === undefined) y1 += pad;
  const sx = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const fmt = (v: number) =>
    opts.percent ? `${(v * 100).toFixed(Math.abs(y1 - y0) < 0.05 ? 1 : 0)}%` : String(Number(v.toPrecision(3)));
  const parts: string[] = [];
  parts.push(
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<text x="${L}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`);
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${L - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of ticks(x0, x1, 8)) {
    parts.push(
      `<text x="${sx(t).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${Number(t.toPrecision(6))}</text>`,
    );
  }
  parts.push(
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#888"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#888"/>`,
  );
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  series.forEach((s, k) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const d = pts.map(([x, y], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join("");
    if (pts.length > 1) parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    if (s.dots || pts.length === 1)
      for (const [x, y] of pts)
        parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const lx = 150 + k * 170,
      ly = 18;
    parts.push(
      `<rect x="${lx}" y="${ly - 6}" width="12" height="4" fill="${s.color}"/><text x="${lx + 18}" y="${ly - 1}">${esc(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

function confusionTable(classNames: string[], confusion: number[][]): string {
  const max = Math.max(1, ...confusion.flatMap((r, i) => r.filter((_, j) => j !== i)));
  const rows = confusion.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row
      .map((c, j) => {
        const bg =
          i === j
            ? `rgba(40,140,60,${total ? (0.15 + (0.6 * c) / total).toFixed(2) : 0})`
            : `rgba(200,40,40,${((0.7 * c) / max).toFixed(2)})`;
        return `<td style="background:${bg}">${c}</td>`;
      })
      .join("");
    const acc = total ? `${((100 * row[i]!) / total).toFixed(1)}%` : "–";
    return `<tr><th>${esc(classNames[i] ?? String(i))}</th>${cells}<td class="acc">${acc}</td></tr>`;
  });
  const head = classNames.map((n) => `<th class="rot"><span>${esc(n)}</span></th>`).join("");
  return `<table class="cm"><tr><th>true \\ predicted</th>${head}<th>recall</th></tr>${rows.join("")}</table>`;
}

function imageGrid(input: ReportInput, indices: number[]): string {
  const { images, labels, rows, cols } = input.test;
  const px = rows * cols;
  return `<div class="grid">${indices
    .map((i) => {
      const ok = input.predicted[i] === labels[i];
      const pred = input.classNames[input.predicted[i]!] ?? String(input.predicted[i]);
      const truth = input.classNames[labels[i]!] ?? String(labels[i]);
      const uri = grayPngDataUri(images.subarray(i * px, (i + 1) * px), rows, cols);
      const title = `test image ${i}: predicted ${pred} (${(100 * input.probability[i]!).toFixed(1)}%), true ${truth}`;
      return (
        `<figure class="${ok ? "ok" : "bad"}" title="${esc(title)}"><img src="${uri}" width="${cols * 3}" height="${rows * 3}" alt="${esc(title)}">` +
        `<figcaption><b>${esc(pred)}</b> ${(100 * input.probability[i]!).toFixed(0)}%${ok ? "" : `<br>true: ${esc(truth)}`}</figcaption></figure>`
      );
    })
    .join("")}</div>`;
}

export function renderReport(input: ReportInput): string {
  const h = input.history;
  const lossSeries: Series[] = [
    {
      name: "training loss",
      color: "#1f6fb4",
      points: h.flatMap((e) => {
        const start = e.step - e.curve.length * e.window;
        return e.curve.map((v, k): [number, number] => [Math.min(e.step, start + (k + 1) * e.window), v]);
      }),
    },
    { name: "test loss (per epoch)", color: "#d6602a", points: h.map((e) => [e.step, e.test_loss]), dots: true },
  ];
  const accSeries: Series[] = [
    { name: "training accuracy", color: "#1f6fb4", points: h.map((e) => [e.epoch, e.train_accuracy]), dots: true },
    { name: "test accuracy", color: "#d6602a", points: h.map((e) => [e.epoch, e.test_accuracy]), dots: true },
  ];
  const last = h[h.length - 1];
  const n = input.test.labels.length;
  const gridCount = Math.min(n, input.gridCount ?? 60);
  const first = Array.from({ length: gridCount }, (_, i) => i);
  const wrong: number[] = [];
  for (let i = 0; i < n && wrong.length < 30; i++) if (input.predicted[i] !== input.test.labels[i]) wrong.push(i);
  const settings = input.settings.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("");
  const epochRows = h
    .map(
      (e) =>
        `<tr><td>${e.epoch}</td><td>${e.step}</td><td>${e.train_loss.toFixed(4)}</td><td>${(100 * e.train_accuracy).toFixed(2)}%</td>` +
        `<td>${e.test_loss.toFixed(4)}</td><td>${(100 * e.test_accuracy).toFixed(2)}%</td></tr>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.model)} — lift train</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:3px 8px;text-align:right}
table.settings th{text-align:left;font-weight:normal;color:#555}table.settings td{text-align:left}
table.epochs td,table.epochs th{border-bottom:1px solid #ddd}
.charts{display:flex;flex-wrap:wrap;gap:12px}
table.cm td{width:34px;text-align:center;border:1px solid #eee}table.cm th{font-weight:normal;text-align:right}
table.cm th.rot{height:90px;vertical-align:bottom;width:34px}table.cm th.rot span{writing-mode:vertical-rl;transform:rotate(180deg)}
table.cm td.acc{border:none;color:#555}
.grid{display:flex;flex-wrap:wrap;gap:6px}
figure{margin:0;width:96px;text-align:center;font-size:11px}figure img{image-rendering:pixelated;border:2px solid #8c8;display:block;margin:auto}
figure.bad img{border-color:#d44}figure.bad figcaption{color:#b22}
</style></head><body>
<h1>${esc(input.model)}: ${last ? `${(100 * last.test_accuracy).toFixed(2)}% test accuracy after ${last.epoch} epoch${last.epoch === 1 ? "" : "s"}` : "no epoch finished"}</h1>
<table class="settings">${settings}</table>
<h2>Curves</h2>
<div class="charts">${lineChart("Loss", "step", lossSeries)}${lineChart("Accuracy", "epoch", accSeries, { percent: true })}</div>
<h2>Epochs</h2>
<table class="epochs"><tr><th>epoch</th><th>step</th><th>train loss</th><th>train accuracy</th><th>test loss</th><th>test accuracy</th></tr>${epochRows}</table>
<h2>Confusion matrix (test set)</h2>
${confusionTable(input.classNames, input.confusion)}
<h2>The first ${gridCount} test images</h2>
<p>Prediction and its probability under each image; a red frame marks a mistake, with the true label.</p>
${imageGrid(input, first)}
<h2>Mistakes</h2>
<p>The first ${wrong.length} misclassified test images.</p>
${imageGrid(input, wrong)}
</body></html>
`;
}
