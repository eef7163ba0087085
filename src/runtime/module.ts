/** A compiled program running in-process: typed arrays go to native code without copying. */
import type { Graph } from "../core/graph.js";
import { bindInputs, toTensor, type InputValue } from "../core/inputs.js";
import type { CUnit } from "../codegen/c.js";
import { product, resolveShape, type Shape } from "../core/shape.js";
import type { DType, Tensor } from "../core/tensor.js";
import { buildShared, loadLibrary, type NativeBuild } from "./native.js";
import { LiftError } from "../lang/diagnostics.js";

export class NativeModule {
  private readonly fn: (...args: unknown[]) => void;
  private readonly scratchBytes: (...sizes: number[]) => number | bigint;
  private scratch: ArrayBuffer = new ArrayBuffer(0);
  private readonly Ctor: typeof Float32Array | typeof Float64Array;
  /** Each FFI buffer's declared shape, in the order of `unit.entry.buffers`. */
  private readonly shapes: Shape[];

  constructor(
    readonly graph: Graph,
    readonly unit: CUnit,
    readonly dtype: DType,
    readonly build: NativeBuild,
  ) {
    this.Ctor = dtype === "f32" ? Float32Array : Float64Array;
    const decls = new Map([...graph.inputs, ...graph.outputs, ...graph.grads].map((d) => [d.name, d.shape]));
    this.shapes = unit.entry.buffers.map((b) => decls.get(b.name)!);
    const lib = loadLibrary(build.path);
    this.fn = lib.func(`void ${unit.entry.symbol}(void **buffers, const int64_t *sizes, void *scratch)`) as (
      ...args: unknown[]
    ) => void;
    this.scratchBytes = lib.func(
      `size_t ${unit.entry.scratchSymbol}(${unit.entry.sizes.map(() => "int64_t").join(", ") || "void"})`,
    ) as (...s: number[]) => number;
  }

  /**
   * One call on caller-owned buffers, for loops that run a step many times: `buffers` maps every
   * input and output name to a typed array of the module's element type and exact length;
   * `sizes` gives each symbolic size. Nothing is allocated (after the first call) or copied.
   */
  call(buffers: Record<string, Float32Array | Float64Array>, sizes: Record<string, number> = {}): void {
    const { args, layout } = this.checked(buffers, sizes);
    const need = layout.scratchBytes;
    if (this.scratch.byteLength < need) this.scratch = new ArrayBuffer(need);
    // koffi hands each typed array's own memory to C: nothing is copied either way.
    this.fn(args, layout.sizeArray, need ? this.scratch : null);
  }

  /**
   * The checked arguments of one call (as `call` takes them): the buffers in the entry's order,
   * the symbolic sizes' values, and the scratch bytes the call needs.
   */
  argsOf(
    buffers: Record<string, Float32Array | Float64Array>,
    sizes: Record<string, number> = {},
  ): { args: (Float32Array | Float64Array)[]; sizeValues: number[]; scratchBytes: number } {
    const { args, layout } = this.checked(buffers, sizes);
    return { args, sizeValues: layout.sizeValues, scratchBytes: layout.scratchBytes };
  }

  /**
   * What a call at given sizes needs, computed once per distinct sizes: a step called thousands
   * of times a second spent a quarter of its time at batch 1 in this bookkeeping (perf, issue 15).
   */
  private layouts = new Map<
    string,
    { sizeValues: number[]; sizeArray: BigInt64Array; lengths: number[]; scratchBytes: number }
  >();

  private checked(buffers: Record<string, Float32Array | Float64Array>, sizes: Record<string, number>) {
    const entry = this.unit.entry;
    const key = entry.sizes.map((s) => sizes[s]).join(",");
    let layout = this.layouts.get(key);
    if (!layout) {
      const sz = new Map(Object.entries(sizes));
      for (const s of entry.sizes) {
        const v = sz.get(s);
        if (v === undefined || !Number.isInteger(v) || v < 1)
          throw new LiftError(`size ${s} needs a whole value ≥ 1, got ${v}`);
      }
      const sizeValues = entry.sizes.map((s) => sz.get(s)!);
      const lengths = this.shapes.map((sh) => product(resolveShape(sh, sz)));
      layout = {
        sizeValues,
        sizeArray: BigInt64Array.from(sizeValues.map(BigInt)),
        lengths,
        scratchBytes: Number(this.scratchBytes(...sizeValues)),
      };
      this.layouts.set(key, layout);
    }
    const args: (Float32Array | Float64Array)[] = new Array(entry.buffers.length);
    for (let i = 0; i < args.length; i++) {
      const b = entry.buffers[i]!,
        t = buffers[b.name];
      if (!(t instanceof this.Ctor)) throw new LiftError(`buffer \`${b.name}\` must be a ${this.Ctor.name}`);
      if (t.length !== layout.lengths[i])
        throw new LiftError(`buffer \`${b.name}\` has ${t.length} elements; its shape needs ${layout.lengths[i]}`);
      args[i] = t;
    }
    this.checkAliasing(args);
    return { args, layout };
  }

  /** A buffer's declared shape (by its model name), in the entry's order of `unit.entry.buffers`. */
  shapeOf(name: string): Shape | undefined {
    const i = this.unit.entry.buffers.findIndex((b) => b.name === name);
    return i < 0 ? undefined : this.shapes[i];
  }

  /**
   * The C entry's buffers are `restrict`: an output sharing memory with any other buffer is
   * undefined behaviour (in practice wrong numbers), so it is refused.
   */
  private checkAliasing(args: (Float32Array | Float64Array)[]): void {
    const bufs = this.unit.entry.buffers;
    const mem = args.map((a) => a.buffer),
      lo = args.map((a) => a.byteOffset),
      hi = args.map((a) => a.byteOffset + a.byteLength);
    for (let i = 0; i < args.length; i++) {
      if (bufs[i]!.role !== "output" || lo[i] === hi[i]) continue;
      for (let j = 0; j < args.length; j++) {
        if (j === i || mem[i] !== mem[j] || lo[j] === hi[j]) continue;
        if (lo[i]! < hi[j]! && lo[j]! < hi[i]!)
          throw new LiftError(
            `buffer \`${bufs[i]!.name}\` (an output) shares memory with \`${bufs[j]!.name}\``,
            undefined,
            "give every output its own array: the compiled code assumes outputs overlap nothing",
          );
      }
    }
  }

  /** Evaluates every output and gradient declaration. Inputs as for the interpreter. */
  run(inputs: Record<string, InputValue>): Record<string, Tensor> {
    const given = new Map(Object.entries(inputs).map(([k, v]) => [k, toTensor(k, v, this.dtype)]));
    const { sizes } = bindInputs(this.graph, given);
    const out: Record<string, Tensor> = {};
    const buffers: Record<string, Float32Array | Float64Array> = {};
    this.unit.entry.buffers.forEach((b, i) => {
      if (b.role === "input") {
        buffers[b.name] = given.get(b.name)!.data;
        return;
      }
      const shape = resolveShape(this.shapes[i]!, sizes);
      out[b.name] = { shape, data: (buffers[b.name] = new this.Ctor(product(shape))) };
    });
    this.call(buffers, Object.fromEntries(sizes));
    return out;
  }
}

export function loadNative(graph: Graph, unit: CUnit, dtype: DType, flags: string[]): NativeModule {
  return new NativeModule(graph, unit, dtype, buildShared(unit.name, unit.header, unit.source, flags));
}
