/** `lift emit c`: the standalone pair and main.c, built by cc in a separate process and run. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { cIdent } from "../../src/codegen/names.js";
import { vectorById } from "../vectors/reference.js";
import { MNIST_MODEL, mnistInputs } from "../vectors/mnist.js";

const BIN = join(process.cwd(), "bin", "lift.js");

function emitBuildRun(
  name: string,
  source: string,
  inputs: Record<string, { shape: number[]; data: ArrayLike<number> }>,
  sizes: string[] = [],
  width: string[] = [],
) {
  const dir = mkdtempSync(join(tmpdir(), `lift-emit-${name}-`));
  writeFileSync(join(dir, "model.lift"), source);
  const r = spawnSync(
    process.execPath,
    [BIN, "emit", "c", join(dir, "model.lift"), "-o", join(dir, "out"), "--name", name],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  // The emitted pair must build cleanly with the strictest flags the issue names.
  execFileSync("cc", [
    "-std=c99",
    "-O3",
    "-march=native",
    ...width,
    "-Wall",
    "-Wextra",
    "-Werror",
    "-o",
    join(dir, "prog"),
    join(dir, "out", "main.c"),
    join(dir, "out", `${name}.c`),
    "-lm",
  ]);
  // …and with OpenMP, as the parallel build the runtime uses.
  execFileSync("cc", [
    "-std=c99",
    "-O3",
    "-march=native",
    "-fopenmp",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-c",
    "-o",
    join(dir, "omp.o"),
    join(dir, "out", `${name}.c`),
  ]);
  mkdirSync(join(dir, "in"));
  mkdirSync(join(dir, "res"));
  for (const [k, t] of Object.entries(inputs))
    writeFileSync(join(dir, "in", `${cIdent(k)}.bin`), Buffer.from(Float32Array.from(t.data).buffer));
  execFileSync(join(dir, "prog"), [join(dir, "in"), join(dir, "res"), ...sizes]);
  return (out: string) => {
    const b = readFileSync(join(dir, "res", `${cIdent(out)}.bin`));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
}

test("emit c: the 8×8 matmul, built and run by cc outside Node, equals the interpreter", () => {
  const v = vectorById("T1");
  const A = { shape: [8, 8], data: Array.from({ length: 64 }, (_, i) => i) };
  const read = emitBuildRun("matmul", v.source, { A });
  const want = load(v.source).run({ A }, { dtype: "f32" }).B!.data;
  assert.deepEqual(Array.from(read("B")), Array.from(want));
});

for (const width of [[], ["-DLIFT_VBYTES=16"], ["-DLIFT_VBYTES=0"]])
  test(`emit c: the MNIST model, built ${width.join(" ") || "for this machine"} and run outside Node, equals the interpreter`, () => {
    const inputs = mnistInputs();
    delete (inputs as Record<string, unknown>).Target;
    const read = emitBuildRun("mnist", MNIST_MODEL, inputs, [], width);
    const want = load(MNIST_MODEL).run(inputs, { dtype: "f32" });
    for (const k of ["Conv1", "Pool1", "Pool2", "FC", "Output"]) {
      const got = read(k),
        w = want[k]!.data;
      assert.equal(got.length, w.length);
      for (let i = 0; i < w.length; i++)
        assert.ok(Math.abs(got[i]! - w[i]!) <= 1e-4 * Math.max(1, Math.abs(w[i]!)), `${k}[${i}] ${got[i]} vs ${w[i]}`);
    }
  });

test("emit c: a symbolic batch size is a run-time argument", () => {
  const src = 'X :: (in N 3)\nW :: (in 3)\nY :: (out N)\ndot"1 1 := ((reduce 1 +) (x * y))\nY := (X dot W)\n';
  const X = { shape: [5, 3], data: Array.from({ length: 15 }, (_, i) => i / 7) },
    W = { shape: [3], data: [1, -2, 0.5] };
  const read = emitBuildRun("batch", src, { X, W }, ["N=5"]);
  const want = load(src).run({ X, W }, { dtype: "f32" }).Y!.data;
  assert.deepEqual(
    Array.from(read("Y")).map((x) => x.toFixed(5)),
    Array.from(want).map((x) => x.toFixed(5)),
  );
});
