// Raw binding to the system isl (libisl.so.23, isl 0.25) through koffi. The functions are those
// of decls.ts; each compact declaration is turned here, on first use, into a koffi prototype and
// the ownership facts core.ts enforces (which arguments isl takes, what the result is).
// Nothing here reads the isl headers: test/poly/isl_headers.test.ts checks decls.ts against them.

import koffi from "koffi";
import { DECLS, type IslFnName } from "./decls.js";

export type { IslFnName } from "./decls.js";

type KoffiFn = ReturnType<ReturnType<typeof koffi.load>["func"]>;
type KoffiType = ReturnType<typeof koffi.pointer>;

/** Candidates tried in order; LIFT_LIBISL overrides (full path or soname). */
const ISL_CANDIDATES = [process.env.LIFT_LIBISL, "/usr/lib/x86_64-linux-gnu/libisl.so.23", "libisl.so.23"].filter(
  (p): p is string => typeof p === "string" && p.length > 0,
);

export const ISL_ON_ERROR_WARN = 0;
export const ISL_ON_ERROR_CONTINUE = 1;

/** What a return value means (decls.ts spelling in parentheses). */
export type RetKind =
  | "obj" // (T+) a new reference we own; NULL = error
  | "null" // (null) free functions: always NULL
  | "str" // (str+) malloc'ed by isl: we free() it
  | "cstr" // (str) borrowed, never freed
  | "bool" // (bool) -1 error, 0 false, 1 true
  | "stat" // (stat) -1 error, 0 ok
  | "size" // (size) -1 error, else a count
  | "enum" // (enum T) -1 error (isl_error is never negative)
  | "ptr" // (ptr, ctx) an untyped pointer
  | "num" // (int, long, unsigned long) no error value: isl flags failures in the ctx
  | "void";

export interface ParamInfo {
  /** "isl_set", "isl_ctx", … for isl object pointers; null for scalars, strings, callbacks. */
  readonly islType: string | null;
  /** true for T- (__isl_take): isl consumes the reference. */
  readonly take: boolean;
  /** For a callback parameter, its koffi function-pointer type (for koffi.register). */
  readonly callback: KoffiType | null;
}

export interface FnInfo {
  readonly name: IslFnName;
  readonly call: KoffiFn;
  readonly ret: RetKind;
  /** isl type of an "obj" return, e.g. "isl_union_map". */
  readonly retType: string | null;
  readonly params: readonly ParamInfo[];
}

let islLib: ReturnType<typeof koffi.load> | null = null;
let freeFn: KoffiFn | null = null;
const bound = new Map<string, FnInfo>();
const protos = new Map<string, KoffiType>();

function loadIsl(): ReturnType<typeof koffi.load> {
  if (islLib) return islLib;
  const errors: string[] = [];
  for (const path of ISL_CANDIDATES) {
    try {
      return (islLib = koffi.load(path));
    } catch (e) {
      errors.push(`${path}: ${(e as Error).message}`);
    }
  }
  throw new Error(`cannot load isl (libisl.so.23): ${errors.join("; ")}`);
}

/** libc free(), for str+ results. */
export function libcFree(ptr: unknown): void {
  if (!freeFn) freeFn = koffi.load("libc.so.6").func("void free(void *ptr)");
  freeFn(ptr);
}

/** "R (A, [R2 (B, C)], D)" → ["R", ["A", "[R2 (B, C)]", "D"]]. */
function splitDecl(decl: string): [string, string[]] {
  const open = decl.indexOf(" (");
  const ret = decl.slice(0, open);
  const inner = decl.slice(open + 2, decl.lastIndexOf(")"));
  const params: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= inner.length; i++) {
    const c = inner[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if ((c === "," && depth === 0) || i === inner.length) {
      if (inner.slice(start, i).trim()) params.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  return [ret, params];
}

const SCALARS: Record<string, string> = {
  bool: "int",
  stat: "int",
  size: "int",
  int: "int",
  unsigned: "unsigned int",
  long: "long",
  "unsigned long": "unsigned long",
  double: "double",
  void: "void",
  str: "const char *",
};

/** The koffi type of one compact type: every isl pointer is an opaque `void *`. */
function koffiType(t: string): string | KoffiType {
  if (t.startsWith("[")) return callbackProto(t.slice(1, -1));
  if (t.startsWith("enum ")) return "int";
  return SCALARS[t] ?? "void *"; // T, T-, T+, ctx, ptr, null, str+ (kept as a pointer to free it)
}

function callbackProto(decl: string): KoffiType {
  const hit = protos.get(decl);
  if (hit) return hit;
  const [ret, params] = splitDecl(decl);
  const t = koffi.pointer(koffi.proto(`isl_cb_${protos.size}`, koffiType(ret), params.map(koffiType)));
  protos.set(decl, t);
  return t;
}

function retKind(t: string): { kind: RetKind; type: string | null } {
  if (t.endsWith("+") && t !== "str+") return { kind: "obj", type: `isl_${t.slice(0, -1)}` };
  const kinds: Record<string, RetKind> = {
    null: "null",
    "str+": "str",
    str: "cstr",
    bool: "bool",
    stat: "stat",
    size: "size",
    ptr: "ptr",
    ctx: "ptr",
    void: "void",
  };
  return { kind: kinds[t] ?? (t.startsWith("enum ") ? "enum" : "num"), type: null };
}

function paramInfo(t: string): ParamInfo {
  if (t.startsWith("[")) return { islType: null, take: false, callback: callbackProto(t.slice(1, -1)) };
  if (t === "ctx") return { islType: "isl_ctx", take: false, callback: null };
  if (SCALARS[t] || t === "ptr" || t.startsWith("enum ")) return { islType: null, take: false, callback: null };
  const take = t.endsWith("-");
  return { islType: `isl_${/[-?]$/.test(t) ? t.slice(0, -1) : t}`, take, callback: null };
}

/** Bind (once) and describe one isl function. Throws if the symbol is missing. */
export function islFn(name: IslFnName): FnInfo {
  const hit = bound.get(name);
  if (hit) return hit;
  const [ret, params] = splitDecl(DECLS[name]);
  const { kind, type } = retKind(ret);
  const call = loadIsl().func(name, koffiType(ret), params.map(koffiType));
  const fn: FnInfo = { name, call, ret: kind, retType: type, params: params.map(paramInfo) };
  bound.set(name, fn);
  return fn;
}

/** Every declared name; a test binds them all to catch missing symbols. */
export function declaredFunctions(): IslFnName[] {
  return Object.keys(DECLS) as IslFnName[];
}

export function hasFunction(name: string): name is IslFnName {
  return Object.prototype.hasOwnProperty.call(DECLS, name);
}
