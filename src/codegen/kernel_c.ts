/**
 * Register-blocked C for a recognised contraction (src/poly/kernels.ts). A tile of outputs lives
 * in vector registers for the whole reduction: axpy tiles are `block` rows of z by up to 4
 * vectors along v, each loaded vector of b serving `block` broadcasts of a; dot tiles are
 * `block` × `block2` dot products along v, each loaded vector serving a row or column of them.
 * Tiles are straight-line code with named accumulators, so the C compiler keeps them in
 * registers. The plan (src/poly/kernels.ts) has one tile size per vector width; each is printed
 * under `#if LIFT_VBYTES == …`, so the width is chosen when the C is compiled (the dialect's
 * prelude defines the vector type and helpers). Partial vectors are loaded and stored
 * lane-exactly, never past an array's end.
 */
import type { Dialect } from "./dialect.js";
import { printGemm } from "./gemm_c.js";
import type { KernelPlan, KernelVariant } from "../loop/ast.js";

export interface KernelC { source: string; call: string }

/** Every width's functions, each under its `#if`, and the one call they share. */
export function printKernel(k: KernelPlan, fn: string, T: string, parallelWork: number, d: Dialect): KernelC {
  if (k.gemm) return printGemm(k, fn, T, parallelWork, d);
  const outs = k.variants.map((v) => printVariant(k, v, fn, T, parallelWork, d));
  const src: string[] = [];
  k.variants.forEach((v, i) => src.push(`#${i ? "elif" : "if"} LIFT_VBYTES == ${v.bytes}`, outs[i]!.source));
  src.push(`#else`, `#error "LIFT_VBYTES must be 0, 16, 32 or 64"`, `#endif`, "");
  return { source: src.join("\n"), call: outs[0]!.call };
}

/**
 * One width's kernel as C functions (a driver and its tiles) and the statement that calls it.
 * `parallelWork`: total multiply-adds below which the driver stays on one thread.
 */
