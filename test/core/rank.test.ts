/**
 * Rank lifting equals an explicit loop (the "vmap vs. loop" test): for random verbs, arrays and
 * ranks, `((f"r) A)` computed by one program equals `(f C)` computed by a second program for
 * each cell C of A and stacked along the frame; likewise `(X (g"rx ry) Y)` against a loop over
 * the longer frame that pairs the x cell at f[:|Fx|] with the y cell at f[:|Fy|] (reference
 * §3.2–3.4), and nested rank forms `((f"a)"b)`, `((g"a b)"c d)` against a loop over both levels.
 * Deterministic (fixed fast-check seeds), f64, tolerance 1e-12.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { load, type LiftProgram } from "../../src/api/index.js";

// ---- verbs under test -----------------------------------------------------------------------

interface VerbSpec {
  verb: string;
  defs?: string[];
}

const MONADS: VerbSpec[] = [
  { verb: "(reduce 1 +)" },
  { verb: "(reduce 1 >.)" },
  { verb: "(reduce 2 <.)" },
  { verb: "(oblique 1 +)" },
  { verb: "(oblique 1 >.)" },
  { verb: "(trim 1)" },
  { verb: "(trim 1 1)" },
  { verb: "(stride 2)" },
  { verb: "(stride 2 2)" },
  { verb: "(duplicate 2)" },
  { verb: "(duplicate 1 3)" },
  { verb: "exp" },
  { verb: '((reduce 1 +)"1)' },
  { verb: '((duplicate 2)"0)' },
  { verb: "sq", defs: ['sq"0 := (y * y)'] },
  { verb: "nrm", defs: ['nrm"1 := (y / ((reduce 1 +) y))'] },
  { verb: "soft", defs: ['soft"1 := ((exp y) / ((reduce 1 +) (exp y)))'] },
  { verb: "rmax", defs: ['rmax"_ := (((reduce 1 >.)"1) (y - 1))'] },
  { verb: "pool", defs: ['pool"2 := ((stride 2 2) ((trim 1 1) ((oblique 2 >.) ((duplicate 2 2) y))))'] },
  { verb: '(sq"1)', defs: ['sq"0 := (y * y)'] },
];

const DYADS: VerbSpec[] = [
  { verb: "+" },
  { verb: "-" },
  { verb: "*" },
  { verb: ">." },
  { verb: '(+"1 0)' },
  { verb: '(*"0 1)' },
  { verb: '(-"1 1)' },
  { verb: '(<."0 _)' },
  { verb: "dot", defs: ['dot"1 1 := ((reduce 1 +) (x * y))'] },
  { verb: "mv", defs: ['mv"2 1 := (((reduce 1 +)"1) (x (*"1 1) y))'] },
  { verb: "outer", defs: ['outer"1 1 := (x (*"0 _) y)'] },
  { verb: "sm", defs: ['sm"0 1 := (x * ((reduce 1 >.) y))'] },
  { verb: '(dot"1 2)', defs: ['dot"1 1 := ((reduce 1 +) (x * y))'] },
];

// ---- arrays ---------------------------------------------------------------------------------

interface Arr {
  shape: number[];
  data: Float64Array;
}
const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const decl = (name: string, shape: readonly number[]) => `${name} :: (in${shape.map((d) => ` ${d}`).join("")})`;

/** Small exact-ish values (multiples of 1/8 in [−2, 2]) from a seed. */
function randomArr(shape: number[], seed: number): Arr {
  let s = seed >>> 0;
  const data = new Float64Array(product(shape));
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (((s >>> 8) % 33) - 16) / 8;
  }
  return { shape, data };
}

/** The sub-array at a leading index (a prefix of the shape). */
function cellAt(a: Arr, idx: readonly number[]): Arr {
  let off = 0;
  for (let i = 0; i < idx.length; i++) off = off * a.shape[i]! + idx[i]!;
  const shape = a.shape.slice(idx.length),
    n = product(shape);
  return { shape, data: a.data.slice(off * n, off * n + n) };
}

/** All indices of a shape, row-major. */
function indices(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i]));
  return out;
}

const longer = (a: number[], b: number[]) => (a.length >= b.length ? a : b);

function run(p: LiftProgram, inputs: Record<string, Arr>): Arr {
  const r = p.run(inputs, { dtype: "f64", names: ["R"] }).R!;
  return { shape: r.shape, data: r.data as Float64Array };
}

function same(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
}

/** Compares the lifted result with the stacked cell results (in frame order). */
function assertStacked(lifted: Arr, frame: number[], cells: Arr[], what: string): void {
  const cellShape = cells[0]!.shape;
  assert.deepEqual(lifted.shape, [...frame, ...cellShape], `${what}: shape`);
  const n = product(cellShape);
  cells.forEach((c, k) => {
    assert.deepEqual(c.shape, cellShape, `${what}: cell ${k} shape`);
    for (let i = 0; i < n; i++) {
      const got = lifted.data[k * n + i]!,
        want = c.data[i]!;
      assert.ok(same(got, want), `${what}: frame cell ${k}, element ${i}: lifted ${got}, loop ${want}`);
    }
  });
}

