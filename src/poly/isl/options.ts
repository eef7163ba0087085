// The scheduler options LiFT sets (isl keeps them per isl_ctx): a plain object mapped to
// isl_options_set_* calls, each option a boolean (isl's int 0 / 1).

import { islFn } from "./lib.js";

/** isl's option name for each key (isl_options_set_<name> / isl_options_get_<name> in decls.ts). */
const NAMES = {
  /** Measured: avoids the ILP blow-up on constant extents while keeping fusion. */
  scheduleOuterCoincidence: "schedule_outer_coincidence",
  scheduleMaximizeCoincidence: "schedule_maximize_coincidence",
  scheduleMaximizeBandDepth: "schedule_maximize_band_depth",
  /** Fuses everything, at exponential cost: avoid on large programs. */
  scheduleWholeComponent: "schedule_whole_component",
  scheduleSeparateComponents: "schedule_separate_components",
  scheduleTreatCoalescing: "schedule_treat_coalescing",
  /** Fast, but fuses nothing. */
  scheduleSerializeSccs: "schedule_serialize_sccs",
} as const;

export type IslOptions = { [K in keyof typeof NAMES]?: boolean };
type Key = keyof typeof NAMES;

function set(ctxPtr: bigint, key: Key, on: boolean): void {
  const name = NAMES[key];
  if (name === undefined) throw new TypeError(`unknown isl option ${key}`);
  if ((islFn(`isl_options_set_${name}`).call(ctxPtr, on ? 1 : 0) as number) < 0) {
    throw new Error(`isl_options_set_${name} failed`);
  }
}

/** Read option `key` on a raw isl_ctx. */
export function getOption(ctxPtr: bigint, key: Key): boolean {
  return (islFn(`isl_options_get_${NAMES[key]}`).call(ctxPtr) as number) !== 0;
}

/**
 * Run fn with the options set, then restore the previous values (options are ctx-wide, and a
 * later computation on the same ctx should not inherit them by accident). Unknown keys throw.
 */
export function withOptions<T>(ctxPtr: bigint, opts: IslOptions | undefined, fn: () => T): T {
  const keys = Object.keys(opts ?? {}).filter((k) => opts![k as Key] !== undefined) as Key[];
  const saved = keys.map((k) => {
    if (NAMES[k] === undefined) throw new TypeError(`unknown isl option ${k}`);
    return getOption(ctxPtr, k);
  });
  keys.forEach((k) => set(ctxPtr, k, opts![k]!));
  try {
    return fn();
  } finally {
    keys.forEach((k, i) => set(ctxPtr, k, saved[i]!));
  }
}
