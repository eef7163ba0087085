/**
 * `npm run bench:wasm`: the LeNet training step (examples/fashion-lenet.lift, Adam) at batch 64 as
 * WebAssembly, single thread, in Node and in headless Chromium, against LiFT's native step on one
 * thread (compiled without OpenMP); and the demo page's load to its first training step.
 * Every figure runs the same loop (src/web/page/train.js, or its native twin below) for STEPS
 * steps on the same data slice; images/s counts the compiled step alone and the loop with feeding.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildWeb } from "../src/web/build.js";
import { serveDir } from "../src/web/serve.js";
import { launchChromium, CHROMIUM } from "../test/web/browser.js";
import { loadModel, namesFor } from "../src/train/program.js";
import { epochPermutation, initParams } from "../src/train/init.js";

const ROOT = join(import.meta.dirname, "../..");
const STEPS = Number(process.env.STEPS ?? 200), BATCH = 64;
const MODEL = join(ROOT, "examples/fashion-lenet.lift");
const row = (name: string, loop: number, step: number, note = "") => console.log(`| ${name} | ${Math.round(loop)} | ${Math.round(step)} | ${note} |`);

interface Site { model: any; trainWasm: Uint8Array; inferWasm: Uint8Array; train: any; test: any }
function readSite(dir: string): Site {
  const rd = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  const model = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
  return { model, trainWasm: rd("train_step.wasm"), inferWasm: rd("infer.wasm"),
    train: { images: rd("train-images.u8"), labels: rd("train-labels.u8"), count: model.train.count },
    test: { images: rd("test-images.u8"), labels: rd("test-labels.u8"), count: model.test.count } };
}

/** The page's loop on LiFT's native step (one thread): same init, order, feeding and swaps. */
function nativeLoop(site: Site): { loop: number; step: number } {
  const programs = loadModel({ name: MODEL, text: readFileSync(MODEL, "utf8") }, "adam");
  const c = programs.contract, px = c.rows * c.cols, k = c.classes;
  const mod = programs.training.compile({ dtype: "f32", name: "fashion_lenet_adam_step", openmp: false });
  const bufs: Record<string, Float32Array> = {};
  const g = programs.training.graph;
  const len = (shape: readonly (number | string)[]) => shape.reduce<number>((n, d) => n * (typeof d === "number" ? d : BATCH), 1);
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
  let loopS = 0, stepS = 0;
  for (let s = 0; s < STEPS; s++) {
    const t0 = performance.now();
    const start = (s * BATCH) % (site.train.count - BATCH);
    bufs.Labels!.fill(0);
    for (let i = 0; i < BATCH; i++) {
      const idx = perm[start + i]!;
      for (let j = 0; j < px; j++) bufs.Images![i * px + j] = site.train.images[idx * px + j] / 255;
      bufs.Labels![i * k + site.train.labels[idx]] = 1;
    }
    bufs.Scale![0] = 1 / BATCH; bufs.Step![0] = s + 1;
    const t1 = performance.now();
    mod.call(bufs, { [c.batchSize]: BATCH });
    stepS += (performance.now() - t1) / 1000;
    for (const [a, b] of swaps) { const t = bufs[a]!; bufs[a] = bufs[b]!; bufs[b] = t; }
    loopS += (performance.now() - t0) / 1000;
  }
  return { loop: (STEPS * BATCH) / loopS, step: (STEPS * BATCH) / stepS };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lift-bench-web-"));
  const t0 = performance.now();
  const built = await buildWeb({ model: { name: MODEL, text: readFileSync(MODEL, "utf8") }, outDir: dir });
  console.log(`site: ${built.trainImages} training images from ${built.dataDir}, ${built.wasmBytes} bytes of wasm, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${STEPS} steps at batch ${BATCH}, single thread; images/s\n`);
  console.log("| runtime | loop (with feeding) | compiled step alone | |", "\n|---|---|---|---|");
  const site = readSite(dir);
  const nat = nativeLoop(site);
  row("LiFT native (cc -O3 -march=native, no OpenMP)", nat.loop, nat.step);

  const { Session } = await import(pathToFileURL(join(dir, "train.js")).href);
  const s = await Session.create(site, BATCH, 1);
  for (let i = 0; i < STEPS; i++) s.step();
  row(`LiFT wasm in Node ${process.version}`, s.imagesPerSecond, s.stepImagesPerSecond, `${(s.stepImagesPerSecond / nat.step * 100).toFixed(0)}% of native`);

  const { server, url } = await serveDir(dir, 0);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${url}?steps=${STEPS}&batch=${BATCH}&seed=1`);
    await page.waitForFunction(() => (window as any).liftStatus?.done === true, undefined, { timeout: 300_000 });
    const st = await page.evaluate(() => (window as any).liftStatus);
    row(`LiFT wasm in headless Chromium ${browser.version()} (${CHROMIUM})`, st.imagesPerSecond, st.stepImagesPerSecond,
      `Node/Chromium ${(s.stepImagesPerSecond / st.stepImagesPerSecond).toFixed(2)}×; first step ${Math.round(st.firstStepAt)} ms after navigation`);
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
