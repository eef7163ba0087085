/**
 * isl AST → loop AST. At each statement instance isl gives the inverse schedule; composing
 * it with each access map gives the array index as an expression of the loop iterators
 * (reference §8.7), which is all a printer needs.
 */
import { basename } from "node:path";
import type { Span } from "../lang/source.js";
import type { Access, IntOp, LExpr, LNode, LoopProgram, VExpr } from "../loop/ast.js";
import {
  AstBuild,
  UnionMap,
  type AstExprData,
  type AstNode,
  type AstNodeData,
  type IslMap,
  type IslSet,
  type Schedule,
} from "./isl/index.js";
import type { Scheduled } from "./schedule.js";
import { unionAll } from "./deps.js";
import type { PExpr, PolyProgram, PStmt } from "./program.js";

type Instance = { stmt: PStmt; target: Access; value: VExpr } | { stmt: PStmt; kernel: true };

/**
 * `deps` (instance → instance that must not run in parallel with it: dependences and pairs of
 * updates of one element) decides which loops are parallel: a loop is, when no such pair has
 * equal enclosing iterators and different values of this one.
 */
export function generateLoops(p: PolyProgram, s: Scheduled, context: IslSet, deps?: UnionMap): LoopProgram {
  const byName = new Map(p.stmts.map((x) => [x.name, x]));
  const instances: Instance[] = [];
  // The dependences by source statement: a loop composes only its own statements' pairs with its
  // schedule, not the whole program's (which made this pass quadratic in the program's length).
  const bySource = new Map<string, UnionMap[]>();
  for (const m of deps?.maps() ?? []) {
    const k = m.tupleName("in")!;
    let l = bySource.get(k);
    if (!l) bySource.set(k, (l = []));
    l.push(m.toUnion());
  }
  const tree = (part: Schedule | UnionMap): AstNodeData => {
    let build = AstBuild.fromContext(context.copy());
    if (deps) build = swap(build, parallelHooks(build, p, bySource));
    build = swap(
      build,
      build.setAtEachDomain((node, b) => {
        const data = node.toData();
        if (data.kind !== "user" || !data.call) return;
        const stmt = byName.get(data.call.name);
        if (!stmt) throw new Error(`internal: AST names unknown statement ${data.call.name}`);
        instances.push(stmt.kernel ? { stmt, kernel: true } : instanceAt(stmt, b));
        return node.setAnnotation(instances.length - 1);
      }),
    );
    let root: AstNode;
    try {
      root = part instanceof UnionMap ? build.nodeFromScheduleMap(part) : build.nodeFromSchedule(part);
    } finally {
      build.free();
    }
    const data = root.toData();
    root.free();
    return data;
  };
  // A long program's schedule comes in pieces, each built alone: isl's AST generator sorts the
  // statements of one build pairwise, so a whole 4,400-statement program would be quadratic.
  const parts = s.pieces ?? [s.schedule ?? s.map!];
  const trees = parts.map(tree);
  const body: LNode =
    trees.length === 1
      ? loopNode(trees[0]!, instances)
      : { k: "block", items: trees.map((t) => loopNode(t, instances)) };
  return {
    arrays: [...p.arrays.values()].map((a) => {
      const origin = originOf(p, a.name);
      return {
        name: a.name,
        shape: a.shape,
        role: a.role,
        labels: a.labels,
        ...(a.interior ? { interior: a.interior } : {}),
        ...(origin ? { origin } : {}),
      };
    }),
    params: p.params,
    sizes: p.graph.sizes,
    inputs: p.inputs,
    outputs: p.outputs,
    body,
    functions: [],
  };
}

/** The build `next` made from `old`, which is freed (each hook gives a new build). */
function swap(old: AstBuild, next: AstBuild): AstBuild {
  if (next !== old) old.free();
  return next;
}

/**
 * Marks a loop parallel when no pair in `deps` has equal enclosing iterators and different values
 * of this one; loops inside a parallel loop are left sequential (one level of threads is enough).
 */
