/**
 * Running a LiFT WebAssembly module, in Node and in browsers alike: this file imports nothing (one
 * type, erased), so its compiled JavaScript is copied as is beside emitted modules and into the
 * web demo.
 *
 * Every buffer lives in the module's own memory. `alloc(name, sizes)` returns a typed-array view
 * of the right length there; `call` passes such views by their offset, so nothing is copied.
 * Arrays from elsewhere are accepted too, copied in (inputs) and out (outputs) around the call.
 * Free memory is handed out upwards from `__heap_base`, 64-byte aligned; the memory grows when
 * needed, and growing detaches the views taken before it, so `reserve(sizes)` (the scratch for
 * the largest sizes) comes first, then the views.
 */

import type { WasmImportName } from "../codegen/wasm.js";

export type Dim = number | string;
export type FloatArray = Float32Array | Float64Array;

/** What a module computes: its entry, buffers (inputs, then outputs) with shapes, symbolic sizes. */
export interface WasmMeta {
  name: string;
  dtype: "f32" | "f64";
  symbol: string;
  scratchSymbol: string;
  sizes: string[];
  buffers: { name: string; role: "input" | "output"; shape: Dim[] }[];
}

/** The maths the generated C imports (see src/codegen/wasm.ts for their accuracy; its `WASM_MATH` lists them). */
export const MATH_IMPORTS: { env: { [F in WasmImportName]: (...a: number[]) => number } } = {
  env: {
    expf: Math.exp,
    logf: Math.log,
    powf: Math.pow,
    sinf: Math.sin,
    exp: Math.exp,
    log: Math.log,
    pow: Math.pow,
    sin: Math.sin,
  },
};

const ALIGN = 64;
const PAGE = 65536;

export class LiftWasm {
  readonly memory: WebAssembly.Memory;
  private readonly fn: (buffers: number, sizes: number, scratch: number) => void;
  private readonly scratchBytes: (...sizes: number[]) => number;
  private top: number;
  private readonly args: number;
  private scratch = 0;
  private scratchLen = 0;
  private readonly Ctor: typeof Float32Array | typeof Float64Array;
  private readonly index: Map<string, number>;

  constructor(
    instance: WebAssembly.Instance,
    readonly meta: WasmMeta,
    private readonly fail: (message: string) => Error = (m) => new Error(m),
  ) {
    const ex = instance.exports as Record<string, unknown>;
    this.memory = ex.memory as WebAssembly.Memory;
    this.fn = ex[meta.symbol] as LiftWasm["fn"];
    this.scratchBytes = ex[meta.scratchSymbol] as LiftWasm["scratchBytes"];
    this.top = (ex.__heap_base as WebAssembly.Global).value as number;
    this.Ctor = meta.dtype === "f32" ? Float32Array : Float64Array;
    this.index = new Map(meta.buffers.map((b, i) => [b.name, i]));
    this.args = this.bytes(4 * (meta.buffers.length + meta.sizes.length) + 4);
  }

  /** Instantiates compiled bytes (asynchronously, as browsers require for large modules). */
  static async load(bytes: BufferSource, meta: WasmMeta): Promise<LiftWasm> {
    const { instance } = await WebAssembly.instantiate(bytes, MATH_IMPORTS);
    return new LiftWasm(instance, meta);
  }

  /** Elements of a buffer for the given symbolic sizes. */
  lengthOf(name: string, sizes: Record<string, number> = {}): number {
    const i = this.index.get(name);
    if (i === undefined)
      throw this.fail(
        `\`${name}\` is not a buffer of ${this.meta.name} (its buffers: ${[...this.index.keys()].join(", ")})`,
      );
    return this.meta.buffers[i]!.shape.reduce<number>(
      (n, d) => n * (typeof d === "number" ? d : this.size(sizes, d)),
      1,
    );
  }

