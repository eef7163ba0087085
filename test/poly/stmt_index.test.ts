/**
 * The statement index of contraction (issue 10) answers writers / readers / read counts without
 * scanning the program, and keeps the list order that the array form (filter, then append) had, so
 * that indexing changes no generated code. Checked against that array form over random edits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { reads, type PExpr, type PStmt } from "../../src/poly/program.js";
import { StmtIndex } from "../../src/poly/stmt-index.js";

const ARRAYS = ["a", "b", "c", "d"];
// The index looks only at name, array and expr; the isl parts are not touched.
const stmt = (name: string, array: string, readsOf: string[]): PStmt =>
  ({
    name,
    kind: "def",
    order: 0,
    array,
    expr: { k: "call", op: "+", args: readsOf.map((r): PExpr => ({ k: "read", array: r }) as PExpr) },
  }) as unknown as PStmt;

type Edit = { op: "add" | "replace" | "delete"; pick: number; array: number; reads: number[] };
const edit = fc.record({
  op: fc.constantFrom("add", "replace", "delete"),
  pick: fc.nat(50),
  array: fc.nat(3),
  reads: fc.array(fc.nat(3), { maxLength: 3 }),
}) as fc.Arbitrary<Edit>;

test("the index's lists equal a scan of the array form after any edits", () => {
  fc.assert(
    fc.property(fc.array(edit, { maxLength: 40 }), (edits) => {
      let list: PStmt[] = [stmt("S0", "a", ["b"]), stmt("S1", "b", ["c", "c"])];
      const ix = new StmtIndex(list);
      let next = 2;
      for (const e of edits) {
        const s = stmt(
          `S${next}`,
          ARRAYS[e.array]!,
          e.reads.map((r) => ARRAYS[r]!),
        );
        const old = list[e.pick % Math.max(1, list.length)];
        if (e.op === "add") {
          next++;
          list = [...list, s];
          ix.add(s);
        } else if (old && e.op === "replace") {
          const r = { ...s, name: old.name };
          list = list.map((x) => (x === old ? r : x));
          ix.add(r);
        } else if (old) {
          list = list.filter((x) => x !== old);
          ix.delete(old);
        }
      }
      assert.deepEqual(
        ix.list().map((s) => s.name),
        list.map((s) => s.name),
      );
      for (const a of ARRAYS) {
        assert.deepEqual(
          ix.writers(a).map((s) => s.name),
          list.filter((s) => s.array === a).map((s) => s.name),
        );
        const readers = list.filter((s) => reads(s.expr).some((r) => r.array === a));
        assert.deepEqual(
          ix.readers(a).map((s) => s.name),
          readers.map((s) => s.name),
        );
        assert.equal(
          ix.readCount(a),
          list.reduce((k, s) => k + reads(s.expr).filter((r) => r.array === a).length, 0),
        );
        assert.equal(ix.isRead(a), readers.length > 0);
      }
    }),
    { numRuns: 300 },
  );
});
