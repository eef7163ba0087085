/** `lift emit c FILE --module --outputs A,B --wrt W,X -o DIR`: a module's C files (module/emit_c.ts). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LiftProgram } from "../api/program.js";
import { emitModuleC } from "../module/emit_c.js";
import { moduleGraphs } from "../module/vjp.js";
import type { CompileOptions } from "../compiler/compile.js";
import { UsageError } from "./main.js";

const list = (v: string | boolean | undefined, flag: string): string[] => {
  if (typeof v !== "string" || !v.trim()) throw new UsageError(`--module needs ${flag} NAME[,NAME...]`);
  return v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
};

export function emitModule(
  program: LiftProgram,
  v: Record<string, string | boolean | undefined>,
  opts: CompileOptions,
  dir: string,
): string[] {
  const outputs = list(v.outputs, "--outputs"),
    wrt = list(v.wrt, "--wrt");
  const m = moduleGraphs(program.graph, outputs, wrt);
  const { files } = emitModuleC(m, outputs, wrt, { ...opts, name: opts.name ?? "lift_program" });
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(join(dir, file), text);
    written.push(join(dir, file));
  }
  return written;
}
