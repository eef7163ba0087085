/**
 * Scheduling. isl's scheduler (options after isl-notes.md: outer coincidence keeps fusion
 * without the blow-up), bounded by isl's operation counter so it never runs unbounded and the
 * result does not depend on the machine's speed; when the bound is hit, or when asked, the
 * sequential schedule: statements in topological order, each its own loop nest.
 */
import type { Schedule, UnionMap } from "./isl/index.js";
import type { Constraints } from "./deps.js";
import type { PolyProgram } from "./program.js";

export type ScheduleMode = "isl" | "sequential";
export interface Scheduled { method: "isl" | "sequential"; schedule?: Schedule; map?: UnionMap; note?: string }

/**
 * Attempts, in order: isl's scheduler with fusion (outer coincidence, as isl-notes.md measured),
 * then with strongly connected components serialised (fast, fuses less). Each is bounded by
 * isl's operation counter, so scheduling never runs unbounded and the outcome does not depend on
 * the machine's speed.
 */
const ATTEMPTS = [
  { label: "fused", maxOperations: 3_000_000, options: { scheduleOuterCoincidence: true, scheduleMaximizeCoincidence: true, scheduleMaximizeBandDepth: true,
    scheduleWholeComponent: false, scheduleSeparateComponents: true, scheduleTreatCoalescing: true, scheduleSerializeSccs: false } },
  { label: "serialized", maxOperations: 20_000_000, options: { scheduleSerializeSccs: true, scheduleOuterCoincidence: false, scheduleMaximizeCoincidence: false,
    scheduleWholeComponent: false, scheduleSeparateComponents: true, scheduleTreatCoalescing: true, scheduleMaximizeBandDepth: true } },
] as const;

export function schedule(p: PolyProgram, c: Constraints, mode: ScheduleMode, scale = 1): Scheduled {
  if (mode === "isl" && p.stmts.length > 0) {
    const ctx = p.ctx;
    const notes: string[] = [];
    for (const a of process.env.LIFT_SCHEDULE_ONLY ? ATTEMPTS.filter((x) => x.label === process.env.LIFT_SCHEDULE_ONLY) : ATTEMPTS) {
      const sc = ctx.scheduleConstraints(`{ domain: ${JSON.stringify(c.domain.toString())} }`)
        .setValidity(c.validity).setCoincidence(c.validity).setProximity(c.validity);
      ctx.setMaxOperations(Math.max(1, Math.round(a.maxOperations * scale)));
      ctx.resetOperations();
      try {
        return { method: "isl", schedule: sc.computeSchedule(a.options), note: [...notes, a.label].join("; ") };
      } catch (e) {
        notes.push(`${a.label} failed: ${(e as Error).message.split("\n")[0]}`);
      } finally {
        ctx.setMaxOperations(0);
      }
    }
    return { method: "sequential", map: sequential(p), note: notes.join("; ") };
  }
  return { method: "sequential", map: sequential(p) };
}

/** S[i…] → [order, kind, index, i…, 0…]: topological order, inits before updates, one nest per statement. */
export function sequential(p: PolyProgram): UnionMap {
  const depth = Math.max(0, ...p.stmts.map((s) => s.domain.dim("set")));
  const rank = { init: 0, def: 1, update: 2 } as const;
  const sorted = [...p.stmts].sort((a, b) => a.order - b.order || rank[a.kind] - rank[b.kind] || a.name.localeCompare(b.name, "en", { numeric: true }));
  let m = p.ctx.emptyUnionMap();
  sorted.forEach((s, k) => {
    const n = s.domain.dim("set");
    const its = Array.from({ length: n }, (_, i) => `i${i}`);
    const out = [String(s.order), String(rank[s.kind]), String(k), ...its, ...Array(depth - n).fill("0")];
    m = m.union(p.ctx.unionMap(`{ ${s.name}[${its.join(", ")}] -> [${out.join(", ")}] }`).intersectDomain(s.domain.toUnion()));
  });
  return m;
}
