/**
 * Mutation fuzzing of every input format LiFT reads: inputs JSON (through `lift run`'s reader and
 * the interpreter), safetensors checkpoints (decoded, then read as a checkpoint of a model), PNG
 * images and IDX files (plain and gzip), each starting from a real file: the examples' JSON, a
 * checkpoint written here, images and labels of test/data/fashion-small. The property: every
 * case gives a value or a typed error (LiftError, SafetensorsError, PngError, IdxError) whose
 * message is not nonsense; nothing else escapes, and no case takes more than a few seconds.
 * Case i depends only on (seed, i), so any failure replays.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load, LiftError } from "../../src/api/index.js";
import { parseInputs } from "../../src/cli/io.js";
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type Tensor } from "../../src/train/safetensors.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import type { ModelContract } from "../../src/train/program.js";
import { crc32, decodePng, encodePng, PngError } from "../../src/train/png.js";
import { IdxError, readIdx, readIdxFrom } from "../../src/train/idx.js";

export const FORMATS = ["json", "safetensors", "checkpoint", "png", "idx", "idx-gz"] as const;
export type Format = (typeof FORMATS)[number];
export interface Outcome {
  format: Format;
  kind: "value" | "error" | "failure";
  message: string;
  ms: number;
}

/** mulberry32: a small PRNG good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

// ---- seeds: real files ----

interface Seeds {
  programs: { src: string; json: string }[];
  safetensors: Buffer;
  contract: ModelContract;
  png: Buffer;
  idx: Buffer[];
  dir: string;
}

let seeds: Seeds | undefined;
export function loadSeeds(root = process.cwd()): Seeds {
  if (seeds) return seeds;
  const ex = (n: string) => readFileSync(join(root, "examples", n), "utf8");
  const programs = ["matmul", "backprop", "conv"].map((n) => ({ src: ex(`${n}.lift`), json: ex(`${n}.json`) }));
  programs.push({
    src: 'A :: (in N 2)\nC :: (in N)\nB :: (out N 2)\nB := (A * (C (+"0 1) A))\n',
    json: '{"A": [[1, 2], [3, 4], [5, 6]], "C": {"shape": [3], "data": [1, 2, 3]}}',
  });
  const data = join(root, "test", "data", "fashion-small");
  const images = gunzipSync(readFileSync(join(data, "t10k-images-idx3-ubyte.gz")));
  const labels = gunzipSync(readFileSync(join(data, "t10k-labels-idx1-ubyte.gz")));
  // A few images keep each case cheap: the header's count is rewritten to match.
  const few = Buffer.concat([images.subarray(0, 16), images.subarray(16, 16 + 4 * 784)]);
  few.writeUInt32BE(4, 4);
  const fewLabels = Buffer.concat([labels.subarray(0, 8), labels.subarray(8, 12)]);
  fewLabels.writeUInt32BE(4, 4);
  const png = encodePng({ width: 28, height: 28, channels: 1, data: new Uint8Array(images.subarray(16, 16 + 784)) });
  // A checkpoint of a small model with SGD momentum-like state, as `lift train` writes them.
  const params = [
    { name: "W", shape: [4, 3] },
    { name: "B", shape: [4] },
  ];
  const tensors: Record<string, Tensor> = {};
  const r = rng(7);
  for (const p of params)
    for (const suffix of ["", ".m", ".s"]) {
      const n = p.shape.reduce((a, b) => a * b, 1);
      tensors[p.name + suffix] = {
        dtype: "F32",
        shape: p.shape,
        data: Float32Array.from({ length: n }, () => r() - 0.5),
      };
    }
  const history = [
    {
      epoch: 1,
      step: 10,
      train_loss: 0.5,
      train_accuracy: 0.8,
      test_loss: 0.6,
      test_accuracy: 0.75,
      curve: [0.9, 0.5],
      window: 5,
    },
  ];
  const metadata = {
    format: "lift-train/1",
    lift_version: "0.1.0",
    model: "m.lift",
    model_sha256: "0".repeat(64),
    epoch: "1",
    global_step: "10",
    seed: "1",
    optimizer: "adam",
    lr: "0.001",
    batch: "8",
    train_images: "80",
    test_images: "20",
    limit_train: "",
    limit_test: "",
    class_names: JSON.stringify(["a", "b", "c", "d"]),
    history: JSON.stringify(history),
  };
  const contract = { file: "m.lift", batchSize: "N", rows: 2, cols: 2, classes: 4, params } as unknown as ModelContract;
  const dir = mkdtempSync(join(tmpdir(), "lift-fuzz-inputs-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return (seeds = {
    programs,
    safetensors: encodeSafetensors(tensors, metadata),
    contract,
    png,
    idx: [few, fewLabels],
    dir,
  });
}

// ---- mutations ----

const INTERESTING32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 1 << 24];

/** One to four byte-level mutations: flips, interesting values, deletions, duplications, insertions, truncation. */
export function mutateBytes(r: Rand, input: Uint8Array): Buffer {
  let b = Buffer.from(input);
  const n = 1 + int(r, 4);
  for (let k = 0; k < n; k++) {
    const at = int(r, Math.max(1, b.length));
    switch (int(r, 8)) {
      case 0:
        if (b.length) b[at] = b[at]! ^ (1 << int(r, 8));
        break;
      case 1:
        if (b.length) b[at] = pick(r, [0, 0xff, 0x7f, 0x80, 0x20, 0x22, 0x5b, 0x7b]);
        break;
      case 2:
        if (b.length >= at + 4) b.writeUInt32BE(pick(r, INTERESTING32), at);
        break;
      case 3: {
        const len = 1 + int(r, 64);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      }
      case 4: {
        const len = 1 + int(r, 64);
        b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
        break;
      }
      case 5: {
        const junk = Buffer.from(Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)));
        b = Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
        break;
      }
      case 6:
        b = b.subarray(0, at);
        break;
      default:
        if (b.length >= at + 8) b.writeBigUInt64LE(BigInt(pick(r, INTERESTING32)) << BigInt(int(r, 32)), at);
        break;
    }
  }
  return b;
}

