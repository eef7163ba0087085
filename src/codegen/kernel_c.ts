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
 *
 * A chunked f32 kernel (`wide`, issue 10) sums in blocks: each tile starts its registers at zero,
 * adds one chunk (at most SUM_BLOCK terms a lane, src/poly/kernels.ts) and adds them into a
 * float64 shadow of z; the driver copies z into the shadow first and rounds it back once at the end.
 */
import type { Dialect } from "./dialect.js";
import { printGemm } from "./gemm_c.js";
import type { KernelPlan, KernelVariant } from "../loop/ast.js";

export interface KernelC {
  source: string;
  call: string;
}

/** Every width's functions, each under its `#if`, and the one call they share. */
export function printKernel(k: KernelPlan, fn: string, T: string, parallelWork: number, d: Dialect): KernelC {
  if (k.gemm) return printGemm(k, fn, T, parallelWork, d);
  const outs = k.variants.map((v) => printVariant(k, v, fn, T, parallelWork, d));
  const src: string[] = [];
  k.variants.forEach((v, i) => src.push(`#${i ? "elif" : "if"} LIFT_VBYTES == ${v.bytes}`, outs[i]!.source));
  src.push(`#else`, `#error "LIFT_VBYTES must be 0, 16, 32 or 64"`, `#endif`, "");
  return { source: src.join("\n"), call: outs[0]!.call };
}

type Iter = KernelPlan["iters"][number] & { i: number };

/** What every function of one width's kernel shares: the plan, the width, the axes by role. */
interface Variant {
  k: KernelPlan;
  va: KernelVariant;
  fn: string;
  T: string;
  d: Dialect;
  /** lanes of the width */
  L: number;
  plain: Iter[];
  red: Iter[];
  v: Iter;
  r?: Iter;
  r2?: Iter;
  /** reduction loops, largest stride outermost, so the innermost walks memory the most densely */
  redOrder: Iter[];
  /** the long reduction axis the driver splits into chunks of `CH` (the operands a chunk reads stay in cache) */
  chunked?: Iter;
  CH: number;
  /** the symbolic sizes the tiles' own (unchunked) reduction loops run to */
  tileSizes: string[];
  tileParams: string;
  /** the float64 shadow of z the tiles add into, when the kernel sums in blocks */
  wide?: string;
  /** the tiles printed so far, by key */
  tiles: Map<string, string>;
}

const ext = (e: number | string) => (typeof e === "number" ? `${e}L` : e);

/** `x * s + …` over the non-zero strides, with a constant base. */
function lin(terms: [string, number][], base = 0): string {
  const parts = terms.filter(([, s]) => s !== 0).map(([x, s]) => (s === 1 ? x : `${x} * ${s}L`));
  if (base !== 0 || !parts.length) parts.unshift(`${base}L`);
  return parts.join(" + ");
}

function variantOf(k: KernelPlan, va: KernelVariant, fn: string, T: string, d: Dialect): Variant {
  const idx = (role: string) => k.iters.map((it, i) => ({ ...it, i })).filter((x) => x.role === role);
  const plain = idx("plain"),
    red = idx("red");
  const [v] = idx("v"),
    [r] = idx("r"),
    [r2] = idx("r2");
  if (!v) throw new Error("internal: kernel without a vector axis");
  const weight = (x: Iter) => Math.abs(k.b.stride[x.i]!) + Math.abs(k.a.stride[x.i]!);
  const redOrder = [...red].sort((x, y) => weight(y) - weight(x));
  const chunked = k.chunk ? red.find((x) => x.name === k.chunk!.iter) : undefined;
  const symbolic = (xs: Iter[]) =>
    [...new Set(xs.map((x) => x.extent).filter((e): e is string => typeof e === "string"))].sort();
  const tileSizes = symbolic(red.filter((x) => x !== chunked));
  const R = d.restrict;
  const tileParams = [
    `${k.wide ? "double" : T} *${R} z`,
    `const ${T} *${R} a`,
    `const ${T} *${R} b`,
    ...tileSizes.map((x) => `long ${x}`),
    ...(chunked ? ["long kn"] : []),
  ].join(", ");
  return {
    k,
    va,
    fn,
    T,
    d,
    L: va.lanes,
    plain,
    red,
    v,
    r,
    r2,
    redOrder,
    chunked,
    CH: va.chunk ?? k.chunk?.size ?? 0,
    tileSizes,
    tileParams,
    ...(k.wide ? { wide: k.wide } : {}),
    tiles: new Map(),
  };
}

