import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { LiftError } from "../lang/diagnostics.js";
import { join } from "node:path";
import { load } from "../api/program.js";
import { emitMain } from "../codegen/main_c.js";
import { cIdent, isReservedWord } from "../codegen/names.js";
import { emitTrainMain, trainingNotes } from "../train/main_c.js";
import { DEFAULT_LR, isOptimizer, loadModel, OPTIMIZERS } from "../train/program.js";
import { emitModule } from "./emit_module.js";
import { compileGraph, C_NAME, type CompileOptions } from "../compiler/compile.js";
import { buildShared, cflags } from "../runtime/native.js";
import type { Command } from "./commands.js";
import { readSources } from "./io.js";
import { EMIT_WASM_HELP, emitWasm } from "./emit_wasm.js";
import { UsageError } from "./main.js";

export function compileOptions(v: Record<string, string | boolean | undefined>): CompileOptions {
  const dtype = (v.dtype ?? "f32") as string;
  if (dtype !== "f32" && dtype !== "f64") throw new UsageError(`--dtype must be f32 or f64, not ${dtype}`);
  const sched = (v.schedule ?? "isl") as string;
  if (sched !== "isl" && sched !== "grouped" && sched !== "sequential")
    throw new UsageError(`--schedule must be isl, grouped or sequential, not ${sched}`);
  const name = (v.name ?? "lift_program") as string;
  if (!C_NAME.test(name) || isReservedWord(name))
    throw new UsageError(
      `--name must be a C identifier (letters, digits, _) that C does not reserve, not ${JSON.stringify(name)}`,
    );
  return {
    dtype,
    schedule: sched,
    name,
    ...(v["no-contract"] ? { contract: false } : {}),
    ...(v["no-openmp"] ? { openmp: false } : {}),
    ...(v["no-kernels"] ? { kernels: false } : {}),
  };
}

const COMMON = `  --name NAME        C name of the program (default lift_program)
  --dtype f32|f64    element type (default f32)
  --schedule isl|grouped|sequential   isl's scheduler on the whole program (default), on
                     each fusion group, or none (one loop nest per statement)
  --no-contract      keep every intermediate array (for comparison)
  --no-openmp        do not mark parallel loops (by default each becomes an OpenMP
                     parallel for, under #ifdef _OPENMP, with its body a function of its own)
  --no-kernels       print recognised contractions (convolutions, matrix products) as
                     ordinary loop nests instead of register-blocked kernels`;
const COMMON_OPTS = {
  name: { type: "string" },
  dtype: { type: "string" },
  schedule: { type: "string" },
  "no-contract": { type: "boolean" },
  "no-openmp": { type: "boolean" },
  "no-kernels": { type: "boolean" },
} as const;

export const emitCommand: Command = {
  summary: "write the generated C (NAME.h, NAME.c, main.c) or WebAssembly (NAME.wasm, NAME.js)",
  help: `usage: lift emit c FILE... -o DIR [options]

With --module --outputs A[,B...] --wrt W[,X...], writes the module instead (docs/modules.md):
DIR/NAME.h and NAME.c with NAME_forward, NAME_backward and NAME_residual_bytes, over the
forward and backward programs in NAME_fwd.{h,c} and NAME_bwd.{h,c}.

Writes DIR/NAME.h and DIR/NAME.c: a standalone C99 pair with no dependency (the header
also works from C++), one function NAME taking a struct NAME_args of buffers, and
NAME_scratch_bytes; and DIR/main.c, an example driver that reads each input from
IN_DIR/<input>.bin and writes each output to OUT_DIR/<output>.bin (raw little-endian
floats, row-major). Build and run:
  cc -O3 -march=native -o prog DIR/main.c DIR/NAME.c -lm && ./prog IN_DIR OUT_DIR [SIZE=VALUE...]
The C names of the model's names: \`.\` becomes \`_\` (K1.next is K1_next), other characters
\`_\` and their hex code; a name C reserves (keywords, standard macros such as INFINITY or
EOF, linux, …) gets a trailing \`_\`; a size is its name alone (N). The vector width is chosen
when the C is compiled (-march; or -DLIFT_VBYTES=0|16|32|64).

With --train OPTIMIZER (adam, sgd, adadelta) the program is the training step of a
trainable model (docs/training.md), and DIR/train_main.c a driver that trains it:
  cc -O2 -std=c99 -o train DIR/train_main.c DIR/NAME.c -lm
  ./train DATA_DIR [--epochs E] [--batch B] [--seed S] [--lr LR] [--out FILE]
  --train OPT        emit the training step with this optimizer
  --lr X, --epochs E, --batch B, --seed S   the driver's defaults (as lift train's)

${EMIT_WASM_HELP}
${COMMON}`,
  options: {
    o: { type: "string", short: "o" },
    train: { type: "string" },
    lr: { type: "string" },
    epochs: { type: "string" },
    batch: { type: "string" },
    seed: { type: "string" },
    module: { type: "boolean" },
    outputs: { type: "string" },
    wrt: { type: "string" },
    ...COMMON_OPTS,
  },
  async run(v, pos) {
    const [target, ...files] = pos;
    if (target !== "c" && target !== "wasm")
      throw new UsageError(
        target ? `unknown target \`${target}\` (available: c, wasm)` : "missing target: lift emit c FILE -o DIR",
      );
    if (!files.length) throw new UsageError("no program file given");
    if (typeof v.o !== "string") throw new UsageError("missing -o DIR");
    const opts = compileOptions(v);
    if (target === "wasm") return emitWasm(files, v.o, opts);
    if (v.train !== undefined) return emitTraining(v, files, opts, v.o);
    const program = load(readSources(files));
    if (v.module) {
      process.stderr.write(`wrote ${emitModule(program, v, opts, v.o).join(", ")}\n`);
      return 0;
    }
    const { unit } = compileGraph(program.graph, opts);
    writeOutputs(v.o, [
      [`${unit.name}.h`, unit.header],
      [`${unit.name}.c`, unit.source],
      ["main.c", emitMain(program.graph, unit, opts.dtype ?? "f32")],
    ]);
    process.stderr.write(
      `wrote ${join(v.o, `${unit.name}.h`)}, ${join(v.o, `${unit.name}.c`)}, ${join(v.o, "main.c")}\n`,
    );
    return 0;
  },
};

