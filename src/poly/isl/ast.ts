// AST generation: isl_ast_build turns a schedule into an isl_ast_node tree (for / if /
// block / mark / user), with optional JS hooks called while the tree is built. The tree is
// then read back as plain JS data (AstNodeData / AstExprData) for our own printers.
//
// Hooks are stored by isl inside the build, so they are registered with koffi.register
// (not transient callbacks). Each registration is reference-counted by the AstBuild
// wrappers that may carry it and unregistered when the last one is freed. A JS exception
// in a hook makes the hook return NULL (isl's error contract), and the exception is
// rethrown by the nodeFromSchedule call that was running.

import koffi from "koffi";
import { CtxCore, IslObject, registerKind } from "./core.js";
import type { PwMultiAff } from "./affine.js";
import { IslUsageError } from "./error.js";
import { Id } from "./id.js";
import { islFn, type IslFnName } from "./lib.js";
import type { Schedule } from "./schedule.js";
import type { IslSet } from "./set.js";
import { UnionMap } from "./union_map.js";

// ---------------------------------------------------------------------------------------
// Annotations: JS values attached to AST nodes through isl ids.

// An id whose user pointer is a key in this table stands for an arbitrary JS value; the
// "pointer" is never dereferenced by isl, it only travels with the id.
const annotationTables = new WeakMap<CtxCore, Map<bigint, unknown>>();
let nextAnnotationKey = 1n;

/** An isl id representing `value`: Id as is, string as its name, undefined as anonymous. */
function annotationId(ctx: CtxCore, value: unknown): Id {
  if (value instanceof Id) {
    if (value.ctx !== ctx) throw new IslUsageError("annotation id belongs to another ctx");
    return value.copy();
  }
  if (value === undefined || value === null) return ctx.obj(Id, "isl_id_alloc", ctx, null, null);
  if (typeof value === "string") return ctx.obj(Id, "isl_id_alloc", ctx, value, null);
  let table = annotationTables.get(ctx);
  if (!table) annotationTables.set(ctx, (table = new Map()));
  const key = nextAnnotationKey++;
  table.set(key, value);
  return ctx.obj(Id, "isl_id_alloc", ctx, null, key);
}

/** Back from an id to the value annotationId was given (undefined for anonymous ids). */
function annotationValue(id: Id): unknown {
  const key = id.user();
  if (key !== null) {
    const table = annotationTables.get(id.ctx);
    if (table?.has(key)) return table.get(key);
  }
  return id.name() ?? undefined;
}

// ---------------------------------------------------------------------------------------
// Hook registrations.

interface Hook {
  id: bigint;
  refs: number;
}

function retain(hooks: readonly Hook[]): void {
  for (const h of hooks) h.refs++;
}

function releaseHooks(hooks: readonly Hook[]): void {
  for (const h of hooks) {
    if (--h.refs === 0) koffi.unregister(h.id);
  }
}

// Hooks of the builds whose nodeFromSchedule is running: the builds isl hands to hooks are
// copies of those and carry the same function pointers.
const runningHooks: (readonly Hook[])[] = [];

export type BeforeEachFor = (build: AstBuild) => unknown;
export type NodeHook = (node: AstNode, build: AstBuild) => AstNode | void;

export class AstBuild extends IslObject {
  static readonly islType = "isl_ast_build";
  static {
    registerKind(this, { toStr: false });
  }
  #hooks: readonly Hook[] = [];

  /** Takes a parameter context (`[N] -> { : N >= 1 }`); gives a build with no hooks. */
  static fromContext(context: IslSet): AstBuild {
    return context.ctx.obj(AstBuild, "isl_ast_build_from_context", context);
  }

  override copy(): this {
    const c = super.copy();
    c.#attach(this.#hooks);
    return c;
  }

  protected override disposed(): void {
    const hooks = this.#hooks;
    this.#hooks = [];
    releaseHooks(hooks);
  }

