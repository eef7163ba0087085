// Ctx: one isl_ctx per compilation, with the factories that parse isl's text syntax.

import { CtxCore, IslObject, type CtxOptions, type WrapperClass } from "./core.js";
import { Aff, MultiAff, MultiUnionPwAff, PwAff, PwMultiAff, UnionPwMultiAff } from "./affine.js";
import { buildAst, type AstNode, type BuildAstOptions } from "./ast.js";
import { IslError, IslUsageError } from "./error.js";
import { computeFlow, type FlowInput, type FlowResult } from "./flow.js";
import { Id } from "./id.js";
import { islFn, type IslFnName } from "./lib.js";
import { IslMap } from "./map.js";
import { applyOptions, readOptions, type IslOptions } from "./options.js";
import { Schedule, ScheduleConstraints } from "./schedule.js";
import { IslSet } from "./set.js";
import { Space } from "./space.js";
import { UnionMap } from "./union_map.js";
import { UnionSet } from "./union_set.js";
import { MultiVal, Val } from "./val.js";

const MAX_QUOTED = 200;

export class Ctx extends CtxCore {
  constructor(opts: CtxOptions & { maxOperations?: number; options?: IslOptions } = {}) {
    super(opts);
    if (opts.maxOperations !== undefined) this.setMaxOperations(opts.maxOperations);
    if (opts.options) this.setOptions(opts.options);
  }

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
  aff(text: string): Aff {
    return this.#parse(Aff, "isl_aff_read_from_str", text);
  }
  pwAff(text: string): PwAff {
    return this.#parse(PwAff, "isl_pw_aff_read_from_str", text);
  }
  multiAff(text: string): MultiAff {
    return this.#parse(MultiAff, "isl_multi_aff_read_from_str", text);
  }
  pwMultiAff(text: string): PwMultiAff {
    return this.#parse(PwMultiAff, "isl_pw_multi_aff_read_from_str", text);
  }
  unionPwMultiAff(text: string): UnionPwMultiAff {
    return this.#parse(UnionPwMultiAff, "isl_union_pw_multi_aff_read_from_str", text);
  }
  multiUnionPwAff(text: string): MultiUnionPwAff {
    return this.#parse(MultiUnionPwAff, "isl_multi_union_pw_aff_read_from_str", text);
  }
  multiVal(text: string): MultiVal {
    return this.#parse(MultiVal, "isl_multi_val_read_from_str", text);
  }
  space(text: string): Space {
    return this.#parse(Space, "isl_space_read_from_str", text);
  }
  schedule(text: string): Schedule {
    return this.#parse(Schedule, "isl_schedule_read_from_str", text);
  }
  scheduleConstraints(text: string): ScheduleConstraints {
    return this.#parse(ScheduleConstraints, "isl_schedule_constraints_read_from_str", text);
  }
  /** An integer value (number, bigint) or a rational / infinity in isl syntax ("1/3", "infty"). */
  val(v: number | bigint | string): Val {
    if (typeof v === "number" && Number.isSafeInteger(v)) return this.obj(Val, "isl_val_int_from_si", this, v);
    if (typeof v === "number") throw new IslUsageError(`isl val from a non-integer number ${v}: pass a string`);
    return this.#parse(Val, "isl_val_read_from_str", String(v));
  }
  /** An id with this name (ids are interned: the same name gives the same isl id). */
  id(name: string): Id {
    return this.obj(Id, "isl_id_alloc", this, name, null);
  }
  emptyUnionSet(): UnionSet {
    return this.obj(UnionSet, "isl_union_set_empty_ctx", this);
  }
  emptyUnionMap(): UnionMap {
    return this.obj(UnionMap, "isl_union_map_empty_ctx", this);
  }

  /** See flow.ts computeFlow. */
  computeFlow(input: FlowInput): FlowResult {
    return computeFlow(input);
  }
  /** See ast.ts buildAst. */
  buildAst(schedule: Schedule, opts?: BuildAstOptions): AstNode {
    return buildAst(schedule, opts);
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
  getMaxOperations(): number {
    return Number(islFn("isl_ctx_get_max_operations").call(this.ptr));
  }
  /** Restart the operation count (and clear a quota error). */
  resetOperations(): void {
    islFn("isl_ctx_reset_operations").call(this.ptr);
    islFn("isl_ctx_reset_error").call(this.ptr);
  }

  /** Set scheduler / AST options for every later call on this ctx. */
  setOptions(opts: IslOptions): void {
    applyOptions(this.ptr, opts);
  }
  getOptions(keys?: readonly (keyof IslOptions)[]): IslOptions {
    return readOptions(this.ptr, keys);
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