// ---- which cell shapes each verb accepts (found by asking the checker) ------------------------

function shapesUpTo(rank: number, maxSize: number): number[][] {
  const out: number[][] = [[]];
  let layer: number[][] = [[]];
  for (let r = 1; r <= rank; r++) {
    layer = layer.flatMap((p) => Array.from({ length: maxSize }, (_, i) => [...p, i + 1]));
    out.push(...layer);
  }
  return out;
}

const loads = (src: string) => {
  try {
    load(src);
    return true;
  } catch {
    return false;
  }
};

const monadCells = new Map<number, number[][]>();
function validMonadCells(vi: number): number[][] {
  let cells = monadCells.get(vi);
  if (!cells) {
    const v = MONADS[vi]!;
    cells = shapesUpTo(3, 4).filter((c) => loads([decl("C", c), ...(v.defs ?? []), `R := (${v.verb} C)`].join("\n")));
    monadCells.set(vi, cells);
  }
  return cells;
}

const dyadCells = new Map<number, [number[], number[]][]>();
function validDyadCells(vi: number): [number[], number[]][] {
  let cells = dyadCells.get(vi);
  if (!cells) {
    const v = DYADS[vi]!;
    const shapes = shapesUpTo(2, 3);
    cells = shapes
      .flatMap((cx) => shapes.map((cy) => [cx, cy] as [number[], number[]]))
      .filter(([cx, cy]) =>
        loads([decl("CX", cx), decl("CY", cy), ...(v.defs ?? []), `R := (CX ${v.verb} CY)`].join("\n")),
      );
    dyadCells.set(vi, cells);
  }
  return cells;
}

// ---- monads ---------------------------------------------------------------------------------

/** A case: verb, frames (outermost level first; one level = `(f"r)`, two = `((f"a)"b)`), cell, data seed. */
interface MonadCase {
  vi: number;
  frames: number[][];
  cell: number[];
  inf: boolean;
  seed: number;
}

const monadCase = (levels: 1 | 2): fc.Arbitrary<MonadCase> =>
  fc
    .integer({ min: 0, max: MONADS.length - 1 })
    .chain((vi) =>
      fc.constantFrom(...validMonadCells(vi)).chain((cell) =>
        fc.record({
          vi: fc.constant(vi),
          cell: fc.constant(cell),
          frames: fc.tuple(
            ...Array.from({ length: levels }, () => fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 })),
          ),
          inf: fc.boolean(),
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        }),
      ),
    )
    .filter((c) => {
      const rank = c.frames.flat().length + c.cell.length;
      return rank >= 1 && rank <= (levels === 1 ? 4 : 5);
    });

function checkMonad(c: MonadCase): void {
  const v = MONADS[c.vi]!;
  const frame = c.frames.flat();
  const shape = [...frame, ...c.cell];
  // ranks from the inside out: level j's rank covers its own frames below it and the cell
  let verb = v.verb;
  for (let j = c.frames.length - 1; j >= 0; j--) {
    const r = c.frames.slice(j + 1).flat().length + c.cell.length;
    // `_` is the whole current cell: allowed when this level has no frame of its own
    const rank = c.inf && c.frames[j]!.length === 0 ? "_" : String(r);
    verb = `(${verb}"${rank})`;
  }
  const liftedSrc = [decl("A", shape), ...(v.defs ?? []), `R := (${verb} A)`].join("\n");
  const cellSrc = [decl("C", c.cell), ...(v.defs ?? []), `R := (${v.verb} C)`].join("\n");
  const A = randomArr(shape, c.seed);
  const lifted = run(load(liftedSrc), { A });
  const cellProgram = load(cellSrc);
  const cells = indices(frame).map((f) => run(cellProgram, { C: cellAt(A, f) }));
  assertStacked(lifted, frame, cells, `${liftedSrc}\nvs\n${cellSrc}\n`);
}

test('rank: ((f"r) A) equals f applied to each cell of A, stacked', () => {
  fc.assert(
    fc.property(monadCase(1), (c) => checkMonad(c)),
    { seed: 1701, numRuns: 300 },
  );
});

test('rank: nested ((f"a)"b) A equals a loop over both frames', () => {
  fc.assert(
    fc.property(monadCase(2), (c) => checkMonad(c)),
    { seed: 1702, numRuns: 120 },
  );
});

// ---- dyads ----------------------------------------------------------------------------------

/** Per level j: the longer frame L_j and how many of its leading axes index x and y. */
interface Level {
  frame: number[];
  nx: number;
  ny: number;
}
interface DyadCase {
  vi: number;
  levels: Level[];
  cx: number[];
  cy: number[];
  inf: [boolean, boolean];
  seed: number;
}