/** The reduction loops of a tile around `body`, with `ao`/`bo` the operands' offsets inside. */
function redLoops(x: Variant, body: (ind: string) => string[], ind: string): string[] {
  const { k } = x;
  const lines: string[] = [];
  let d = ind;
  for (const it of x.redOrder) {
    lines.push(`${d}for (long ${it.name} = 0; ${it.name} < ${it === x.chunked ? "kn" : ext(it.extent)}; ${it.name}++)`);
    d += "  ";
  }
  lines.push(`${d}{`);
  lines.push(
    `${d}  const long ao = ${lin(x.redOrder.map((it) => [it.name, k.a.stride[it.i]!]))}, bo = ${lin(x.redOrder.map((it) => [it.name, k.b.stride[it.i]!]))};`,
  );
  lines.push(...body(d + "  "));
  lines.push(`${d}}`);
  return lines;
}

/** An axpy tile: `rows` of r by `width` lanes of v; returns its function's name. */
function axpyTile(x: Variant, rows: number, width: number): string {
  const { k, va, L, r, T } = x;
  const key = `t${rows}_${width}`,
    name = `${x.fn}_${key}`;
  if (x.tiles.has(key)) return name;
  const nv = Math.ceil(width / L),
    last = width - (nv - 1) * L;
  const zr = r ? k.z.stride[r.i]! : 0,
    ar = r ? k.a.stride[r.i]! : 0;
  const partial = (j: number) => j === nv - 1 && last < L;
  const load = (p: string, j: number) =>
    partial(j) ? `lift_vloadn(${p} + ${j * L}, ${last})` : `lift_vload(${p} + ${j * L})`;
  const lines = [`static ${x.d.noinline} void ${name}(${x.tileParams}) {`];
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < nv; j++)
      lines.push(`  lift_vec c${i}_${j} = ${x.wide ? "lift_vzero()" : load(`z + ${i * zr}`, j)};`);
  lines.push(
    ...redLoops(
      x,
      (d) => {
        const body: string[] = [];
        for (let j = 0; j < nv; j++)
          body.push(`${d}const lift_vec x${j} = ${va.overread ? `lift_vload(b + bo + ${j * L})` : load("b + bo", j)};`);
        for (let i = 0; i < rows; i++) {
          body.push(
            `${d}{ const ${T} y = a[ao + ${i * ar}];${Array.from({ length: nv }, (_, j) => ` c${i}_${j} = lift_vfma(c${i}_${j}, y, x${j});`).join("")} }`,
          );
        }
        return body;
      },
      "  ",
    ),
  );
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < nv; j++) {
      const at = `z + ${i * zr} + ${j * L}`;
      if (x.wide) lines.push(`  lift_vaddw(${at}, c${i}_${j}, ${partial(j) ? last : L});`);
      else lines.push(partial(j) ? `  lift_vstoren(${at}, c${i}_${j}, ${last});` : `  lift_vstore(${at}, c${i}_${j});`);
    }
  lines.push(`}`, "");
  x.tiles.set(key, lines.join("\n"));
  return name;
}

/** A dot tile: `rows` of r by `cols` of r2, each a dot product along v; returns its function's name. */
function dotTile(x: Variant, rows: number, cols: number): string {
  const { k, va, L, v, r, r2 } = x;
  const key = `d${rows}_${cols}`,
    name = `${x.fn}_${key}`;
  if (x.tiles.has(key)) return name;
  const ev = v.extent as number,
    full = va.overread ? Math.ceil(ev / L) * L : Math.floor(ev / L) * L,
    rem = va.overread ? 0 : ev - full;
  const ar = r ? k.a.stride[r.i]! : 0,
    br = r2 ? k.b.stride[r2.i]! : 0;
  const zr = r ? k.z.stride[r.i]! : 0,
    zc = r2 ? k.z.stride[r2.i]! : 0;
  const lines = [`static ${x.d.noinline} void ${name}(${x.tileParams}) {`];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) lines.push(`  lift_vec c${i}_${j} = lift_vzero();`);
  const step = (d: string, at: string, n?: number) => {
    const ld = (p: string) => (n === undefined ? `lift_vload(${p} + ${at})` : `lift_vloadn(${p} + ${at}, ${n})`);
    const body: string[] = [];
    for (let i = 0; i < rows; i++) body.push(`${d}const lift_vec x${i} = ${ld(`a + ao + ${i * ar}`)};`);
    for (let j = 0; j < cols; j++) body.push(`${d}const lift_vec y${j} = ${ld(`b + bo + ${j * br}`)};`);
    for (let i = 0; i < rows; i++)
      body.push(
        `${d}${Array.from({ length: cols }, (_, j) => `c${i}_${j} = lift_vfmav(c${i}_${j}, x${i}, y${j});`).join(" ")}`,
      );
    return body;
  };
  lines.push(
    ...redLoops(
      x,
      (d) => {
        const body: string[] = [];
        if (full) body.push(`${d}for (long lv = 0; lv < ${full}; lv += ${L}) {`, ...step(d + "  ", "lv"), `${d}}`);
        if (rem) body.push(`${d}{`, ...step(d + "  ", String(full), rem), `${d}}`);
        return body;
      },
      "  ",
    ),
  );
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++)
      lines.push(`  z[${i * zr + j * zc}] += ${x.wide ? "lift_vsumw" : "lift_vsum"}(c${i}_${j});`);
  lines.push(`}`, "");
  x.tiles.set(key, lines.join("\n"));
  return name;
}

