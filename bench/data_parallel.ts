/**
 * Data-parallel training on this machine (issue 16): `lift train --json` over the same images,
 * single-process (the fused step, 2 OpenMP threads and 1), as one MPI rank (`--distributed on`:
 * the split step and a trivial all-reduce) and under `mpirun -np 2` (one core per rank), and the
 * time of one MPI_Allreduce alone for the LeNet's gradient and for 10× and 100× as many floats.
 * `npm run build && node dist/bench/data_parallel.js [--json] [--images K] [--batch B]`;
 * bench/RESULTS.md ("Data-parallel training") records a run and the scaling model built on it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadModel } from "../src/train/program.js";
import { ROOT } from "./programs.js";

const { values: opt } = parseArgs({
  options: {
    json: { type: "boolean" },
    images: { type: "string" },
    batch: { type: "string" },
    data: { type: "string" },
  },
});
const LENET = join(ROOT, "examples", "fashion-lenet.lift");
const BIN = join(ROOT, "bin", "lift.js");
const DATA = opt.data ?? "/usr/share/datasets/fashion-mnist";
const IMAGES = Number(opt.images ?? 12800);
const BATCH = Number(opt.batch ?? 64);
const MPIRUN = ["--oversubscribe", "--allow-run-as-root", "--mca", "btl", "self,vader,tcp"];
const out = mkdtempSync(join(tmpdir(), "lift-bench-dp-"));

const contract = loadModel({ name: LENET, text: readFileSync(LENET, "utf8") }, "adam").contract;
const gradientFloats = contract.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0) + 2;

interface Row {
  name: string;
  ranks: number;
  threads: string;
  images_per_s: number;
  allreduce_ms_per_step: number | null;
  steps: number;
}

function train(
  name: string,
  ranks: number,
  threads: string,
  cmd: string[],
  env: NodeJS.ProcessEnv = {},
  extra: string[] = [],
): Row {
  const args = [
    BIN,
    "train",
    LENET,
    ...extra,
    "--data",
    DATA,
    "--limit-train",
    String(IMAGES),
    "--limit-test",
    "500",
    "--epochs",
    "1",
    "--batch",
    String(BATCH),
    "--json",
    "--out",
    join(out, name.replace(/\W+/g, "_")),
  ];
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), process.execPath, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
  const s = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number>;
  return {
    name,
    ranks,
    threads,
    images_per_s: s.images_per_s!,
    allreduce_ms_per_step: s.allreduce_ms_per_step ?? null,
    steps: s.steps!,
  };
}

const load0 = loadavg()[0]!;
const rows = [
  train("single process, fused step", 1, "2", ["env"]),
  train("single process, fused step", 1, "1", ["env"], { OMP_NUM_THREADS: "1" }),
  train("1 rank (--distributed on), split step", 1, "2", ["env"], {}, ["--distributed", "on"]),
  train("mpirun -np 2, split step", 2, "1 each", ["mpirun", "-np", "2", ...MPIRUN]),
];
/** The all-reduce alone over shared memory (what ranks on one machine use) and over TCP on loopback. */
function allreduces(btl: string): Record<string, number | string>[] {
  const sizes = [gradientFloats, 10 * gradientFloats, 100 * gradientFloats].map(String);
  const p = spawnSync(
    "mpirun",
    [
      "-np",
      "2",
      "--oversubscribe",
      "--allow-run-as-root",
      "--mca",
      "btl",
      btl,
      "--mca",
      "btl_tcp_if_include",
      "lo",
      process.execPath,
      join(ROOT, "dist", "bench", "allreduce_probe.js"),
      ...sizes,
    ],
    { encoding: "utf8" },
  );
  if (p.status !== 0) throw new Error(p.stderr);
  return p.stdout
    .trim()
    .split("\n")
    .map((l) => ({
      ...(JSON.parse(l) as Record<string, number>),
      transport: btl === "self,vader" ? "shared memory" : "TCP loopback",
    }));
}
const reduces = [...allreduces("self,vader"), ...allreduces("self,tcp")];
rmSync(out, { recursive: true, force: true });

if (opt.json) {
  for (const r of rows)
    process.stdout.write(JSON.stringify({ figure: "train", images: IMAGES, batch: BATCH, ...r }) + "\n");
  for (const r of reduces) process.stdout.write(JSON.stringify(r) + "\n");
} else {
  console.log(
    `data-parallel LiFT — ${cpus()[0]?.model}, ${cpus().length} cores, ${new Date().toISOString()}; load average ${load0.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end`,
  );
  console.log(
    `lift train on ${IMAGES} images of ${DATA}, batch ${BATCH} (global), 1 epoch; the LeNet's gradient: ${gradientFloats} floats (${((4 * gradientFloats) / 1024).toFixed(1)} KiB) with loss and count\n`,
  );
  console.log("run                                     ranks  threads  images/s  all-reduce wait ms/step");
  for (const r of rows)
    console.log(
      `${r.name.padEnd(40)}${String(r.ranks).padStart(5)}  ${r.threads.padStart(7)}  ${r.images_per_s.toFixed(0).padStart(8)}  ${r.allreduce_ms_per_step === null ? "—" : r.allreduce_ms_per_step.toFixed(3)}`,
    );
  console.log(
    "\nMPI_Allreduce alone, 2 ranks on this machine, float32 sum in place (median and 90th percentile of 200 calls)",
  );
  for (const r of reduces)
    console.log(
      `${String(r.transport).padEnd(14)} ${String(r.floats).padStart(9)} floats (${(Number(r.bytes) / 1024).toFixed(0).padStart(5)} KiB): median ${r.median_us} µs, p90 ${r.p90_us} µs`,
    );
}