  #attach(hooks: readonly Hook[]): void {
    retain(hooks);
    this.#hooks = hooks;
  }

  /** The build isl hands to a hook, as a wrapper owning its own reference. */
  static #borrow(ctx: CtxCore, ptr: bigint): AstBuild {
    const b = ctx.adoptCopy(AstBuild, ptr);
    b.#attach(runningHooks[runningHooks.length - 1] ?? []);
    return b;
  }

  #withHook(
    fn: "isl_ast_build_set_before_each_for" | "isl_ast_build_set_after_each_for" | "isl_ast_build_set_at_each_domain",
    trampoline: (...args: never[]) => unknown,
  ): AstBuild {
    // The hook's C type is the declared type of the setter's callback parameter.
    const hook: Hook = { id: koffi.register(trampoline, islFn(fn).params[1]!.callback!), refs: 0 };
    let next: AstBuild;
    try {
      next = this.give(AstBuild, fn, hook.id, null);
    } catch (e) {
      koffi.unregister(hook.id);
      throw e;
    }
    next.#attach([...this.#hooks, hook]);
    return next;
  }

  /**
   * Gives a build that calls fn before generating each for node. fn's result becomes the
   * node's annotation (AstNode.annotation / AstNodeData.annotation): an Id, a string (id
   * name), any other JS value, or undefined for none.
   */
  setBeforeEachFor(fn: BeforeEachFor): AstBuild {
    const ctx = this.ctx;
    const trampoline = (buildPtr: bigint, _user: unknown): bigint | null => {
      if (ctx.hasDeferredError) return null;
      let b: AstBuild | null = null;
      try {
        b = AstBuild.#borrow(ctx, buildPtr);
        return annotationId(ctx, fn(b)).release();
      } catch (e) {
        ctx.deferError(e);
        return null;
      } finally {
        b?.free();
      }
    };
    return this.#withHook("isl_ast_build_set_before_each_for", trampoline);
  }

  /**
   * Gives a build that calls fn after generating each for node. fn may return a replacement
   * node (ownership passes to isl: the returned wrapper is consumed) or nothing to keep it.
   */
  setAfterEachFor(fn: NodeHook): AstBuild {
    return this.#withHook("isl_ast_build_set_after_each_for", AstBuild.#nodeTrampoline(this.ctx, fn));
  }

  /** As setAfterEachFor, for each user (statement) node. */
  setAtEachDomain(fn: NodeHook): AstBuild {
    return this.#withHook("isl_ast_build_set_at_each_domain", AstBuild.#nodeTrampoline(this.ctx, fn));
  }

  static #nodeTrampoline(ctx: CtxCore, fn: NodeHook): (node: bigint, build: bigint, user: unknown) => bigint | null {
    return (nodePtr, buildPtr, _user) => {
      const node = ctx.adopt(AstNode, nodePtr); // __isl_take: ours until we give one back
      if (ctx.hasDeferredError) {
        node.free();
        return null;
      }
      let b: AstBuild | null = null;
      try {
        b = AstBuild.#borrow(ctx, buildPtr);
        const r = fn(node, b);
        if (r === undefined || r === node) return node.release();
        if (!(r instanceof AstNode)) throw new TypeError("AST hook must return an AstNode or nothing");
        if (r.ctx !== ctx) throw new IslUsageError("AST hook returned a node of another ctx");
        return r.release();
      } catch (e) {
        ctx.deferError(e);
        return null;
      } finally {
        if (!node.isFreed) node.free();
        b?.free();
      }
    };
  }

  /** Takes a schedule (tree); gives the AST that executes it. Hook exceptions are rethrown. */
  nodeFromSchedule(schedule: Schedule): AstNode {
    runningHooks.push(this.#hooks);
    try {
      return this.give(AstNode, "isl_ast_build_node_from_schedule", schedule);
    } finally {
      runningHooks.pop();
    }
  }

  /** Takes a flat schedule map (instance → time); gives the AST that executes it. */
  nodeFromScheduleMap(schedule: UnionMap): AstNode {
    runningHooks.push(this.#hooks);
    try {
      return this.give(AstNode, "isl_ast_build_node_from_schedule_map", schedule);
    } finally {
      runningHooks.pop();
    }
  }

  /** Inside a hook: the schedule so far, instance → values of the enclosing loop iterators. */
  schedule(): UnionMap {
    return this.give(UnionMap, "isl_ast_build_get_schedule");
  }
  /** Inside a hook: an access expression A[f1]...[fn] from a function into A. */
  accessFromPwMultiAff(pma: PwMultiAff): AstExpr {
    return this.give(AstExpr, "isl_ast_build_access_from_pw_multi_aff", pma);
  }
}

// ---------------------------------------------------------------------------------------
// The generated tree.

/** isl's enum isl_ast_expr_op_type, by value. */
export const OP_TYPES = [
  "and",
  "and_then",
  "or",
  "or_else",
  "max",
  "min",
  "minus",
  "add",
  "sub",
  "mul",
  "div",
  "fdiv_q",
  "pdiv_q",
  "pdiv_r",
  "zdiv_r",
  "cond",
  "select",
  "eq",
  "le",
  "lt",
  "ge",
  "gt",
  "call",
  "access",
  "member",
  "address_of",
] as const;

/**
 * Operator of an op expression. Division flavours: div is exact, fdiv_q rounds toward -∞,
 * pdiv_q / pdiv_r have a non-negative dividend, zdiv_r is only compared against 0.
 * and_then / or_else short-circuit; cond / select are ternaries; minus is unary.
 */
export type AstOpType = (typeof OP_TYPES)[number];

export type AstExprData =
  { kind: "int"; value: number } | { kind: "id"; name: string } | { kind: "op"; op: AstOpType; args: AstExprData[] };

export type AstNodeData =
  | {
      kind: "for";
      iterator: string;
      init: AstExprData;
      cond: AstExprData;
      inc: AstExprData;
      body: AstNodeData;
      /** The loop runs exactly once (iterator = init). */
      degenerate: boolean;
      annotation?: unknown;
    }
  | { kind: "if"; cond: AstExprData; then: AstNodeData; else?: AstNodeData; annotation?: unknown }
  | { kind: "block"; children: AstNodeData[]; annotation?: unknown }
  | { kind: "mark"; mark: string | null; node: AstNodeData; annotation?: unknown }
  | {
      kind: "user";
      expr: AstExprData;
      /** For the usual statement call S(i, j): the statement name and its arguments. */
      call?: { name: string; args: AstExprData[] };
      annotation?: unknown;
    };

/** isl_ast_node_type and isl_ast_expr_type by value (the header test checks both and OP_TYPES). */
export const NODE_KINDS: Record<number, AstNodeData["kind"]> = { 1: "for", 2: "if", 3: "block", 4: "mark", 5: "user" };
export const EXPR_KINDS = ["op", "id", "int"] as const;

/** Run fn on an owned temporary and free it. */
function using<T extends IslObject, R>(o: T, fn: (o: T) => R): R {
  try {
    return fn(o);
  } finally {
    o.free();
  }
}

export class AstNode extends IslObject {
  static readonly islType = "isl_ast_node";
  static {
    registerKind(this);
  }

  type(): AstNodeData["kind"] {
    const t = this.ctx.invoke("isl_ast_node_get_type", [this]) as number;
    const k = NODE_KINDS[t];
    if (!k) throw new IslUsageError(`unknown isl_ast_node type ${t}`);
    return k;
  }
  /** The annotation a beforeEachFor hook gave this node (undefined if none). */
  annotation(): unknown {
    const id = this.ctx.maybeObj(Id, "isl_ast_node_get_annotation", this);
    return id === null ? undefined : using(id, annotationValue);
  }
  /** Gives a copy of this node annotated with `value` (same rules as beforeEachFor results). */
  setAnnotation(value: unknown): AstNode {
    return using(annotationId(this.ctx, value), (id) => this.give(AstNode, "isl_ast_node_set_annotation", id));
  }
  /** The statements of a block node; the caller owns them. */
  blockChildren(): AstNode[] {
    return using(this.give(AstNodeList, "isl_ast_node_block_get_children"), (list) => {
      const n = this.ctx.size("isl_ast_node_list_size", list);
      const out: AstNode[] = [];
      for (let i = 0; i < n; i++) out.push(this.ctx.obj(AstNode, "isl_ast_node_list_get_at", list, i));
      return out;
    });
  }

  /** The subtree as plain JS data. */
  toData(): AstNodeData {
    const kind = this.type();
    const ann = this.annotation();
    const data = this.#data(kind);
    return ann === undefined ? data : { ...data, annotation: ann };
  }

  #data(kind: AstNodeData["kind"]): AstNodeData {
    const expr = (fn: IslFnName): AstExprData => using(this.give(AstExpr, fn), (x) => x.toData());
    const node = (fn: IslFnName): AstNodeData => using(this.give(AstNode, fn), (x) => x.toData());
    switch (kind) {
      case "for": {
        const it = expr("isl_ast_node_for_get_iterator");
        if (it.kind !== "id") throw new IslUsageError("for iterator is not an identifier");
        return {
          kind,
          iterator: it.name,
          init: expr("isl_ast_node_for_get_init"),
          cond: expr("isl_ast_node_for_get_cond"),
          inc: expr("isl_ast_node_for_get_inc"),
          body: node("isl_ast_node_for_get_body"),
          degenerate: this.test("isl_ast_node_for_is_degenerate"),
        };
      }
      case "if": {
        const els = this.test("isl_ast_node_if_has_else_node") ? { else: node("isl_ast_node_if_get_else_node") } : {};
        return { kind, cond: expr("isl_ast_node_if_get_cond"), then: node("isl_ast_node_if_get_then_node"), ...els };
      }
      case "block": {
        const kids = this.blockChildren();
        try {
          return { kind, children: kids.map((c) => c.toData()) };
        } finally {
          for (const c of kids) c.free();
        }
      }
      case "mark": {
        const mark = using(this.give(Id, "isl_ast_node_mark_get_id"), (id) => id.name());
        return { kind, mark, node: node("isl_ast_node_mark_get_node") };
      }
      case "user": {
        const e = expr("isl_ast_node_user_get_expr");
        const first = e.kind === "op" && e.op === "call" ? e.args[0] : undefined;
        const call = first?.kind === "id" && e.kind === "op" ? { name: first.name, args: e.args.slice(1) } : undefined;
        return { kind, expr: e, ...(call ? { call } : {}) };
      }
    }
  }
}