const JSON_VALUES = [
  "NaN",
  "1e400",
  "-0",
  '"x"',
  "[]",
  "{}",
  "null",
  "true",
  "1.5",
  "-1",
  "[[]]",
  "[1,[2]]",
  '{"shape":[-1],"data":[]}',
  '{"shape":[1e9,1e9],"data":[]}',
  '{"shape":[2],"data":[1,"2"]}',
  '{"shape":"2","data":[1]}',
  '{"shape":[2],"data":{"length":2}}',
  `${"[".repeat(5000)}1${"]".repeat(5000)}`,
  '{"__proto__":{"shape":[1],"data":[1]}}',
  "1e-400",
  "9007199254740993",
];

/** Text mutations aware of JSON's tokens: numbers and values replaced, brackets dropped, keys changed. */
export function mutateJson(r: Rand, text: string): string {
  let t = text;
  const n = 1 + int(r, 2);
  for (let k = 0; k < n; k++) {
    switch (int(r, 5)) {
      case 0: {
        const nums = [...t.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
        if (nums.length) {
          const m = pick(r, nums);
          t = t.slice(0, m.index) + pick(r, JSON_VALUES) + t.slice(m.index! + m[0].length);
        }
        break;
      }
      case 1: {
        const br = [...t.matchAll(/[[\]{},:]/g)];
        if (br.length) {
          const m = pick(r, br);
          t = t.slice(0, m.index) + t.slice(m.index! + 1);
        }
        break;
      }
      case 2: {
        const keys = [...t.matchAll(/"(\w+)"\s*:/g)];
        if (keys.length) {
          const m = pick(r, keys);
          t = t.replace(
            m[0],
            `"${pick(r, ["", "Z", "shape", "data", "__proto__", "constructor", m[1]!.toLowerCase()])}":`,
          );
        }
        break;
      }
      case 3: {
        const vals = [...t.matchAll(/\[[^[\]]*\]/g)];
        if (vals.length) {
          const m = pick(r, vals);
          t =
            t.slice(0, m.index) +
            pick(r, [`[${m[0]}]`, `[${m[0]},${m[0]}]`, "[]", m[0].replace(/,[^,\]]*\]$/, "]")]) +
            t.slice(m.index! + m[0].length);
        }
        break;
      }
      default:
        t = mutateBytes(r, Buffer.from(t)).toString("latin1");
        break;
    }
  }
  return t;
}

