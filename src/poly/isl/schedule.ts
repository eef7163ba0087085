// Scheduling: isl_schedule_constraints (domain + dependences) → isl_schedule, read back as a
// flat map (instance → time) or handed to the AST build as the tree it is.

import { IslObject, registerKind } from "./core.js";
import { withOptions, type IslOptions } from "./options.js";
import { UnionMap } from "./union_map.js";
import type { UnionSet } from "./union_set.js";

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
  /**
   * Gives a schedule satisfying the constraints; the options apply to this call only. Unbounded
   * in time: with ctx.setMaxOperations set, fails with IslError code "quota" when the bound is hit.
   */
  computeSchedule(options?: IslOptions): Schedule {
    return withOptions(this.ctx.ptr, options, () => this.give(Schedule, "isl_schedule_constraints_compute_schedule"));
  }
}

export class Schedule extends IslObject {
  static readonly islType = "isl_schedule";
  static {
    registerKind(this);
  }

  /** Gives the schedule flattened to a union map: statement instance → time vector. */
  map(): UnionMap {
    return this.give(UnionMap, "isl_schedule_get_map");
  }
}
