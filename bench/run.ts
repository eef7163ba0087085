/**
 * The CPU benchmark of issue 6: LiFT against PyTorch, onnxruntime-node and numpy, side by side in
 * one run. `npm run bench` (a table with ratios) or `npm run bench -- --json` (one JSON object per
 * line per measured figure); bench/README.md says what each figure means.
 *
 * Every figure runs in a child process of its own — LiFT's in bench/lift_worker.ts, onnxruntime's in
 * bench/ort_worker.ts, PyTorch's and numpy's in bench/peers/*.py under Debian's python3 — so that
 * each has its own peak RSS and no runtime's threads linger into another's measurement. Before them,
 * this process compiles every LiFT program once with `compileGraph` (the time of each pass, and a
 * cold `cc` build) and warms the compile cache, so the workers load a built module.
 */
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { ensureData } from "./data.js";
import { ROOT } from "./programs.js";
import { applyThreadDefaults } from "../src/runtime/threads.js";
import { cpuTicks, othersShare } from "./cpu.js";

type System = "lift" | "pytorch" | "onnxruntime" | "numpy";
type Workload = "train" | "infer" | "matmul";

/** One measured figure: a worker's JSON line, with what the driver adds. */
interface Figure {
  system: System;
  workload: Workload;
  batch?: number;
  n?: number;
  images_per_s?: number;
  gflops?: number;
  reps?: number[];
  peak_rss_mib?: number;
  [k: string]: unknown;
}

const HELP = `usage: npm run bench [-- options]     (or: node dist/bench/run.js [options])

Measures LiFT against PyTorch (CPU), onnxruntime-node and numpy/OpenBLAS in one run:
training images/s (LeNet, Adam) at batch 64 and 1, inference images/s at batch 1 and 256,
and the 1024x1024 float32 matrix product in GFLOP/s. Every peer runs with 2 threads.

  --json            one JSON object per line per measured figure, nothing else on stdout
                    (use \`npm run -s bench -- --json\`: npm itself prints a banner otherwise)
  --jsonl-file F    also write those JSON lines to the file F (with the table on stdout)
  --only LIST       workloads to run, comma-separated: train,infer,matmul (default all)
  --systems LIST    systems to run: lift,pytorch,onnxruntime,numpy (default all)
  --reps N          repetitions per figure (default 5); the figure is their median
  --seconds S       length of each repetition in seconds (default 0.6)
  --warmup S        warm-up before the repetitions in seconds (default 1)
  --quick           --reps 3 --seconds 0.2 --warmup 0.2: a smoke run, not for reporting
  --wait-quiet S    before each figure, wait up to S seconds for other processes to use < 10% of the CPUs
  --python PATH     the Python with torch and numpy (default: $LIFT_BENCH_PYTHON, /usr/bin/python3, python3)
  -h, --help        this text`;

const { values: opt } = parseArgs({
  options: {
    json: { type: "boolean" },
    "jsonl-file": { type: "string" },
    only: { type: "string" },
    systems: { type: "string" },
    reps: { type: "string" },
    seconds: { type: "string" },
    warmup: { type: "string" },
    quick: { type: "boolean" },
    python: { type: "string" },
    "wait-quiet": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  allowPositionals: false,
});
if (opt.help) {
  process.stdout.write(HELP + "\n");
  process.exit(0);
}

const num = (v: string | undefined, dflt: number, what: string): number => {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) {
    process.stderr.write(`bench: ${what} must be a positive number, not ${v}\n`);
    process.exit(2);
  }
  return x;
};
const list = <T extends string>(v: string | undefined, all: readonly T[], what: string): Set<T> => {
  if (v === undefined) return new Set(all);
  const items = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of items) {
    if (!(all as readonly string[]).includes(s)) {
      process.stderr.write(`bench: unknown ${what} \`${s}\` (one of ${all.join(", ")})\n`);
      process.exit(2);
    }
  }
  return new Set(items as T[]);
};

