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
import { PwAff, PwMultiAff } from "./affine.js";
import { IslUsageError } from "./error.js";
import { Id } from "./id.js";
import { callbackType, type IslCallbackName } from "./lib.js";
import { withOptions, type IslOptions } from "./options.js";
import { Schedule } from "./schedule.js";
import { IslSet } from "./set.js";
import { UnionMap } from "./union_map.js";
import { Val } from "./val.js";

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
    cbType: IslCallbackName,
    trampoline: (...args: never[]) => unknown,
  ): AstBuild {
    const hook: Hook = { id: koffi.register(trampoline, callbackType(cbType)), refs: 0 };
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
    return this.#withHook("isl_ast_build_set_before_each_for", "isl_before_each_for_cb", trampoline);
  }

  /**
   * Gives a build that calls fn after generating each for node. fn may return a replacement
   * node (ownership passes to isl: the returned wrapper is consumed) or nothing to keep it.
   */
  setAfterEachFor(fn: NodeHook): AstBuild {
    return this.#withHook("isl_ast_build_set_after_each_for", "isl_ast_node_cb", AstBuild.#nodeTrampoline(this.ctx, fn));
  }

  /** As setAfterEachFor, for each user (statement) node. */
  setAtEachDomain(fn: NodeHook): AstBuild {
    return this.#withHook("isl_ast_build_set_at_each_domain", "isl_ast_node_cb", AstBuild.#nodeTrampoline(this.ctx, fn));
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
  /** Inside a hook: an expression for `pa` in terms of the current iterators. */
  exprFromPwAff(pa: PwAff): AstExpr {
    return this.give(AstExpr, "isl_ast_build_expr_from_pw_aff", pa);
  }
  /** Inside a hook: a call expression S(f1, ..., fn) from a function named S. */
  callFromPwMultiAff(pma: PwMultiAff): AstExpr {
    return this.give(AstExpr, "isl_ast_build_call_from_pw_multi_aff", pma);
  }
  /** Inside a hook: an access expression A[f1]...[fn] from a function into A. */
  accessFromPwMultiAff(pma: PwMultiAff): AstExpr {
    return this.give(AstExpr, "isl_ast_build_access_from_pw_multi_aff", pma);
  }
}


// ---------------------------------------------------------------------------------------
// The generated tree.

