/**
 * Scheduling. isl's scheduler (options after isl-notes.md: outer coincidence keeps fusion
 * without the blow-up), bounded by isl's operation counter so it never runs unbounded and the
 * result does not depend on the machine's speed; when the bound is hit, or when asked, the
 * sequential schedule: statements in topological order, each its own loop nest.
 */
import { ScheduleConstraints, UnionMap, type Schedule, type UnionSet } from "./isl/index.js";
import { unionAll, type Constraints } from "./deps.js";
import type { PolyProgram } from "./program.js";

/**
 * isl: isl's scheduler on the whole program; grouped: isl's scheduler on each fusion group (the
 * statements writing one array: its init, updates and definitions), groups in topological order;
 * sequential: no isl scheduling, one loop nest per statement.
 */
export type ScheduleMode = "isl" | "grouped" | "sequential";
/**
 * `pieces`, for a program longer than CHUNK_STATEMENTS: its schedule as consecutive parts (isl's
 * schedule trees or maps) of at most that many statements, in execution order, for the AST pass
 * to build one at a time.
 */
export interface Scheduled {
  method: "isl" | "grouped" | "sequential";
  schedule?: Schedule;
  map?: UnionMap;
  pieces?: (Schedule | UnionMap)[];
  /**
   * The sequential schedule's `pieces` as their statements' maps in execution order: each
   * statement is its own loop nest, so the AST pass may build each alone.
   */
  nests?: UnionMap[][];
  note?: string;
}

/**
 * Attempts, in order: isl's scheduler with fusion (outer coincidence, as isl-notes.md measured),
 * then with strongly connected components serialised (fast, fuses less). Each is bounded by
 * isl's operation counter, so scheduling never runs unbounded and the outcome does not depend on
 * the machine's speed.
 */
const ATTEMPTS = [
  {
    label: "fused",
    maxOperations: 3_000_000,
    options: {
      scheduleOuterCoincidence: true,
      scheduleMaximizeCoincidence: true,
      scheduleMaximizeBandDepth: true,
      scheduleWholeComponent: false,
      scheduleSeparateComponents: true,
      scheduleTreatCoalescing: true,
      scheduleSerializeSccs: false,
    },
  },
  {
    label: "serialized",
    maxOperations: 20_000_000,
    options: {
      scheduleSerializeSccs: true,
      scheduleOuterCoincidence: false,
      scheduleMaximizeCoincidence: false,
      scheduleWholeComponent: false,
      scheduleSeparateComponents: true,
      scheduleTreatCoalescing: true,
      scheduleMaximizeBandDepth: true,
    },
  },
] as const;

/**
 * Past this many statements isl's scheduler is not tried at all: building its constraints alone
 * grows faster than the program, and the operation bound would only be hit after that work.
 */
export const MAX_ISL_STATEMENTS = 3000;
/**
 * Past this many statements isl schedules consecutive pieces of the sequential order, at most
 * this many statements each, one piece after another: isl's work on a whole program grows faster
 * than the program (a 440-statement chain: 7.5 s), a piece's is bounded. Every dependence
 * between pieces runs forwards, as the sequential order is a valid schedule. Real programs sit
 * far below it (the LeNet training step: 97 statements), so their schedules do not change.
 */
export const CHUNK_STATEMENTS = 200;