/** Writes the emitted files into `dir` (created if missing); a path that cannot be a directory is a user error. */
function writeOutputs(dir: string, files: [string, string][]): void {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw Object.assign(new Error(), { code: "ENOTDIR" });
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    const why: Record<string, string> = {
      ENOTDIR: "is a file (or lies under one), not a directory",
      EEXIST: "is a file, not a directory",
      EACCES: "is not writable",
      EPERM: "is not writable",
      EROFS: "is on a read-only file system",
      ENOSPC: "is on a full disk",
    };
    throw new LiftError(
      `-o ${dir}: ${why[code] ?? `cannot be written (${code})`}`,
      undefined,
      "give -o a directory to write NAME.h, NAME.c and main.c into",
    );
  }
}

export const compileCommand: Command = {
  summary: "compile through isl to C; --stats prints kept arrays, loop nests, pass times",
  help: `usage: lift compile FILE... [--stats] [options]

Compiles the program (and builds the shared library, as \`lift run --backend c\` would).
  --stats            print the intermediate arrays kept after contraction with their bytes,
                     the scratch bytes a call needs (a formula of the symbolic sizes),
                     the number of loop nests, and the time of each pass
  --sizes N=64,…     also give the scratch bytes at these sizes
${COMMON}`,
  options: { stats: { type: "boolean" }, sizes: { type: "string" }, ...COMMON_OPTS },
  async run(v, files) {
    if (!files.length) throw new UsageError("no program file given");
    const opts = compileOptions(v);
    const program = load(readSources(files));
    const compiled = compileGraph(program.graph, opts);
    const build = buildShared(compiled.unit.name, compiled.unit.header, compiled.unit.source, cflags(opts.openmp));
    const s = compiled.stats;
    if (!v.stats) {
      process.stdout.write(`${build.path}\n`);
      return 0;
    }
    const lines: string[] = [];
    const elemBytes = opts.dtype === "f64" ? 8 : 4;
    lines.push(`intermediate arrays kept after contraction: ${s.intermediates.length}`);
    for (const a of s.intermediates) {
      const bytes =
        typeof a.elements === "number" ? `${a.elements * elemBytes} bytes` : `${a.elements}·${elemBytes} bytes`;
      lines.push(
        `  ${a.name.padEnd(8)} (${a.shape.join(" ")})  ${bytes}${a.labels.length ? `  ${a.labels.join(" ")}` : ""}`,
      );
    }
    const scratch = scratchBytes(s.intermediates, elemBytes, sizesGiven(v.sizes));
    lines.push(`scratch bytes: ${scratch.formula}${scratch.at ? `; at ${scratch.at}` : ""}`);
    lines.push(
      `statements: ${s.statements}`,
      `loop nests: ${s.loopNests}`,
      `loops: ${s.loops}`,
      `scheduler: ${s.scheduler}`,
    );
    lines.push("pass times (ms):");
    for (const p of s.passes) lines.push(`  ${p.name.padEnd(12)} ${p.ms.toFixed(1)}`);
    lines.push(`  ${"cc".padEnd(12)} ${build.ms.toFixed(1)}${build.cached ? " (cached)" : ""}`);
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  },
};

