/** Seeded initialisation and shuffling: documented distributions, reproducible from the seed alone. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { epochPermutation, fanIn, hash32, initParam, initParams, Mulberry32, streamFor } from "../../src/train/init.js";

test("mulberry32 is the published generator", () => {
  // Against the widely copied JavaScript original (Tommy Ettinger's), written out below.
  for (const seed of [0, 1, 42, 0xdeadbeef]) {
    const r = new Mulberry32(seed);
    for (let k = 0; k < 5; k++) assert.equal(r.nextUint32(), r2(seed, k), `seed ${seed}, output ${k}`);
  }
  const u = new Mulberry32(42);
  for (let i = 0; i < 1000; i++) {
    const x = u.next();
    assert.ok(x >= 0 && x < 1);
  }
  const b = new Mulberry32(7);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 5000; i++) counts[b.below(5)]++;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `below(5) counts ${counts}`);
});

/** The k-th output of mulberry32 from `seed`, written out independently. */
function r2(seed: number, k: number): number {
  let a = seed >>> 0;
  let out = 0;
  for (let i = 0; i <= k; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out = (t ^ (t >>> 14)) >>> 0;
  }
  return out;
}

test("hash32 separates seeds and purposes", () => {
  const seen = new Set<number>();
  for (let s = 0; s < 100; s++)
    for (const p of ["init:W", "init:B", "shuffle:1", "shuffle:2"]) seen.add(hash32(`${s}:${p}`));
  assert.equal(seen.size, 400);
  assert.notEqual(streamFor(1, "a").nextUint32(), streamFor(2, "a").nextUint32());
});

test("weights are U(-1/sqrt(fan_in), +1/sqrt(fan_in)); biases start at zero", () => {
  assert.equal(fanIn([16, 8, 5, 5]), 200);
  assert.equal(fanIn([10]), 0);
  const w = initParam({ name: "K2", shape: [16, 8, 5, 5] }, 1);
  const bound = 1 / Math.sqrt(200);
  let min = Infinity,
    max = -Infinity,
    sum = 0;
  for (const x of w) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  assert.ok(min >= -bound && max <= bound, `${min} ${max}`);
  assert.ok(min < -0.95 * bound && max > 0.95 * bound, "fills the interval");
  assert.ok(Math.abs(sum / w.length) < 0.05 * bound, "centred");
  assert.deepEqual(initParam({ name: "B2", shape: [16] }, 1), new Float32Array(16));
  assert.deepEqual(initParam({ name: "s", shape: [] }, 1), new Float32Array(1));
});

test("the same seed gives the same weights; each param has its own stream", () => {
  const ps = [
    { name: "A", shape: [4, 3] },
    { name: "C", shape: [2, 6] },
  ];
  assert.deepEqual(initParams(ps, 5), initParams(ps, 5));
  assert.notDeepEqual(initParams(ps, 5).A, initParams(ps, 6).A);
  assert.notDeepEqual(initParams(ps, 5).A, initParams(ps, 5).C);
  // Adding or reordering params leaves the others alone.
  assert.deepEqual(initParams([ps[1]!, { name: "Z", shape: [3, 3] }, ps[0]!], 5).A, initParams(ps, 5).A);
});

test("the epoch's order depends only on (seed, epoch) and is a permutation", () => {
  const p = epochPermutation(1000, 3, 2);
  assert.deepEqual(
    [...p].sort((a, b) => a - b),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.deepEqual(epochPermutation(1000, 3, 2), p);
  assert.notDeepEqual(epochPermutation(1000, 3, 3), p);
  assert.notDeepEqual(epochPermutation(1000, 4, 2), p);
  assert.ok(p.some((v, i) => v !== i));
});