const THREADS = 2;
const timing = {
  warmupS: opt.quick ? 0.2 : num(opt.warmup, 1, "--warmup"),
  reps: opt.quick ? 3 : Math.round(num(opt.reps, 5, "--reps")),
  repS: opt.quick ? 0.2 : num(opt.seconds, 0.6, "--seconds"),
};
const waitQuietS = opt["wait-quiet"] === undefined ? 0 : num(opt["wait-quiet"], 0, "--wait-quiet");
const workloads = list(opt.only, ["train", "infer", "matmul"] as const, "workload");
const systems = list(opt.systems, ["lift", "pytorch", "onnxruntime", "numpy"] as const, "system");
const TRAIN_BATCHES = [64, 1];
const INFER_BATCHES = [1, 256];
const MATMUL_N = 1024;

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const log = (s: string) => process.stderr.write(`[${elapsed()}] ${s}\n`);

// ---------------------------------------------------------------------------------------------
// Children

/**
 * The environment of every child: 2 threads everywhere, and every system's OpenMP threads pinned
 * alike: `OMP_PROC_BIND=true OMP_PLACES=cores` (each figure's process runs alone, so libgomp's
 * binding of the initial thread harms nothing here) with LiFT's bounded spinning
 * (src/runtime/threads.ts), unless the caller's environment sets them. (OpenBLAS's and
 * onnxruntime's own pools do not read them.)
 */
function childEnv(peer: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: String(THREADS),
    MKL_NUM_THREADS: String(THREADS),
    OPENBLAS_NUM_THREADS: String(THREADS),
  };
  env.OMP_PROC_BIND ||= "true";
  env.OMP_PLACES ||= "cores";
  applyThreadDefaults(env);
  if (peer) {
    // Set on some machines to steer OpenBLAS's kernel choice; the peers get OpenBLAS's own
    // detection (threadpoolctl's report of the loaded BLAS shows what it chose).
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    env.PYTHONDONTWRITEBYTECODE = "1"; // no __pycache__ in bench/peers
  }
  return env;
}

interface ChildResult {
  code: number | null;
  lines: object[];
  stderr: string;
}

/** The child running now, so that an interrupted bench stops it too. */
let current: ReturnType<typeof spawn> | undefined;

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutS = 300): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    current = child;
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      err += `\n(killed after ${timeoutS} s)`;
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    const done = (code: number | null) => {
      clearTimeout(timer);
      current = undefined;
      const lines: object[] = [];
      for (const l of out.split("\n")) {
        if (!l.startsWith("{")) continue;
        try {
          lines.push(JSON.parse(l) as object);
        } catch {
          /* not a result line */
        }
      }
      resolve({ code, lines, stderr: err });
    };
    child.on("error", (e) => {
      err += String(e);
      done(null);
    });
    child.on("close", done);
  });
}

/** Waits until other processes use under 10% of the CPUs over half a second, or `maxS` passes. */
async function waitQuiet(maxS: number): Promise<void> {
  const start = performance.now();
  for (let said = false; ; said = true) {
    const a = cpuTicks();
    await new Promise((r) => setTimeout(r, 500));
    const share = othersShare(a, cpuTicks());
    if (share === undefined || share < 0.1) return;
    if (performance.now() - start > maxS * 1000) {
      log(`other processes still use ${(share * 100).toFixed(0)}% of the CPUs; going on`);
      return;
    }
    if (!said) log(`waiting for other processes to leave the CPUs (${(share * 100).toFixed(0)}% busy)…`);
  }
}

const workerPath = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const peerPath = (f: string) => join(ROOT, "bench", "peers", f);

