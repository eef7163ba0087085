// Dataflow analysis: isl_union_access_info → isl_union_flow (exact or approximate
// last-writer dependences, and the reads that no write reaches).

import { IslObject, registerKind } from "./core.js";
import { IslUsageError } from "./error.js";
import type { IslFnName } from "./lib.js";
import { Schedule } from "./schedule.js";
import { UnionMap } from "./union_map.js";

export class UnionAccessInfo extends IslObject {
  static readonly islType = "isl_union_access_info";
  static {
    registerKind(this);
  }
}

export class UnionFlow extends IslObject {
  static readonly islType = "isl_union_flow";
  static {
    registerKind(this);
  }
}

export interface FlowInput {
  /** Reads (or any accesses whose sources we want): instance → element. */
  sink: UnionMap;
  /** Writes that definitely happen: instance → element. */
  mustSource?: UnionMap;
  /** Writes that may happen. */
  maySource?: UnionMap;
  /** Accesses that kill (end the lifetime of) a value. */
  kill?: UnionMap;
  /** The original execution order, as a schedule tree ... */
  schedule?: Schedule;
  /** ... or as a union map instance → time. Exactly one of the two. */
  scheduleMap?: UnionMap;
}

export interface FlowResult {
  /** Definite last-writer dependences: source instance → sink instance. */
  mustDependence: UnionMap;
  /** Possible dependences (a superset of mustDependence). */
  mayDependence: UnionMap;
  /** As mustDependence, but source instance → [sink instance → element]. */
  fullMustDependence: UnionMap;
  /** Sink accesses that no must-source definitely reaches (e.g. reads of inputs). */
  mustNoSource: UnionMap;
  /** Sink accesses that may have no source. */
  mayNoSource: UnionMap;
}

/**
 * Takes sink accesses, sources and an execution order; gives, for each sink instance, the
 * last source instance before it that accesses the same element. Owned results: free them.
 */
export function computeFlow(input: FlowInput): FlowResult {
  const { sink } = input;
  const ctx = sink.ctx;
  if ((input.schedule === undefined) === (input.scheduleMap === undefined)) {
    throw new IslUsageError("computeFlow needs exactly one of schedule / scheduleMap");
  }
  let info = ctx.obj(UnionAccessInfo, "isl_union_access_info_from_sink", sink);
  const step = (fn: IslFnName, arg: IslObject): void => {
    const next = ctx.obj(UnionAccessInfo, fn, info, arg);
    info.free();
    info = next;
  };
  let flow: UnionFlow;
  try {
    if (input.mustSource) step("isl_union_access_info_set_must_source", input.mustSource);
    if (input.maySource) step("isl_union_access_info_set_may_source", input.maySource);
    if (input.kill) step("isl_union_access_info_set_kill", input.kill);
    if (input.schedule) step("isl_union_access_info_set_schedule", input.schedule);
    if (input.scheduleMap) step("isl_union_access_info_set_schedule_map", input.scheduleMap);
    flow = ctx.obj(UnionFlow, "isl_union_access_info_compute_flow", info);
  } finally {
    info.free();
  }
  const got: UnionMap[] = [];
  try {
    const get = (fn: IslFnName): UnionMap => {
      const m = ctx.obj(UnionMap, fn, flow);
      got.push(m);
      return m;
    };
    return {
      mustDependence: get("isl_union_flow_get_must_dependence"),
      mayDependence: get("isl_union_flow_get_may_dependence"),
      fullMustDependence: get("isl_union_flow_get_full_must_dependence"),
      mustNoSource: get("isl_union_flow_get_must_no_source"),
      mayNoSource: get("isl_union_flow_get_may_no_source"),
    };
  } catch (e) {
    for (const m of got) m.free();
    throw e;
  } finally {
    flow.free();
  }
}
