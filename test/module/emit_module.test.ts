/**
 * `lift emit c --module`: NAME_forward / NAME_backward / NAME_residual_bytes, built by cc with a
 * driver written here, run outside Node, equal to the module API (f64).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/index.js";
import { Mulberry32 } from "../../src/train/init.js";
import { assertClose } from "../helpers.js";

const BIN = join(process.cwd(), "bin", "lift.js");
// H's pre-activation sums 8 products an element: the module stores it (module/residuals.ts), so the
// forward unit writes it into the residual buffer and the backward reads it from there.
const MLP = `X :: (in N 8)
W1 :: (param 4 8)
B1 :: (param 4)
W2 :: (param 2 4)
dot"1 1 := ((reduce 1 +) (x * y))
H := (0 >. ((W1 ((dot"1 1)"2 1) X) (+"1 1) B1))
Y := (W2 ((dot"1 1)"2 1) H)
Y :: (out N 2)
`;

/** Two forwards held at once, then their backwards in reverse order; every array to OUT/name-k.bin. */
function driver(): string {
  return `#include <stdio.h>
#include <stdlib.h>
#include "mlp.h"
static double *load(const char *dir, const char *name, int k, size_t n) {
  char path[4096]; snprintf(path, sizeof path, "%s/%s-%d.bin", dir, name, k);
  FILE *f = fopen(path, "rb"); if (!f) { perror(path); exit(1); }
  double *p = malloc(n * sizeof(double));
  if (fread(p, sizeof(double), n, f) != n) { fprintf(stderr, "%s: short\\n", path); exit(1); }
  fclose(f); return p;
}
static void save(const char *dir, const char *name, int k, const double *p, size_t n) {
  char path[4096]; snprintf(path, sizeof path, "%s/%s-%d.bin", dir, name, k);
  FILE *f = fopen(path, "wb"); if (!f || fwrite(p, sizeof(double), n, f) != n) { perror(path); exit(1); }
  fclose(f);
}
int main(int argc, char **argv) {
  (void)argc;
  const long n = 5;
  void *res[2];
  double *y[2];
  for (int k = 0; k < 2; k++) {
    mlp_forward_args a = { load(argv[1], "X", k, n * 8), load(argv[1], "W1", k, 32), load(argv[1], "B1", k, 4), load(argv[1], "W2", k, 8), calloc(n * 2, sizeof(double)), n };
    res[k] = malloc(mlp_residual_bytes(n));
    void *scratch = malloc(mlp_forward_scratch_bytes(n) + 64);
    mlp_forward(&a, res[k], scratch);
    y[k] = a.Y;
    save(argv[2], "Y", k, a.Y, n * 2);
    /* The residuals are copies: the caller may reuse its input buffers at once. */
    free((void *)a.X); free((void *)a.W1); free((void *)a.B1); free((void *)a.W2); free(scratch);
  }
  for (int k = 1; k >= 0; k--) {
    mlp_backward_args b = { load(argv[1], "dY", k, n * 2), calloc(32, sizeof(double)), calloc(4, sizeof(double)), calloc(8, sizeof(double)), calloc(n * 8, sizeof(double)), n };
    void *scratch = malloc(mlp_backward_scratch_bytes(n) + 64);
    mlp_backward(&b, res[k], scratch);
    save(argv[2], "dW1", k, b.dW1, 32); save(argv[2], "dB1", k, b.dB1, 4); save(argv[2], "dW2", k, b.dW2, 8); save(argv[2], "dX", k, b.dX, n * 8);
    free(scratch); free(res[k]); free(y[k]);
  }
  return 0;
}
`;
}

test("emit c --module: NAME_forward/NAME_backward with two residual buffers outstanding equal the module API (f64)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lift-module-"));
  writeFileSync(join(dir, "mlp.lift"), MLP);
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      "emit",
      "c",
      join(dir, "mlp.lift"),
      "--module",
      "--outputs",
      "Y",
      "--wrt",
      "W1,B1,W2,X",
      "--dtype",
      "f64",
      "--name",
      "mlp",
      "-o",
      join(dir, "out"),
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  const header = readFileSync(join(dir, "out", "mlp.h"), "utf8");
  assert.match(header, /size_t mlp_residual_bytes\(long \w+\);/);
  assert.match(header, /void mlp_forward\(const mlp_forward_args \*args, void \*residuals, void \*scratch\);/);
  assert.match(header, /void mlp_backward\(const mlp_backward_args \*args, const void \*residuals, void \*scratch\);/);
  assert.equal(/long (\w+); \/\* symbolic size N \*\//.exec(header)?.[1], "N", "a size's field is its name alone");
  writeFileSync(join(dir, "main.c"), driver());
  const c = readdirSync(join(dir, "out"))
    .filter((f) => f.endsWith(".c"))
    .map((f) => join(dir, "out", f));
  assert.equal(c.length, 3, "the wrapper and the forward and backward programs");
  execFileSync("cc", [
    "-std=c99",
    "-O2",
    "-march=native",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-I",
    join(dir, "out"),
    "-o",
    join(dir, "prog"),
    join(dir, "main.c"),
    ...c,
    "-lm",
  ]);

  const m = load(MLP).module({ outputs: ["Y"], wrt: ["W1", "B1", "W2", "X"], backend: "interp", dtype: "f64" });
  assert.deepEqual(m.graphs.stored, ["stored 0"], "the pre-activation is stored");
  assert.match(
    readFileSync(join(dir, "out", "mlp.c"), "utf8"),
    /\(void \*\)at\[0\]/,
    "the forward unit writes it into the residuals",
  );
  const g = new Mulberry32(5);
  const rnd = (n: number) => Float64Array.from({ length: n }, () => g.next() * 2 - 1);
  const runs = [0, 1].map((k) => {
    const inputs = {
      X: { shape: [5, 8], data: rnd(40) },
      W1: { shape: [4, 8], data: rnd(32) },
      B1: { shape: [4], data: rnd(4) },
      W2: { shape: [2, 4], data: rnd(8) },
    };
    const dY = { shape: [5, 2], data: rnd(10) };
    for (const [name, t] of Object.entries({ ...inputs, dY }))
      writeFileSync(join(dir, `${name}-${k}.bin`), Buffer.from(t.data.buffer));
    const { outputs, residuals } = m.forward(inputs);
    return {
      Y: outputs.Y!.data,
      ...Object.fromEntries(Object.entries(m.backward(residuals, { Y: dY })).map(([w, t]) => [`d${w}`, t.data])),
    };
  });
  execFileSync(join(dir, "prog"), [dir, dir]);
  for (const [k, want] of runs.entries())
    for (const [name, data] of Object.entries(want)) {
      const b = readFileSync(join(dir, `${name}-${k}.bin`));
      assertClose(new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8), data, 1e-12, `${name} of run ${k}`);
    }
});
