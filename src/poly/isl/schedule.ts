// Scheduling: isl_schedule_constraints (domain + dependences) → isl_schedule (a tree of
// bands, sequences, filters, marks), and navigation over isl_schedule_node.

import { IslObject, registerKind } from "./core.js";
import { MultiUnionPwAff } from "./affine.js";
import { IslUsageError } from "./error.js";
import { Id } from "./id.js";
import { withOptions, type IslOptions } from "./options.js";
import { IslSet } from "./set.js";
import { MultiVal } from "./val.js";
import { UnionMap } from "./union_map.js";
import { UnionSet } from "./union_set.js";

export class ScheduleConstraints extends IslObject {
  static readonly islType = "isl_schedule_constraints";
  static {
    registerKind(this);
  }

  /** Takes the iteration domain; gives constraints with no dependences yet. */
  static onDomain(domain: UnionSet): ScheduleConstraints {
    return domain.ctx.obj(ScheduleConstraints, "isl_schedule_constraints_on_domain", domain);
  }

  /** Takes dependences that must be respected (source before sink); gives new constraints. */
  setValidity(deps: UnionMap): ScheduleConstraints {
    return this.give(ScheduleConstraints, "isl_schedule_constraints_set_validity", deps);
  }
  /** Takes dependences whose distance should be 0 in parallel (coincident) dims. */
  setCoincidence(deps: UnionMap): ScheduleConstraints {
    return this.give(ScheduleConstraints, "isl_schedule_constraints_set_coincidence", deps);
  }
  /** Takes dependences whose distance should be small (locality / fusion). */
  setProximity(deps: UnionMap): ScheduleConstraints {
    return this.give(ScheduleConstraints, "isl_schedule_constraints_set_proximity", deps);
  }
  /** Takes conditions and validity deps that need only hold where no condition is violated locally. */
  setConditionalValidity(condition: UnionMap, validity: UnionMap): ScheduleConstraints {
    return this.give(ScheduleConstraints, "isl_schedule_constraints_set_conditional_validity", condition, validity);
  }
  /** Takes a parameter context (e.g. `[N] -> { : N >= 1 }`). */
  setContext(context: IslSet): ScheduleConstraints {
    return this.give(ScheduleConstraints, "isl_schedule_constraints_set_context", context);
  }
  domain(): UnionSet {
    return this.give(UnionSet, "isl_schedule_constraints_get_domain");
  }
  validity(): UnionMap {
    return this.give(UnionMap, "isl_schedule_constraints_get_validity");
  }
  coincidence(): UnionMap {
    return this.give(UnionMap, "isl_schedule_constraints_get_coincidence");
  }
  proximity(): UnionMap {
    return this.give(UnionMap, "isl_schedule_constraints_get_proximity");
  }

  /**
   * Gives a schedule satisfying the constraints, in this process. The options apply to this
   * call only. Unbounded in time: for large programs use scheduleWithTimeout (schedule_child.ts).
   * With ctx.setMaxOperations set, fails with IslError code "quota" when the bound is hit.
   */
  computeSchedule(options?: IslOptions): Schedule {
    return withOptions(this.ctx.ptr, options, () =>
      this.give(Schedule, "isl_schedule_constraints_compute_schedule"),
    );
  }
}

/** Plain-data view of a schedule tree (for inspection, tests, and printers). */
export interface ScheduleTreeData {
  type: ScheduleNodeType;
  children: ScheduleTreeData[];
  /** band: partial schedule (isl_multi_union_pw_aff text), permutable, per-member coincidence. */
  band?: { schedule: string; permutable: boolean; coincident: boolean[] };
  /** filter / domain: the union set text; context / guard: the set text. */
  set?: string;
  /** mark: the id name. */
  mark?: string | null;
}

const NODE_TYPES = [
  "band",
  "context",
  "domain",
  "expansion",
  "extension",
  "filter",
  "leaf",
  "guard",
  "mark",
  "sequence",
  "set",
] as const;

