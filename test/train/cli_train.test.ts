/**
 * `lift train` and `lift predict` as a user runs them: `--resume` reproduces the uninterrupted run
 * bit for bit, and bad inputs give a clear message and exit 1 (faults: cli_faults.test.ts).
 */
import { LENET, SUBSET_DIR } from "./cache.js";
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/program.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { readIdx } from "../../src/train/idx.js";
import { encodePng } from "../../src/train/png.js";
import { checkContract } from "../../src/train/program.js";
import { decodeSafetensors } from "../../src/train/safetensors.js";

const BIN = join(process.cwd(), "bin", "lift.js");
const dir = mkdtempSync(join(tmpdir(), "lift-cli-train-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const lift = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });

const QUICK = ["--data", SUBSET_DIR, "--epochs", "2", "--batch", "32", "--limit-train", "256", "--limit-test", "100"];
const contract = checkContract(load([{ name: LENET, text: readFileSync(LENET, "utf8") }]), LENET);
const TENSORS = contract.params.flatMap((p) => [p.name, `${p.name}.m`, `${p.name}.s`]).sort();

/** Every checkpoint in `out` (temp files excepted) loads, with every tensor. Returns their names. */
async function checkAllLoad(out: string): Promise<string[]> {
  const files = readdirSync(out).filter((f) => f.endsWith(".safetensors") && !f.startsWith("."));
  for (const f of files) {
    const { values, run } = await readCheckpoint(join(out, f), contract);
    assert.deepEqual(Object.keys(values).sort(), TENSORS, f);
    assert.ok(run.epoch >= 1 && run.epoch <= 2, f);
  }
  return files;
}

function assertUserError(r: ReturnType<typeof lift>, pattern: RegExp): void {
  assert.equal(r.status, 1, `exit status 1; stderr:\n${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, "no stack trace");
  assert.equal(r.stdout, "");
}

test("--json prints one JSON object on stdout and nothing else", () => {
  const out = join(dir, "json");
  const r = lift("train", LENET, ...QUICK, "--epochs", "1", "--out", out, "--json");
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1);
  const s = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(s.epochs, 1);
  assert.equal(s.steps, 8);
  assert.equal(s.checkpoint, join(out, "epoch-1.safetensors"));
  assert.ok(typeof s.images_per_s === "number" && s.images_per_s > 0);
  assert.ok(typeof s.test_accuracy === "number" && s.test_accuracy >= 0 && s.test_accuracy <= 1);
  assert.match(r.stderr, /epoch 1\/1: train loss/);
});

test("--resume into another directory is bit-identical and carries the history over", async () => {
  // The uninterrupted run. (Kills at random moments, each resumed: cli_faults.test.ts.)
  const clean = join(dir, "clean");
  const r = lift("train", LENET, ...QUICK, "--out", clean);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual((await checkAllLoad(clean)).sort(), [
    "epoch-1.safetensors",
    "epoch-2.safetensors",
    "last.safetensors",
  ]);

  // Resuming from epoch 1 elsewhere reproduces epoch 2 exactly: the same tensors and the same metadata.
  const resumed = join(dir, "resumed");
  const rr = lift(
    "train",
    LENET,
    "--data",
    SUBSET_DIR,
    "--epochs",
    "2",
    "--resume",
    join(clean, "epoch-1.safetensors"),
    "--out",
    resumed,
    "--json",
  );
  assert.equal(rr.status, 0, rr.stderr);
  assert.equal(JSON.parse(rr.stdout).steps, 16);
  const a = readFileSync(join(clean, "epoch-2.safetensors"));
  const b = readFileSync(join(resumed, "epoch-2.safetensors"));
  const da = decodeSafetensors(a, "clean"),
    db = decodeSafetensors(b, "resumed");
  for (const name of TENSORS)
    assert.ok(Buffer.from(da.tensors[name]!.data.buffer).equals(Buffer.from(db.tensors[name]!.data.buffer)), name);
  assert.ok(a.equals(b), "the whole files are identical");
  assert.ok(
    readFileSync(join(resumed, "history.jsonl")).equals(readFileSync(join(clean, "history.jsonl"))),
    "epoch 1's record came along",
  );
  assert.ok(!existsSync(join(resumed, "epoch-1.safetensors")), "a resumed run starts at the next epoch");

  // Asking for no more epochs than the checkpoint has is a clear error.
  assertUserError(
    lift(
      "train",
      LENET,
      "--data",
      SUBSET_DIR,
      "--epochs",
      "2",
      "--resume",
      join(clean, "epoch-2.safetensors"),
      "--out",
      join(dir, "again"),
    ),
    /epoch-2\.safetensors is at epoch 2 already; ask for more with --epochs/,
  );
});

test("predict: IDX files and PNGs, text and --json", () => {
  const weights = join(dir, "clean", "last.safetensors");
  assert.ok(existsSync(weights), "needs the checkpoint of the previous test");
  const images = join(SUBSET_DIR, "t10k-images-idx3-ubyte.gz");
  const r = lift("predict", LENET, "--weights", weights, images, "--json");
  assert.equal(r.status, 0, r.stderr);
  const preds = (
    JSON.parse(r.stdout) as {
      predictions: { source: string; index: number; class: number; label: string; probability: number }[];
    }
  ).predictions;
  assert.equal(preds.length, 500);
  assert.ok(preds.every((p) => p.probability > 0 && p.probability <= 1 && p.class >= 0 && p.class < 10));
  assert.equal(preds[7]!.index, 7);

  // A PNG of test image 0 gets the same prediction as the IDX file's image 0.
  return readIdx(images).then((idx) => {
    const png = join(dir, "shoe.png");
    writeFileSync(
      png,
      encodePng({ width: 28, height: 28, channels: 1, data: (idx.data as Uint8Array).subarray(0, 784) }),
    );
    const p = lift("predict", LENET, "--weights", weights, png);
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stdout, `${png}: ${preds[0]!.label} (${(100 * preds[0]!.probability).toFixed(1)}%)\n`);
    // Colour PNGs work too; a wrong size is refused with the size the model needs.
    const rgb = join(dir, "rgb.png");
    const gray = (idx.data as Uint8Array).subarray(0, 784);
    writeFileSync(
      rgb,
      encodePng({
        width: 28,
        height: 28,
        channels: 3,
        data: Uint8Array.from({ length: 784 * 3 }, (_, i) => gray[Math.floor(i / 3)]!),
      }),
    );
    const q = lift("predict", LENET, "--weights", weights, rgb, "--json");
    assert.equal(JSON.parse(q.stdout).predictions[0].class, preds[0]!.class);
    const small = join(dir, "small.png");
    writeFileSync(small, encodePng({ width: 14, height: 28, channels: 1, data: new Uint8Array(14 * 28) }));
    assertUserError(
      lift("predict", LENET, "--weights", weights, small),
      /small\.png: the image is 14×28 pixels; .*fashion-lenet\.lift takes 28×28 images/,
    );
  });
});

test("bad inputs: a clear message, exit status 1, no stack trace", () => {
  const out = join(dir, "bad");
  // A missing data set names the directory and the Debian package.
  assertUserError(
    lift("train", LENET, "--data", join(dir, "nowhere"), "--out", out),
    /nowhere: data set directory does not exist\. .*dataset-fashion-mnist/,
  );

  // A corrupt IDX file: truncated gzip, and a bad magic number.
  const corrupt = join(dir, "corrupt");
  mkdirSync(corrupt);
  for (const f of readdirSync(SUBSET_DIR)) copyFileSync(join(SUBSET_DIR, f), join(corrupt, f));
  truncateSync(join(corrupt, "train-images-idx3-ubyte.gz"), 5000);
  assertUserError(
    lift("train", LENET, "--data", corrupt, "--out", out),
    /train-images-idx3-ubyte\.gz: (corrupt gzip data|truncated)/,
  );
  rmSync(join(corrupt, "train-images-idx3-ubyte.gz"));
  writeFileSync(
    join(corrupt, "train-images-idx3-ubyte"),
    Buffer.from([0, 0, 0x08, 0x03, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28]),
  );
  assertUserError(
    lift("train", LENET, "--data", corrupt, "--out", out),
    /train-images-idx3-ubyte: truncated: expected 784 data bytes, got 0/,
  );
  writeFileSync(join(corrupt, "train-images-idx3-ubyte"), Buffer.from([7, 7, 0x08, 0x03]));
  assertUserError(lift("train", LENET, "--data", corrupt, "--out", out), /train-images-idx3-ubyte: bad magic/);

  // A model without a scalar loss.
  const text = readFileSync(LENET, "utf8");
  const noLoss = join(dir, "noloss.lift");
  writeFileSync(
    noLoss,
    text
      .replace(/Loss := \(Scale \* .*\n/, "Loss := (Labels xent Logits)\n")
      .replace("Loss :: (out)", "Loss :: (out N)"),
  );
  // The prelude is found beside the package, wherever the model is.
  assertUserError(
    lift("train", noLoss, "--data", SUBSET_DIR, "--out", out),
    /noloss\.lift:\d+:1: error: Loss must be a scalar output, \(out\), to be differentiated; it is declared \(N\)/,
  );
  const missing = join(dir, "missing.lift");
  writeFileSync(missing, text.replace(/Loss := .*\n/, "").replace("Loss :: (out)\n", ""));
  assertUserError(
    lift("train", missing, "--data", SUBSET_DIR, "--out", out),
    /missing\.lift: the model has no output `Loss` \(a scalar: the training objective\)/,
  );

  // A batch larger than the data set.
  assertUserError(
    lift("train", LENET, "--data", SUBSET_DIR, "--batch", "4000", "--out", out),
    /--batch 4000 is larger than the 2000 training images in .*fashion-small/,
  );

  // Weights from another model: a linear classifier with its own params.
  const linear = join(dir, "linear.lift");
  writeFileSync(
    linear,
    `(use nn)
Images :: (in N 28 28)
Labels :: (in N 10)
Scale :: (in)
W :: (param 10 28 28)
B :: (param 10)
dot2"2 2 := ((reduce 2 +) (x * y))
lin"2 := ((W dot2 y) + B)
Logits := (lin Images)
Loss := (Scale * ((reduce 1 +) (Labels xent Logits)))
Logits :: (out N 10)
Loss :: (out)
`,
  );
  const lin = join(dir, "linear-run");
  const tr = lift(
    "train",
    linear,
    "--data",
    SUBSET_DIR,
    "--epochs",
    "1",
    "--batch",
    "50",
    "--limit-train",
    "200",
    "--limit-test",
    "100",
    "--optimizer",
    "sgd",
    "--out",
    lin,
    "--json",
  );
  assert.equal(tr.status, 0, tr.stderr);
  const foreign = join(lin, "epoch-1.safetensors");
  assertUserError(
    lift("predict", LENET, "--weights", foreign, join(SUBSET_DIR, "t10k-images-idx3-ubyte.gz")),
    /epoch-1\.safetensors does not hold the weights of .*fashion-lenet\.lift \(it was written for linear\.lift\): no tensor `K1`;.* `W` is \(10 28 28\), the model declares \(10 16 7 7\)/,
  );
  assertUserError(
    lift("train", LENET, "--data", SUBSET_DIR, "--resume", foreign, "--out", out),
    /does not hold the weights of .*fashion-lenet\.lift/,
  );
  // Not a safetensors file at all.
  assertUserError(
    lift("predict", LENET, "--weights", LENET, join(SUBSET_DIR, "t10k-images-idx3-ubyte.gz")),
    /fashion-lenet\.lift: not a valid safetensors file/,
  );
  // Resuming with another optimizer than the checkpoint's.
  assertUserError(
    lift(
      "train",
      linear,
      "--data",
      SUBSET_DIR,
      "--resume",
      foreign,
      "--optimizer",
      "adam",
      "--epochs",
      "2",
      "--out",
      out,
    ),
    /was trained with --optimizer sgd; resuming with adam is not possible/,
  );
  // Usage errors exit 2.
  assert.equal(lift("train", LENET, "--optimizer", "rmsprop").status, 2);
  assert.equal(lift("train", LENET, "--batch", "sixty").status, 2);
  assert.equal(lift("predict", LENET, "x.png").status, 2);
});
