// Ctx: one isl_ctx per compilation, with the factories that parse isl's text syntax.

import { CtxCore, IslObject, type CtxOptions, type WrapperClass } from "./core.js";
import { IslError, IslUsageError } from "./error.js";
import { islFn, type IslFnName } from "./lib.js";
import { IslMap } from "./map.js";
import { IslSet } from "./set.js";
import { UnionMap } from "./union_map.js";
import { UnionSet } from "./union_set.js";

const MAX_QUOTED = 200;

export class Ctx extends CtxCore {
  #parse<T extends IslObject>(cls: WrapperClass<T>, fn: IslFnName, text: string): T {
    if (typeof text !== "string") throw new TypeError(`${fn}: expected a string`);
    try {
      return this.obj(cls, fn, this, text);
    } catch (e) {
      if (!(e instanceof IslError)) throw e;
      // isl's message carries no position in CONTINUE mode; quote the input instead.
      const quoted = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
      throw new IslError(e.fn, e.code, e.islMessage, e.file, e.line, `while parsing ${JSON.stringify(quoted)}`);
    }
  }

  // Parsers for isl's text syntax. Each gives a new object owned by the caller.
  set(text: string): IslSet {
    return this.#parse(IslSet, "isl_set_read_from_str", text);
  }
  map(text: string): IslMap {
    return this.#parse(IslMap, "isl_map_read_from_str", text);
  }
  unionSet(text: string): UnionSet {
    return this.#parse(UnionSet, "isl_union_set_read_from_str", text);
  }
  unionMap(text: string): UnionMap {
    return this.#parse(UnionMap, "isl_union_map_read_from_str", text);
  }
  emptyUnionSet(): UnionSet {
    return this.obj(UnionSet, "isl_union_set_empty_ctx", this);
  }
  emptyUnionMap(): UnionMap {
    return this.obj(UnionMap, "isl_union_map_empty_ctx", this);
  }

  /**
   * Bound isl's work (pivots, allocations, parsing — not time). When hit, the running
   * operation fails with IslError code "quota"; call resetOperations() before reusing
   * the ctx. 0 = unbounded.
   */
  setMaxOperations(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new TypeError("maxOperations must be a non-negative integer");
    islFn("isl_ctx_set_max_operations").call(this.ptr, n);
  }
  /** Restart the operation count (and clear a quota error). */
  resetOperations(): void {
    islFn("isl_ctx_reset_operations").call(this.ptr);
    islFn("isl_ctx_reset_error").call(this.ptr);
  }
}

/**
 * Run fn with a fresh Ctx and free everything afterwards. Return plain data: isl objects
 * die with the ctx, so returning one is refused. Leaks throw when opts.strict is set
 * (unless fn itself threw; its exception wins).
 */
export function withCtx<T>(fn: (ctx: Ctx) => T, opts: CtxOptions = {}): T {
  const ctx = new Ctx(opts);
  let result: T;
  try {
    result = fn(ctx);
  } catch (e) {
    ctx.free({ strict: false });
    throw e;
  }
  if (result instanceof CtxCore || result instanceof IslObject) {
    ctx.free({ strict: false });
    throw new IslUsageError("withCtx: fn returned an isl object, which dies with the ctx; return plain data");
  }
  if (result instanceof Promise) {
    ctx.free({ strict: false });
    throw new IslUsageError("withCtx: fn must be synchronous (isl objects cannot outlive the call)");
  }
  ctx.free();
  return result;
}
