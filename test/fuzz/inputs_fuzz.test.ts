/** A short run of the input fuzzer (scripts/fuzz-inputs.ts runs 10,000 cases): a value or a typed error every time. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FORMATS, runCase } from "./inputs_fuzz.js";

test("300 mutated inputs (JSON, safetensors, checkpoints, PNG, IDX, gzip IDX): a value or a clean typed error each", async () => {
  const kinds = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const o = await runCase(20261201, i);
    assert.notEqual(
      o.kind,
      "failure",
      `case ${i} (${o.format}): ${o.message}\n  replay: node dist/scripts/fuzz-inputs.js --seed 20261201 --show ${i}`,
    );
    assert.ok(o.ms < 5000, `case ${i} took ${o.ms} ms`);
    kinds.set(`${o.format} ${o.kind}`, (kinds.get(`${o.format} ${o.kind}`) ?? 0) + 1);
  }
  for (const f of FORMATS) assert.ok((kinds.get(`${f} error`) ?? 0) > 10, `${f}: the mutations reach its errors`);
});

test("the fuzzer's seeds are valid files before mutation", async () => {
  const { loadSeeds } = await import("./inputs_fuzz.js");
  const s = loadSeeds();
  const { decodeSafetensors } = await import("../../src/train/safetensors.js");
  const { decodePng } = await import("../../src/train/png.js");
  assert.deepEqual(Object.keys(decodeSafetensors(s.safetensors, "seed").tensors).sort(), [
    "B",
    "B.m",
    "B.s",
    "W",
    "W.m",
    "W.s",
  ]);
  assert.equal(decodePng(s.png, "seed").width, 28);
  assert.equal(s.idx[0]!.readUInt32BE(4), 4);
});
