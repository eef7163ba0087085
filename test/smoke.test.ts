// The package as a user meets it: the entry point package.json names, and the `lift` command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { VERSION } from "../src/version.js";

const pkg = JSON.parse(readFileSync(join(process.cwd(), "package.json"), "utf8")) as {
  version: string;
  main: string;
  bin: { lift: string };
};

test("VERSION is package.json's version, and `lift --version` prints it", () => {
  assert.equal(VERSION, pkg.version);
  const r = spawnSync(process.execPath, [join(process.cwd(), pkg.bin.lift), "--version"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${pkg.version}\n`);
});

test("the entry point package.json names loads a program and runs it", async () => {
  const api = (await import(pathToFileURL(join(process.cwd(), pkg.main)).href)) as typeof import("../src/api/index.js");
  const out = api.load("A :: (in 2 2)\nB := ((reduce 1 +) (A * A))\nB :: (out 2)\n").run(
    {
      A: [
        [1, 2],
        [3, 4],
      ],
    },
    { dtype: "f64" },
  );
  assert.deepEqual(out.B!.shape, [2]);
  assert.deepEqual(Array.from(out.B!.data), [10, 20]);
});
