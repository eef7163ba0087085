// Ownership core: the isl context, the base class of every owning wrapper, and the one
// place (CtxCore.invoke) where JS values become isl arguments and isl results become
// JS values or exceptions.
//
// Rules enforced here, so no other file has to think about them:
//  - every wrapper owns exactly one isl reference and is tracked by its Ctx;
//  - a wrapper passed in a __isl_take position is copied (isl_X_copy is a refcount
//    increment), so the caller keeps its object; __isl_keep positions lend the pointer;
//  - argument types are checked against the prototype before any copy is made, since a
//    wrong isl type or a dangling pointer is a segfault, not an error;
//  - NULL / -1 results become IslError, or the JS exception a callback raised meanwhile.

import koffi from "koffi";
import { IslError, IslUsageError, errorCodeName } from "./error.js";
import { ISL_ON_ERROR_CONTINUE, ISL_ON_ERROR_WARN, hasFunction, islFn, libcFree } from "./lib.js";
import type { FnInfo, IslFnName } from "./lib.js";

/** Token that only this package holds: wrappers cannot be built from arbitrary pointers. */
export const ADOPT: unique symbol = Symbol("isl.adopt");
export type AdoptToken = typeof ADOPT;

export type WrapperClass<T extends IslObject> = {
  new (token: AdoptToken, ctx: CtxCore, ptr: bigint): T;
  readonly islType: string;
};

/** What may be passed to invoke: wrappers, the ctx, scalars, strings, callbacks, NULL. */
export type Arg = IslObject | CtxCore | string | number | bigint | boolean | null | ((...a: never[]) => unknown);

interface Kind {
  readonly islType: string;
  readonly ctor: WrapperClass<IslObject>;
  // Names, bound on first use so that importing this package does not load libisl.
  readonly copy: IslFnName;
  readonly free: IslFnName;
  readonly toStr: IslFnName | null;
}

const kindsByType = new Map<string, Kind>();
const kindsByCtor = new Map<unknown, Kind>();

/**
 * Declare a wrapper class for an isl type. Needs isl_X_copy and isl_X_free in decls.ts;
 * isl_X_to_str is optional. Called from each class's static block.
 */
export function registerKind(ctor: WrapperClass<IslObject>, opts: { toStr?: boolean } = {}): void {
  const t = ctor.islType;
  const name = (suffix: string): IslFnName => {
    const n = `${t}_${suffix}`;
    if (!hasFunction(n)) throw new Error(`decls.ts does not declare ${n}`);
    return n;
  };
  const kind: Kind = {
    islType: t,
    ctor,
    copy: name("copy"),
    free: name("free"),
    toStr: opts.toStr === false ? null : name("to_str"),
  };
  kindsByType.set(t, kind);
  kindsByCtor.set(ctor, kind);
}

/** isl types that have a wrapper class (tests check every __isl_give result is covered). */
export function registeredTypes(): string[] {
  return [...kindsByType.keys()];
}

function kindOf(ctor: unknown): Kind {
  const k = kindsByCtor.get(ctor);
  if (!k) throw new IslUsageError(`wrapper class ${String((ctor as { name?: string }).name)} is not registered`);
  return k;
}

function decodeOwnedString(p: unknown): string {
  try {
    return koffi.decode.string(p);
  } finally {
    libcFree(p);
  }
}

/** Base of all owning wrappers. One wrapper = one isl reference. */
export abstract class IslObject {
  readonly ctx: CtxCore;
  #ptr: bigint | null;
  readonly #kind: Kind;

  constructor(token: AdoptToken, ctx: CtxCore, ptr: bigint) {
    if (token !== ADOPT) throw new IslUsageError("isl objects are made by a Ctx or by operations, not with new");
    if (typeof ptr !== "bigint" || ptr === 0n) throw new IslUsageError("cannot wrap a NULL isl pointer");
    this.#kind = kindOf(new.target);
    this.ctx = ctx;
    this.#ptr = ptr;
    ctx.track(this);
  }

  /** The isl type name, e.g. "isl_union_map". */
  get islType(): string {
    return this.#kind.islType;
  }

  get isFreed(): boolean {
    return this.#ptr === null;
  }

