/**
 * The long input-fuzzing run: mutated inputs JSON, safetensors, checkpoints, PNG and IDX files
 * (test/fuzz/inputs_fuzz.ts), each expected to give a value or a typed error.
 *
 *   node dist/scripts/fuzz-inputs.js --count 10000 --seed 42
 *   node dist/scripts/fuzz-inputs.js --seed 42 --show 1234     (replay case 1234 and print it)
 *
 * Options: --count N (default 10000), --seed S (default: from the clock, printed), --start K,
 * --max-failures F (stop after F, default 20), --slow MS (a case slower than this is a failure,
 * default 5000). Exits 1 if any case failed.
 */
import { FORMATS, runCase, type Format } from "../test/fuzz/inputs_fuzz.js";

function args(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    out.set(a.slice(2), a === "--help" ? "1" : (argv[++i] ?? ""));
  }
  return out;
}
const num = (m: Map<string, string>, k: string, d: number) => {
  const v = m.get(k);
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${k} needs a whole number, not ${JSON.stringify(v)}`);
  return n;
};

async function main(): Promise<number> {
  const a = args(process.argv.slice(2));
  if (a.has("help")) {
    console.log(
      "usage: node dist/scripts/fuzz-inputs.js [--count N] [--seed S] [--start K] [--max-failures F] [--slow MS] [--show I]",
    );
    return 0;
  }
  const seed = num(a, "seed", Date.now() % 2147483647);
  if (a.has("show")) {
    const o = await runCase(seed, num(a, "show", 0));
    const text = typeof o.input === "string" ? o.input : o.input.toString("latin1");
    console.log(
      `seed ${seed} case ${a.get("show")} (${o.format}, ${o.input.length} bytes): ${o.kind} in ${o.ms.toFixed(1)} ms\n${o.message}`,
    );
    console.log(JSON.stringify(text.length > 2000 ? text.slice(0, 2000) + "…" : text));
    return o.kind === "failure" ? 1 : 0;
  }
  const count = num(a, "count", 10_000),
    start = num(a, "start", 0),
    maxFailures = num(a, "max-failures", 20),
    slow = num(a, "slow", 5000);
  console.log(`fuzz-inputs: seed ${seed}, cases ${start}..${start + count - 1}`);
  const stats = new Map<Format, { value: number; error: number; failure: number; messages: Set<string> }>(
    FORMATS.map((f) => [f, { value: 0, error: 0, failure: 0, messages: new Set() }]),
  );
  let failures = 0,
    slowest = { ms: 0, i: -1 };
  const t0 = performance.now();
  for (let i = start; i < start + count && failures < maxFailures; i++) {
    const o = await runCase(seed, i);
    const s = stats.get(o.format)!;
    const kind = o.kind !== "failure" && o.ms > slow ? "failure" : o.kind;
    s[kind]++;
    if (o.kind === "error") s.messages.add(o.message.replace(/\d+/g, "#"));
    if (o.ms > slowest.ms) slowest = { ms: o.ms, i };
    if (kind === "failure") {
      failures++;
      console.log(
        `FAIL case ${i} (${o.format}): ${o.kind === "failure" ? o.message : `took ${o.ms.toFixed(0)} ms`}\n  replay: node dist/scripts/fuzz-inputs.js --seed ${seed} --show ${i}`,
      );
    }
    if ((i - start + 1) % 2000 === 0)
      console.log(`  ${i - start + 1} cases, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const total = [...stats.values()].reduce((n, s) => n + s.value + s.error + s.failure, 0);
  console.log(
    `\n${total} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s; slowest case ${slowest.i} ${slowest.ms.toFixed(1)} ms`,
  );
  console.log("format        values  errors  failures  distinct messages");
  for (const [f, s] of stats)
    console.log(
      `${f.padEnd(12)} ${String(s.value).padStart(7)} ${String(s.error).padStart(7)} ${String(s.failure).padStart(9)} ${String(s.messages.size).padStart(18)}`,
    );
  return failures ? 1 : 0;
}

process.exitCode = await main();
