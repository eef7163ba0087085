// The demo page: loads the site's files (all from this directory), trains with train.js, draws.
// ?steps=K&batch=B&seed=S trains K steps at once and stops; window.liftStatus is kept current as
// { step, loss, testAccuracy, imagesPerSecond, done } (loss: the mean over the last window of
// steps; testAccuracy: on the held-out slice once training stops, null before), plus curve (the
// window means so far), stepImagesPerSecond (inside the compiled step alone), firstStepAt (ms
// from navigation to the end of the first step) and error.
import { Session } from "./train.js";
import { drawCurves, drawImage } from "./plot.js";
import { encodeSafetensors } from "./safetensors.js";

const $ = (id) => document.getElementById(id);
const status = {
  step: 0,
  loss: null,
  testAccuracy: null,
  imagesPerSecond: null,
  done: false,
  curve: [],
  stepImagesPerSecond: null,
  firstStepAt: null,
  error: null,
};
window.liftStatus = status;
const GRID = 32;

async function bytes(file) {
  const r = await fetch(file);
  if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const model = await (await fetch("model.json")).json();
const [trainWasm, inferWasm, trI, trL, teI, teL] = await Promise.all(
  ["train_step.wasm", "infer.wasm", "train-images.u8", "train-labels.u8", "test-images.u8", "test-labels.u8"].map(
    bytes,
  ),
);
const site = {
  model,
  trainWasm,
  inferWasm,
  train: { images: trI, labels: trL, count: model.train.count },
  test: { images: teI, labels: teL, count: model.test.count },
};
const { rows, cols } = model.contract,
  px = rows * cols;
$("model").textContent = model.model;

let session = null,
  stopRequested = false;
let curves = { loss: [], acc: [], test: [] },
  target = 0;

function render() {
  const s = status;
  $("stats").textContent = [
    `step            ${s.step}${target ? ` / ${target}` : ""}`,
    `loss            ${s.loss === null ? "–" : s.loss.toFixed(4)}`,
    `train accuracy  ${curves.acc.length ? (100 * curves.acc.at(-1)[1]).toFixed(1) + "%" : "–"}`,
    `test accuracy   ${s.testAccuracy === null ? "–" : (100 * s.testAccuracy).toFixed(2) + "%"} (${model.test.count} held-out images)`,
    `images/s        ${s.imagesPerSecond === null ? "–" : Math.round(s.imagesPerSecond)}`,
    `first step at   ${s.firstStepAt === null ? "–" : Math.round(s.firstStepAt) + " ms after navigation"}`,
    `data            ${model.train.count} training images · wasm ${((trainWasm.length + inferWasm.length) / 1024).toFixed(0)} KiB`,
    `isolated        ${globalThis.crossOriginIsolated ? "yes (COOP/COEP)" : "no"}`,
  ].join("\n");
  drawCurves(
    $("curves"),
    [
      { label: "training loss", color: "#c33", max: 2.5, points: curves.loss },
      { label: "training accuracy", color: "#36c", max: 1, points: curves.acc },
      { label: "test accuracy", color: "#3a3", max: 1, points: curves.test, dots: true },
    ],
    Math.max(target, status.step),
  );
}

function drawGrid(predicted) {
  const grid = $("grid");
  grid.replaceChildren();
  for (let i = 0; i < Math.min(GRID, site.test.count); i++) {
    const fig = document.createElement("figure"),
      c = document.createElement("canvas"),
      cap = document.createElement("figcaption");
    c.width = c.height = 56;
    drawImage(c, site.test.images.subarray(i * px, (i + 1) * px), rows, cols, true);
    const truth = model.classNames[site.test.labels[i]];
    if (predicted) {
      fig.className = predicted[i] === site.test.labels[i] ? "ok" : "bad";
      cap.textContent = model.classNames[predicted[i]];
      cap.title = `true: ${truth}`;
    } else cap.textContent = truth;
    fig.append(c, cap);
    grid.append(fig);
  }
}

const nextTurn = () => new Promise((r) => setTimeout(r, 0));

async function train(steps, batch, seed) {
  stopRequested = false;
  target = steps;
  $("start").disabled = true;
  $("stop").disabled = false;
  session = window.liftSession = await Session.create(site, batch, seed);
  Object.assign(status, { step: 0, loss: null, testAccuracy: null, imagesPerSecond: null, done: false, curve: [] });
  curves = { loss: [], acc: [], test: [] };
  const span = Math.max(1, Math.round(steps / 100)); // steps per point of the curves
  let wl = 0,
    wc = 0,
    wi = 0,
    wn = 0;
  while (session.globalStep < steps && !stopRequested) {
    const until = performance.now() + 50; // a slice of work, then the page draws and takes input
    while (session.globalStep < steps && performance.now() < until) {
      const r = session.step();
      if (!Number.isFinite(r.loss)) throw new Error(`the loss became ${r.loss} at step ${session.globalStep}`);
      status.firstStepAt ??= performance.now();
      wl += r.loss;
      wc += r.correct;
      wi += r.n;
      wn++;
      if (wn === span || session.globalStep === steps) {
        const x = session.globalStep;
        curves.loss.push([x, wl / wn]);
        curves.acc.push([x, wc / wi]);
        status.curve.push(wl / wn);
        status.loss = wl / wn;
        wl = wc = wi = wn = 0;
      }
    }
    status.step = session.globalStep;
    status.imagesPerSecond = session.imagesPerSecond;
    status.stepImagesPerSecond = session.stepImagesPerSecond;
    render();
    await nextTurn();
  }
  const ev = session.evaluate();
  curves.test.push([session.globalStep, ev.accuracy]);
  Object.assign(status, {
    step: session.globalStep,
    testAccuracy: ev.accuracy,
    imagesPerSecond: session.imagesPerSecond,
    stepImagesPerSecond: session.stepImagesPerSecond,
  });
  $("testacc").textContent = `(${(100 * ev.accuracy).toFixed(1)}% of ${site.test.count} correct)`;
  drawGrid(ev.predicted);
  render();
  classifyDrawing();
  $("start").disabled = false;
  $("stop").disabled = true;
  $("save").disabled = false;
  status.done = true;
}

function fail(e) {
  status.error = String((e && e.message) || e);
  status.done = true;
  $("stats").textContent = `error: ${status.error}`;
}

// Saving: the params and Adam's state as `lift train` checkpoints them (lift predict reads the params).
$("save").onclick = () => {
  const values = session.values(),
    tensors = {};
  for (const p of model.contract.params) {
    tensors[p.name] = { shape: p.shape, data: values[p.name] };
    for (const s of model.names[p.name].state) tensors[s] = { shape: p.shape, data: values[s] };
  }
  const epoch = Math.floor(session.images / site.train.count);
  const meta = {
    format: "lift-train/1",
    lift_version: "web",
    model: model.model,
    model_sha256: model.modelSha256,
    epoch: String(epoch),
    global_step: String(session.globalStep),
    seed: String(session.seed),
    optimizer: model.optimizer,
    lr: String(model.lr),
    batch: String(session.batch),
    train_images: String(site.train.count),
    test_images: String(site.test.count),
    limit_train: String(site.train.count),
    limit_test: String(site.test.count),
    class_names: JSON.stringify(model.classNames),
    history: "[]",
  };
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([encodeSafetensors(tensors, meta)], { type: "application/octet-stream" }));
  a.download = `${model.model.replace(/\.lift$/, "")}-web.safetensors`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
};