function printVariant(k: KernelPlan, va: KernelVariant, fn: string, T: string, parallelWork: number, d: Dialect): KernelC {
  const L = va.lanes;
  const restrict = d.restrict;
  const ext = (e: number | string) => (typeof e === "number" ? `${e}L` : e);
  const idx = (role: string) => k.iters.map((it, i) => ({ ...it, i })).filter((x) => x.role === role);
  const plain = idx("plain"), red = idx("red");
  const [v] = idx("v"), [r] = idx("r"), [r2] = idx("r2");
  if (!v) throw new Error("internal: kernel without a vector axis");
  const sizes = [...new Set(k.iters.map((x) => x.extent).filter((e): e is string => typeof e === "string"))].sort();
  const sizeParams = sizes.map((s) => `long ${s}`);
  // One pointer per distinct array: z is written, a and b only read (they may be one array).
  const arrays = [...new Set([k.z.array, k.a.array, k.b.array])];
  const ptr = (a: string) => `${a !== k.z.array ? "const " : ""}${T} *${restrict} ${a}`;
  const tiles = new Map<string, string>();
  const lin = (terms: [string, number][], base = 0) => {
    const parts = terms.filter(([, s]) => s !== 0).map(([x, s]) => (s === 1 ? x : `${x} * ${s}L`));
    if (base !== 0 || !parts.length) parts.unshift(`${base}L`);
    return parts.join(" + ");
  };
  // Reduction loops, largest stride outermost so the innermost walks memory the most densely.
  const redOrder = [...red].sort((x, y) => Math.abs(k.b.stride[y.i]!) + Math.abs(k.a.stride[y.i]!) - Math.abs(k.b.stride[x.i]!) - Math.abs(k.a.stride[x.i]!));
  // One long reduction axis (symbolic, as a batch, or over 256) is split into chunks by the
  // driver, so the operands a chunk reads stay in cache across the tiles that share them.
  const chunked = k.chunk ? red.find((x) => x.name === k.chunk!.iter) : undefined;
  const CH = k.chunk?.size ?? 0;
  const redLoops = (body: (ind: string) => string[], ind: string): string[] => {
    const lines: string[] = [];
    let d = ind;
    for (const x of redOrder) { lines.push(`${d}for (long ${x.name} = 0; ${x.name} < ${x === chunked ? "kn" : ext(x.extent)}; ${x.name}++)`); d += "  "; }
    lines.push(`${d}{`);
    lines.push(`${d}  const long ao = ${lin(redOrder.map((x) => [x.name, k.a.stride[x.i]!]))}, bo = ${lin(redOrder.map((x) => [x.name, k.b.stride[x.i]!]))};`);
    lines.push(...body(d + "  "));
    lines.push(`${d}}`);
    return lines;
  };
  // Tiles see only the sizes their own (unchunked) reduction loops run to.
  const tileSizes = [...new Set(red.filter((x) => x !== chunked).map((x) => x.extent).filter((e): e is string => typeof e === "string"))].sort();
  const tileParams = [`${T} *${restrict} z`, `const ${T} *${restrict} a`, `const ${T} *${restrict} b`, ...tileSizes.map((x) => `long ${x}`), ...(chunked ? ["long kn"] : [])].join(", ");

  /** An axpy tile: `rows` of r by `width` lanes of v. */
  const axpyTile = (rows: number, width: number): string => {
    const key = `t${rows}_${width}`;
    if (tiles.has(key)) return `${fn}_${key}`;
    const nv = Math.ceil(width / L), last = width - (nv - 1) * L;
    const zr = r ? k.z.stride[r.i]! : 0, ar = r ? k.a.stride[r.i]! : 0;
    const load = (p: string, j: number) => (j === nv - 1 && last < L ? `lift_vloadn(${p} + ${j * L}, ${last})` : `lift_vload(${p} + ${j * L})`);
    const lines = [`static ${d.noinline} void ${fn}_${key}(${tileParams}) {`];
    for (let i = 0; i < rows; i++) for (let j = 0; j < nv; j++) lines.push(`  lift_vec c${i}_${j} = ${load(`z + ${i * zr}`, j)};`);
    lines.push(...redLoops((d) => {
      const body: string[] = [];
      for (let j = 0; j < nv; j++) body.push(`${d}const lift_vec x${j} = ${va.overread ? `lift_vload(b + bo + ${j * L})` : load("b + bo", j)};`);
      for (let i = 0; i < rows; i++) {
        body.push(`${d}{ const ${T} y = a[ao + ${i * ar}];${Array.from({ length: nv }, (_, j) => ` c${i}_${j} = lift_vfma(c${i}_${j}, y, x${j});`).join("")} }`);
      }
      return body;
    }, "  "));
    for (let i = 0; i < rows; i++) for (let j = 0; j < nv; j++) {
      lines.push(j === nv - 1 && last < L ? `  lift_vstoren(z + ${i * zr} + ${j * L}, c${i}_${j}, ${last});` : `  lift_vstore(z + ${i * zr} + ${j * L}, c${i}_${j});`);
    }
    lines.push(`}`, "");
    tiles.set(key, lines.join("\n"));
    return `${fn}_${key}`;
  };

  /** A dot tile: `rows` of r by `cols` of r2, each a dot product along v. */
  const dotTile = (rows: number, cols: number): string => {
    const key = `d${rows}_${cols}`;
    if (tiles.has(key)) return `${fn}_${key}`;
    const ev = v.extent as number, full = va.overread ? Math.ceil(ev / L) * L : Math.floor(ev / L) * L, rem = va.overread ? 0 : ev - full;
    const ar = r ? k.a.stride[r.i]! : 0, br = r2 ? k.b.stride[r2.i]! : 0;
    const zr = r ? k.z.stride[r.i]! : 0, zc = r2 ? k.z.stride[r2.i]! : 0;
    const lines = [`static ${d.noinline} void ${fn}_${key}(${tileParams}) {`];
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) lines.push(`  lift_vec c${i}_${j} = lift_vzero();`);
    const step = (d: string, at: string, n?: number) => {
      const ld = (p: string) => (n === undefined ? `lift_vload(${p} + ${at})` : `lift_vloadn(${p} + ${at}, ${n})`);
      const body: string[] = [];
      for (let i = 0; i < rows; i++) body.push(`${d}const lift_vec x${i} = ${ld(`a + ao + ${i * ar}`)};`);
      for (let j = 0; j < cols; j++) body.push(`${d}const lift_vec y${j} = ${ld(`b + bo + ${j * br}`)};`);
      for (let i = 0; i < rows; i++) body.push(`${d}${Array.from({ length: cols }, (_, j) => `c${i}_${j} = lift_vfmav(c${i}_${j}, x${i}, y${j});`).join(" ")}`);
      return body;
    };
    lines.push(...redLoops((d) => {
      const body: string[] = [];
      if (full) { body.push(`${d}for (long lv = 0; lv < ${full}; lv += ${L}) {`, ...step(d + "  ", "lv"), `${d}}`); }
      if (rem) body.push(`${d}{`, ...step(d + "  ", String(full), rem), `${d}}`);
      return body;
    }, "  "));
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) lines.push(`  z[${i * zr + j * zc}] += lift_vsum(c${i}_${j});`);
    lines.push(`}`, "");
    tiles.set(key, lines.join("\n"));
    return `${fn}_${key}`;
  };

  // The driver: plain loops (the parallel ones), then blocks of r (and r2 or chunks of v).
  const work = k.iters.map((x) => ext(x.extent)).join(" * ");
  const drv: string[] = [`static ${d.noinline} void ${fn}(${[...sizeParams, ...arrays.map(ptr)].join(", ")}) {`];
  const pragma = (collapse: number) => d.parallelFor(`${work} >= ${parallelWork}L`, collapse);
  let ind = "  ";
  if (chunked) {
    drv.push(`${ind}for (long lk = 0; lk < ${ext(chunked.extent)}; lk += ${CH}) {`, `${ind}  const long kn = lift_imin(${CH}L, ${ext(chunked.extent)} - lk);`);
    ind += "  ";
  }
  const parLoops = plain.length ? Math.min(2, plain.length) : 0;
  if (parLoops) drv.push(...pragma(parLoops));
  for (const x of plain) { drv.push(`${ind}for (long ${x.name} = 0; ${x.name} < ${ext(x.extent)}; ${x.name}++)`); ind += "  "; }
  drv.push(`${ind}{`);
  ind += "  ";
  const pl = (s: "z" | "a" | "b") => lin([...plain, ...(chunked && s !== "z" ? [{ ...chunked, name: "lk" }] : [])].map((x) => [x.name, k[s].stride[x.i]!] as [string, number]), k[s].offset);
  drv.push(`${ind}const long zo = ${pl("z")}, ao = ${pl("a")}, bo = ${pl("b")};`);
  const call = (tile: string, zoff: string, aoff: string, boff: string) => `${tile}(${k.z.array} + zo + ${zoff}, ${k.a.array} + ao + ${aoff}, ${k.b.array} + bo + ${boff}${[...tileSizes, ...(chunked ? ["kn"] : [])].map((s) => `, ${s}`).join("")});`;
  const blocks = (extent: number, size: number) => ({ full: Math.floor(extent / size) * size, tail: extent % size });
  const er = r ? (r.extent as number) : 1;
  const rb = blocks(er, va.block);
  const rStride = (s: "z" | "a" | "b") => (r ? k[s].stride[r.i]! : 0);
  if (k.form === "axpy") {
    const ev = v.extent as number;
    const W = Math.min(Math.ceil(ev / L), 4) * L;
    const vb = blocks(ev, W);
    const rowsLoop = (rows: number, start: string, fullLoop: boolean) => {
      const lines: string[] = [];
      const zoff = (vx: string) => `${start} * ${rStride("z")}L + ${vx}`;
      if (vb.full) lines.push(`for (long lv0 = 0; lv0 < ${vb.full}; lv0 += ${W}) ${call(axpyTile(rows, W), zoff("lv0"), `${start} * ${rStride("a")}L`, "lv0")}`);
      if (vb.tail) lines.push(call(axpyTile(rows, vb.tail), zoff(String(vb.full)), `${start} * ${rStride("a")}L`, String(vb.full)));
      return fullLoop ? [`for (long lr0 = 0; lr0 < ${rb.full}; lr0 += ${va.block}) {`, ...lines.map((l) => `  ${l}`), `}`] : lines;
    };
    const body = [...(rb.full ? rowsLoop(va.block, "lr0", true) : []), ...(rb.tail ? rowsLoop(rb.tail, String(rb.full), false) : [])];
    if (!parLoops && rb.full > va.block) drv.push(...pragma(1));
    drv.push(...body.map((l) => ind + l));
  } else {
    const ec = r2 ? (r2.extent as number) : 1;
    const cb = blocks(ec, va.block2);
    const cStride = (s: "z" | "b") => (r2 ? k[s].stride[r2.i]! : 0);
    const colsFor = (rows: number, rs: string) => {
      const lines: string[] = [];
      const z = (cs: string) => `${rs} * ${rStride("z")}L + ${cs} * ${cStride("z")}L`;
      if (cb.full) lines.push(`for (long lc0 = 0; lc0 < ${cb.full}; lc0 += ${va.block2}) ${call(dotTile(rows, va.block2), z("lc0"), `${rs} * ${rStride("a")}L`, `lc0 * ${cStride("b")}L`)}`);
      if (cb.tail) lines.push(call(dotTile(rows, cb.tail), z(String(cb.full)), `${rs} * ${rStride("a")}L`, `${cb.full} * ${cStride("b")}L`));
      return lines;
    };
    const body = [
      ...(rb.full ? [`for (long lr0 = 0; lr0 < ${rb.full}; lr0 += ${va.block}) {`, ...colsFor(va.block, "lr0").map((l) => `  ${l}`), `}`] : []),
      ...(rb.tail ? colsFor(rb.tail, String(rb.full)) : []),
    ];
    if (!parLoops && rb.full > va.block) drv.push(...pragma(1));
    drv.push(...body.map((l) => ind + l));
  }
  ind = ind.slice(2);
  drv.push(`${ind}}`);
  if (chunked) drv.push(`  }`);
  drv.push(`}`, "");
  return { source: [...tiles.values(), drv.join("\n")].join("\n"), call: `${fn}(${[...sizes, ...arrays].join(", ")});` };
}