export class AstNodeList extends IslObject {
  static readonly islType = "isl_ast_node_list";
  static {
    registerKind(this);
  }
}

export class AstExpr extends IslObject {
  static readonly islType = "isl_ast_expr";
  static {
    registerKind(this);
  }

  type(): "op" | "id" | "int" {
    const t = this.ctx.invoke("isl_ast_expr_get_type", [this]) as number;
    const k = EXPR_KINDS[t];
    if (!k) throw new IslUsageError(`unknown isl_ast_expr type ${t}`);
    return k;
  }

  toData(): AstExprData {
    const kind = this.type();
    switch (kind) {
      case "int": {
        // isl's C text of an integer is the integer; beyond 2^53 it is refused, not rounded.
        const text = this.ctx.str("isl_ast_expr_to_C_str", this);
        const value = Number(text);
        if (!Number.isSafeInteger(value)) throw new IslUsageError(`AST integer ${text} does not fit a JS number`);
        return { kind, value };
      }
      case "id": {
        const name = using(this.give(Id, "isl_ast_expr_id_get_id"), (id) => id.name());
        if (name === null) throw new IslUsageError("anonymous id in an AST expression");
        return { kind, name };
      }
      case "op": {
        const t = this.ctx.invoke("isl_ast_expr_op_get_type", [this]) as number;
        const op = OP_TYPES[t];
        if (!op) throw new IslUsageError(`unknown isl_ast_expr_op_type ${t}`);
        const args: AstExprData[] = [];
        const n = this.count("isl_ast_expr_op_get_n_arg");
        for (let i = 0; i < n; i++) {
          args.push(using(this.give(AstExpr, "isl_ast_expr_op_get_arg", i), (a) => a.toData()));
        }
        return { kind, op, args };
      }
    }
  }
}
