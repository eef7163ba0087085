/**
 * `npm run bench:wasm`: the LeNet training step (examples/fashion-lenet.lift, Adam) at batch 64 as
 * WebAssembly, single thread, in Node and in headless Chromium, against LiFT's native step on one
 * thread (compiled without OpenMP), jax-js and TF.js; and the demo page's load to its first step.
 * Every figure runs the same loop (src/web/page/train.js, or its native twin below) for STEPS
 * steps on the same data slice; images/s counts the compiled step alone and the loop with feeding.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildWeb } from "../src/web/build.js";
import { serveDir } from "../src/web/serve.js";
import { launchChromium, CHROMIUM } from "../test/web/browser.js";
import { loadModel, namesFor } from "../src/train/program.js";
import { epochPermutation, initParams } from "../src/train/init.js";

const ROOT = join(import.meta.dirname, "../..");
const STEPS = Number(process.env.STEPS ?? 200),
  BATCH = 64;
const MODEL = join(ROOT, "examples/fashion-lenet.lift");
const fmt = (x: number) => (x < 10 ? x.toPrecision(2) : String(Math.round(x)));
const row = (name: string, loop: number, step: number, med: number, note = "") =>
  console.log(`| ${name} | ${fmt(loop)} | ${fmt(step)} | ${fmt(med)} | ${note} |`);
/** Images per second at the median step time (robust to other processes on a shared machine). */
const median = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return BATCH / (s[s.length >> 1]! / 1000);
};

interface Site {
  model: any;
  trainWasm: Uint8Array;
  inferWasm: Uint8Array;
  train: any;
  test: any;
}
function readSite(dir: string): Site {
  const rd = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  const model = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
  return {
    model,
    trainWasm: rd("train_step.wasm"),
    inferWasm: rd("infer.wasm"),
    train: { images: rd("train-images.u8"), labels: rd("train-labels.u8"), count: model.train.count },
    test: { images: rd("test-images.u8"), labels: rd("test-labels.u8"), count: model.test.count },
  };
}

/** The page's loop on LiFT's native step (one thread): same init, order, feeding and swaps. */
function nativeLoop(site: Site): { loop: number; step: number; median: number } {
  const programs = loadModel({ name: MODEL, text: readFileSync(MODEL, "utf8") }, "adam");
  const c = programs.contract,
    px = c.rows * c.cols,
    k = c.classes;
  const mod = programs.training.compile({ dtype: "f32", name: "fashion_lenet_adam_step", openmp: false });
  const bufs: Record<string, Float32Array> = {};
  const g = programs.training.graph;
  const len = (shape: readonly (number | string)[]) =>
    shape.reduce<number>((n, d) => n * (typeof d === "number" ? d : BATCH), 1);
  for (const d of [...g.inputs, ...g.outputs, ...g.grads]) bufs[d.name] = new Float32Array(len(d.shape));
  const init = initParams(c.params, 1);
  const swaps: [string, string][] = [];
  for (const p of c.params) {
    const nm = namesFor(p.name, "adam");
    bufs[p.name]!.set(init[p.name]!);
    swaps.push([p.name, nm.next], ...nm.state.map((s, i) => [s, nm.stateNext[i]!] as [string, string]));
  }
  bufs.Lr![0] = 1e-3;
  const perm = epochPermutation(site.train.count, 1, 1);
  let loopS = 0,
    stepS = 0;
  const ms: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const t0 = performance.now();
    const start = (s * BATCH) % (site.train.count - BATCH);
    bufs.Labels!.fill(0);
    for (let i = 0; i < BATCH; i++) {
      const idx = perm[start + i]!;
      for (let j = 0; j < px; j++) bufs.Images![i * px + j] = site.train.images[idx * px + j] / 255;
      bufs.Labels![i * k + site.train.labels[idx]] = 1;
    }
    bufs.Scale![0] = 1 / BATCH;
    bufs.Step![0] = s + 1;
    const t1 = performance.now();
    mod.call(bufs, { [c.batchSize]: BATCH });
    ms.push(performance.now() - t1);
    stepS += ms[ms.length - 1]! / 1000;
    for (const [a, b] of swaps) {
      const t = bufs[a]!;
      bufs[a] = bufs[b]!;
      bufs[b] = t;
    }
    loopS += (performance.now() - t0) / 1000;
  }
  return { loop: (STEPS * BATCH) / loopS, step: (STEPS * BATCH) / stepS, median: median(ms) };
}