  /** The raw pointer, still owned by this wrapper (a __isl_keep loan). */
  get ptr(): bigint {
    if (this.#ptr === null) throw new IslUsageError(`${this.#kind.islType} used after free`);
    return this.#ptr;
  }

  /** A new isl reference to the same object, for a __isl_take parameter. */
  copyRaw(): bigint {
    const p = islFn(this.#kind.copy).call(this.ptr) as bigint | null;
    // Most copies are refcount increments, but some (schedule constraints) allocate, and
    // so can fail on memory or on the operation quota.
    if (!p) throw this.ctx.failure(this.#kind.copy);
    return p;
  }

  /** Give up ownership without freeing: the caller now owns the returned pointer. */
  release(): bigint {
    const p = this.ptr;
    this.#ptr = null;
    this.ctx.untrack(this);
    this.disposed();
    return p;
  }

  /** Drop this reference. Freeing twice throws. */
  free(): void {
    if (this.#ptr === null) throw new IslUsageError(`${this.#kind.islType} freed twice`);
    const p = this.#ptr;
    this.#ptr = null;
    this.ctx.untrack(this);
    islFn(this.#kind.free).call(p);
    this.disposed();
  }

  /** An independent owner of the same isl object (both must be freed). */
  copy(): this {
    return this.ctx.adopt(this.constructor as WrapperClass<this>, this.copyRaw());
  }

  toString(): string {
    if (!this.#kind.toStr) return `[${this.#kind.islType}]`;
    return this.ctx.invoke(this.#kind.toStr, [this]) as string;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.#ptr === null ? `${this.constructor.name} <freed>` : `${this.constructor.name} ${this.toString()}`;
  }

  /** Subclasses release side resources (registered callbacks) here. */
  protected disposed(): void {}

  // Shorthands for methods whose first isl argument is `this`.
  protected give<T extends IslObject>(cls: WrapperClass<T>, fn: IslFnName, ...rest: Arg[]): T {
    return this.ctx.obj(cls, fn, this, ...rest);
  }
  protected test(fn: IslFnName, ...rest: Arg[]): boolean {
    return this.ctx.bool(fn, this, ...rest);
  }
  protected count(fn: IslFnName, ...rest: Arg[]): number {
    return this.ctx.size(fn, this, ...rest);
  }
}

/**
 * The per-space pieces of a union set or map, each owned by the caller: `foreach` hands every
 * piece over (__isl_take in the callback's declaration), and the callback only wraps it.
 */
export function pieces<T extends IslObject>(of: IslObject, foreach: IslFnName, cls: WrapperClass<T>): T[] {
  const out: T[] = [];
  const cb = (p: bigint, _user: unknown): number => {
    out.push(of.ctx.adopt(cls, p));
    return 0;
  };
  try {
    of.ctx.invoke(foreach, [of, cb, null]);
  } catch (e) {
    for (const o of out) o.free();
    throw e;
  }
  return out;
}

export interface CtxOptions {
  /** ctx.free() throws if objects were still alive (they are freed anyway). */
  strict?: boolean;
}

/**
 * The isl_ctx and the registry of live wrappers. Ctx (ctx.ts) adds the factories; the
 * split keeps this module free of imports of the wrapper classes.
 */
export class CtxCore {
  /** Contexts alive in this process (a leak check for long-running users such as the compiler). */
  static liveContexts = 0;
  #ptr: bigint | null;
  readonly #live = new Set<IslObject>();
  #pending: { error: unknown } | null = null;
  readonly strict: boolean;
  /** isl functions called through this ctx: a measure of work that does not depend on the machine's speed. */
  calls = 0;

  constructor(opts: CtxOptions = {}) {
    const p = islFn("isl_ctx_alloc").call() as bigint | null;
    if (!p) throw new Error("isl_ctx_alloc failed");
    this.#ptr = p;
    CtxCore.liveContexts++;
    this.strict = opts.strict ?? false;
    // Default mode prints and returns NULL; ABORT kills node. CONTINUE lets us throw.
    islFn("isl_options_set_on_error").call(p, ISL_ON_ERROR_CONTINUE);
  }

  get ptr(): bigint {
    if (this.#ptr === null) throw new IslUsageError("isl ctx used after free");
    return this.#ptr;
  }

  get isFreed(): boolean {
    return this.#ptr === null;
  }

  /** How many isl objects created through this ctx are still alive. */
  liveObjects(): number {
    return this.#live.size;
  }

  /** Live objects counted by isl type (for leak reports). */
  liveSummary(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const o of this.#live) out[o.islType] = (out[o.islType] ?? 0) + 1;
    return out;
  }

  /** @internal */
  track(o: IslObject): void {
    this.#live.add(o);
  }
  /** @internal */
  untrack(o: IslObject): void {
    this.#live.delete(o);
  }

  /** Wrap a pointer we own (a __isl_give result, a __isl_take callback argument). */
  adopt<T extends IslObject>(cls: WrapperClass<T>, ptr: bigint): T {
    return new cls(ADOPT, this, ptr);
  }

  /** Wrap a new reference to a borrowed (__isl_keep) pointer. */
  adoptCopy<T extends IslObject>(cls: WrapperClass<T>, ptr: bigint): T {
    const p = islFn(kindOf(cls).copy).call(ptr) as bigint | null;
    if (!p) throw this.failure(`${cls.islType}_copy` as IslFnName);
    return this.adopt(cls, p);
  }

  /**
   * Remember a JS exception thrown inside a callback. The callback then reports failure
   * to isl, and the invoke that is running rethrows this exception instead of an IslError.
   */
  deferError(error: unknown): void {
    if (!this.#pending) this.#pending = { error };
  }

  get hasDeferredError(): boolean {
    return this.#pending !== null;
  }

  /** The exception to throw after `fn` failed; clears isl's error state. */
  failure(fn: string, detail?: string): unknown {
    const ctx = this.ptr;
    if (this.#pending) {
      const { error } = this.#pending;
      this.#pending = null;
      islFn("isl_ctx_reset_error").call(ctx);
      return error;
    }
    const code = islFn("isl_ctx_last_error").call(ctx) as number;
    const msg = islFn("isl_ctx_last_error_msg").call(ctx) as string | null;
    const file = islFn("isl_ctx_last_error_file").call(ctx) as string | null;
    const line = islFn("isl_ctx_last_error_line").call(ctx) as number;
    islFn("isl_ctx_reset_error").call(ctx);
    return new IslError(fn, errorCodeName(code), msg, file, file ? line : null, detail);
  }

  /**
   * Call an isl function. Wrappers in __isl_take positions are copied, so arguments stay
   * owned by the caller. Returns the converted result: a new wrapper for __isl_give
   * objects, boolean for isl_bool, number for isl_size, string for char *, ...
   * With allowNull, a NULL object result without an isl error is returned as null.
   */
  invoke(name: IslFnName, args: readonly Arg[], allowNull = false): unknown {
    const f = islFn(name);
    const ctxPtr = this.ptr;
    this.calls++;
    if (args.length !== f.params.length) {
      throw new IslUsageError(`${name}: expected ${f.params.length} arguments, got ${args.length}`);
    }
    // Validate everything before copying anything, so a bad argument leaks nothing.
    f.params.forEach((param, i) => {
      const want = param.islType;
      const a = args[i];
      if (want === null) {
        if (a instanceof IslObject || a instanceof CtxCore) {
          throw new IslUsageError(`${name}: argument ${i} is not an isl object`);
        }
      } else if (want === "isl_ctx") {
        if (a !== this) throw new IslUsageError(`${name}: argument ${i} must be this ctx`);
      } else {
        if (!(a instanceof IslObject)) throw new IslUsageError(`${name}: argument ${i} must be ${want}`);
        if (a.islType !== want) throw new IslUsageError(`${name}: argument ${i} must be ${want}, got ${a.islType}`);
        if (a.ctx !== this) throw new IslUsageError(`${name}: argument ${i} belongs to another ctx`);
        void a.ptr; // throws if freed
      }
    });
    const raw: unknown[] = new Array(args.length);
    const copies: { obj: IslObject; ptr: bigint }[] = [];
    try {
      for (const [i, p] of f.params.entries()) {
        const a = args[i];
        if (p.islType === "isl_ctx") raw[i] = ctxPtr;
        else if (p.islType === null) raw[i] = a;
        else if (!p.take) raw[i] = (a as IslObject).ptr;
        else {
          const ptr = (a as IslObject).copyRaw();
          copies.push({ obj: a as IslObject, ptr });
          raw[i] = ptr;
        }
      }
    } catch (e) {
      // A copy failed (quota, memory): the references made so far were never handed over.
      for (const c of copies) islFn(kindOf(c.obj.constructor).free).call(c.ptr);
      throw e;
    }
    islFn("isl_ctx_reset_error").call(ctxPtr);
    const r: unknown = f.call(...raw);
    return this.#convert(f, r, allowNull);
  }

  #convert(f: FnInfo, r: unknown, allowNull: boolean): unknown {
    const pendingAfterSuccess = (): void => {
      // A callback threw but isl still succeeded (e.g. a void-returning hook): surface it.
      if (this.#pending) throw this.failure(f.name);
    };
    switch (f.ret) {
      case "obj": {
        if (r === null || r === 0n) {
          if (allowNull && !this.#pending && (islFn("isl_ctx_last_error").call(this.ptr) as number) === 0) return null;
          throw this.failure(f.name);
        }
        const kind = kindsByType.get(f.retType ?? "");
        if (!kind) {
          // A declared but unwrapped type: free it rather than leak, and report the gap.
          const freeName = `${f.retType}_free`;
          if (hasFunction(freeName)) islFn(freeName).call(r);
          throw new IslUsageError(`${f.name}: no wrapper registered for ${f.retType}`);
        }
        const o = this.adopt(kind.ctor, r as bigint);
        try {
          pendingAfterSuccess();
        } catch (e) {
          o.free();
          throw e;
        }
        return o;
      }
      case "str":
        if (r === null || r === 0n) throw this.failure(f.name);
        pendingAfterSuccess();
        return decodeOwnedString(r);
      case "bool":
      case "stat":
      case "size":
      case "enum":
        if ((r as number) < 0) throw this.failure(f.name);
        pendingAfterSuccess();
        return f.ret === "bool" ? r === 1 : f.ret === "stat" ? undefined : r;
      case "num":
        // Plain int / long results carry no error value; isl flags failures in the ctx only.
        if ((islFn("isl_ctx_last_error").call(this.ptr) as number) !== 0) throw this.failure(f.name);
        pendingAfterSuccess();
        return r;
      default:
        pendingAfterSuccess();
        return r;
    }
  }

  // Typed front ends to invoke.
  obj<T extends IslObject>(cls: WrapperClass<T>, fn: IslFnName, ...args: Arg[]): T {
    const o = this.invoke(fn, args);
    if (!(o instanceof cls)) {
      if (o instanceof IslObject) o.free();
      throw new IslUsageError(`${fn} does not return ${cls.islType}`);
    }
    return o;
  }
  maybeObj<T extends IslObject>(cls: WrapperClass<T>, fn: IslFnName, ...args: Arg[]): T | null {
    const o = this.invoke(fn, args, true);
    if (o === null) return null;
    if (!(o instanceof cls)) {
      if (o instanceof IslObject) o.free();
      throw new IslUsageError(`${fn} does not return ${cls.islType}`);
    }
    return o;
  }
  bool(fn: IslFnName, ...args: Arg[]): boolean {
    return this.invoke(fn, args) as boolean;
  }
  size(fn: IslFnName, ...args: Arg[]): number {
    return this.invoke(fn, args) as number;
  }
  str(fn: IslFnName, ...args: Arg[]): string {
    return this.invoke(fn, args) as string;
  }
  /** A borrowed const char * (NULL allowed). */
  cstr(fn: IslFnName, ...args: Arg[]): string | null {
    return this.invoke(fn, args) as string | null;
  }

  /**
   * Free every live object, then the isl_ctx. In strict mode, throw afterwards if
   * anything was still alive. Using any of those objects later throws.
   */
  free(opts: { strict?: boolean } = {}): void {
    const ctx = this.ptr;
    const leaked = this.liveSummary();
    const nLeaked = this.#live.size;
    for (const o of [...this.#live]) o.free();
    // isl_ctx_free refuses (and, in CONTINUE mode, says nothing) if isl still holds
    // references we do not know about; WARN makes that visible on stderr.
    islFn("isl_options_set_on_error").call(ctx, ISL_ON_ERROR_WARN);
    islFn("isl_ctx_free").call(ctx);
    this.#ptr = null;
    CtxCore.liveContexts--;
    if (nLeaked > 0 && (opts.strict ?? this.strict)) {
      throw new IslUsageError(`isl ctx freed with ${nLeaked} live objects: ${JSON.stringify(leaked)}`);
    }
  }
}
