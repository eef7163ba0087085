/**
 * The long fuzz run: the properties of test/lang/fuzz.test.ts over many more sources.
 *
 *   node dist/scripts/fuzz.js --count 100000 --seed 42
 *   node dist/scripts/fuzz.js --seed 42 --show 1234        (print source 1234 of that run and check it)
 *
 * Options: --count N (default 100000), --seed S (default: from the clock, printed), --start K
 * (first index), --only grammar|mutant, --max-failures F (stop after F failures, default 20),
 * --shrink-budget B (property checks per shrink, default 2000), --no-shrink, --progress P
 * (report every P sources, default 5000). Source i is a grammar program when i is even and a
 * mutant when odd; it depends only on (seed, i), so any failure can be replayed with --show.
 * Exits 1 if a property failed.
 */
import { explainFailure, runCase, type Case, type Outcome } from "../test/lang/fuzz_gen.js";

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const [k, v] = a.includes("=")
      ? [a.slice(2, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a.slice(2), undefined];
    if (v !== undefined) out.set(k, v);
    else if (k === "no-shrink" || k === "help") out.set(k, "1");
    else out.set(k, argv[++i] ?? "");
  }
  return out;
}

function int(args: Map<string, string>, key: string, dflt: number): number {
  const v = args.get(key);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${key} needs a whole number, not ${JSON.stringify(v)}`);
  return n;
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  if (args.has("help")) {
    console.log(
      "usage: node dist/scripts/fuzz.js [--count N] [--seed S] [--start K] [--only grammar|mutant] [--max-failures F] [--shrink-budget B] [--no-shrink] [--progress P] [--show I]",
    );
    return 0;
  }
  const seed = int(args, "seed", Date.now() % 2147483647);
  if (args.has("show")) {
    const i = int(args, "show", 0);
    const { c, o } = runCase(seed, i);
    console.log(
      `seed ${seed} index ${i} (${c.origin})${c.expect ? `, model: ${c.expect.valid ? "valid" : "invalid"}` : ""}`,
    );
    console.log(c.source);
    console.log(
      `-> loaded ${o.loaded}, ran ${o.ran}, run rejected ${o.runRejected}, load ${o.loadMs.toFixed(1)} ms, run ${o.runMs.toFixed(1)} ms`,
    );
    if (o.failure) {
      console.log(explainFailure(seed, c, o));
      return 1;
    }
    return 0;
  }
  const count = int(args, "count", 100_000);
  const start = int(args, "start", 0);
  const only = args.get("only");
  if (only !== undefined && only !== "grammar" && only !== "mutant") throw new Error("--only is grammar or mutant");
  const maxFailures = int(args, "max-failures", 20);
  const shrinkBudget = args.has("no-shrink") ? 0 : int(args, "shrink-budget", 2000);
  const progress = Math.max(1, int(args, "progress", 5000));

  console.log(`fuzz: seed ${seed}, sources ${start}…${start + count - 1}${only ? ` (${only} only)` : ""}`);
  const t0 = performance.now();
  const tally = { checked: 0, loaded: 0, ran: 0, runRejected: 0, rejected: 0 };
  let maxLoad = 0,
    maxRun = 0,
    maxTotal = -1,
    slowest = -1;
  const failures: { c: Case; o: Outcome }[] = [];
  const kinds = new Map<string, number>();
  for (let i = start; i < start + count; i++) {
    if (only === "grammar" && i % 2 === 1) continue;
    if (only === "mutant" && i % 2 === 0) continue;
    const { c, o } = runCase(seed, i);
    tally.checked++;
    if (o.loaded) tally.loaded++;
    else tally.rejected++;
    if (o.ran) tally.ran++;
    if (o.runRejected) tally.runRejected++;
    if (o.loadMs + o.runMs > maxTotal) {
      maxTotal = o.loadMs + o.runMs;
      slowest = i;
    }
    maxLoad = Math.max(maxLoad, o.loadMs);
    maxRun = Math.max(maxRun, o.runMs);
    if (o.failure) {
      failures.push({ c, o });
      kinds.set(o.failure.kind, (kinds.get(o.failure.kind) ?? 0) + 1);
      console.log(`\nFAIL ${explainFailure(seed, c, o, shrinkBudget)}\n`);
      if (failures.length >= maxFailures) {
        console.log(`stopping after ${failures.length} failures`);
        break;
      }
    }
    if ((i - start + 1) % progress === 0) {
      const s = (performance.now() - t0) / 1000;
      console.log(
        `  ${i - start + 1}/${count}  loaded ${tally.loaded}  ran ${tally.ran}  rejected ${tally.rejected}  failures ${failures.length}  ` +
          `max load ${maxLoad.toFixed(1)} ms  max run ${maxRun.toFixed(1)} ms  ${(tally.checked / s).toFixed(0)}/s  ${s.toFixed(1)} s`,
      );
    }
  }
  const s = (performance.now() - t0) / 1000;
  console.log(
    `done: ${tally.checked} sources in ${s.toFixed(1)} s; loaded ${tally.loaded} (ran ${tally.ran}, run rejected ${tally.runRejected}), ` +
      `rejected ${tally.rejected}; max load ${maxLoad.toFixed(1)} ms, max run ${maxRun.toFixed(1)} ms (slowest: --show ${slowest})`,
  );
  if (failures.length) {
    console.log(`${failures.length} FAILURES: ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(", ")}`);
    return 1;
  }
  console.log("all properties held");
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`fuzz: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
}
