/**
 * The emitted LeNet training step (`lift emit c examples/fashion-lenet.lift --train adam`) as a
 * C user builds it: images/s at batch 64 for each compiler flag set, with kernels on and off.
 * Single-threaded (no -fopenmp) and timed in process CPU time, so the figures measure the generated
 * code, not thread placement or the load of other processes.
 *   node dist/bench/c_step.js [--reps R] [--batch B]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileGraph } from "../src/compiler/compile.js";
import { loadModel } from "../src/train/program.js";

const FLAGS: Record<string, string[]> = {
  "x86-64 (SSE2)": ["-O3"],
  "-mavx2 -mfma": ["-O3", "-mavx2", "-mfma"],
  "-march=native": ["-O3", "-march=native"],
};

const arg = (flag: string, dflt: number) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const reps = arg("--reps", 30),
  batch = arg("--batch", 64);

/** A driver that fills every buffer with small values and times `reps` calls of NAME_ptrs. */
function driver(name: string, counts: string[], sizes: number): string {
  return `#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "${name}.h"
int main(void) {
  long sizes[${Math.max(1, sizes)}] = { ${batch} };
  size_t counts[] = { ${counts.join(", ")} };
  void *bufs[${counts.length}];
  struct timespec t0, t1;
  size_t i, j;
  void *scratch = malloc(${name}_scratch_bytes(${batch}) + 1);
  for (i = 0; i < ${counts.length}; i++) { float *p = malloc(counts[i] * sizeof(float) + 4); for (j = 0; j < counts[i]; j++) p[j] = (float)((i * 7 + j * 13) % 17) / 170.0f; bufs[i] = p; }
  ${name}_ptrs(bufs, sizes, scratch);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  for (i = 0; i < ${reps}; i++) ${name}_ptrs(bufs, sizes, scratch);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  printf("%.1f\\n", ${reps}.0 * ${batch} / ((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)));
  return 0;
}
`;
}

const model = loadModel(
  { name: "examples/fashion-lenet.lift", text: readFileSync("examples/fashion-lenet.lift", "utf8") },
  "adam",
);
const g = model.training.graph;
const decl = (n: string) => [...g.inputs, ...g.outputs, ...g.grads].find((d) => d.name === n)!;
const rows: string[] = [`| build | kernels on (images/s) | --no-kernels (images/s) |`, `|---|---|---|`];
const results: Record<string, number[]> = {};
for (const kernels of [true, false]) {
  const dir = mkdtempSync(join(tmpdir(), "lift-cstep-"));
  const { unit } = compileGraph(g, { name: "lenet_step", kernels });
  writeFileSync(join(dir, "lenet_step.h"), unit.header);
  writeFileSync(join(dir, "lenet_step.c"), unit.source);
  const counts = unit.entry.buffers.map((b) =>
    decl(b.name)
      .shape.map((d) => (typeof d === "number" ? d : batch))
      .reduce((a, x) => a * x, 1),
  );
  writeFileSync(join(dir, "bench.c"), driver("lenet_step", counts.map(String), unit.entry.sizes.length));
  for (const [label, flags] of Object.entries(FLAGS)) {
    const exe = join(dir, `bench-${Object.keys(FLAGS).indexOf(label)}`);
    execFileSync("cc", ["-std=c99", ...flags, "-o", exe, join(dir, "bench.c"), join(dir, "lenet_step.c"), "-lm"]);
    const best = Math.max(...[0, 1, 2].map(() => Number(execFileSync(exe, { encoding: "utf8" }).trim())));
    (results[label] ??= []).push(best);
  }
}
for (const [label, [on, off]] of Object.entries(results))
  rows.push(`| ${label} | ${on!.toFixed(0)} | ${off!.toFixed(0)} |`);
process.stdout.write(rows.join("\n") + "\n");