export type ScheduleNodeType = (typeof NODE_TYPES)[number];

export class Schedule extends IslObject {
  static readonly islType = "isl_schedule";
  static {
    registerKind(this);
  }

  /** Takes a domain; gives the trivial schedule (a domain node with a leaf). */
  static fromDomain(domain: UnionSet): Schedule {
    return domain.ctx.obj(Schedule, "isl_schedule_from_domain", domain);
  }

  root(): ScheduleNode {
    return this.give(ScheduleNode, "isl_schedule_get_root");
  }
  domain(): UnionSet {
    return this.give(UnionSet, "isl_schedule_get_domain");
  }
  /** Gives the schedule flattened to a union map: statement instance → time vector. */
  map(): UnionMap {
    return this.give(UnionMap, "isl_schedule_get_map");
  }
  /** Syntactic equality of the trees. */
  plainIsEqual(other: Schedule): boolean {
    return this.test("isl_schedule_plain_is_equal", other);
  }
  /** The whole tree as plain data. */
  toTree(): ScheduleTreeData {
    const root = this.root();
    try {
      return root.toTree();
    } finally {
      root.free();
    }
  }
}

export class ScheduleNode extends IslObject {
  static readonly islType = "isl_schedule_node";
  static {
    registerKind(this);
  }

  type(): ScheduleNodeType {
    const t = this.ctx.invoke("isl_schedule_node_get_type", [this]) as number;
    const name = NODE_TYPES[t];
    if (!name) throw new IslUsageError(`unknown schedule node type ${t}`);
    return name;
  }
  nChildren(): number {
    return this.count("isl_schedule_node_n_children");
  }
  /** Gives child i (a new node object; this one is unchanged). */
  child(i: number): ScheduleNode {
    return this.give(ScheduleNode, "isl_schedule_node_get_child", i);
  }
  /** All children; the caller owns them. */
  children(): ScheduleNode[] {
    const n = this.nChildren();
    const out: ScheduleNode[] = [];
    for (let i = 0; i < n; i++) out.push(this.child(i));
    return out;
  }
  hasParent(): boolean {
    return this.test("isl_schedule_node_has_parent");
  }
  parent(): ScheduleNode {
    return this.give(ScheduleNode, "isl_schedule_node_parent");
  }
  root(): ScheduleNode {
    return this.give(ScheduleNode, "isl_schedule_node_root");
  }
  /** The (possibly modified) schedule this node belongs to. */
  schedule(): Schedule {
    return this.give(Schedule, "isl_schedule_node_get_schedule");
  }
  treeDepth(): number {
    return this.count("isl_schedule_node_get_tree_depth");
  }
  /** Number of schedule dimensions (band members) above this node. */
  scheduleDepth(): number {
    return this.count("isl_schedule_node_get_schedule_depth");
  }
  /** Statement instances that reach this node. */
  domain(): UnionSet {
    return this.give(UnionSet, "isl_schedule_node_get_domain");
  }
  /** Schedule dims above this node, as instance → prefix time vector. */
  prefixScheduleUnionMap(): UnionMap {
    return this.give(UnionMap, "isl_schedule_node_get_prefix_schedule_union_map");
  }