/** The first Python that imports torch and numpy, else the first that imports numpy. */
function findPython(): { python?: string; torch: boolean; why: string } {
  const candidates = [
    ...new Set(
      [opt.python, process.env.LIFT_BENCH_PYTHON, "/usr/bin/python3", "python3"].filter((x): x is string => !!x),
    ),
  ];
  const probe = "import importlib.util as u\nprint(' '.join(m for m in ('numpy', 'torch') if u.find_spec(m)))";
  const found: { py: string; mods: string[] }[] = [];
  let why = "";
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", probe], { env: childEnv(true), encoding: "utf8" });
    if (r.status !== 0) {
      why += `${py}: ${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`}; `;
      continue;
    }
    const mods = r.stdout.trim().split(/\s+/);
    if (!mods.includes("torch")) why += `${py}: no torch; `;
    found.push({ py, mods });
  }
  const best =
    found.find((f) => f.mods.includes("torch") && f.mods.includes("numpy")) ??
    found.find((f) => f.mods.includes("numpy"));
  return best ? { python: best.py, torch: best.mods.includes("torch"), why } : { torch: false, why };
}

// ---------------------------------------------------------------------------------------------
// Compile statistics (measured by lift_worker.ts mode "compile", in a child of its own so that this
// driver stays small: children inherit getrusage's maxRSS through fork)

interface CompileRecord {
  program: string;
  passes: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Output

const fmt = (x: number | undefined, digits = 0): string =>
  x === undefined ? "—" : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined ? "—" : `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×`;
const value = (f: Figure | undefined) => (f ? (f.images_per_s ?? f.gflops) : undefined);

function table(rows: string[][], right: boolean[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r, i) => {
      const line = r
        .map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join("  ")
        .trimEnd();
      return i === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : line;
    })
    .join("\n");
}

function report(figs: Figure[], compiles: CompileRecord[], notes: string[], startLoad: number): string {
  const get = (s: System, w: Workload, size: number) =>
    figs.find((f) => f.system === s && f.workload === w && (f.batch ?? f.n) === size);
  const out: string[] = [];
  out.push(
    `LiFT benchmark — ${cpus()[0]?.model.trim() ?? "?"}, ${cpus().length} cores, node ${process.version}, ` +
      `${new Date().toISOString()}; load average ${startLoad.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end`,
  );
  out.push(
    `each figure: median of ${timing.reps} repetitions of ${timing.repS} s after ${timing.warmupS} s of warm-up; every system with ${THREADS} threads\n`,
  );

  const TARGETS: Record<string, string> = {
    "train 64": "≥ 3× PyTorch",
    "train 1": "≥ 5× PyTorch",
    "infer 1": "≥ 2× ORT",
    "infer 256": "≥ 2× ORT",
    "matmul 1024": "≥ 0.8× numpy",
  };
  const rows: string[][] = [
    ["figure", "unit", "LiFT", "PyTorch", "ORT", "numpy", "LiFT/PyTorch", "LiFT/ORT", "LiFT/numpy", "target (issue 6)"],
  ];
  const sizes: [Workload, number][] = [
    ...TRAIN_BATCHES.map((b) => ["train", b] as [Workload, number]),
    ...INFER_BATCHES.map((b) => ["infer", b] as [Workload, number]),
    ["matmul", MATMUL_N],
  ];
  for (const [w, size] of sizes) {
    if (!workloads.has(w)) continue;
    const [l, p, o, n] = (["lift", "pytorch", "onnxruntime", "numpy"] as System[]).map((s) => value(get(s, w, size)));
    const digits = w === "matmul" ? 1 : 0;
    rows.push([
      w === "matmul" ? `matmul n=${size}` : `${w} batch ${size}`,
      w === "matmul" ? "GFLOP/s" : "images/s",
      fmt(l, digits),
      fmt(p, digits),
      fmt(o, digits),
      fmt(n, digits),
      ratio(l, p),
      ratio(l, o),
      ratio(l, n),
      TARGETS[`${w} ${size}`] ?? "",
    ]);
  }
  out.push(table(rows, [false, false, true, true, true, true, true, true, true, false]));

  out.push(
    "\nspread of the repetitions (min–max), time per call, and the share of the CPUs other processes used meanwhile",
  );
  const spread: string[][] = [["figure", "system", "min", "max", "ms/call", "others' CPU"]];
  for (const f of figs) {
    const r = f.reps ?? [];
    const d = f.workload === "matmul" ? 1 : 0;
    spread.push([
      f.workload === "matmul" ? `matmul n=${f.n}` : `${f.workload} batch ${f.batch}`,
      f.system,
      fmt(Math.min(...r), d),
      fmt(Math.max(...r), d),
      fmt(f.ms_per_call as number | undefined, 3),
      f.cpu_others === undefined ? "—" : `${((f.cpu_others as number) * 100).toFixed(0)}%`,
    ]);
  }
  out.push(table(spread, [false, false, true, true, true, true]));
  const busy = figs.filter((f) => ((f.cpu_others as number | undefined) ?? 0) > 0.05);
  if (busy.length)
    out.push(
      `warning: other processes used more than 5% of the CPUs during ${busy.length} figure(s) ` +
        `(${busy.map((f) => `${f.system} ${f.workload} ${f.batch ?? f.n}`).join(", ")}): those figures are low and noisy; rerun on a quiet machine (--wait-quiet helps)`,
    );

  const rss = figs.filter((f) => f.peak_rss_mib !== undefined);
  if (rss.length) {
    out.push(
      "\npeak RSS of each figure's process, MiB (VmHWM of /proc/self/status: the process's own high-water mark;\n" +
        "getrusage's maxrss, also in the JSON as maxrss_mib, carries the parent's over through fork and exec)",
    );
    const t: string[][] = [
      [
        "figure",
        ...(["lift", "pytorch", "onnxruntime", "numpy"] as System[]).filter((s) => rss.some((f) => f.system === s)),
      ],
    ];
    const cols = t[0]!.slice(1) as System[];
    for (const [w, size] of sizes) {
      if (!rss.some((f) => f.workload === w && (f.batch ?? f.n) === size)) continue;
      t.push([
        w === "matmul" ? `matmul n=${size}` : `${w} batch ${size}`,
        ...cols.map((s) => fmt(get(s, w, size)?.peak_rss_mib, 1)),
      ]);
    }
    out.push(table(t, [false, ...cols.map(() => true)]));
  }

  out.push("\nchecks (same network, same data, same weights)");
  for (const b of INFER_BATCHES) {
    const l = get("lift", "infer", b),
      o = get("onnxruntime", "infer", b);
    if (l?.max_abs_diff_vs_pytorch !== undefined || o?.max_abs_diff_vs_pytorch !== undefined) {
      out.push(
        `  logits of 8 images, max |x − PyTorch|: LiFT ${fmt(l?.max_abs_diff_vs_pytorch as number | undefined, 9)}, ` +
          `onnxruntime ${fmt(o?.max_abs_diff_vs_pytorch as number | undefined, 9)}`,
      );
      break;
    }
  }
  for (const b of TRAIN_BATCHES) {
    const l = get("lift", "train", b),
      p = get("pytorch", "train", b);
    if (l || p)
      out.push(
        `  loss of the first training step, batch ${b}: LiFT ${fmt(l?.first_loss as number | undefined, 6)}, PyTorch ${fmt(p?.first_loss as number | undefined, 6)}`,
      );
  }
  for (const b of TRAIN_BATCHES) {
    const l = get("lift", "train", b);
    const ms = l?.step_mode_ms as Record<string, number> | undefined;
    if (l && ms)
      out.push(
        `  LiFT's training step at batch ${b} ran ${String(l.step_mode)} (best of 5 calls at the start: ${
          Object.entries(ms)
            .map(([m, t]) => `${m} ${t.toFixed(3)} ms`)
            .join(", ") || "one mode"
        })`,
      );
  }
  const mm = get("lift", "matmul", MATMUL_N);
  if (mm)
    out.push(
      `  LiFT matmul: max relative error of 16 entries against a float64 dot product ${(mm.max_rel_err as number).toExponential(2)}`,
    );

  if (compiles.length) {
    out.push(
      "\nLiFT compile time per pass, ms (compileGraph on a fresh isl context; cc: a cold build with -O3 -march=native)",
    );
    const names = [...new Set(compiles.flatMap((c) => Object.keys(c.passes)))];
    const t: string[][] = [["program", ...names]];
    for (const c of compiles) t.push([c.program, ...names.map((n) => fmt(c.passes[n], 0))]);
    out.push(table(t, [false, ...names.map(() => true)]));
  }

  const np = figs.find((f) => f.system === "numpy");
  const torch = figs.find((f) => f.system === "pytorch");
  const blasLine = (b: unknown) => {
    const x = b as Record<string, unknown> | undefined;
    return x
      ? `${x.library} ${x.version ?? ""} (${x.threading ?? "?"}, ${x.architecture ?? "?"} kernels, ${x.threads} threads) ${x.path ?? ""}`
      : "—";
  };
  if (np || torch) {
    out.push("\nBLAS loaded by the peers (threadpoolctl)");
    if (np) out.push(`  numpy ${np.version}: ${blasLine(np.blas)}`);
    if (torch) out.push(`  torch ${torch.torch}: ${blasLine(torch.blas)}`);
  }
  const ortFig = figs.find((f) => f.system === "onnxruntime");
  if (ortFig) out.push(`  onnxruntime-node ${ortFig.version}`);
  for (const n of notes) out.push(`note: ${n}`);
  out.push(`\nwhole run: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<number> {
  const notes: string[] = [];
  const startLoad = loadavg()[0]!;
  for (const v of ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]) {
    if (process.env[v] !== undefined)
      notes.push(`${v}=${process.env[v]} in the environment: unset for the Python peers`);
  }
  if (opt["jsonl-file"]) writeFileSync(opt["jsonl-file"], "");
  const dir = mkdtempSync(join(tmpdir(), "lift-bench-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      current?.kill("SIGKILL");
      cleanup();
      process.exit(130);
    });
  }
  const figs: Figure[] = [];
  const compiles: CompileRecord[] = [];
  let failed = 0;
  try {
    const py = findPython();
    const peerEnv = childEnv(true);
    const wantTorch =
      (systems.has("pytorch") || systems.has("onnxruntime")) && (workloads.has("train") || workloads.has("infer"));
    let exported = false;
    const wantData = workloads.has("train") || workloads.has("infer");
    if (py.python && py.torch && wantData && (wantTorch || systems.has("lift"))) {
      log(`PyTorch peer: ${py.python}; exporting the network (weights, data, ONNX)`);
      const r = await runChild(
        py.python,
        [peerPath("torch_peer.py"), JSON.stringify({ mode: "export", dir, threads: THREADS })],
        peerEnv,
      );
      exported = r.code === 0;
      if (!exported) {
        failed++;
        log(`export failed:\n${r.stderr}`);
      }
    } else if (wantTorch) {
      const msg = `no Python with torch (${py.why}): PyTorch and onnxruntime figures skipped; apt-get install python3-torch python3-numpy libopenblas0-pthread`;
      notes.push(msg);
      log(msg);
    }
    ensureData(dir);

    if (systems.has("lift")) {
      const programs = [...workloads];
      log(
        `compiling LiFT's programs (${programs.join(", ")}): each isl pass timed, a cold cc build, then the cache warmed`,
      );
      const r = await runChild(
        process.execPath,
        [workerPath("./lift_worker.js"), JSON.stringify({ mode: "compile", programs, n: MATMUL_N })],
        childEnv(false),
        600,
      );
      for (const l of r.lines as Record<string, unknown>[])
        if (l.kind === "compile") compiles.push(l as unknown as CompileRecord);
      if (r.code !== 0) {
        failed++;
        log(`compiling failed (exit ${r.code}):\n${r.stderr.trim()}`);
        notes.push(`LiFT's compile failed: ${r.stderr.trim().split("\n").pop()}`);
      }
      for (const c of compiles) log(`compiled ${c.program} in ${fmt(c.passes.total)} ms`);
    }

    const ortOk = (() => {
      try {
        createRequire(import.meta.url).resolve("onnxruntime-node");
        return true;
      } catch {
        return false;
      }
    })();
    if (!ortOk && systems.has("onnxruntime") && workloads.has("infer"))
      notes.push("onnxruntime-node is not installed (npm ci): its figures are skipped");
    const common = { dir, threads: THREADS, ...timing };
    const pyTiming = { warmup_s: timing.warmupS, reps: timing.reps, rep_s: timing.repS };
    type Job = {
      system: System;
      workload: Workload;
      size: number;
      cmd: string;
      args: string[];
      env: NodeJS.ProcessEnv;
    };
    const jobs: Job[] = [];
    const liftJob = (workload: Workload, size: number): Job => ({
      system: "lift",
      workload,
      size,
      cmd: process.execPath,
      env: childEnv(false),
      args: [
        workerPath("./lift_worker.js"),
        JSON.stringify({ mode: workload, ...(workload === "matmul" ? { n: size } : { batch: size }), ...common }),
      ],
    });
    const torchJob = (workload: Workload, batch: number): Job => ({
      system: "pytorch",
      workload,
      size: batch,
      cmd: py.python!,
      env: peerEnv,
      args: [peerPath("torch_peer.py"), JSON.stringify({ mode: workload, batch, dir, threads: THREADS, ...pyTiming })],
    });
    if (workloads.has("train"))
      for (const b of TRAIN_BATCHES) {
        if (systems.has("lift")) jobs.push(liftJob("train", b));
        if (systems.has("pytorch") && exported) jobs.push(torchJob("train", b));
      }
    if (workloads.has("infer"))
      for (const b of INFER_BATCHES) {
        if (systems.has("lift")) jobs.push(liftJob("infer", b));
        if (systems.has("pytorch") && exported) jobs.push(torchJob("infer", b));
        if (systems.has("onnxruntime") && exported && ortOk)
          jobs.push({
            system: "onnxruntime",
            workload: "infer",
            size: b,
            cmd: process.execPath,
            env: childEnv(false),
            args: [workerPath("./ort_worker.js"), JSON.stringify({ batch: b, ...common })],
          });
      }
    if (workloads.has("matmul")) {
      if (systems.has("lift")) jobs.push(liftJob("matmul", MATMUL_N));
      if (systems.has("numpy")) {
        if (py.python)
          jobs.push({
            system: "numpy",
            workload: "matmul",
            size: MATMUL_N,
            cmd: py.python,
            env: peerEnv,
            args: [peerPath("numpy_matmul.py"), JSON.stringify({ n: MATMUL_N, ...pyTiming })],
          });
        else notes.push("no Python with numpy: the numpy figure is skipped");
      }
    }

    const trainCompile = compiles.find((c) => c.program.startsWith("train"));
    const inferCompile = compiles.find((c) => c.program.startsWith("infer"));
    const mmCompile = compiles.find((c) => c.program.startsWith("matmul"));
    for (const job of jobs) {
      const what = `${job.system} ${job.workload} ${job.workload === "matmul" ? `n=${job.size}` : `batch ${job.size}`}`;
      log(`${what} …`);
      if (waitQuietS > 0) await waitQuiet(waitQuietS);
      const load1 = loadavg()[0]!;
      const before = cpuTicks();
      const r = await runChild(job.cmd, job.args, job.env);
      const others = othersShare(before, cpuTicks());
      const fig = r.lines.find((l): l is Figure => "system" in l && "workload" in l);
      if (r.code !== 0 || !fig) {
        failed++;
        log(`${what} failed (exit ${r.code}):\n${r.stderr.trim()}`);
        notes.push(`${what} failed: ${r.stderr.trim().split("\n").pop() ?? `exit ${r.code}`}`);
        continue;
      }
      fig.load_avg_1m = load1;
      if (others !== undefined) fig.cpu_others = others;
      if (fig.system === "lift") {
        const c = fig.workload === "train" ? trainCompile : fig.workload === "infer" ? inferCompile : mmCompile;
        if (c) fig.compile_ms = c.passes;
      } else {
        // The ratio LiFT/peer, on the peer's line (LiFT's figure of the same size ran just before).
        const l = figs.find(
          (f) => f.system === "lift" && f.workload === fig.workload && (f.batch ?? f.n) === (fig.batch ?? fig.n),
        );
        if (l) fig.lift_over_peer = (value(l) ?? NaN) / (value(fig) ?? NaN);
      }
      figs.push(fig);
      const v = value(fig);
      log(
        `${what}: ${fmt(v, fig.workload === "matmul" ? 1 : 0)} ${fig.workload === "matmul" ? "GFLOP/s" : "images/s"}`,
      );
      if (opt.json) process.stdout.write(JSON.stringify(fig) + "\n");
      if (opt["jsonl-file"]) appendFileSync(opt["jsonl-file"], JSON.stringify(fig) + "\n");
    }
  } finally {
    cleanup();
  }
  if (!opt.json) process.stdout.write(report(figs, compiles, notes, startLoad));
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s${failed ? `, ${failed} part(s) failed` : ""}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