/** Full blocks of `size` and the tail of an extent. */
const blocks = (extent: number, size: number) => ({ full: Math.floor(extent / size) * size, tail: extent % size });

/** A tile call from the driver: each pointer at the driver's offset (zo, ao, bo) plus the tile's. */
function tileCall(x: Variant, tile: string, zoff: string, aoff: string, boff: string): string {
  const { k } = x;
  const sizes = [...x.tileSizes, ...(x.chunked ? ["kn"] : [])].map((s) => `, ${s}`).join("");
  return `${tile}(${x.wide ? "zw" : k.z.array} + zo + ${zoff}, ${k.a.array} + ao + ${aoff}, ${k.b.array} + bo + ${boff}${sizes});`;
}

const rStride = (x: Variant, s: "z" | "a" | "b") => (x.r ? x.k[s].stride[x.r.i]! : 0);

/** The driver's tile calls over the r blocks and v chunks of an axpy kernel. */
function axpyBlocks(x: Variant): string[] {
  const { va, L } = x;
  const ev = x.v.extent as number;
  const W = Math.min(Math.ceil(ev / L), 4) * L;
  const vb = blocks(ev, W),
    rb = blocks(x.r ? (x.r.extent as number) : 1, va.block);
  const rows = (n: number, start: string) => {
    const lines: string[] = [];
    const zoff = (vx: string) => `${start} * ${rStride(x, "z")}L + ${vx}`,
      aoff = `${start} * ${rStride(x, "a")}L`;
    if (vb.full)
      lines.push(
        `for (long lv0 = 0; lv0 < ${vb.full}; lv0 += ${W}) ${tileCall(x, axpyTile(x, n, W), zoff("lv0"), aoff, "lv0")}`,
      );
    if (vb.tail) lines.push(tileCall(x, axpyTile(x, n, vb.tail), zoff(String(vb.full)), aoff, String(vb.full)));
    return lines;
  };
  return [
    ...(rb.full
      ? [
          `for (long lr0 = 0; lr0 < ${rb.full}; lr0 += ${va.block}) {`,
          ...rows(va.block, "lr0").map((l) => `  ${l}`),
          `}`,
        ]
      : []),
    ...(rb.tail ? rows(rb.tail, String(rb.full)) : []),
  ];
}

/** The driver's tile calls over the r × r2 blocks of a dot kernel. */
function dotBlocks(x: Variant): string[] {
  const { va, r2 } = x;
  const rb = blocks(x.r ? (x.r.extent as number) : 1, va.block),
    cb = blocks(r2 ? (r2.extent as number) : 1, va.block2);
  const cStride = (s: "z" | "b") => (r2 ? x.k[s].stride[r2.i]! : 0);
  const cols = (n: number, rs: string) => {
    const lines: string[] = [];
    const z = (cs: string) => `${rs} * ${rStride(x, "z")}L + ${cs} * ${cStride("z")}L`,
      aoff = `${rs} * ${rStride(x, "a")}L`;
    if (cb.full)
      lines.push(
        `for (long lc0 = 0; lc0 < ${cb.full}; lc0 += ${va.block2}) ${tileCall(x, dotTile(x, n, va.block2), z("lc0"), aoff, `lc0 * ${cStride("b")}L`)}`,
      );
    if (cb.tail)
      lines.push(tileCall(x, dotTile(x, n, cb.tail), z(String(cb.full)), aoff, `${cb.full} * ${cStride("b")}L`));
    return lines;
  };
  return [
    ...(rb.full
      ? [
          `for (long lr0 = 0; lr0 < ${rb.full}; lr0 += ${va.block}) {`,
          ...cols(va.block, "lr0").map((l) => `  ${l}`),
          `}`,
        ]
      : []),
    ...(rb.tail ? cols(rb.tail, String(rb.full)) : []),
  ];
}