  // Band nodes.
  bandNMember(): number {
    return this.count("isl_schedule_node_band_n_member");
  }
  bandPermutable(): boolean {
    return this.test("isl_schedule_node_band_get_permutable");
  }
  /** Member i is coincident: no dependence is carried by it (a parallel loop). */
  bandCoincident(i: number): boolean {
    return this.test("isl_schedule_node_band_member_get_coincident", i);
  }
  bandCoincidentFlags(): boolean[] {
    const n = this.bandNMember();
    const out: boolean[] = [];
    for (let i = 0; i < n; i++) out.push(this.bandCoincident(i));
    return out;
  }
  /** The band's partial schedule, one union_pw_aff per member. */
  bandPartialSchedule(): MultiUnionPwAff {
    return this.give(MultiUnionPwAff, "isl_schedule_node_band_get_partial_schedule");
  }
  bandPartialScheduleUnionMap(): UnionMap {
    return this.give(UnionMap, "isl_schedule_node_band_get_partial_schedule_union_map");
  }
  bandSetCoincident(i: number, coincident: boolean): ScheduleNode {
    return this.give(ScheduleNode, "isl_schedule_node_band_member_set_coincident", i, coincident ? 1 : 0);
  }
  bandSetPermutable(permutable: boolean): ScheduleNode {
    return this.give(ScheduleNode, "isl_schedule_node_band_set_permutable", permutable ? 1 : 0);
  }
  /**
   * How AST generation treats member i: "unroll" fully, "separate" into full and partial
   * iterations, "atomic" (one loop per statement group), or "default".
   */
  bandSetAstLoopType(i: number, type: "default" | "atomic" | "unroll" | "separate"): ScheduleNode {
    const code = ["default", "atomic", "unroll", "separate"].indexOf(type);
    if (code < 0) throw new IslUsageError(`unknown AST loop type ${type}`);
    return this.give(ScheduleNode, "isl_schedule_node_band_member_set_ast_loop_type", i, code);
  }
  /** Takes a band and one size per member; gives the tile band, with the point band as its child. */
  bandTile(sizes: readonly number[]): ScheduleNode {
    if (sizes.length !== this.bandNMember()) throw new IslUsageError("bandTile: one size per band member");
    const mv = this.ctx.obj(MultiVal, "isl_multi_val_read_from_str", this.ctx, `{ [${sizes.join(", ")}] }`);
    try {
      return this.give(ScheduleNode, "isl_schedule_node_band_tile", mv);
    } finally {
      mv.free();
    }
  }
  /** Splits a band after `pos` members; gives the outer band. */
  bandSplit(pos: number): ScheduleNode {
    return this.give(ScheduleNode, "isl_schedule_node_band_split", pos);
  }

  // Other node kinds.
  filter(): UnionSet {
    return this.give(UnionSet, "isl_schedule_node_filter_get_filter");
  }
  domainNodeDomain(): UnionSet {
    return this.give(UnionSet, "isl_schedule_node_domain_get_domain");
  }
  context(): IslSet {
    return this.give(IslSet, "isl_schedule_node_context_get_context");
  }
  guard(): IslSet {
    return this.give(IslSet, "isl_schedule_node_guard_get_guard");
  }
  markId(): Id {
    return this.give(Id, "isl_schedule_node_mark_get_id");
  }
  /** Inserts a mark node above this one; gives the mark node. */
  insertMark(mark: string | Id): ScheduleNode {
    const id = typeof mark === "string" ? this.ctx.obj(Id, "isl_id_alloc", this.ctx, mark, null) : mark.copy();
    try {
      return this.give(ScheduleNode, "isl_schedule_node_insert_mark", id);
    } finally {
      id.free();
    }
  }

  /** This subtree as plain data. */
  toTree(): ScheduleTreeData {
    const type = this.type();
    const data: ScheduleTreeData = { type, children: [] };
    const text = (o: IslObject): string => {
      try {
        return o.toString();
      } finally {
        o.free();
      }
    };
    switch (type) {
      case "band":
        data.band = {
          schedule: text(this.bandPartialSchedule()),
          permutable: this.bandPermutable(),
          coincident: this.bandCoincidentFlags(),
        };
        break;
      case "filter":
        data.set = text(this.filter());
        break;
      case "domain":
        data.set = text(this.domainNodeDomain());
        break;
      case "context":
        data.set = text(this.context());
        break;
      case "guard":
        data.set = text(this.guard());
        break;
      case "mark": {
        const id = this.markId();
        try {
          data.mark = id.name();
        } finally {
          id.free();
        }
        break;
      }
      default:
        break;
    }
    const n = this.nChildren();
    for (let i = 0; i < n; i++) {
      const c = this.child(i);
      try {
        data.children.push(c.toTree());
      } finally {
        c.free();
      }
    }
    return data;
  }
}