/** Re-computes every chunk's CRC, so a mutation inside a chunk reaches the decoder's later checks. */
function fixCrcs(b: Buffer): Buffer {
  let at = 8;
  while (at + 12 <= b.length) {
    const len = b.readUInt32BE(at);
    if (at + 12 + len > b.length) break;
    b.writeUInt32BE(crc32(b.subarray(at + 4, at + 8 + len)), at + 8 + len);
    at += 12 + len;
  }
  return b;
}

// ---- one case ----

const TYPED = (e: unknown) =>
  e instanceof LiftError || e instanceof SafetensorsError || e instanceof PngError || e instanceof IdxError;
/** Messages that show an internal value leaked into the text. */
const NONSENSE =
  /\bundefined\b|\[object Object\]|\bNaN%|Maximum call stack|operation was aborted|[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

export async function runCase(seed: number, i: number): Promise<Outcome & { input: Buffer | string }> {
  const s = loadSeeds();
  const r = rng((seed * 1_000_003 + i) >>> 0);
  const format = FORMATS[i % FORMATS.length]!;
  let input: Buffer | string = "";
  const t0 = performance.now();
  const done = (kind: Outcome["kind"], message: string) => ({
    format,
    kind,
    message,
    ms: performance.now() - t0,
    input,
  });
  try {
    switch (format) {
      case "json": {
        const p = pick(r, s.programs);
        input = mutateJson(r, p.json);
        const prog = load({ name: "p.lift", text: p.src });
        prog.run(parseInputs(input, "in.json"), { dtype: r() < 0.5 ? "f32" : "f64" });
        break;
      }
      case "safetensors":
        input = mutateBytes(r, s.safetensors);
        decodeSafetensors(input, "w.safetensors");
        break;
      case "checkpoint": {
        input = mutateBytes(r, s.safetensors);
        const path = join(s.dir, "ck.safetensors");
        writeFileSync(path, input);
        await readCheckpoint(path, s.contract);
        break;
      }
      case "png": {
        input = mutateBytes(r, s.png);
        if (r() < 0.7) input = fixCrcs(input);
        decodePng(input, "x.png");
        break;
      }
      case "idx": {
        input = mutateBytes(r, pick(r, s.idx));
        const chunk = 1 + int(r, 4096),
          bytes = input;
        await readIdxFrom(
          (async function* () {
            for (let k = 0; k < bytes.length; k += chunk) yield bytes.subarray(k, k + chunk);
          })(),
          "x.idx",
        );
        break;
      }
      case "idx-gz": {
        const base = pick(r, s.idx);
        input = r() < 0.5 ? mutateBytes(r, gzipSync(base)) : gzipSync(mutateBytes(r, base));
        const path = join(s.dir, "x.idx.gz");
        writeFileSync(path, input);
        await readIdx(path);
        break;
      }
    }
    return done("value", "");
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!TYPED(e))
      return done("failure", `${(e as Error)?.name ?? typeof e}: ${message}\n${(e as Error)?.stack ?? ""}`);
    if (NONSENSE.test(message)) return done("failure", `nonsense in a message: ${message}`);
    return done("error", message.split("\n")[0]!);
  }
}