export function schedule(
  p: PolyProgram,
  c: Constraints,
  mode: ScheduleMode,
  scale = 1,
  chunk = CHUNK_STATEMENTS,
): Scheduled {
  if (mode === "grouped" && p.stmts.length > 0) {
    const g = scheduleGroups(p, c, scale / 10, fusionGroups(p));
    if (g)
      return {
        method: "grouped",
        map: padGroups(p, g),
        ...(p.stmts.length > chunk ? { pieces: g.parts } : {}),
        note: g.note,
      };
    mode = "isl";
  }
  if (mode === "isl" && p.stmts.length > MAX_ISL_STATEMENTS) {
    const note = `${p.stmts.length} statements: isl's scheduler is not tried above ${MAX_ISL_STATEMENTS}`;
    return { ...sequentialPieces(p, chunk), method: "sequential", note };
  }
  if (mode === "isl" && p.stmts.length > chunk) {
    const g = scheduleGroups(p, c, scale, chunks(p, chunk))!;
    const note = `${g.parts.length} pieces of at most ${chunk} statements in sequence${g.note ? `: ${g.note}` : ""}`;
    // The whole map only for a dump: the AST pass builds the pieces one by one.
    return {
      method: "isl",
      pieces: g.parts,
      note,
      get map() {
        return padGroups(p, g);
      },
    };
  }
  if (mode === "isl" && p.stmts.length > 0) {
    const r = computeBounded(p, c.domain, c.validity, scale);
    if (r.schedule) return { method: "isl", schedule: r.schedule, note: r.notes.join("; ") };
    return { method: "sequential", map: sequential(p), note: r.notes.join("; ") };
  }
  return { ...sequentialPieces(p, chunk), method: "sequential" };
}

/**
 * isl's scheduler on `domain` under `validity` (also coincidence and proximity), trying each
 * attempt in turn under its operation bound (times `scale`). `notes` says what failed, then the
 * label of the attempt that succeeded, if one did.
 */
