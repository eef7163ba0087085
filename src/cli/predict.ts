import { predict } from "../train/predict.js";
import type { Command } from "./commands.js";
import { UsageError } from "./main.js";

const HELP = `usage: lift predict MODEL --weights W.safetensors IMAGES... [--json]

Classifies images with a trained model: prints, per image, the most likely class and its
probability (softmax of the model's Logits).

  --weights W     a checkpoint written by \`lift train\` (or any safetensors file holding the
                  model's params, F32, under their names)
  IMAGES          IDX image files (ubyte [count, rows, cols], plain or gzip), or PNGs (8-bit
                  grayscale, RGB or RGBA; colour is turned to gray, transparency composited over
                  black). Images must have the size the model declares (28×28 for the examples);
                  they are not resized.
  --json          print one JSON object {"predictions": [{source, index, class, label,
                  probability}, ...]} on stdout, and nothing else`;

export const predictCommand: Command = {
  summary: "classify images with a trained model",
  help: HELP,
  options: { weights: { type: "string" }, json: { type: "boolean" } },
  async run(v, files) {
    const [model, ...images] = files;
    if (model === undefined) throw new UsageError("no model file given");
    if (v.weights === undefined) throw new UsageError("--weights W.safetensors is required");
    if (images.length === 0) throw new UsageError("no images given");
    const preds = await predict(model, String(v.weights), images);
    if (v.json) {
      process.stdout.write(JSON.stringify({ predictions: preds }) + "\n");
      return 0;
    }
    const multi = new Set(preds.filter((p) => p.index > 0).map((p) => p.source));
    const lines = preds.map((p) => {
      const where = multi.has(p.source) ? `${p.source}[${p.index}]` : p.source;
      return `${where}: ${p.label} (${(100 * p.probability).toFixed(1)}%)`;
    });
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  },
};