/** isl's enum isl_ast_expr_op_type, by value. */
const OP_TYPES = [
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
  | { kind: "int"; value: number }
  | { kind: "id"; name: string }
  | { kind: "op"; op: AstOpType; args: AstExprData[] };

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

const NODE_KINDS: Record<number, AstNodeData["kind"]> = { 1: "for", 2: "if", 3: "block", 4: "mark", 5: "user" };
const EXPR_KINDS = ["op", "id", "int"] as const;

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

  forIterator(): AstExpr {
    return this.give(AstExpr, "isl_ast_node_for_get_iterator");
  }
  forInit(): AstExpr {
    return this.give(AstExpr, "isl_ast_node_for_get_init");
  }
  forCond(): AstExpr {
    return this.give(AstExpr, "isl_ast_node_for_get_cond");
  }
  forInc(): AstExpr {
    return this.give(AstExpr, "isl_ast_node_for_get_inc");
  }
  forBody(): AstNode {
    return this.give(AstNode, "isl_ast_node_for_get_body");
  }
  forIsDegenerate(): boolean {
    return this.test("isl_ast_node_for_is_degenerate");
  }
  ifCond(): AstExpr {
    return this.give(AstExpr, "isl_ast_node_if_get_cond");
  }
  ifThen(): AstNode {
    return this.give(AstNode, "isl_ast_node_if_get_then_node");
  }
  ifHasElse(): boolean {
    return this.test("isl_ast_node_if_has_else_node");
  }
  ifElse(): AstNode {
    return this.give(AstNode, "isl_ast_node_if_get_else_node");
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
  markId(): Id {
    return this.give(Id, "isl_ast_node_mark_get_id");
  }
  markNode(): AstNode {
    return this.give(AstNode, "isl_ast_node_mark_get_node");
  }
  userExpr(): AstExpr {
    return this.give(AstExpr, "isl_ast_node_user_get_expr");
  }
  /** isl's own C rendering (debugging and tests; our printers use toData). */
  toC(): string {
    return this.ctx.str("isl_ast_node_to_C_str", this);
  }

  /** The subtree as plain JS data. */
  toData(): AstNodeData {
    const kind = this.type();
    const ann = this.annotation();
    const withAnn = <T extends AstNodeData>(d: T): T => (ann === undefined ? d : { ...d, annotation: ann });
    const expr = (e: AstExpr): AstExprData => using(e, (x) => x.toData());
    const node = (n: AstNode): AstNodeData => using(n, (x) => x.toData());
    switch (kind) {
      case "for": {
        const it = expr(this.forIterator());
        if (it.kind !== "id") throw new IslUsageError("for iterator is not an identifier");
        return withAnn({
          kind,
          iterator: it.name,
          init: expr(this.forInit()),
          cond: expr(this.forCond()),
          inc: expr(this.forInc()),
          body: node(this.forBody()),
          degenerate: this.forIsDegenerate(),
        });
      }
      case "if":
        return withAnn({
          kind,
          cond: expr(this.ifCond()),
          then: node(this.ifThen()),
          ...(this.ifHasElse() ? { else: node(this.ifElse()) } : {}),
        });
      case "block": {
        const children: AstNodeData[] = [];
        const kids = this.blockChildren();
        try {
          for (const c of kids) children.push(c.toData());
        } finally {
          for (const c of kids) c.free();
        }
        return withAnn({ kind, children });
      }
      case "mark":
        return withAnn({
          kind,
          mark: using(this.markId(), (id) => id.name()),
          node: node(this.markNode()),
        });
      case "user": {
        const e = expr(this.userExpr());
        const first = e.kind === "op" && e.op === "call" ? e.args[0] : undefined;
        const call = first?.kind === "id" && e.kind === "op" ? { name: first.name, args: e.args.slice(1) } : undefined;
        return withAnn({ kind, expr: e, ...(call ? { call } : {}) });
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
  opType(): AstOpType {
    const t = this.ctx.invoke("isl_ast_expr_op_get_type", [this]) as number;
    const op = OP_TYPES[t];
    if (!op) throw new IslUsageError(`unknown isl_ast_expr_op_type ${t}`);
    return op;
  }
  nArgs(): number {
    return this.count("isl_ast_expr_op_get_n_arg");
  }
  arg(i: number): AstExpr {
    return this.give(AstExpr, "isl_ast_expr_op_get_arg", i);
  }
  id(): Id {
    return this.give(Id, "isl_ast_expr_id_get_id");
  }
  /** Value of an int expression as a JS number (throws beyond 2^53). */
  intValue(): number {
    return using(this.give(Val, "isl_ast_expr_int_get_val"), (v) => v.toNumber());
  }
  toC(): string {
    return this.ctx.str("isl_ast_expr_to_C_str", this);
  }

  toData(): AstExprData {
    const kind = this.type();
    switch (kind) {
      case "int":
        return { kind, value: this.intValue() };
      case "id": {
        const name = using(this.id(), (id) => id.name());
        if (name === null) throw new IslUsageError("anonymous id in an AST expression");
        return { kind, name };
      }
      case "op": {
        const n = this.nArgs();
        const args: AstExprData[] = [];
        for (let i = 0; i < n; i++) args.push(using(this.arg(i), (a) => a.toData()));
        return { kind, op: this.opType(), args };
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// One-call front end.

export interface BuildAstOptions {
  /** Parameter context, e.g. `[N] -> { : N >= 1 }`; default: no constraints. */
  context?: IslSet;
  /** AST-generation options for this call only. */
  options?: IslOptions;
  beforeEachFor?: BeforeEachFor;
  afterEachFor?: NodeHook;
  atEachDomain?: NodeHook;
}

/**
 * Takes a schedule; gives its AST. Hooks are registered for this call only and
 * unregistered before returning; a hook's exception is rethrown here.
 */
export function buildAst(schedule: Schedule, opts: BuildAstOptions = {}): AstNode {
  const ctx = schedule.ctx;
  const context = opts.context ?? ctx.obj(IslSet, "isl_set_read_from_str", ctx, "{ : }");
  let build: AstBuild;
  try {
    build = AstBuild.fromContext(context);
  } finally {
    if (!opts.context) context.free();
  }
  const step = (f: (b: AstBuild) => AstBuild): void => {
    const next = f(build);
    build.free();
    build = next;
  };
  try {
    const { beforeEachFor, afterEachFor, atEachDomain } = opts;
    if (beforeEachFor) step((b) => b.setBeforeEachFor(beforeEachFor));
    if (afterEachFor) step((b) => b.setAfterEachFor(afterEachFor));
    if (atEachDomain) step((b) => b.setAtEachDomain(atEachDomain));
    return withOptions(ctx.ptr, opts.options, () => build.nodeFromSchedule(schedule));
  } finally {
    build.free();
  }
}
