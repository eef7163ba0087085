/**
 * The WebAssembly backend in Node: generated C built by clang for wasm32 (SIMD128, no libc; see
 * src/codegen/wasm.ts) into `<cache>/wasm/<hash>/NAME.wasm`, the hash covering clang's version,
 * the flags, the headers and the code; then instantiated in-process with the same run/call
 * contract as NativeModule, on buffers in the module's memory (src/runtime/wasm_host.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bindInputs, toTensor, type InputValue } from "../core/inputs.js";
import type { CUnit } from "../codegen/c.js";
import { WASM_MATH_IMPORTS, wasmExports, wasmFlags, wasmHeaders } from "../codegen/wasm.js";
import type { Graph } from "../core/graph.js";
import { product, resolveShape } from "../core/shape.js";
import type { DType, Tensor } from "../core/tensor.js";
import { LiftError } from "../lang/diagnostics.js";
import { cacheDir } from "./cache.js";
import { LiftWasm, MATH_IMPORTS, type FloatArray, type WasmMeta } from "./wasm_host.js";

let found: { clang: string; id: string } | undefined;
/** `LIFT_CLANG`, else clang-16, else clang; it must target wasm32 and find wasm-ld. */
function clang(): { clang: string; id: string } {
  if (found) return found;
  const tried = process.env.LIFT_CLANG ? [process.env.LIFT_CLANG] : ["clang-16", "clang"];
  for (const cmd of tried) {
    const r = spawnSync(cmd, ["--version"], { encoding: "utf8" });
    if (!r.error && r.status === 0) return (found = { clang: cmd, id: r.stdout.split("\n")[0] ?? cmd });
  }
  throw new LiftError(
    `no clang for the WebAssembly backend: \`${tried.join("` and `")} --version\` failed`,
    undefined,
    "install it with scripts/setup (Debian: apt-get install clang-16 lld-16) or set LIFT_CLANG to a clang with the wasm32 target",
  );
}

export interface WasmBuild {
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
  cached: boolean;
  ms: number;
}

/** Compiles a C unit to a wasm module, or finds it in the cache. */
export function buildWasm(unit: CUnit): WasmBuild {
  const t0 = performance.now();
  const { clang: cc, id } = clang();
  const headers = wasmHeaders();
  const exports = wasmExports(unit.entry);
  const flagKey = wasmFlags("INC", "IMPORTS", exports).join(" ");
  const h = createHash("sha256")
    .update(id)
    .update("\0")
    .update(flagKey)
    .update("\0")
    .update(JSON.stringify(headers))
    .update("\0")
    .update(unit.header)
    .update("\0")
    .update(unit.source)
    .digest("hex")
    .slice(0, 32);
  const dir = join(cacheDir(), "wasm", h);
  const out = join(dir, `${unit.name}.wasm`);
  if (existsSync(out))
    return { path: out, bytes: new Uint8Array(readFileSync(out)), cached: true, ms: performance.now() - t0 };
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.build-${process.pid}-${randomBytes(6).toString("hex")}`);
  mkdirSync(join(tmp, "include"), { recursive: true });
  try {
    for (const [f, text] of Object.entries(headers)) writeFileSync(join(tmp, "include", f), text);
    writeFileSync(join(tmp, "imports.syms"), WASM_MATH_IMPORTS.join("\n") + "\n");
    writeFileSync(join(tmp, `${unit.name}.h`), unit.header);
    writeFileSync(join(tmp, `${unit.name}.c`), unit.source);
    try {
      execFileSync(
        cc,
        [
          ...wasmFlags(join(tmp, "include"), join(tmp, "imports.syms"), exports),
          "-o",
          join(tmp, "out.wasm"),
          join(tmp, `${unit.name}.c`),
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      const text = err.stderr?.toString() ?? err.message;
      if (/wasm-ld|unable to execute|No such file/.test(text) && !/error: .*\.c:/.test(text))
        throw new LiftError(
          `clang cannot link WebAssembly: ${text.trim().split("\n")[0]}`,
          undefined,
          "install lld (apt-get install lld-16), or run scripts/setup",
        );
      throw new Error(`internal: the generated C did not compile for wasm32:\n${text}`);
    }
    writeFileSync(join(dir, `${unit.name}.c`), unit.source);
    renameSync(join(tmp, "out.wasm"), out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { path: out, bytes: new Uint8Array(readFileSync(out)), cached: false, ms: performance.now() - t0 };
}

/** What a unit's wasm module needs to know at run time: its entry and the buffers' shapes. */
export function wasmMeta(graph: Graph, unit: CUnit, dtype: DType): WasmMeta {
  const decls = new Map([...graph.inputs, ...graph.outputs, ...graph.grads].map((d) => [d.name, d.shape]));
  return {
    name: unit.name,
    dtype,
    symbol: unit.entry.symbol,
    scratchSymbol: unit.entry.scratchSymbol,
    sizes: unit.entry.sizes,
    buffers: unit.entry.buffers.map((b) => ({ name: b.name, role: b.role, shape: [...decls.get(b.name)!] })),
  };
}

/** A compiled program running as WebAssembly in this process; the contract of NativeModule. */
export class WasmModule {
  readonly host: LiftWasm;
  private readonly Ctor: typeof Float32Array | typeof Float64Array;

  constructor(
    readonly graph: Graph,
    readonly unit: CUnit,
    readonly dtype: DType,
    readonly build: WasmBuild,
  ) {
    this.Ctor = dtype === "f32" ? Float32Array : Float64Array;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(build.bytes), MATH_IMPORTS);
    this.host = new LiftWasm(instance, wasmMeta(graph, unit, dtype), (m) => new LiftError(m));
  }

  /** A zeroed view in module memory sized for buffer `name` (or of `name` elements): pass it to `call` and nothing is copied. */
  alloc(name: string | number, sizes: Record<string, number> = {}): FloatArray {
    return this.host.alloc(name, sizes);
  }

  /** Scratch and a view for every buffer, allocated together (see LiftWasm.allocAll). */
  allocAll(sizes: Record<string, number> = {}): Record<string, FloatArray> {
    return this.host.allocAll(sizes);
  }

  /** Reserves the scratch for these sizes; call it before `alloc`, since growing memory detaches views. */
  reserve(sizes: Record<string, number> = {}): void {
    this.host.reserve(sizes);
  }

  /** One call on caller-owned buffers (views from `alloc` in place, other arrays copied). */
  call(buffers: Record<string, FloatArray>, sizes: Record<string, number> = {}): void {
    this.host.call(buffers, sizes);
  }

  /** Evaluates every output and gradient declaration. Inputs as for the interpreter. */
  run(inputs: Record<string, InputValue>): Record<string, Tensor> {
    const given = new Map(Object.entries(inputs).map(([k, v]) => [k, toTensor(k, v, this.dtype)]));
    const { sizes } = bindInputs(this.graph, given);
    const out: Record<string, Tensor> = {};
    const buffers: Record<string, FloatArray> = {};
    for (const b of this.host.meta.buffers) {
      if (b.role === "input") {
        buffers[b.name] = given.get(b.name)!.data;
        continue;
      }
      const shape = resolveShape(b.shape, sizes);
      out[b.name] = { shape, data: (buffers[b.name] = new this.Ctor(product(shape))) };
    }
    this.call(buffers, Object.fromEntries(sizes));
    return out;
  }
}

export function loadWasm(graph: Graph, unit: CUnit, dtype: DType): WasmModule {
  return new WasmModule(graph, unit, dtype, buildWasm(unit));
}
