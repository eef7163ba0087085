/**
 * Modules: a program opened as a layer with `forward` and `backward` entry points, so user code
 * can chain compiled programs with its own (a CRF loss on a CNN, the two players of a GAN).
 * Both entry points are ordinary programs (module/vjp.ts) run by the interpreter or compiled
 * through the isl pipeline to C. Residuals are the forward inputs the backward reads (copies,
 * in the module's dtype) and the forward values stored for it — expensive contractions within a
 * size bound (module/residuals.ts); backward recomputes the rest. See docs/modules.md for why.
 */
import type { Graph } from "../core/graph.js";
import { product, resolveShape, shapeText } from "../core/shape.js";
import type { DType, Tensor } from "../core/tensor.js";
import { evaluate } from "../interp/eval.js";
import { fail } from "../lang/diagnostics.js";
import { moduleGraphs, type ModuleGraphs } from "../module/vjp.js";
import type { CompileOptions } from "../compiler/compile.js";
import { loadNative, type NativeModule } from "../runtime/module.js";
import { cflags } from "../runtime/native.js";
import { cachedUnit } from "../runtime/unit_cache.js";
import { bindInputs, toTensor, type InputValue } from "../core/inputs.js";
import { hasExterns, type ExternImpls } from "../core/externs.js";
import { runStaged } from "../module/stages.js";
import type { ResidualOptions } from "../module/residuals.js";

export interface ModuleOptions {
  /** Named arrays of the program the module returns. */
  outputs: string[];
  /** Inputs (or params) the backward differentiates with respect to. */
  wrt: string[];
  /** "c" (default): both entry points compiled to C and loaded in-process; "interp": the interpreter. */
  backend?: "c" | "interp";
  dtype?: DType;
  /** Options for the C backend's compiler (name, kernels, schedule, openmp). */
  compile?: Omit<CompileOptions, "dtype">;
  /** Which forward values backward reads stored rather than recomputed (default: by cost). */
  residuals?: ResidualOptions;
}

/** What one `forward` keeps for its `backward`. Several may be outstanding; `release` frees one early. */
export class Residuals {
  private values: Map<string, Tensor> | null;
  constructor(
    readonly owner: LiftModule,
    values: Map<string, Tensor>,
    readonly sizes: Map<string, number>,
  ) {
    this.values = values;
  }
  /** Drops the kept arrays; a later `backward` with these residuals is an error. */
  release(): void {
    this.values = null;
  }
  get released(): boolean {
    return this.values === null;
  }
  /** Bytes held (0 once released). */
  get bytes(): number {
    let b = 0;
    for (const t of this.values?.values() ?? []) b += t.data.byteLength;
    return b;
  }
  /** @internal */ take(): Map<string, Tensor> {
    if (!this.values) fail("these residuals were released; run forward again to get new ones");
    return this.values;
  }
}

/** Runs one of the module's programs on named tensors, returning its declared results by name. */
type Runner = (inputs: Map<string, Tensor>) => Record<string, Tensor>;

export class LiftModule {
  readonly graphs: ModuleGraphs;
  readonly dtype: DType;
  readonly backend: "c" | "interp";
  private fwd?: Runner;
  private bwd?: Runner;

  constructor(
    private readonly program: Graph,
    private readonly opts: ModuleOptions,
    private readonly externs: ExternImpls = {},
  ) {
    this.graphs = moduleGraphs(program, opts.outputs, opts.wrt, opts.residuals);
    this.dtype = opts.dtype ?? "f32";
    this.backend = opts.backend ?? "c";
    if (this.backend !== "c" && this.backend !== "interp")
      fail(`backend must be "c" or "interp", not ${JSON.stringify(this.backend)}`);
  }

  get outputs(): string[] {
    return [...this.opts.outputs];
  }
  get wrt(): string[] {
    return [...this.opts.wrt];
  }
  /** Names of the inputs `forward` needs. */
  get inputs(): string[] {
    return this.graphs.forward.inputs.map((d) => d.name);
  }

  /** Computes the outputs from the inputs they depend on (other inputs of the program are ignored). */
  forward(inputs: Record<string, InputValue>): { outputs: Record<string, Tensor>; residuals: Residuals } {
    const known = new Set(this.program.inputs.map((d) => d.name));
    const need = new Set(this.inputs);
    const given = new Map<string, Tensor>();
    for (const [k, v] of Object.entries(inputs)) {
      if (!known.has(k))
        fail(
          `a value is given for \`${k}\`, which is not an input of the program`,
          undefined,
          `the module's inputs are: ${this.inputs.join(", ")}`,
        );
      if (need.has(k)) given.set(k, toTensor(k, v, this.dtype));
    }
    const { sizes } = bindInputs(this.graphs.forward, given);
    this.fwd ??= this.runner(this.graphs.forward, "forward");
    const raw = this.fwd(given);
    // A stored value is the forward program's own output (fresh, so it is kept as it is).
    const kept = new Map(this.graphs.residuals.map((r) => [r, given.get(r) ?? raw[r]!]));
    const outputs: Record<string, Tensor> = {};
    for (const o of this.opts.outputs) outputs[o] = raw[o]!;
    return { outputs, residuals: new Residuals(this, kept, sizes) };
  }