function computeBounded(
  p: PolyProgram,
  domain: UnionSet,
  validity: UnionMap,
  scale: number,
): { schedule?: Schedule; notes: string[] } {
  const ctx = p.ctx;
  const notes: string[] = [];
  const only = process.env.LIFT_SCHEDULE_ONLY;
  for (const a of only ? ATTEMPTS.filter((x) => x.label === only) : ATTEMPTS) {
    const sc = ScheduleConstraints.onDomain(domain)
      .setValidity(validity)
      .setCoincidence(validity)
      .setProximity(validity);
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

type Stmts = PolyProgram["stmts"];

/** The fusion groups: the statements writing one array (its init, updates and definitions), in topological order. */
function fusionGroups(p: PolyProgram): Stmts[] {
  const byArray = new Map<string, Stmts>();
  for (const s of p.stmts) {
    let g = byArray.get(s.array);
    if (!g) byArray.set(s.array, (g = []));
    g.push(s);
  }
  return [...byArray.values()].sort((a, b) => Math.min(...a.map((s) => s.order)) - Math.min(...b.map((s) => s.order)));
}

/** Consecutive pieces of the sequential order, `chunk` statements each (the last may be shorter). */
function chunks(p: PolyProgram, chunk: number): Stmts[] {
  const sorted = sequentialOrder(p.stmts),
    out: Stmts[] = [];
  for (let i = 0; i < sorted.length; i += chunk) out.push(sorted.slice(i, i + chunk));
  return out;
}

interface Groups {
  parts: (Schedule | UnionMap)[];
  doms: UnionSet[];
  note: string;
}

/**
 * isl schedules each group's statements alone (small problems, fast; its bounds times `scale`),
 * and the groups run one after another in the given order: each part is isl's schedule of its
 * group, or the group's sequential schedule. Null when some dependence would run backwards
 * between groups (then the whole program is scheduled at once).
 */
function scheduleGroups(p: PolyProgram, c: Constraints, scale: number, groups: Stmts[]): Groups | null {
  const ctx = p.ctx;
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((s) => groupOf.set(s.name, i)));
  // Each group's own dependences, found by source statement (not by intersecting the whole
  // program's per group, which grew with groups × program).
  const inside: UnionMap[][] = groups.map(() => []);
  for (const m of c.validity.maps()) {
    const from = groupOf.get(m.tupleName("in")!)!,
      to = groupOf.get(m.tupleName("out")!)!;
    if (from > to) return null;
    if (from === to) inside[from]!.push(m.toUnion());
  }
  const notes = new Set<string>();
  const doms = groups.map((g) =>
    unionAll(
      g.map((s) => s.domain.toUnion()),
      ctx.emptyUnionSet(),
    ),
  );
  const parts = groups.map((g, k) => {
    const r = computeBounded(p, doms[k]!, unionAll(inside[k]!, ctx.emptyUnionMap()), scale);
    if (r.schedule) notes.add(r.notes[r.notes.length - 1]!);
    return r.schedule ?? sequentialOf(p, g);
  });
  return { parts, doms, note: [...notes].join(", ") };
}

/** The groups' schedules as one map: group k's dimensions after a leading k, padded with zeros. */
function padGroups(p: PolyProgram, g: Groups): UnionMap {
  const ctx = p.ctx;
  const maps = g.parts.map((m) => (m instanceof UnionMap ? m : m.map()));
  let depth = 0;
  for (const m of maps) for (const x of m.maps()) depth = Math.max(depth, x.dim("out"));
  const padded = maps.map((m, k) => {
    const xs = m.maps().map((x) => {
      const n = x.dim("out");
      const ts = Array.from({ length: n }, (_, i) => `t${i}`);
      const pad = ctx.map(
        `{ [${ts.join(", ")}] -> [${[String(k), ...ts, ...Array(depth - n).fill("0")].join(", ")}] }`,
      );
      return x.applyRange(pad).toUnion();
    });
    return unionAll(xs, ctx.emptyUnionMap()).intersectDomain(g.doms[k]!);
  });
  return unionAll(padded, ctx.emptyUnionMap());
}

/** S[i…] → [order, kind, index, i…, 0…]: topological order, inits before updates, one nest per statement. */
export function sequential(p: PolyProgram): UnionMap {
  return sequentialOf(p, p.stmts);
}

/** The sequential schedule, and for a long program its pieces of `chunk` statements with each one's statements. */
function sequentialPieces(p: PolyProgram, chunk: number): { map: UnionMap; pieces?: UnionMap[]; nests?: UnionMap[][] } {
  if (p.stmts.length <= chunk) return { map: sequential(p) };
  const maps = sequentialMaps(p, p.stmts),
    pieces: UnionMap[] = [],
    nests: UnionMap[][] = [];
  for (let i = 0; i < maps.length; i += chunk) {
    nests.push(maps.slice(i, i + chunk));
    pieces.push(unionAll(nests[nests.length - 1]!, p.ctx.emptyUnionMap()));
  }
  return { map: unionAll(pieces, p.ctx.emptyUnionMap()), pieces, nests };
}

const RANK = { init: 0, def: 1, update: 2 } as const;

/** Topological order, inits before updates, then by name. */
function sequentialOrder(stmts: Stmts): Stmts {
  const byName = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });
  return [...stmts].sort((a, b) => a.order - b.order || RANK[a.kind] - RANK[b.kind] || byName(a.name, b.name));
}

function sequentialOf(p: PolyProgram, stmts: Stmts): UnionMap {
  return unionAll(sequentialMaps(p, stmts), p.ctx.emptyUnionMap());
}

/** One map per statement, in execution order. */
function sequentialMaps(p: PolyProgram, stmts: Stmts): UnionMap[] {
  let depth = 0;
  for (const s of stmts) depth = Math.max(depth, s.domain.dim("set"));
  const sorted = sequentialOrder(stmts);
  // Orders may be fractional (kernel padding copies sit between two nodes): their rank is the key.
  const rankOf = new Map([...new Set(sorted.map((s) => s.order))].map((o, i) => [o, i]));
  const maps = sorted.map((s, k) => {
    const n = s.domain.dim("set");
    const its = Array.from({ length: n }, (_, i) => `i${i}`);
    const out = [String(rankOf.get(s.order)), String(RANK[s.kind]), String(k), ...its, ...Array(depth - n).fill("0")];
    return p.ctx
      .unionMap(`{ ${s.name}[${its.join(", ")}] -> [${out.join(", ")}] }`)
      .intersectDomain(s.domain.toUnion());
  });
  return maps;
}