// Drawing: white strokes on black, as the data set's garments; 28×28 by averaging.
const pad = $("draw"),
  pen = pad.getContext("2d");
const clearPad = () => {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, pad.width, pad.height);
};
clearPad();
let down = false;
pad.onpointerdown = (e) => {
  down = true;
  pad.setPointerCapture(e.pointerId);
  pen.beginPath();
  pen.moveTo(e.offsetX, e.offsetY);
};
pad.onpointermove = (e) => {
  if (!down) return;
  pen.strokeStyle = "#fff";
  pen.lineWidth = 18;
  pen.lineCap = pen.lineJoin = "round";
  pen.lineTo(e.offsetX, e.offsetY);
  pen.stroke();
};
pad.onpointerup = () => {
  down = false;
  classifyDrawing();
};
$("clear").onclick = () => {
  clearPad();
  $("probs").replaceChildren();
};

function classifyDrawing() {
  if (!session) {
    $("probs").textContent = "train first";
    return;
  }
  const small = new OffscreenCanvas(cols, rows),
    g = small.getContext("2d");
  g.imageSmoothingQuality = "high";
  g.drawImage(pad, 0, 0, cols, rows);
  const rgba = g.getImageData(0, 0, cols, rows).data,
    pixels = new Float32Array(px);
  for (let i = 0; i < px; i++) pixels[i] = rgba[4 * i] / 255;
  const p = session.classify(pixels);
  const order = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, 5);
  $("probs").replaceChildren(
    ...order.map((j) => {
      const d = document.createElement("div"),
        bar = document.createElement("span");
      d.textContent = `${model.classNames[j].padEnd(12)} ${(100 * p[j]).toFixed(1).padStart(5)}%`;
      bar.style.width = `${Math.round(120 * p[j])}px`;
      d.append(bar);
      return d;
    }),
  );
}

$("start").onclick = () =>
  train(Number($("steps").value), Number($("batch").value), Number($("seed").value)).catch(fail);
$("stop").onclick = () => {
  stopRequested = true;
};

const q = new URLSearchParams(location.search);
for (const k of ["steps", "batch", "seed"]) if (q.has(k)) $(k).value = q.get(k);
drawGrid(null);
render();
if (q.has("steps")) train(Number(q.get("steps")), Number(q.get("batch") ?? 32), Number(q.get("seed") ?? 1)).catch(fail);
