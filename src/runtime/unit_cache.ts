/**
 * Compiled C units cached by what determines them: the checked graph (its printed form, the
 * declarations), the compile options and LiFT's version. A hit skips every isl pass, which is
 * what makes a recompile of an unchanged model cheap.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CUnit } from "../codegen/c.js";
import type { Graph } from "../core/graph.js";
import { compileGraph, type CompileOptions, type Compiled } from "../poly/compile.js";
import { VERSION } from "../version.js";
import { cacheDir } from "./cache.js";

let fingerprint: string | undefined;
/**
 * The compiler itself is part of the key: a hash of LiFT's own compiled modules, so changing the
 * compiler (not only the model) invalidates cached units.
 */
function compilerFingerprint(): string {
  if (fingerprint) return fingerprint;
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const h = createHash("sha256");
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".js")) h.update(e.name).update(readFileSync(p));
    }
  };
  walk(root);
  return (fingerprint = h.digest("hex"));
}

export function unitKey(g: Graph, opts: CompileOptions): string {
  const decls = JSON.stringify([g.inputs.map((d) => [d.name, d.node]), g.outputs.map((d) => [d.name, d.node]), g.grads.map((d) => [d.name, d.node]), g.sizes]);
  return createHash("sha256").update(VERSION).update(compilerFingerprint()).update("\0").update(g.print()).update("\0").update(decls).update("\0")
    .update(JSON.stringify(opts, Object.keys(opts).sort())).digest("hex").slice(0, 32);
}

/** The C unit of a graph, from the cache or compiled (and then stored). */
export function cachedUnit(g: Graph, opts: CompileOptions): { unit: CUnit; compiled?: Compiled } {
  if (process.env.LIFT_NO_CACHE) { const compiled = compileGraph(g, opts); return { unit: compiled.unit, compiled }; }
  const dir = join(cacheDir(), "units");
  const file = join(dir, `${unitKey(g, opts)}.json`);
  try {
    return { unit: JSON.parse(readFileSync(file, "utf8")) as CUnit };
  } catch { /* not cached yet, or unreadable: compile */ }
  const compiled = compileGraph(g, opts);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, JSON.stringify(compiled.unit));
  renameSync(tmp, file);
  return { unit: compiled.unit, compiled };
}