const level = (maxRank: number, maxSize: number): fc.Arbitrary<Level> =>
  fc.array(fc.integer({ min: 1, max: maxSize }), { maxLength: maxRank }).chain((frame) =>
    fc.tuple(fc.integer({ min: 0, max: frame.length }), fc.boolean()).map(([k, xLonger]) =>
      // one operand has the whole frame, the other a prefix of it
      ({ frame, nx: xLonger ? frame.length : k, ny: xLonger ? k : frame.length }),
    ),
  );

const dyadCase = (levels: 1 | 2): fc.Arbitrary<DyadCase> =>
  fc
    .integer({ min: 0, max: DYADS.length - 1 })
    .chain((vi) =>
      fc.constantFrom(...validDyadCells(vi)).chain(([cx, cy]) =>
        fc.record({
          vi: fc.constant(vi),
          cx: fc.constant(cx),
          cy: fc.constant(cy),
          levels: fc.tuple(...Array.from({ length: levels }, () => level(2, levels === 1 ? 3 : 2))),
          inf: fc.tuple(fc.boolean(), fc.boolean()),
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        }),
      ),
    )
    .filter((c) => {
      const rx = c.levels.reduce((a, l) => a + l.nx, 0) + c.cx.length,
        ry = c.levels.reduce((a, l) => a + l.ny, 0) + c.cy.length;
      return rx <= 5 && ry <= 5 && product(c.levels.flatMap((l) => l.frame)) <= 36;
    });

function checkDyad(c: DyadCase): void {
  const v = DYADS[c.vi]!;
  const xShape = [...c.levels.flatMap((l) => l.frame.slice(0, l.nx)), ...c.cx];
  const yShape = [...c.levels.flatMap((l) => l.frame.slice(0, l.ny)), ...c.cy];
  let verb = v.verb;
  for (let j = c.levels.length - 1; j >= 0; j--) {
    const inner = c.levels.slice(j + 1);
    const rx = inner.reduce((a, l) => a + l.nx, 0) + c.cx.length,
      ry = inner.reduce((a, l) => a + l.ny, 0) + c.cy.length;
    const lx = c.inf[0] && c.levels[j]!.nx === 0 ? "_" : String(rx);
    const ly = c.inf[1] && c.levels[j]!.ny === 0 ? "_" : String(ry);
    verb = `(${verb}"${lx} ${ly})`;
  }
  const liftedSrc = [decl("X", xShape), decl("Y", yShape), ...(v.defs ?? []), `R := (X ${verb} Y)`].join("\n");
  const cellSrc = [decl("CX", c.cx), decl("CY", c.cy), ...(v.defs ?? []), `R := (CX ${v.verb} CY)`].join("\n");
  const X = randomArr(xShape, c.seed),
    Y = randomArr(yShape, c.seed ^ 0x5555);
  const lifted = run(load(liftedSrc), { X, Y });
  const cellProgram = load(cellSrc);
  // the explicit loop: every index of the concatenated longer frames, row-major
  const frame = c.levels.flatMap((l) => l.frame);
  const cells = indices(frame).map((f) => {
    const ix: number[] = [],
      iy: number[] = [];
    let off = 0;
    for (const l of c.levels) {
      const g = f.slice(off, off + l.frame.length);
      ix.push(...g.slice(0, l.nx));
      iy.push(...g.slice(0, l.ny));
      off += l.frame.length;
    }
    return run(cellProgram, { CX: cellAt(X, ix), CY: cellAt(Y, iy) });
  });
  assertStacked(lifted, frame, cells, `${liftedSrc}\nvs\n${cellSrc}\n`);
}

test('rank: (X (g"rx ry) Y) equals a loop over the longer frame pairing x at f[:|Fx|] and y at f[:|Fy|]', () => {
  fc.assert(
    fc.property(dyadCase(1), (c) => checkDyad(c)),
    { seed: 1703, numRuns: 300 },
  );
});

test('rank: nested (X ((g"a b)"c d) Y) equals a loop over both levels', () => {
  fc.assert(
    fc.property(dyadCase(2), (c) => checkDyad(c)),
    { seed: 1704, numRuns: 200 },
  );
});

// ---- sanity: the harness itself ---------------------------------------------------------------

test("rank harness: worked examples of reference §3.5 through the loop", () => {
  // §3.5 example 6: C := (A - B), A (2,3), B (2): frames (2,3) and (2)
  checkDyad({ vi: 1, levels: [{ frame: [2, 3], nx: 2, ny: 1 }], cx: [], cy: [], inf: [false, false], seed: 3 });
  // example 10: (A ((*"0 1)"1 1) B): level 1 pairs rows, level 2 scalar × row
  checkDyad({
    vi: DYADS.findIndex((d) => d.verb === "*"),
    levels: [
      { frame: [3], nx: 1, ny: 1 },
      { frame: [2], nx: 1, ny: 0 },
    ],
    cx: [],
    cy: [4],
    inf: [false, false],
    seed: 4,
  });
  // every verb accepts some cells
  MONADS.forEach((v, i) => assert.ok(validMonadCells(i).length > 0, v.verb));
  DYADS.forEach((v, i) => assert.ok(validDyadCells(i).length > 0, v.verb));
});