  /** A view of fresh module memory for buffer `name` (zeroed), or of `count` elements. */
  alloc(name: string | number, sizes: Record<string, number> = {}): FloatArray {
    const n = typeof name === "number" ? name : this.lengthOf(name, sizes);
    const at = this.bytes(n * this.Ctor.BYTES_PER_ELEMENT);
    return new this.Ctor(this.memory.buffer, at, n).fill(0); // released staging memory may be dirty
  }

  /**
   * The scratch for `sizes` and a view for every buffer, with the memory grown once beforehand so
   * that no view is detached by the next one's allocation.
   */
  allocAll(sizes: Record<string, number> = {}): Record<string, FloatArray> {
    this.reserve(sizes);
    const lengths = this.meta.buffers.map((b) => this.lengthOf(b.name, sizes));
    this.ensure(lengths.reduce((t, n) => t + n * this.Ctor.BYTES_PER_ELEMENT + ALIGN, 0));
    return Object.fromEntries(this.meta.buffers.map((b, i) => [b.name, this.alloc(lengths[i]!)]));
  }

  /** Allocates the scratch memory one call with these sizes needs (call it before taking views). */
  reserve(sizes: Record<string, number> = {}): void {
    const need = this.scratchBytes(...this.meta.sizes.map((s) => this.size(sizes, s))) >>> 0;
    if (need > this.scratchLen) {
      this.scratch = this.bytes(need);
      this.scratchLen = need;
    }
  }

  /**
   * One call: `buffers` maps every input and output to a typed array of the exact length, best a
   * view from `alloc` (passed in place); others are copied in and out around the call.
   */
  call(buffers: Record<string, FloatArray>, sizes: Record<string, number> = {}): void {
    const m = this.meta;
    for (const s of m.sizes) this.size(sizes, s);
    this.reserve(sizes);
    const mark = this.top; // staged copies are released after the call
    const staged: [FloatArray, number][] = [];
    const ptrs = m.buffers.map((b) => {
      const t = buffers[b.name];
      if (!(t instanceof this.Ctor)) throw this.fail(`buffer \`${b.name}\` must be a ${this.Ctor.name}`);
      const n = this.lengthOf(b.name, sizes);
      if (t.length !== n)
        throw this.fail(
          t.length === 0 && n > 0 && t.buffer.byteLength === 0
            ? `buffer \`${b.name}\` is a view of module memory from before it grew; call reserve() before alloc()`
            : `buffer \`${b.name}\` has ${t.length} elements; its shape needs ${n}`,
        );
      if (t.buffer === this.memory.buffer) return t.byteOffset;
      const at = this.bytes(t.byteLength);
      if (b.role === "input") new this.Ctor(this.memory.buffer, at, n).set(t);
      if (b.role === "output") staged.push([t, at]);
      return at;
    });
    const words = new Int32Array(this.memory.buffer, this.args, ptrs.length + m.sizes.length);
    ptrs.forEach((p, i) => {
      words[i] = p;
    });
    m.sizes.forEach((s, i) => {
      words[ptrs.length + i] = sizes[s]!;
    });
    this.fn(this.args, this.args + 4 * ptrs.length, this.scratch);
    for (const [t, at] of staged) t.set(new this.Ctor(this.memory.buffer, at, t.length));
    this.top = mark;
  }

  /** Bytes of the module's memory handed out so far (everything above is free). */
  get used(): number {
    return this.top;
  }

  private size(sizes: Record<string, number>, s: string): number {
    const v = sizes[s];
    if (v === undefined || !Number.isInteger(v) || v < 1)
      throw this.fail(`size ${s} needs a whole value ≥ 1, got ${v}`);
    return v;
  }

  /** Grows the memory now so that `n` more bytes can be handed out without growing it. */
  private ensure(n: number): void {
    const have = this.memory.buffer.byteLength,
      end = Math.ceil(this.top / ALIGN) * ALIGN + n;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
  }

  /** `n` bytes of free memory, 64-byte aligned, growing the memory when it runs out. */
  private bytes(n: number): number {
    const at = Math.ceil(this.top / ALIGN) * ALIGN;
    this.ensure(Math.max(n, 1));
    this.top = at + Math.max(n, 1);
    return at;
  }
}
