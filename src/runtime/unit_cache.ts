/**
 * Compiled C units cached by what determines them: the checked graph (its printed form, the
 * declarations), the compile options and LiFT's version. A hit skips every isl pass, which is
 * what makes a recompile of an unchanged model cheap. An entry is one line of record (its key
 * and the SHA-256 of the rest) followed by the unit's JSON; an entry that does not match its
 * record, or whose unit is not shaped like one, is recompiled with a warning.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CUnit } from "../codegen/c.js";
import type { Graph } from "../core/graph.js";
import { compileGraph, type CompileOptions, type Compiled } from "../compiler/compile.js";
import { VERSION } from "../version.js";
import { cacheDir, sha256, storeFiles, warn } from "./cache.js";

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
  const decls = JSON.stringify([
    g.inputs.map((d) => [d.name, d.node]),
    g.outputs.map((d) => [d.name, d.node]),
    g.grads.map((d) => [d.name, d.node]),
    g.sizes,
  ]);
  return (
    createHash("sha256")
      .update(VERSION)
      .update(compilerFingerprint())
      .update("\0")
      .update(g.print())
      .update("\0")
      .update(decls)
      .update("\0")
      .update(JSON.stringify(opts, Object.keys(opts).sort()))
      // Units compiled under LIFT_VERIFY=1 are their own entries: a hit then means the checks ran.
      .update(process.env.LIFT_VERIFY === "1" ? "\0verified" : "")
      .digest("hex")
      .slice(0, 32)
  );
}

/** The C unit of a graph, from the cache or compiled (and then stored). */
export function cachedUnit(g: Graph, opts: CompileOptions): { unit: CUnit; compiled?: Compiled } {
  if (process.env.LIFT_NO_CACHE) {
    const compiled = compileGraph(g, opts);
    return { unit: compiled.unit, compiled };
  }
  const key = unitKey(g, opts);
  const file = join(cacheDir(), "units", `${key}.json`);
  let text: string | undefined;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    /* not cached yet, or unreadable: compile */
  }
  if (text !== undefined) {
    const r = readEntry(text, key);
    if (typeof r !== "string") return { unit: r };
    warn(`the cached unit ${file} is not usable (${r}); compiling it again`);
  }
  const compiled = compileGraph(g, opts);
  const body = JSON.stringify(compiled.unit);
  storeFiles("units", [[`${key}.json`, `${JSON.stringify({ key, sha256: sha256(body) })}\n${body}`]]);
  return { unit: compiled.unit, compiled };
}

/** The unit in a cache entry, or why it cannot be used. */
function readEntry(text: string, key: string): CUnit | string {
  const nl = text.indexOf("\n");
  let rec: unknown;
  try {
    rec = JSON.parse(nl < 0 ? text : text.slice(0, nl));
  } catch {
    return "its record is not JSON";
  }
  if (!rec || typeof rec !== "object" || typeof (rec as { sha256?: unknown }).sha256 !== "string")
    return "it has no record";
  const { key: k, sha256: h } = rec as { key?: unknown; sha256: string };
  if (k !== key) return "it belongs to another program";
  const body = nl < 0 ? "" : text.slice(nl + 1);
  if (sha256(body) !== h) return "its content does not match its record";
  let unit: unknown;
  try {
    unit = JSON.parse(body);
  } catch {
    return "its unit is not JSON";
  }
  return isUnit(unit) ? unit : "its unit is malformed";
}

const isStr = (v: unknown): v is string => typeof v === "string";
function isUnit(u: unknown): u is CUnit {
  const x = u as Partial<CUnit> | null;
  if (!x || typeof x !== "object" || !isStr(x.name) || !isStr(x.header) || !isStr(x.source)) return false;
  const e = x.entry;
  return (
    !!e &&
    isStr(e.symbol) &&
    isStr(e.scratchSymbol) &&
    Array.isArray(e.sizes) &&
    e.sizes.every(isStr) &&
    Array.isArray(e.buffers) &&
    e.buffers.every((b) => b && isStr(b.name) && isStr(b.array) && (b.role === "input" || b.role === "output"))
  );
}
