/**
 * isl's installed headers (Debian libisl-dev, /usr/include/isl) read as the binding's compact
 * declarations (src/poly/isl/decls.ts), so a test can check every declaration against them and a
 * newcomer can print the line to add for a new function:
 *
 *   node dist/scripts/isl_headers.js isl_set_union isl_union_set_foreach_set
 *   isl_set_union: "set+ (set-, set-)",
 *   isl_union_set_foreach_set: "stat (union_set, [stat (set-, ptr)], ptr)",
 *
 * The headers go through the C preprocessor (so the functions isl declares with macros, lists and
 * multi_*, are expanded) with __isl_give / __isl_take / __isl_keep / __isl_null defined as
 * themselves, so the annotations survive into the text parsed here. Only this script and the test
 * read the headers; the binding itself never does.
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { pathToFileURL } from "node:url";

export const ISL_INCLUDE = "/usr/include/isl";

/** Headers that are C (cpp.h / typed_cpp.h are the C++ binding, *_templ.h need a template's macros). */
function cHeaders(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".h") && !/cpp|templ|^hmap/.test(f))
    .sort()
    .map((f) => `#include <isl/${f}>`);
}

/** The headers after the preprocessor, annotations kept. Throws when libisl-dev is not installed. */
export function preprocessedHeaders(dir = ISL_INCLUDE): string {
  const keep = ["give", "take", "keep", "null"].map((a) => `-D__isl_${a}=__isl_${a}`);
  return execFileSync("cc", ["-E", "-P", ...keep, "-x", "c", "-"], {
    input: cHeaders(dir).join("\n") + "\n",
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
}

/** Depth-0 pieces of `s` split at `sep`, parentheses and brackets nesting. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === sep && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter((x) => x.length > 0);
}

/** One C type (no parameter name) in the compact notation decls.ts documents. */
export function compactType(c: string): string {
  const words = c
    .replace(/\*/g, " * ")
    .split(/\s+/)
    .filter((w) => w && w !== "struct" && w !== "extern");
  const ann = words.filter((w) => w.startsWith("__isl_")).map((w) => w.slice(6));
  const rest = words.filter((w) => !w.startsWith("__isl_"));
  const t = rest.join(" ");
  if (ann.includes("null")) return "null";
  if (t === "const char *") return ann.includes("give") ? "str+?" : "str";
  if (t === "char *") return ann.includes("give") ? "str+" : "char *?";
  if (t === "isl_ctx *") return "ctx";
  if (t === "void *") return "ptr";
  if (t === "isl_bool" || t === "isl_stat" || t === "isl_size") return t.slice(4);
  if (t === "unsigned int") return "unsigned";
  if (/^enum isl_\w+$/.test(t)) return `enum ${t.slice(9)}`;
  const obj = /^isl_(\w+) \*$/.exec(t);
  if (obj) {
    const mark = ann.includes("give") ? "+" : ann.includes("take") ? "-" : ann.includes("keep") ? "" : "?";
    return obj[1] + mark; // "?": an isl pointer the header leaves unannotated (isl_id_copy's argument)
  }
  return t;
}

/** A parameter: a function pointer `R (*name)(P…)` becomes `[R (P…)]`; otherwise its name is dropped. */
function compactParam(p: string): string {
  const fp = /^(.*?)\(\s*\*\s*\w*\s*\)\s*\((.*)\)$/.exec(p);
  if (fp) return `[${compactType(fp[1]!)} (${compactParams(fp[2]!)})]`;
  const m = /^(.*[\s*])\w+$/.exec(p); // isl names every parameter: the last word is the name
  return compactType(m && m[1]!.trim() !== "" ? m[1]! : p);
}

function compactParams(ps: string): string {
  const parts = splitTop(ps, ",");
  return parts.length === 1 && parts[0] === "void" ? "" : parts.map(compactParam).join(", ");
}

/** Every function the headers declare: name → compact declaration "RET (PARAM, …)". */
export function headerDecls(text = preprocessedHeaders()): Map<string, string> {
  let flat = text.replace(/\s+/g, " ");
  // Bodies of struct / enum definitions and inline functions hold no prototypes we want.
  for (let prev = ""; prev !== flat;) [prev, flat] = [flat, flat.replace(/\{[^{}]*\}/g, " ")];
  const out = new Map<string, string>();
  for (const d of flat.split(";").map((x) => x.trim())) {
    if (d.startsWith("typedef")) continue;
    const m = /^(.*?)\b(isl_\w+)\s*\((.*)\)$/.exec(d.replace(/__attribute__\s*\(\(.*?\)\)/g, "").trim());
    if (!m || m[1]!.includes("(")) continue;
    out.set(m[2]!, `${compactType(m[1]!)} (${compactParams(m[3]!)})`);
  }
  return out;
}

/** Values of isl's enum constants (name → value), for the tables the binding keeps by hand. */
export function headerEnums(text = preprocessedHeaders()): Map<string, number> {
  const out = new Map<string, number>();
  for (const body of text.replace(/\s+/g, " ").matchAll(/\benum \w+ \{([^}]*)\}/g)) {
    let next = 0;
    for (const item of body[1]!
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean)) {
      const [name, value] = item.split("=").map((x) => x.trim());
      const v = value === undefined ? next : (out.get(value) ?? Number(value));
      out.set(name!, v);
      next = v + 1;
    }
  }
  return out;
}

/** isl's object-like macros with a plain integer value (ISL_ON_ERROR_CONTINUE …). */
export function headerMacros(dir = ISL_INCLUDE): Map<string, number> {
  const input = cHeaders(dir).join("\n") + "\n";
  const text = execFileSync("cc", ["-E", "-dM", "-x", "c", "-"], { input, encoding: "utf8" });
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^#define (ISL_\w+) (-?\d+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** One line per declaration that is not the header's: a different prototype, or no such function. */
export function checkDecls(decls: Record<string, string>, headers: Map<string, string>): string[] {
  const bad: string[] = [];
  for (const [name, decl] of Object.entries(decls)) {
    const h = headers.get(name);
    if (h === undefined) bad.push(`${name}: not declared in ${ISL_INCLUDE}`);
    else if (h !== decl) bad.push(`${name}: decls.ts says "${decl}", the header "${h}"`);
  }
  return bad;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const decls = headerDecls();
  for (const name of process.argv.slice(2)) {
    const d = decls.get(name);
    console.log(d ? `  ${name}: "${d}",` : `  // ${name}: not declared in ${ISL_INCLUDE}`);
  }
}
