/**
 * Compile-time figures for programs that stress the compiler's traversals (issue 10):
 *   node dist/scripts/deep-programs.js squaring 16 20 24   repeated squaring V0 := (A + 1), Vi := (V{i-1} * V{i-1})
 *   node dist/scripts/deep-programs.js chain 1000 10000    a chain Vi := (V{i-1} + (A * W)) with two gradients
 *     (DEEP_NO_COMPILE=1: parse, check and grad only; DEEP_C_OUT=DIR writes each program's C there;
 *     DEEP_SCHEDULE=sequential|grouped|isl picks the scheduler, as a program past 3000 statements gets sequential)
 * Prints per pass milliseconds (wall `_ms`, process CPU `_cpu`), isl calls (`_calls`), the C size and the statement count, one line per size.
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { check } from "../src/core/checker.js";
import { evaluate } from "../src/interp/eval.js";
import { parse } from "../src/lang/parser.js";
import { SourceFile } from "../src/lang/source.js";
import { compileGraph, type CompileOptions } from "../src/compiler/compile.js";

export function squaring(levels: number): string {
  const lines = ["A :: (in 16)", "V0 := (A + 1)"];
  for (let i = 1; i <= levels; i++) lines.push(`V${i} := (V${i - 1} * V${i - 1})`);
  lines.push(`V${levels} :: (out 16)`);
  return lines.join("\n") + "\n";
}

/** n statements V0 := (A + 1), Vi := (V{i-1} + (A * W)): L = Σ V{n-1}, ∂L/∂A = (n−1)·W + 1, ∂L/∂W = (n−1)·A. */
export function chain(n: number, withGrad: boolean): string {
  const lines = ["A :: (in 4)", "W :: (in 4)", "V0 := (A + 1)"];
  for (let i = 1; i < n; i++) lines.push(`V${i} := (V${i - 1} + (A * W))`);
  lines.push(`L := ((reduce 1 +) V${n - 1})`, "L :: (out)");
  if (withGrad) lines.push("dA :: (grad L A)", "dA :: (out 4)", "dW :: (grad L W)", "dW :: (out 4)");
  return lines.join("\n") + "\n";
}

function measure(label: string, text: string, compile: boolean): void {
  const cpu = (c0: NodeJS.CpuUsage) => {
    const c = process.cpuUsage(c0);
    return Math.round((c.user + c.system) / 1000);
  };
  const t0 = performance.now(),
    c0 = process.cpuUsage();
  const program = parse(new SourceFile(`${label}.lift`, text));
  const t1 = performance.now(),
    c1 = process.cpuUsage();
  const parseCpu = cpu(c0);
  const g = check(program);
  const t2 = performance.now();
  const fig: Record<string, number | string> = {
    program: label,
    statements: program.stmts.length,
    nodes: g.nodes.length,
    parse_ms: Math.round(t1 - t0),
    check_grad_ms: Math.round(t2 - t1),
    parse_cpu: parseCpu,
    check_grad_cpu: cpu(c1),
  };
  if (label.startsWith("chain")) {
    // The interpreter on A = W = 1: dA = (n − 1)·W + 1 = n.
    const one = { shape: [4], data: Float64Array.of(1, 1, 1, 1) };
    const inputs = new Map(g.inputs.map((d) => [d.node, one]));
    const t3 = performance.now();
    const out = evaluate(g, inputs, new Map(), "f64", [g.names.get("dA")!]);
    fig.interp_ms = Math.round(performance.now() - t3);
    fig.dA = out.get(g.names.get("dA")!)!.data[0]!;
  }
  if (compile) {
    const mode = process.env.DEEP_SCHEDULE as CompileOptions["schedule"] | undefined;
    const c = compileGraph(g, { dtype: "f32", name: "deep", ...(mode ? { schedule: mode } : {}) });
    for (const p of c.stats.passes) fig[`${p.name}_ms`] = Math.round(p.ms);
    for (const p of c.stats.passes) fig[`${p.name}_cpu`] = Math.round(p.cpuMs);
    for (const p of c.stats.passes) fig[`${p.name}_calls`] = p.islCalls;
    fig.c_bytes = c.unit.source.length;
    if (process.env.DEEP_C_OUT) writeFileSync(`${process.env.DEEP_C_OUT}/${label}.c`, c.unit.source);
    fig.poly_statements = c.stats.statements;
    fig.scheduler = c.stats.scheduler;
  }
  console.log(JSON.stringify(fig));
}

function main(): void {
  const [kind, ...sizes] = process.argv.slice(2);
  const noCompile = process.env.DEEP_NO_COMPILE === "1";
  for (const s of sizes.map(Number)) {
    if (kind === "squaring") measure(`squaring${s}`, squaring(s), true);
    else if (kind === "chain") measure(`chain${s}`, chain(s, true), !noCompile);
    else throw new Error("usage: deep-programs.js squaring|chain N…");
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