/** `emit c MODEL --train OPT`: the whole training step and its driver. */
function emitTraining(
  v: Record<string, string | boolean | undefined>,
  files: string[],
  opts: CompileOptions,
  dir: string,
): number {
  const opt = String(v.train);
  if (!isOptimizer(opt))
    throw new UsageError(`--train must be one of ${OPTIMIZERS.join(", ")}, not ${JSON.stringify(opt)}`);
  if (files.length !== 1) throw new UsageError("--train takes one model file");
  if ((opts.dtype ?? "f32") !== "f32") throw new UsageError("--train emits f32 (the driver and lift predict use f32)");
  const num = (flag: string, dflt: number, integer: boolean): number => {
    const x = v[flag];
    if (x === undefined) return dflt;
    const n = Number(String(x).trim());
    if (
      String(x).trim() === "" ||
      !Number.isFinite(n) ||
      (integer && (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 31))
    )
      throw new UsageError(`--${flag} needs ${integer ? "a whole number ≥ 1" : "a number"}, not \`${x}\``);
    return n;
  };
  const d = {
    optimizer: opt,
    lr: num("lr", DEFAULT_LR[opt], false),
    epochs: num("epochs", 5, true),
    batch: num("batch", 64, true),
    seed: num("seed", 1, true),
  };
  const [src] = readSources(files);
  const model = loadModel(src!, opt);
  const notes = { about: trainingNotes(model.contract, opt, cIdent) };
  const { unit } = compileGraph(model.training.graph, { ...opts, notes });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${unit.name}.h`), unit.header);
  writeFileSync(join(dir, `${unit.name}.c`), unit.source);
  writeFileSync(join(dir, "train_main.c"), emitTrainMain(unit, model.contract, d));
  process.stderr.write(
    `wrote ${join(dir, `${unit.name}.h`)}, ${join(dir, `${unit.name}.c`)}, ${join(dir, "train_main.c")}\n`,
  );
  return 0;
}

function sizesGiven(text: string | boolean | undefined): Map<string, number> {
  const m = new Map<string, number>();
  if (typeof text !== "string") return m;
  for (const part of text.split(",")) {
    const [k, x] = part.split("=");
    const n = Number(x);
    if (!k || !Number.isSafeInteger(n) || n < 1)
      throw new UsageError(`--sizes takes NAME=VALUE,… with whole values ≥ 1, not ${JSON.stringify(part)}`);
    m.set(k.trim(), n);
  }
  return m;
}

/**
 * The scratch a call needs (src/codegen/c.ts lays the intermediates out one after another, each
 * rounded up to 16 elements): as a formula of the symbolic sizes, exact when every size is
 * known, and its value at the sizes given (exact, rounding included) when they cover them all.
 */
export function scratchBytes(
  arrays: { shape: (number | string)[] }[],
  elem: number,
  given: Map<string, number>,
): { formula: string; at?: string } {
  const round = (n: number) => Math.ceil(n / 16) * 16;
  const terms = new Map<string, number>();
  let grows = 0,
    exact = 0,
    covered = true;
  for (const a of arrays) {
    const known = a.shape.filter((d): d is number => typeof d === "number").reduce((x, y) => x * y, 1);
    const sym = a.shape.filter((d): d is string => typeof d === "string").sort();
    const key = sym.join("·");
    if (!sym.length) terms.set("", (terms.get("") ?? 0) + round(known) * elem);
    else {
      terms.set(key, (terms.get(key) ?? 0) + known * elem);
      grows++;
    }
    if (sym.every((d) => given.has(d))) exact += round(known * sym.reduce((x, d) => x * given.get(d)!, 1)) * elem;
    else covered = false;
  }
  const parts = [...terms]
    .sort(([a], [b]) => a.length - b.length || (a < b ? -1 : 1))
    .map(([k, c]) => (k ? `${c}·${k}` : String(c)));
  const formula = `${parts.join(" + ") || "0"}${grows ? ` (+ under ${16 * elem} per array that grows, ${grows} of them: alignment)` : ""}`;
  return {
    formula,
    ...(covered && given.size ? { at: `${[...given].map(([k, x]) => `${k}=${x}`).join(", ")}: ${exact} bytes` } : {}),
  };
}
