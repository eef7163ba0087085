/**
 * Scheduling. isl's scheduler (options after isl-notes.md: outer coincidence keeps fusion
 * without the blow-up), bounded by isl's operation counter so it never runs unbounded and the
 * result does not depend on the machine's speed; when the bound is hit, or when asked, the
 * sequential schedule: statements in topological order, each its own loop nest.
 */
import { ScheduleConstraints, type Schedule, type UnionMap, type UnionSet } from "./isl/index.js";
import { unionAll, type Constraints } from "./deps.js";
import type { PolyProgram } from "./program.js";

/**
 * isl: isl's scheduler on the whole program; grouped: isl's scheduler on each fusion group (the
 * statements writing one array: its init, updates and definitions), groups in topological order;
 * sequential: no isl scheduling, one loop nest per statement.
 */
export type ScheduleMode = "isl" | "grouped" | "sequential";
export interface Scheduled { method: "isl" | "grouped" | "sequential"; schedule?: Schedule; map?: UnionMap; note?: string }

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

/**
 * Past this many statements isl's scheduler is not tried at all: building its constraints alone
 * grows faster than the program, and the operation bound would only be hit after that work.
 */
export const MAX_ISL_STATEMENTS = 3000;

export function schedule(p: PolyProgram, c: Constraints, mode: ScheduleMode, scale = 1): Scheduled {
  if (mode === "grouped" && p.stmts.length > 0) {
    const g = grouped(p, c, scale);
    if (g) return g;
    mode = "isl";
  }
  if (mode === "isl" && p.stmts.length > MAX_ISL_STATEMENTS)
    return { method: "sequential", map: sequential(p), note: `${p.stmts.length} statements: isl's scheduler is not tried above ${MAX_ISL_STATEMENTS}` };
  if (mode === "isl" && p.stmts.length > 0) {
    const r = computeBounded(p, c.domain, c.validity, scale);
    if (r.schedule) return { method: "isl", schedule: r.schedule, note: r.notes.join("; ") };
    return { method: "sequential", map: sequential(p), note: r.notes.join("; ") };
  }
  return { method: "sequential", map: sequential(p) };
}

/**
 * isl's scheduler on `domain` under `validity` (also coincidence and proximity), trying each
 * attempt in turn under its operation bound (times `scale`). `notes` says what failed, then the
 * label of the attempt that succeeded, if one did.
 */
function computeBounded(p: PolyProgram, domain: UnionSet, validity: UnionMap, scale: number): { schedule?: Schedule; notes: string[] } {
  const ctx = p.ctx;
  const notes: string[] = [];
  const only = process.env.LIFT_SCHEDULE_ONLY;
  for (const a of only ? ATTEMPTS.filter((x) => x.label === only) : ATTEMPTS) {
    const sc = ScheduleConstraints.onDomain(domain)
      .setValidity(validity).setCoincidence(validity).setProximity(validity);
    ctx.setMaxOperations(Math.max(1, Math.round(a.maxOperations * scale)));
    ctx.resetOperations();
    try {
      const schedule = sc.computeSchedule(a.options);
      notes.push(a.label);
      return { schedule, notes };
    } catch (e) {
      notes.push(`${a.label} failed: ${(e as Error).message.split("\n")[0]}`);
    } finally {
      ctx.setMaxOperations(0);
    }
  }
  return { notes };
}

/**
 * Per fusion group: isl schedules each group's statements alone (small problems, fast), and the
 * groups run one after another in topological order. Null when some dependence would run
 * backwards between groups (then the whole program is scheduled at once).
 */
function grouped(p: PolyProgram, c: Constraints, scale: number): Scheduled | null {
  const ctx = p.ctx;
  const byArray = new Map<string, PolyProgram["stmts"]>();
  for (const s of p.stmts) { let g = byArray.get(s.array); if (!g) byArray.set(s.array, (g = [])); g.push(s); }
  const groups = [...byArray.values()].sort((a, b) => Math.min(...a.map((s) => s.order)) - Math.min(...b.map((s) => s.order)));
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((s) => groupOf.set(s.name, i)));
  for (const m of c.validity.maps()) if (groupOf.get(m.tupleName("in")!)! > groupOf.get(m.tupleName("out")!)!) return null;
  const parts: UnionMap[] = [];
  let depth = 0;
  const notes = new Set<string>();
  for (const g of groups) {
    let dom = g[0]!.domain.toUnion();
    for (const s of g.slice(1)) dom = dom.union(s.domain.toUnion());
    const r = computeBounded(p, dom, c.validity.intersectDomain(dom).intersectRange(dom), scale / 10);
    if (r.schedule) notes.add(r.notes[r.notes.length - 1]!);
    const m = r.schedule?.map() ?? sequentialOf(p, g);
    parts.push(m);
    for (const x of m.maps()) depth = Math.max(depth, x.dim("out"));
  }
  let all = ctx.emptyUnionMap();
  parts.forEach((m, k) => {
    for (const x of m.maps()) {
      const n = x.dim("out");
      const ts = Array.from({ length: n }, (_, i) => `t${i}`);
      const pad = ctx.map(`{ [${ts.join(", ")}] -> [${[String(k), ...ts, ...Array(depth - n).fill("0")].join(", ")}] }`);
      all = all.union(x.applyRange(pad).toUnion());
    }
  });
  all = all.intersectDomain(c.domain);
  return { method: "grouped", map: all, note: [...notes].join(", ") };
}

/** S[i…] → [order, kind, index, i…, 0…]: topological order, inits before updates, one nest per statement. */
export function sequential(p: PolyProgram): UnionMap {
  return sequentialOf(p, p.stmts);
}

function sequentialOf(p: PolyProgram, stmts: PolyProgram["stmts"]): UnionMap {
  const depth = Math.max(0, ...stmts.map((s) => s.domain.dim("set")));
  const rank = { init: 0, def: 1, update: 2 } as const;
  const sorted = [...stmts].sort((a, b) => a.order - b.order || rank[a.kind] - rank[b.kind] || a.name.localeCompare(b.name, "en", { numeric: true }));
  // Orders may be fractional (kernel padding copies sit between two nodes): their rank is the key.
  const rankOf = new Map([...new Set(sorted.map((s) => s.order))].map((o, i) => [o, i]));
  const maps = sorted.map((s, k) => {
    const n = s.domain.dim("set");
    const its = Array.from({ length: n }, (_, i) => `i${i}`);
    const out = [String(rankOf.get(s.order)), String(rank[s.kind]), String(k), ...its, ...Array(depth - n).fill("0")];
    return p.ctx.unionMap(`{ ${s.name}[${its.join(", ")}] -> [${out.join(", ")}] }`).intersectDomain(s.domain.toUnion());
  });
  return unionAll(maps, p.ctx.emptyUnionMap());
}
