/** `lift emit wasm FILE -o DIR`: NAME.wasm, its ES module loader NAME.js, and the host runtime. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "../api/program.js";
import { compileGraph, type CompileOptions } from "../compiler/compile.js";
import { buildWasm, wasmMeta } from "../runtime/wasm.js";
import { HOST_FILE, hostSource, loaderSource } from "../runtime/wasm_emit.js";
import { readSources } from "./io.js";

export const EMIT_WASM_HELP = `usage: lift emit wasm FILE... -o DIR [options]

Writes DIR/NAME.wasm (built by clang for wasm32 with SIMD128; its maths are imports that the
loader fills from JavaScript's Math), DIR/NAME.js, an ES module whose load() instantiates it
in Node or a browser, and DIR/${HOST_FILE}, the runtime it uses. Use:
  import { load } from "./DIR/NAME.js";
  const m = await load(); const A = m.alloc("A", sizes); ...; m.call({ A, ... }, sizes);`;

export async function emitWasm(files: string[], dir: string, opts: CompileOptions): Promise<number> {
  const program = load(readSources(files));
  const dtype = opts.dtype ?? "f32";
  const { unit } = compileGraph(program.graph, { ...opts, target: "wasm" });
  const build = buildWasm(unit);
  mkdirSync(dir, { recursive: true });
  const wasmFile = `${unit.name}.wasm`;
  writeFileSync(join(dir, wasmFile), build.bytes);
  writeFileSync(join(dir, `${unit.name}.js`), loaderSource(wasmMeta(program.graph, unit, dtype), wasmFile));
  writeFileSync(join(dir, HOST_FILE), hostSource());
  process.stderr.write(
    `wrote ${join(dir, wasmFile)} (${build.bytes.length} bytes), ${join(dir, `${unit.name}.js`)}, ${join(dir, HOST_FILE)}\n`,
  );
  return 0;
}