/**
 * The driver: chunks of the long reduction axis, the plain loops (the parallel ones), then the
 * tile calls. `parallelWork`: total multiply-adds below which it stays on one thread.
 */
function driver(x: Variant, sizeParams: string[], ptrs: string[], parallelWork: number): string {
  const { k, d, plain, chunked, CH, va } = x;
  const work = k.iters.map((it) => ext(it.extent)).join(" * ");
  const drv: string[] = [`static ${d.noinline} void ${x.fn}(${[...sizeParams, ...ptrs].join(", ")}) {`];
  const pragma = (collapse: number) => d.parallelFor(`${work} >= ${parallelWork}L`, collapse);
  let ind = "  ";
  if (x.wide) drv.push(`  double *${d.restrict} zw = ${x.wide};`, ...footprint(x, "zw[o] = z[o];"));
  if (chunked) {
    drv.push(
      `${ind}for (long lk = 0; lk < ${ext(chunked.extent)}; lk += ${CH}) {`,
      `${ind}  const long kn = lift_imin(${CH}L, ${ext(chunked.extent)} - lk);`,
    );
    ind += "  ";
  }
  const parLoops = plain.length ? Math.min(2, plain.length) : 0;
  if (parLoops) drv.push(...pragma(parLoops));
  for (const it of plain) {
    drv.push(`${ind}for (long ${it.name} = 0; ${it.name} < ${ext(it.extent)}; ${it.name}++)`);
    ind += "  ";
  }
  drv.push(`${ind}{`);
  ind += "  ";
  const pl = (s: "z" | "a" | "b") =>
    lin(
      [...plain, ...(chunked && s !== "z" ? [{ ...chunked, name: "lk" }] : [])].map(
        (it) => [it.name, k[s].stride[it.i]!] as [string, number],
      ),
      k[s].offset,
    );
  drv.push(`${ind}const long zo = ${pl("z")}, ao = ${pl("a")}, bo = ${pl("b")};`);
  const body = k.form === "axpy" ? axpyBlocks(x) : dotBlocks(x);
  const rFull = blocks(x.r ? (x.r.extent as number) : 1, va.block).full;
  if (!parLoops && rFull > va.block) drv.push(...pragma(1));
  drv.push(...body.map((l) => ind + l));
  ind = ind.slice(2);
  drv.push(`${ind}}`);
  if (chunked) drv.push(`  }`);
  if (x.wide) drv.push(...footprint(x, `z[o] = (${x.T})zw[o];`));
  drv.push(`}`, "");
  return drv.join("\n");
}

/** `body` (with `z` the kernel's output and `o` an offset) at every element the kernel writes, in a block of its own. */
function footprint(x: Variant, body: string): string[] {
  const { k } = x;
  const out = k.iters.map((it, i) => ({ ...it, i })).filter((it) => k.z.stride[it.i] !== 0);
  const lines = [`  {`, `    ${x.T} *${x.d.restrict} z = ${k.z.array};`];
  let ind = "    ";
  for (const it of out) {
    lines.push(`${ind}for (long ${it.name} = 0; ${it.name} < ${ext(it.extent)}; ${it.name}++)`);
    ind += "  ";
  }
  lines.push(
    `${ind}{ const long o = ${lin(
      out.map((it) => [it.name, k.z.stride[it.i]!]),
      k.z.offset,
    )}; ${body} }`,
  );
  lines.push(`  }`);
  return lines;
}

/** One width's kernel as C functions (a driver and its tiles) and the statement that calls it. */
function printVariant(
  k: KernelPlan,
  va: KernelVariant,
  fn: string,
  T: string,
  parallelWork: number,
  d: Dialect,
): KernelC {
  const x = variantOf(k, va, fn, T, d);
  const sizes = [...new Set(k.iters.map((it) => it.extent).filter((e): e is string => typeof e === "string"))].sort();
  // One pointer per distinct array: z is written, a and b only read (they may be one array).
  const arrays = [...new Set([k.z.array, k.a.array, k.b.array]), ...(k.wide ? [k.wide] : [])];
  const ptr = (a: string) =>
    a === k.wide ? `double *${d.restrict} ${a}` : `${a !== k.z.array ? "const " : ""}${T} *${d.restrict} ${a}`;
  const drv = driver(
    x,
    sizes.map((s) => `long ${s}`),
    arrays.map(ptr),
    parallelWork,
  );
  return { source: [...x.tiles.values(), drv].join("\n"), call: `${fn}(${[...sizes, ...arrays].join(", ")});` };
}
