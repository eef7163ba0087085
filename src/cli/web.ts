/** `lift web`: build the in-browser training demo of a model, or serve a built one. */
import { buildWeb } from "../web/build.js";
import { serveDir } from "../web/serve.js";
import type { Command } from "./commands.js";
import { readText } from "../lang/files.js";
import { UsageError } from "./main.js";

const HELP = `usage: lift web MODEL -o DIR [--data DIR] [--train-images N] [--test-images M]
       lift web --serve DIR [--port P]

Builds DIR, a static site that trains MODEL (a model for \`lift train\`, e.g.
examples/fashion-lenet.lift) in the browser: the training step (Adam) and inference compiled
to WebAssembly, a slice of the data set, and a page with live loss and accuracy, images/s,
test images with their predictions, a canvas to draw on and classify, and a button that
saves the weights as safetensors for \`lift predict\`. Open it through --serve.

  --data DIR          an MNIST-layout data set (default Debian's Fashion-MNIST,
                      /usr/share/datasets/fashion-mnist)
  --train-images N    training images in the slice (default 6000)
  --test-images M     held-out test images (default 1000)
  --serve DIR         serve DIR on http://127.0.0.1:P/ with COOP/COEP headers
  --port P            the port for --serve (default 8000; 0 picks a free one)

The page takes ?steps=K&batch=B&seed=S: it trains K steps and stops, keeping
window.liftStatus = { step, loss, testAccuracy, imagesPerSecond, done } current.`;

const count = (what: string, v: string | boolean | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${what} must be a whole number ≥ 1, not ${String(v)}`);
  return n;
};

export const webCommand: Command = {
  summary: "build (or --serve) a page that trains a model in the browser, as WebAssembly",
  help: HELP,
  options: {
    o: { type: "string", short: "o" },
    data: { type: "string" },
    "train-images": { type: "string" },
    "test-images": { type: "string" },
    serve: { type: "string" },
    port: { type: "string" },
  },
  async run(v, pos) {
    if (typeof v.serve === "string") {
      if (pos.length) throw new UsageError("--serve DIR takes no model");
      const port = v.port === undefined ? 8000 : Number(v.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be 0…65535, not ${String(v.port)}`);
      const { url } = await serveDir(v.serve, port);
      process.stderr.write(`serving ${v.serve} on ${url} (Ctrl-C stops)\n`);
      await new Promise(() => {}); // until the process is stopped
    }
    const [model, ...extra] = pos;
    if (model === undefined) throw new UsageError("no model file given");
    if (extra.length) throw new UsageError(`one model file only, not ${pos.length}`);
    if (typeof v.o !== "string") throw new UsageError("missing -o DIR");
    const t0 = performance.now();
    const r = await buildWeb({
      model: { name: model, text: readText(model) },
      outDir: v.o,
      ...(typeof v.data === "string" ? { dataDir: v.data } : {}),
      trainImages: count("--train-images", v["train-images"]),
      testImages: count("--test-images", v["test-images"]),
    });
    process.stderr.write(
      `wrote ${v.o}: ${r.files.length} files, ${r.trainImages} training and ${r.testImages} test images from ${r.dataDir}, ` +
        `${r.wasmBytes} bytes of wasm, in ${((performance.now() - t0) / 1000).toFixed(1)} s\nserve it: lift web --serve ${v.o}\n`,
    );
    return 0;
  },
};