  /**
   * The vector–Jacobian product: given cotangents for some or all outputs (missing ones are
   * zero), the gradient of Σ cotangent·output with respect to every wrt name.
   */
  backward(residuals: Residuals, cotangents: Record<string, InputValue>): Record<string, Tensor> {
    if (!(residuals instanceof Residuals) || residuals.owner !== this)
      fail("backward needs residuals returned by this module's forward");
    const kept = residuals.take();
    const given = new Map(kept);
    const outs = new Set(this.opts.outputs);
    for (const [k, v] of Object.entries(cotangents)) {
      if (!outs.has(k))
        fail(
          `a cotangent is given for \`${k}\`, which is not an output of the module`,
          undefined,
          `the outputs are: ${this.opts.outputs.join(", ")}`,
        );
      const t = toTensor(k, v, this.dtype);
      const want = resolveShape(this.graphs.outputShapes.get(k)!, residuals.sizes);
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]))
        fail(`the cotangent for \`${k}\` has shape ${shapeText(t.shape)}, but the output has shape ${shapeText(want)}`);
      given.set(this.graphs.cotangent.get(k)!, t);
    }
    for (const o of this.opts.outputs) {
      const name = this.graphs.cotangent.get(o)!;
      if (given.has(name)) continue;
      const shape = resolveShape(this.graphs.outputShapes.get(o)!, residuals.sizes);
      given.set(name, { shape, data: new (this.dtype === "f32" ? Float32Array : Float64Array)(product(shape)) });
    }
    this.bwd ??= this.runner(this.graphs.backward, "backward");
    const raw = this.bwd(given);
    const out: Record<string, Tensor> = {};
    for (const w of this.opts.wrt) out[w] = raw[this.graphs.gradient.get(w)!]!;
    return out;
  }

  private runner(g: Graph, part: string): Runner {
    const results = [...g.outputs, ...g.grads];
    if (this.backend === "interp")
      return (inputs) => {
        const { byNode, sizes } = bindInputs(g, inputs);
        const values = evaluate(
          g,
          byNode,
          sizes,
          this.dtype,
          results.map((d) => d.node),
          undefined,
          this.externs,
        );
        return Object.fromEntries(results.map((d) => [d.name, values.get(d.node)!]));
      };
    const name = `${this.opts.compile?.name ?? "lift_module"}_${part}`;
    const native = (sg: Graph, suffix = ""): NativeModule => {
      const { unit } = cachedUnit(sg, { ...this.opts.compile, dtype: this.dtype, name: `${name}${suffix}` });
      return loadNative(sg, unit, this.dtype, cflags(this.opts.compile?.openmp));
    };
    if (!hasExterns(g)) {
      const whole = native(g);
      return (inputs) => callNative(whole, g, inputs, this.dtype);
    }
    // Externs: the stages between them are compiled programs of their own (module/stages.ts).
    const stages = new Map<Graph, NativeModule>(),
      graphs = new Map<string, Graph>();
    const runStage = (sg: Graph, inputs: Map<string, Tensor>) => {
      let nm = stages.get(sg);
      if (!nm) stages.set(sg, (nm = native(sg, `_s${stages.size}`)));
      return nm.run(Object.fromEntries(inputs));
    };
    return (inputs) =>
      runStaged(g, results, inputs, bindInputs(g, inputs).sizes, this.dtype, this.externs, runStage, graphs);
  }
}

/**
 * One call of a compiled program on tensors already of its dtype (copies made by `forward` or kept
 * in residuals): handed to C as they are, where `NativeModule.run` would convert them again.
 */
function callNative(nm: NativeModule, g: Graph, inputs: Map<string, Tensor>, dtype: DType): Record<string, Tensor> {
  const { sizes } = bindInputs(g, inputs);
  const Ctor = dtype === "f32" ? Float32Array : Float64Array;
  const buffers: Record<string, Float32Array | Float64Array> = {};
  for (const [k, t] of inputs) buffers[k] = t.data as Float32Array | Float64Array;
  const out: Record<string, Tensor> = {};
  for (const d of [...g.outputs, ...g.grads]) {
    const shape = resolveShape(d.shape, sizes);
    out[d.name] = { shape, data: (buffers[d.name] = new Ctor(product(shape))) };
  }
  nm.call(buffers, Object.fromEntries(sizes));
  return out;
}
