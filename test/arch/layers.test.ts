// The layers of src/ point one way: each directory may import only the layers listed for it
// below (docs/ARCHITECTURE.md, "Layers"). The table is read from every import statement of
// every file, so a new import across layers fails here, naming the file, the line and the edge.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** Layer → the layers it may import (besides itself). Lower layers come first. */
export const ALLOWED: Record<string, readonly string[]> = {
  version: [],
  lang: [],
  core: ["lang"],
  interp: ["core", "lang"],
  loop: ["core"],
  poly: ["loop", "core", "lang"],
  codegen: ["loop", "core", "lang"],
  compiler: ["poly", "codegen", "loop", "core", "lang"],
  runtime: ["compiler", "codegen", "loop", "core", "lang", "version"],
  module: ["runtime", "compiler", "codegen", "interp", "core", "lang"],
  api: ["module", "runtime", "compiler", "interp", "core", "lang"],
  builder: ["api", "core", "lang"],
  dist: ["lang"],
  train: ["api", "runtime", "compiler", "codegen", "dist", "core", "lang", "version"],
  web: ["train", "api", "runtime", "core", "lang"],
  cli: [
    "web",
    "train",
    "dist",
    "builder",
    "api",
    "module",
    "runtime",
    "compiler",
    "codegen",
    "poly",
    "loop",
    "interp",
    "core",
    "lang",
    "version",
  ],
  // The package's entry point re-exports the public names of every layer.
  entry: ["builder", "api", "module", "runtime", "compiler", "interp", "core", "lang"],
};

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const SRC = join(ROOT, "src");

/** The layer of a file under src/: its top directory; `src/version.ts` and the entry point are their own. */
export function layerOf(rel: string): string {
  if (rel === "api/index.ts") return "entry";
  if (rel === "version.ts") return "version";
  return rel.split("/")[0]!;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports of a TypeScript text (static, re-exports and dynamic), with their line numbers. */
export function importsOf(text: string): { spec: string; line: number }[] {
  const out: { spec: string; line: number }[] = [];
  const re =
    /^[ \t]*(?:import|export)\s+(?:[\w*{}\s,$]+?\s+from\s*)?["'](\.[^"']+)["']|\bimport\(\s*["'](\.[^"']+)["']\s*\)/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2]!;
    out.push({ spec, line: text.slice(0, m.index).split("\n").length });
  }
  return out;
}

/** Every import among `files` (path under src/ → text) that the table does not allow, as `file:line imports spec: a → b`. */
export function violations(files: ReadonlyMap<string, string>): string[] {
  const bad: string[] = [];
  for (const [rel, text] of files) {
    const from = layerOf(rel);
    const allowed = ALLOWED[from];
    if (!allowed) {
      bad.push(`src/${rel}: layer \`${from}\` is not in the table of test/arch/layers.test.ts`);
      continue;
    }
    for (const { spec, line } of importsOf(text)) {
      const target = normalize(join(dirname(rel), spec))
        .split("\\")
        .join("/");
      if (target.startsWith("..")) {
        bad.push(`src/${rel}:${line} imports ${spec}, outside src/`);
        continue;
      }
      const to = layerOf(target.replace(/\.js$/, ".ts"));
      if (to !== from && !allowed.includes(to))
        bad.push(`src/${rel}:${line} imports ${spec}: ${from} → ${to} is not allowed`);
    }
  }
  return bad;
}

function tree(): Map<string, string> {
  return new Map(sources(SRC).map((f) => [relative(SRC, f).split("\\").join("/"), readFileSync(f, "utf8")]));
}

test("layers: every import in src/ follows the table of allowed edges", () => {
  const files = tree();
  assert.ok(files.has("core/graph.ts") && files.size > 100, `read ${files.size} files under ${SRC}`);
  assert.deepEqual(violations(files), []);
});

test("layers: the table has no cycle (a layer never reaches itself)", () => {
  const reaches = (a: string, seen = new Set<string>()): Set<string> => {
    for (const b of ALLOWED[a] ?? [])
      if (!seen.has(b)) {
        seen.add(b);
        reaches(b, seen);
      }
    return seen;
  };
  for (const layer of Object.keys(ALLOWED)) assert.ok(!reaches(layer).has(layer), `${layer} reaches itself`);
});

test("layers: the import reader finds static, type-only, re-export and dynamic imports with their lines", () => {
  const text = [
    `import { a } from "../core/graph.js";`,
    `import type {`,
    `  B,`,
    `} from "./b.js";`,
    `export { c } from '../lang/c.js';`,
    `const d = await import("../poly/d.js");`,
    `import { readFileSync } from "node:fs";`,
    `const s = "from \\"../cli/x.js\\"";`,
  ].join("\n");
  assert.deepEqual(importsOf(text), [
    { spec: "../core/graph.js", line: 1 },
    { spec: "./b.js", line: 2 },
    { spec: "../lang/c.js", line: 5 },
    { spec: "../poly/d.js", line: 6 },
  ]);
});

test("layers: an import across the table is reported with its file, line and edge", () => {
  const files = new Map([
    [
      "poly/program.ts",
      `// the Poly program\nimport type { Graph } from "../core/graph.js";\nimport type { KernelPlan } from "../codegen/loop.js";\n`,
    ],
    ["core/tensor.ts", `export type DType = "f32";\n`],
    ["codegen/c.ts", `import type { DType } from "../interp/eval.js";\n`],
    ["newdir/x.ts", `export const x = 1;\n`],
  ]);
  assert.deepEqual(violations(files), [
    "src/poly/program.ts:3 imports ../codegen/loop.js: poly → codegen is not allowed",
    "src/codegen/c.ts:1 imports ../interp/eval.js: codegen → interp is not allowed",
    "src/newdir/x.ts: layer `newdir` is not in the table of test/arch/layers.test.ts",
  ]);
});
