/** The library entry point: source text → checked program → values. */
import { check } from "../core/checker.js";
import type { Graph } from "../core/graph.js";
import type { DType, Tensor } from "../core/tensor.js";
import { evaluate, type EvalStats } from "../interp/eval.js";
import { LiftError } from "../lang/diagnostics.js";
import { resolveUses } from "../lang/use.js";
import { SourceFile } from "../lang/source.js";
import { bindInputs, toTensor, type InputValue } from "../core/inputs.js";
import type { CompileOptions } from "../compiler/compile.js";
import { cachedUnit } from "../runtime/unit_cache.js";
import { loadNative, type NativeModule } from "../runtime/module.js";
import { cflags } from "../runtime/native.js";
import { LiftModule, type ModuleOptions } from "./module.js";
import { hasExterns, type ExternImpls } from "../core/externs.js";
import { loadWasm, type WasmModule } from "../runtime/wasm.js";

/** Where a compiled program runs: native code through the C compiler (default), or WebAssembly. */
export type Backend = "c" | "wasm";
export type BackendOptions = CompileOptions & { backend?: Backend };

export interface SourceText {
  name: string;
  text: string;
}

export class LiftProgram {
  /** `externs`: the host implementations of the program's extern verbs (docs/externs.md). */
  constructor(
    readonly graph: Graph,
    readonly files: SourceFile[],
    readonly externs: ExternImpls = {},
  ) {}

  /**
   * Evaluates with the reference interpreter every output and gradient declaration, or the
   * arrays named in `opts.names`.
   */
  run(
    inputs: Record<string, InputValue>,
    opts: { dtype?: DType; stats?: EvalStats; names?: string[] } = {},
  ): Record<string, Tensor> {
    const dtype = opts.dtype ?? "f32";
    const given = new Map(Object.entries(inputs).map(([k, v]) => [k, toTensor(k, v, dtype)]));
    const { byNode, sizes } = bindInputs(this.graph, given);
    const wanted = opts.names ?? this.outputNames;
    const nodes = wanted.map((name) => {
      const id = this.graph.names.get(name);
      if (id === undefined) throw new LiftError(`\`${name}\` is not an array of the program`);
      return id;
    });
    const values = evaluate(this.graph, byNode, sizes, dtype, nodes, opts.stats, this.externs);
    const out: Record<string, Tensor> = {};
    wanted.forEach((name, i) => {
      out[name] = values.get(nodes[i]!)!;
    });
    return out;
  }

  /**
   * Compiles the whole program (forward, gradients, updates) through isl to C, builds it with
   * the system compiler (cached by content) and loads it in-process.
   */
  compile(opts: CompileOptions & { backend: "wasm" }): WasmModule;
  compile(opts?: CompileOptions & { backend?: "c" }): NativeModule;
  compile(opts?: BackendOptions): NativeModule | WasmModule;
  compile({ backend, ...opts }: BackendOptions = {}): NativeModule | WasmModule {
    const dtype = opts.dtype ?? "f32";
    if (hasExterns(this.graph))
      throw new LiftError(
        "a program with extern verbs is compiled only as a module: load(text).module({ outputs, wrt }) runs its stages around the externs",
        undefined,
        "docs/externs.md",
      );
    if (backend === "wasm") {
      // The wasm dialect of the C printer (src/codegen/wasm.ts): 16-byte vectors, no OpenMP.
      const { unit } = cachedUnit(this.graph, { ...opts, target: "wasm", dtype, name: opts.name ?? "lift_program" });
      return loadWasm(this.graph, unit, dtype);
    }
    const { unit } = cachedUnit(this.graph, { ...opts, dtype, name: opts.name ?? "lift_program" });
    return loadNative(this.graph, unit, dtype, cflags(opts.openmp));
  }

  /**
   * The program as a layer: `forward` computes `outputs`, `backward` the vector–Jacobian
   * product with respect to `wrt` (docs/modules.md).
   */
  module(opts: ModuleOptions): LiftModule {
    return new LiftModule(this.graph, opts, this.externs);
  }

  /** Names of outputs in declaration order (gradient declarations that are not outputs follow). */
  get outputNames(): string[] {
    const names = this.graph.outputs.map((o) => o.name);
    for (const d of this.graph.grads) if (!names.includes(d.name)) names.push(d.name);
    return names;
  }
}

/** Parses and checks one or more sources, concatenated into one program. Throws LiftError. */
export function load(sources: string | SourceText | SourceText[], opts: { externs?: ExternImpls } = {}): LiftProgram {
  const list =
    typeof sources === "string" ? [{ name: "<input>", text: sources }] : Array.isArray(sources) ? sources : [sources];
  const { program, files } = resolveUses(list.map((s) => new SourceFile(s.name, s.text)));
  return new LiftProgram(check(program), files, opts.externs);
}

/** `load(sources).compile(options)`: the compiled module of a program. */
export function compile(
  sources: string | SourceText | SourceText[],
  opts: CompileOptions & { backend: "wasm" },
): WasmModule;
export function compile(
  sources: string | SourceText | SourceText[],
  opts?: CompileOptions & { backend?: "c" },
): NativeModule;
export function compile(
  sources: string | SourceText | SourceText[],
  opts: BackendOptions = {},
): NativeModule | WasmModule {
  return load(sources).compile(opts);
}