function parallelHooks(build: AstBuild, p: PolyProgram, bySource: Map<string, UnionMap[]>): AstBuild {
  let open = 0,
    parallelDepth = -1;
  const withFor = build.setBeforeEachFor((b) => {
    const depth = open++;
    if (parallelDepth >= 0) return undefined;
    const sched = b.schedule();
    const mine = sched
      .domain()
      .sets()
      .flatMap((d) => bySource.get(d.tupleName()!) ?? []);
    const own = unionAll(mine, p.ctx.emptyUnionMap());
    const pairs = own.applyDomain(sched).applyRange(sched);
    for (const d of pairs.deltas().sets()) {
      const n = d.dim("set");
      // Differences whose enclosing iterators agree; the loop carries one if its own differs.
      let same = d;
      for (let i = 0; i < n - 1; i++) same = same.fix("set", i, 0);
      if (!same.isSubset(same.fix("set", n - 1, 0))) return undefined;
    }
    parallelDepth = depth;
    return "parallel";
  });
  const hooked = withFor.setAfterEachFor(() => {
    if (--open === parallelDepth) parallelDepth = -1;
  });
  withFor.free();
  return hooked;
}

/** The statement's write and reads as array indexes in the loop iterators (inverse schedule ∘ access). */
function instanceAt(stmt: PStmt, b: AstBuild): Instance {
  const inverse = b.schedule().reverse();
  const access = (m: IslMap): Access => {
    const pma = inverse.applyRange(m.toUnion()).toMap().toPwMultiAff();
    const e = b.accessFromPwMultiAff(pma).toData();
    if (e.kind !== "op" || e.op !== "access") throw new Error("internal: not an access expression");
    const [arr, ...idx] = e.args;
    return { array: arr!.kind === "id" ? arr!.name : "?", index: idx.map(intExpr) };
  };
  const value = (x: PExpr): VExpr =>
    x.k === "read"
      ? { k: "read", at: access(x.access) }
      : x.k === "const"
        ? x
        : { k: "call", op: x.op, args: x.args.map(value) };
  return { stmt, target: access(stmt.write), value: value(stmt.expr) };
}

function loopNode(n: AstNodeData, inst: Instance[]): LNode {
  switch (n.kind) {
    case "for": {
      const body = loopNode(n.body, inst);
      // Threads pay off only around real work: a loop with a loop inside it.
      return {
        k: "for",
        it: n.iterator,
        init: intExpr(n.init),
        cond: intExpr(n.cond),
        inc: intExpr(n.inc),
        body,
        parallel: n.annotation === "parallel" && !n.degenerate && hasLoop(body),
      };
    }
    case "if":
      return {
        k: "if",
        cond: intExpr(n.cond),
        then: loopNode(n.then, inst),
        ...(n.else ? { else: loopNode(n.else, inst) } : {}),
      };
    case "block":
      return { k: "block", items: n.children.map((c) => loopNode(c, inst)) };
    case "mark":
      return loopNode(n.node, inst);
    case "user": {
      const i = inst[n.annotation as number];
      if (!i) throw new Error("internal: statement without its accesses");
      if ("kernel" in i) return { k: "kernel", name: i.stmt.name, plan: i.stmt.kernel! };
      return {
        k: "stmt",
        name: i.stmt.name,
        kind: i.stmt.kind,
        ...(i.stmt.op ? { op: i.stmt.op } : {}),
        target: i.target,
        value: i.value,
      };
    }
  }
}

function hasLoop(n: LNode): boolean {
  return (
    n.k === "for" ||
    (n.k === "block" && n.items.some(hasLoop)) ||
    (n.k === "if" && (hasLoop(n.then) || (n.else !== undefined && hasLoop(n.else))))
  );
}

function intExpr(e: AstExprData): LExpr {
  switch (e.kind) {
    case "int":
      return { k: "int", v: e.value };
    case "id":
      return { k: "id", name: e.name };
    case "op":
      if (e.op === "call" || e.op === "access" || e.op === "member" || e.op === "address_of")
        throw new Error(`internal: ${e.op} in an index expression`);
      return { k: "op", op: e.op as IntOp, args: e.args.map(intExpr) };
  }
}

/** `file:line` of the formula whose node an array `v<id>` holds (a padded copy names its source). */
function originOf(p: PolyProgram, array: string): string | undefined {
  const m = /^v(\d+)/.exec(array);
  const node = m ? (p.graph.nodes[Number(m[1])] as { span?: Span } | undefined) : undefined;
  const span = node?.span;
  if (!span) return undefined;
  return `${basename(span.file.name)}:${span.file.position(span.start).line}`;
}
