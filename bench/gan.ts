/**
 * The GAN of examples/gan against the same GAN in PyTorch (bench/peers/torch_gan.py), in one
 * run: the same data, the same LeNet classifier checkpoint (trained first by the example when
 * missing), the same sizes, init scheme, optimiser, batch and noise distribution, one thread each.
 * Prints both systems' figures and the ratios; `--json` adds one JSON line per system.
 *
 *   node dist/bench/gan.js [--data DIR] [--epochs 2] [--limit-train K] [--classifier CKPT] [--python PATH]
 *                          [--report FILE (the LiFT run's HTML report)] [--json]
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cpuTicks, othersShare } from "./cpu.js";
import { ROOT } from "./programs.js";

const CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"];

interface Figures {
  seconds_per_epoch: number;
  cpu_seconds_per_epoch: number;
  d_loss: number;
  g_loss: number;
  mean_top_probability: number;
  class_shares: number[];
  real_quality: { mean_top_probability: number };
  cpu_others?: number;
}

const { values: o } = parseArgs({
  options: {
    data: { type: "string", default: "/usr/share/datasets/fashion-mnist" },
    epochs: { type: "string", default: "2" },
    "limit-train": { type: "string" },
    classifier: { type: "string" },
    python: { type: "string" },
    report: { type: "string" },
    json: { type: "boolean" },
  },
});

/** Runs one system's command, which prints its JSON figures last; notes how busy the machine was meanwhile. */
function run(cmd: string, args: string[]): Figures {
  const a = cpuTicks();
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    cwd: ROOT,
    env: { ...process.env, OMP_NUM_THREADS: "1" },
    maxBuffer: 1 << 26,
  });
  const share = othersShare(a, cpuTicks());
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  const fig = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Figures;
  if (share !== undefined) fig.cpu_others = share;
  return fig;
}

const classifier = resolve(
  o.classifier ?? join(ROOT, "runs", `gan-classifier-${basename(resolve(o.data))}`, "last.safetensors"),
);
const common = [
  "--data",
  o.data,
  "--epochs",
  o.epochs,
  "--classifier",
  classifier,
  ...(o["limit-train"] ? ["--limit-train", o["limit-train"]] : []),
];
const python =
  o.python ?? process.env.LIFT_BENCH_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
// LiFT first: it trains the classifier when the checkpoint is missing.
const lift = run(process.execPath, [
  join(ROOT, "examples", "gan", "gan.mjs"),
  ...common,
  "--json",
  ...(o.report ? ["--report", resolve(o.report)] : []),
]);
const torch = run(python, [join(ROOT, "bench", "peers", "torch_gan.py"), ...common, "--threads", "1"]);

const minShare = (f: Figures) => {
  const m = Math.min(...f.class_shares);
  return `${(100 * m).toFixed(1)}% (${CLASSES[f.class_shares.indexOf(m)]})`;
};
const row = (name: string, f: Figures) => [
  name,
  f.seconds_per_epoch.toFixed(1),
  f.cpu_seconds_per_epoch.toFixed(1),
  f.d_loss.toFixed(4),
  f.g_loss.toFixed(4),
  f.mean_top_probability.toFixed(3),
  minShare(f),
  f.real_quality.mean_top_probability.toFixed(4),
  f.cpu_others === undefined ? "—" : `${(100 * f.cpu_others).toFixed(0)}%`,
];
const table = [
  ["system", "s/epoch", "CPU s/epoch", "D loss", "G loss", "top prob", "rarest class", "real top prob", "others' CPU"],
  row("LiFT", lift),
  row("PyTorch", torch),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
console.log(
  `GAN on ${o.data}${o["limit-train"] ? ` (first ${o["limit-train"]} images)` : ""}, ${o.epochs} epoch(s), batch 64, one thread each; s/epoch excludes epoch 1 when there are more`,
);
for (const r of table) console.log(r.map((c, i) => c.padStart(widths[i]!)).join("  "));
console.log(
  `time per epoch LiFT / PyTorch: ${(lift.seconds_per_epoch / torch.seconds_per_epoch).toFixed(2)} (wall), ` +
    `${(lift.cpu_seconds_per_epoch / torch.cpu_seconds_per_epoch).toFixed(2)} (CPU); ` +
    `mean top-class probability LiFT / PyTorch: ${(lift.mean_top_probability / torch.mean_top_probability).toFixed(3)}`,
);
console.log(`class shares (LiFT):    ${lift.class_shares.map((s) => `${(100 * s).toFixed(1)}`).join(" ")}`);
console.log(`class shares (PyTorch): ${torch.class_shares.map((s) => `${(100 * s).toFixed(1)}`).join(" ")}`);
if (o.json)
  for (const [system, f] of [
    ["lift", lift],
    ["pytorch", torch],
  ] as const)
    console.log(JSON.stringify({ bench: "gan", system, ...f }));
