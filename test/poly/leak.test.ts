/** A long-running process compiles many times: no isl context or object outlives its compilation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { load } from "../../src/api/index.js";
import { compileGraph } from "../../src/compiler/compile.js";
import { CtxCore } from "../../src/poly/isl/core.js";
import { vectorById } from "../vectors/reference.js";

// A full collection before each reading, so the RSS compares live memory and not how much garbage
// the JS heap happened to hold (without it the reading moved by ±10 MiB between runs).
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

test("1,000 compilations leave no isl context alive and memory flat", () => {
  const graph = load(vectorById("T8").source).graph;
  const before = CtxCore.liveContexts;
  const round = (n: number) => {
    for (let i = 0; i < n; i++) assert.ok(compileGraph(graph).unit.source.length > 0);
  };
  round(200); // warm up: JIT, koffi's and isl's own one-time allocations
  gc();
  const rss0 = process.memoryUsage().rss;
  round(800);
  gc();
  const grown = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.equal(CtxCore.liveContexts, before);
  assert.ok(grown < 16, `RSS grew by ${grown.toFixed(1)} MiB over 800 compilations`);
});
