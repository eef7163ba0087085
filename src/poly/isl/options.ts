// Scheduler and AST-generation options. isl keeps them per isl_ctx; this module maps a
// plain, JSON-serialisable object (it crosses the IPC boundary of schedule_child.ts) to the
// isl_options_set_* calls.

import { optionFn, type OptionName } from "./lib.js";

export interface IslOptions {
  // Scheduler (isl_schedule_constraints_compute_schedule).
  /** Bound on schedule coefficients; -1 = none. Does not prevent the blow-up on constant sizes. */
  scheduleMaxCoefficient?: number;
  scheduleMaxConstantTerm?: number;
  scheduleMaximizeBandDepth?: boolean;
  /** Measured: avoids the ILP blow-up on constant extents while keeping fusion. */
  scheduleMaximizeCoincidence?: boolean;
  /** Measured: avoids the ILP blow-up on constant extents while keeping fusion. */
  scheduleOuterCoincidence?: boolean;
  scheduleSplitScaled?: boolean;
  scheduleTreatCoalescing?: boolean;
  scheduleSeparateComponents?: boolean;
  /** Fast, but fuses nothing. */
  scheduleSerializeSccs?: boolean;
  /** Fuses everything, at exponential cost: avoid on large programs. */
  scheduleWholeComponent?: boolean;
  scheduleCarrySelfFirst?: boolean;
  /** "feautrier" is fast but yields one big band (poor for tiling). */
  scheduleAlgorithm?: "isl" | "feautrier";
  // AST generation (isl_ast_build_node_from_schedule).
  astBuildAtomicUpperBound?: boolean;
  astBuildPreferPdiv?: boolean;
  astBuildDetectMinMax?: boolean;
  astBuildExploitNestedBounds?: boolean;
  astBuildGroupCoscheduled?: boolean;
  astBuildSeparationBounds?: "explicit" | "implicit";
  astBuildScaleStrides?: boolean;
  astBuildAllowElse?: boolean;
  astBuildAllowOr?: boolean;
  // Simplification.
  coalesceBoundedWrapping?: boolean;
}

type Codec = { name: OptionName; enc: (v: unknown) => number; dec: (n: number) => unknown };

const bool = (name: OptionName): Codec => ({ name, enc: (v) => (v ? 1 : 0), dec: (n) => n !== 0 });
const int = (name: OptionName): Codec => ({
  name,
  enc: (v) => {
    if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`isl option ${name} needs an integer`);
    return v;
  },
  dec: (n) => n,
});
const choice = (name: OptionName, values: readonly string[]): Codec => ({
  name,
  enc: (v) => {
    const i = values.indexOf(v as string);
    if (i < 0) throw new TypeError(`isl option ${name} must be one of ${values.join(", ")}`);
    return i;
  },
  dec: (n) => values[n] ?? n,
});

const CODECS: { [K in keyof Required<IslOptions>]: Codec } = {
  scheduleMaxCoefficient: int("schedule_max_coefficient"),
  scheduleMaxConstantTerm: int("schedule_max_constant_term"),
  scheduleMaximizeBandDepth: bool("schedule_maximize_band_depth"),
  scheduleMaximizeCoincidence: bool("schedule_maximize_coincidence"),
  scheduleOuterCoincidence: bool("schedule_outer_coincidence"),
  scheduleSplitScaled: bool("schedule_split_scaled"),
  scheduleTreatCoalescing: bool("schedule_treat_coalescing"),
  scheduleSeparateComponents: bool("schedule_separate_components"),
  scheduleSerializeSccs: bool("schedule_serialize_sccs"),
  scheduleWholeComponent: bool("schedule_whole_component"),
  scheduleCarrySelfFirst: bool("schedule_carry_self_first"),
  // ISL_SCHEDULE_ALGORITHM_ISL = 0, ISL_SCHEDULE_ALGORITHM_FEAUTRIER = 1
  scheduleAlgorithm: choice("schedule_algorithm", ["isl", "feautrier"]),
  astBuildAtomicUpperBound: bool("ast_build_atomic_upper_bound"),
  astBuildPreferPdiv: bool("ast_build_prefer_pdiv"),
  astBuildDetectMinMax: bool("ast_build_detect_min_max"),
  astBuildExploitNestedBounds: bool("ast_build_exploit_nested_bounds"),
  astBuildGroupCoscheduled: bool("ast_build_group_coscheduled"),
  // ISL_AST_BUILD_SEPARATION_BOUNDS_EXPLICIT = 0, _IMPLICIT = 1
  astBuildSeparationBounds: choice("ast_build_separation_bounds", ["explicit", "implicit"]),
  astBuildScaleStrides: bool("ast_build_scale_strides"),
  astBuildAllowElse: bool("ast_build_allow_else"),
  astBuildAllowOr: bool("ast_build_allow_or"),
  coalesceBoundedWrapping: bool("coalesce_bounded_wrapping"),
};

function codec(key: string): Codec {
  const c = (CODECS as Record<string, Codec | undefined>)[key];
  if (!c) throw new TypeError(`unknown isl option ${key}`);
  return c;
}

/** Set the given options on a raw isl_ctx. Unknown keys throw; undefined values are skipped. */
export function applyOptions(ctxPtr: bigint, opts: IslOptions): void {
  for (const [key, value] of Object.entries(opts)) {
    if (value === undefined) continue;
    const c = codec(key);
    if (optionFn(c.name).set(ctxPtr, c.enc(value)) < 0) throw new Error(`isl_options_set_${c.name} failed`);
  }
}

/** Current values of the given option keys (all known options when keys is omitted). */
export function readOptions(ctxPtr: bigint, keys?: readonly (keyof IslOptions)[]): IslOptions {
  const out: Record<string, unknown> = {};
  for (const key of keys ?? (Object.keys(CODECS) as (keyof IslOptions)[])) {
    const c = codec(key);
    out[key] = c.dec(optionFn(c.name).get(ctxPtr) as number);
  }
  return out as IslOptions;
}

/**
 * Run fn with the options set, then restore the previous values (options are ctx-wide,
 * and a later computation on the same ctx should not inherit them by accident).
 */
export function withOptions<T>(ctxPtr: bigint, opts: IslOptions | undefined, fn: () => T): T {
  if (!opts || Object.keys(opts).length === 0) return fn();
  const keys = Object.keys(opts).filter((k) => (opts as Record<string, unknown>)[k] !== undefined) as (keyof IslOptions)[];
  const saved = readOptions(ctxPtr, keys);
  applyOptions(ctxPtr, opts);
  try {
    return fn();
  } finally {
    applyOptions(ctxPtr, saved);
  }
}
