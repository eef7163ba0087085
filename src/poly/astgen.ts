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
  let build = AstBuild.fromContext(context.copy());
  if (deps) build = swap(build, parallelHooks(build, p, bySource(deps)));
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
  // One build serves every part: isl copies it for each tree, and a part's hooks end where they began.
  const tree = (part: Schedule | UnionMap): AstNodeData => {
    const root = part instanceof UnionMap ? build.nodeFromScheduleMap(part) : build.nodeFromSchedule(part);
    const data = root.toData();
    root.free();
    return data;
  };
  // A long program's schedule comes in pieces, each built alone: isl's AST generator sorts the
  // statements of one build pairwise, so a whole 4,400-statement program would be quadratic.
  // The sequential schedule's pieces are built a statement at a time (each is its own nest, so
  // the pairwise sort would only order what is known): a piece then costs its statements' work.
  const parts = s.pieces ?? [s.schedule ?? s.map!];
  let trees: AstNodeData[];
  try {
    trees = parts.map((part, k) => {
      const nest = s.nests?.[k];
      return nest?.length ? sideBySide(nest.map(tree)) : tree(part);
    });
  } finally {
    build.free();
  }
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

/**
 * A piece's statements' trees built alone, side by side in one block (a lone one bare, as isl
 * gives it). isl, building them together, nests some in inner blocks of their own; the C is the
 * same, as it prints a block's items in order, without braces, and says once per top-level item
 * (the piece) what it writes.
 */
function sideBySide(trees: AstNodeData[]): AstNodeData {
  const children = trees.flatMap((t) => (t.kind === "block" ? t.children : [t]));
  return children.length === 1 ? children[0]! : { kind: "block", children };
}

/**
 * The dependences by source statement, each with its target: a loop composes only the pairs
 * among its own statements with its schedule, not the whole program's (which made this pass
 * quadratic in the program's length), nor those leaving it (a statement read by all others
 * has as many as the program has statements).
 */
function bySource(deps: UnionMap): Map<string, { to: string; map: UnionMap }[]> {
  const out = new Map<string, { to: string; map: UnionMap }[]>();
  for (const m of deps.maps()) {
    const k = m.tupleName("in")!;
    let l = out.get(k);
    if (!l) out.set(k, (l = []));
    l.push({ to: m.tupleName("out")!, map: m.toUnion() });
    m.free();
  }
  return out;
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
function parallelHooks(build: AstBuild, p: PolyProgram, deps: Map<string, { to: string; map: UnionMap }[]>): AstBuild {
  let open = 0,
    parallelDepth = -1;
  const withFor = build.setBeforeEachFor((b) => {
    const depth = open++;
    if (parallelDepth >= 0) return undefined;
    return freed(b.schedule(), (sched) => {
      const names = new Set(freed(sched.domain(), (d) => d.sets().map((x) => freed(x, () => x.tupleName()!))));
      const mine = [...names].flatMap((n) => (deps.get(n) ?? []).filter((d) => names.has(d.to)).map((d) => d.map));
      // A lone map is the table's own (not to be freed); a union of several is new.
      const own = mine.length === 1 ? mine[0]!.copy() : unionAll(mine, p.ctx.emptyUnionMap());
      const pairs = freed(own, (o) => freed(o.applyDomain(sched), (x) => x.applyRange(sched)));
      const deltas = freed(pairs, (x) => freed(x.deltas(), (d) => d.sets()));
      try {
        for (const d of deltas) {
          const n = d.dim("set");
          // Differences whose enclosing iterators agree; the loop carries one if its own differs.
          let same = d;
          for (let i = 0; i < n - 1; i++) same = same.fix("set", i, 0);
          if (!same.isSubset(same.fix("set", n - 1, 0))) return undefined;
        }
      } finally {
        for (const d of deltas) d.free();
      }
      parallelDepth = depth;
      return "parallel";
    });
  });
  const hooked = withFor.setAfterEachFor(() => {
    if (--open === parallelDepth) parallelDepth = -1;
  });
  withFor.free();
  return hooked;
}

/**
 * The statement's write and reads as array indexes in the loop iterators (inverse schedule ∘
 * access). Reads of one element share their index (forward substitution repeats a read many
 * times: a chain's statement reads one array 30 times); the loop AST is never changed in place.
 */
function instanceAt(stmt: PStmt, b: AstBuild): Instance {
  const inverse = freed(b.schedule(), (x) => x.reverse());
  const known = new Map<string, Access>();
  const access = (m: IslMap): Access => {
    const key = m.toString();
    const hit = known.get(key);
    if (hit) return hit;
    const pma = freed(
      freed(m.toUnion(), (u) => inverse.applyRange(u)),
      (x) => freed(x.toMap(), (y) => y.toPwMultiAff()),
    );
    const e = freed(
      freed(pma, (x) => b.accessFromPwMultiAff(x)),
      (x) => x.toData(),
    );
    if (e.kind !== "op" || e.op !== "access") throw new Error("internal: not an access expression");
    const [arr, ...idx] = e.args;
    const at = { array: arr!.kind === "id" ? arr!.name : "?", index: idx.map(intExpr) };
    known.set(key, at);
    return at;
  };
  const value = (x: PExpr): VExpr =>
    x.k === "read"
      ? { k: "read", at: access(x.access) }
      : x.k === "const"
        ? x
        : { k: "call", op: x.op, args: x.args.map(value) };
  try {
    return { stmt, target: access(stmt.write), value: value(stmt.expr) };
  } finally {
    inverse.free();
  }
}

/** f(x), then x freed (isl objects otherwise live until the compilation's context ends). */
function freed<T extends { free(): void }, R>(x: T, f: (x: T) => R): R {
  try {
    return f(x);
  } finally {
    x.free();
  }
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