/** A peer (bench/peers/NAME.mjs) on the same network, in a child process; undefined if not installed. */
function peer(script: string, pkg: string, steps: string): { median: number; mean: number } | undefined {
  const peers = join(ROOT, "bench/.peers");
  if (!existsSync(join(peers, "node_modules", pkg))) return undefined;
  copyFileSync(join(ROOT, "bench/peers", script), join(peers, script));
  const r = spawnSync(process.execPath, [join(peers, script), String(BATCH), steps], { encoding: "utf8" });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) throw new Error(`the peer ${script} failed:\n${r.stderr}`);
  return JSON.parse(line);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lift-bench-web-"));
  const t0 = performance.now();
  const built = await buildWeb({ model: { name: MODEL, text: readFileSync(MODEL, "utf8") }, outDir: dir });
  console.log(
    `site: ${built.trainImages} training images from ${built.dataDir}, ${built.wasmBytes} bytes of wasm, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(`${STEPS} steps at batch ${BATCH}, single thread; images/s\n`);
  console.log("| runtime | loop (with feeding) | compiled step alone | step, median | |", "\n|---|---|---|---|---|");
  const site = readSite(dir);
  const nat = nativeLoop(site);
  row("LiFT native (cc -O3 -march=native, no OpenMP)", nat.loop, nat.step, nat.median);

  const { Session } = await import(pathToFileURL(join(dir, "train.js")).href);
  const s = await Session.create(site, BATCH, 1);
  for (let i = 0; i < STEPS; i++) s.step();
  const nodeMedian = median(s.callMs);
  row(
    `LiFT wasm in Node ${process.version}`,
    s.imagesPerSecond,
    s.stepImagesPerSecond,
    nodeMedian,
    `median ${((nodeMedian / nat.median) * 100).toFixed(0)}% of native`,
  );

  const { server, url } = await serveDir(dir, 0);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${url}?steps=${STEPS}&batch=${BATCH}&seed=1`);
    await page.waitForFunction(() => (window as any).liftStatus?.done === true, undefined, { timeout: 300_000 });
    const st = await page.evaluate(() => (window as any).liftStatus);
    if (st.error) throw new Error(`the page failed: ${st.error}`);
    const chMedian = median(await page.evaluate(() => (window as any).liftSession.callMs as number[]));
    row(
      `LiFT wasm in headless Chromium ${browser.version()}`,
      st.imagesPerSecond,
      st.stepImagesPerSecond,
      chMedian,
      `median Node/Chromium ${(nodeMedian / chMedian).toFixed(2)}×; first step ${Math.round(st.firstStepAt)} ms after navigation (${CHROMIUM})`,
    );
  } finally {
    await browser.close();
    server.close();
  }
  const peers = [
    {
      name: "jax-js 0.1.25, wasm device, jit(valueAndGrad) + SGD",
      script: "jaxjs_lenet.mjs",
      pkg: "@jax-js/jax",
      steps: process.env.JAX_STEPS ?? "10",
    },
    {
      name: "TF.js 4.22.0, cpu backend, Adam",
      script: "tfjs_lenet.mjs",
      pkg: "@tensorflow/tfjs",
      steps: process.env.TFJS_STEPS ?? "2",
    },
  ];
  for (const p of peers) {
    const r = peer(p.script, p.pkg, p.steps);
    if (!r) {
      console.log(`| ${p.name} | not installed: run bench/setup-wasm | | | |`);
      continue;
    }
    row(
      `${p.name} in Node (${p.steps} steps after a warm-up)`,
      r.mean,
      r.mean,
      r.median,
      `LiFT wasm in Node is ${(nodeMedian / r.median).toFixed(0)}× faster (medians)`,
    );
  }
}

await main();
