import { load } from "../api/program.js";
import type { DType, Tensor } from "../core/tensor.js";
import type { Command } from "./commands.js";
import { formatArray, jsonValue, shapeLabel } from "./format.js";
import { readInputs, readSources } from "./io.js";
import { UsageError } from "./main.js";

export const runCommand: Command = {
  summary: "evaluate a program and print its outputs",
  help: `usage: lift run FILE... [--inputs IN.json] [--backend interp] [--dtype f32|f64] [--json]

Evaluates the program (several files are concatenated) and prints every \`out\` and
\`grad\` declaration.

  --inputs IN.json   values of the inputs: {"A": {"shape": [2, 2], "data": [1, 2, 3, 4]},
                     "B": [[1, 2], [3, 4]], "c": 0.5}
  --backend NAME     interp (the reference interpreter; default), c (compiled through
                     isl to C and run in-process; the build is cached) or wasm (the same
                     C built by clang as WebAssembly and run in Node)
  --dtype f32|f64    element type (default f32)
  --json             print one JSON object {"name": {"shape": [...], "data": [...]}} on
                     stdout and nothing else; NaN and infinities are the strings
                     "NaN", "Infinity", "-Infinity"`,
  options: {
    inputs: { type: "string" },
    backend: { type: "string" },
    dtype: { type: "string" },
    json: { type: "boolean" },
  },
  async run(v, files) {
    if (files.length === 0) throw new UsageError("no program file given");
    const dtype = (v.dtype ?? "f32") as string;
    if (dtype !== "f32" && dtype !== "f64") throw new UsageError(`--dtype must be f32 or f64, not ${dtype}`);
    const backend = (v.backend ?? "interp") as string;
    if (backend !== "interp" && backend !== "c" && backend !== "wasm")
      throw new UsageError(`unknown backend \`${backend}\` (available: interp, c, wasm)`);
    const program = load(readSources(files));
    const inputs = typeof v.inputs === "string" ? readInputs(v.inputs) : {};
    const out = backend === "interp" ? program.run(inputs, { dtype }) : program.compile({ dtype, backend }).run(inputs);
    process.stdout.write(v.json ? jsonOutputs(out, dtype) + "\n" : textOutputs(out));
    return 0;
  },
};

export function jsonOutputs(out: Record<string, Tensor>, dtype: DType): string {
  return `{${Object.entries(out)
    .map(([k, t]) => `${JSON.stringify(k)}:${jsonValue(t, dtype)}`)
    .join(",")}}`;
}

export function textOutputs(out: Record<string, Tensor>): string {
  return Object.entries(out)
    .map(([k, t]) => {
      const body = formatArray(t);
      return t.shape.length <= 1
        ? `${k} ${shapeLabel(t.shape)}: ${body}\n`
        : `${k} ${shapeLabel(t.shape)}:\n${indent(body)}\n`;
    })
    .join("");
}

const indent = (s: string) =>
  s
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n");
