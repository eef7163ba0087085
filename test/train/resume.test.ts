/**
 * Stopping and resuming through the API: a stop mid-epoch (AbortSignal, and a real SIGTERM)
 * resumes to the same bits as a run that never stopped; checkpoints do not grow with the epoch;
 * resume metadata is checked field by field; old checkpoints with the history inside still load;
 * the model-level messages of issue 11 (an unused param, empty data sets).
 */
import { LENET, SUBSET_DIR } from "./cache.js";
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "../../src/api/program.js";
import { LiftError } from "../../src/lang/diagnostics.js";
import { readPredictWeights } from "../../src/train/checkpoint.js";
import { trapSignals } from "../../src/train/interrupt.js";
import { checkContract } from "../../src/train/program.js";
import { decodeSafetensors, encodeSafetensors } from "../../src/train/safetensors.js";
import { loadData, train, type TrainOptions, type TrainResult } from "../../src/train/trainer.js";

const dir = mkdtempSync(join(tmpdir(), "lift-resume-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = await loadData(SUBSET_DIR);
const text = readFileSync(LENET, "utf8");
const contract = checkContract(load([{ name: LENET, text }]), LENET);
/** 6 steps an epoch, 3 epochs. */
const BASE: TrainOptions = {
  model: LENET,
  data,
  dataDir: SUBSET_DIR,
  epochs: 3,
  batch: 16,
  limitTrain: 96,
  limitTest: 20,
  stderr: null,
};
const hex = (v: Record<string, Float32Array>) =>
  Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("hex")]),
  );

const clean = await train({ ...BASE, outDir: join(dir, "clean") });

/** A sink that calls `at` once the progress line of global step `step` is written (progress every step). */
const atStep = (step: number, at: () => void) => ({
  stderr: {
    write: (s: string) => {
      if (s.includes(`  step ${step}  `)) at();
    },
  },
  progressInterval: 0,
});

function assertSameRun(r: TrainResult, what: string): void {
  assert.equal(r.interrupted, null, what);
  assert.equal(r.steps, 18, what);
  assert.deepEqual(hex(r.values), hex(clean.values), `${what}: the weights and optimizer state, bit for bit`);
  assert.deepEqual(r.history, clean.history, `${what}: the history, curves included`);
}

test("a stop mid-epoch saves last.safetensors there; --resume gives the uninterrupted run's bits", async () => {
  const out = join(dir, "stopped");
  const stop = new AbortController();
  const r = await train({ ...BASE, outDir: out, stop: stop.signal, ...atStep(8, () => stop.abort("test")) });
  assert.deepEqual(r.interrupted, {
    reason: "test",
    checkpoint: join(out, "last.safetensors"),
    epoch: 2,
    step_in_epoch: 2,
    steps_per_epoch: 6,
    global_step: 8,
  });
  const meta = decodeSafetensors(readFileSync(join(out, "last.safetensors")), "last").metadata;
  assert.equal(meta.epoch, "1");
  assert.equal(meta.global_step, "8");
  assert.equal(JSON.parse(meta.epoch_progress!).step, 2);
  const resumed = await train({
    ...BASE,
    resume: join(out, "last.safetensors"),
    limitTrain: undefined,
    batch: undefined,
    limitTest: undefined,
  });
  assertSameRun(resumed, "resumed mid-epoch");
  assert.equal(resumed.out_dir, out, "a resumed run writes beside its checkpoint by default");
  // The same files as the run that never stopped, history included.
  for (const f of ["epoch-3.safetensors", "history.jsonl"])
    assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(dir, "clean", f))), f);
});

test("checkpoints hold no history, so their size does not grow with the epoch", () => {
  const sizes = [1, 2, 3].map((e) => statSync(join(dir, "clean", `epoch-${e}.safetensors`)).size);
  assert.equal(new Set(sizes).size, 1, `sizes ${sizes}`);
  const meta = decodeSafetensors(readFileSync(join(dir, "clean", "epoch-3.safetensors")), "e3").metadata;
  assert.equal(meta.format, "lift-train/2");
  assert.equal(meta.history, undefined);
  assert.equal(
    readFileSync(join(dir, "clean", "history.jsonl"), "utf8")
      .trim()
      .split("\n").length,
    3,
  );
});

test("a real SIGTERM mid-epoch stops after the step with a checkpoint; resuming matches", async () => {
  const out = join(dir, "sigterm");
  const notes: string[] = [];
  const sink = atStep(4, () => process.kill(process.pid, "SIGTERM"));
  const r = await train({
    ...BASE,
    outDir: out,
    handleSignals: true,
    progressInterval: 0,
    stderr: {
      write: (s: string) => {
        notes.push(s);
        sink.stderr.write(s);
      },
    },
  });
  assert.equal(r.interrupted?.reason, "SIGTERM");
  assert.equal(r.interrupted?.epoch, 1);
  assert.ok(
    r.interrupted!.step_in_epoch >= 4 && r.interrupted!.step_in_epoch < 6,
    `stopped at step ${r.interrupted!.step_in_epoch} of epoch 1`,
  );
  assert.ok(
    notes.some((l) =>
      l.includes(
        "SIGTERM: finishing the current step, then saving a checkpoint to resume from (SIGTERM again aborts at once)",
      ),
    ),
  );
  assert.equal(process.listenerCount("SIGTERM"), 0, "the handlers are removed after the run");
  assertSameRun(await train({ ...BASE, resume: join(out, "last.safetensors") }), "resumed after SIGTERM");
});

test("a second signal aborts at once: the lock is released and the exit code is 128 + the signal", () => {
  const calls: string[] = [];
  const trap = trapSignals({
    note: (l) => calls.push(l),
    onAbort: () => calls.push("abort"),
    exit: (code) => calls.push(`exit ${code}`),
  });
  try {
    process.emit("SIGINT", "SIGINT");
    assert.equal(trap.signal.reason, "SIGINT");
    assert.deepEqual(calls.slice(1), []);
    process.emit("SIGINT", "SIGINT");
    assert.deepEqual(calls.slice(1), [
      "SIGINT again: aborted without saving; the last checkpoint written stays resumable",
      "abort",
      "exit 130",
    ]);
  } finally {
    trap.dispose();
  }
  const t2 = trapSignals({ note: () => {}, exit: (code) => calls.push(`exit ${code}`) });
  process.emit("SIGTERM", "SIGTERM");
  process.emit("SIGTERM", "SIGTERM");
  t2.dispose();
  assert.equal(calls.at(-1), "exit 143");
});

/** A copy of clean's epoch-2 checkpoint with some metadata replaced (or removed, for null). */
function edited(
  name: string,
  changes: Record<string, string | null>,
  tensors?: (t: ReturnType<typeof decodeSafetensors>["tensors"]) => void,
): string {
  const f = decodeSafetensors(readFileSync(join(dir, "clean", "epoch-2.safetensors")), "e2");
  const meta = { ...f.metadata };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete meta[k];
    else meta[k] = v;
  }
  tensors?.(f.tensors);
  const d = join(dir, `edited-${name}`);
  mkdirSync(d, { recursive: true });
  const path = join(d, "epoch-2.safetensors");
  writeFileSync(path, encodeSafetensors(f.tensors, meta));
  return path;
}

test("hand-edited resume metadata: each field refused by name, before anything is trained", async () => {
  const cases: [Record<string, string | null>, string][] = [
    [{ epoch: "-3" }, 'metadata `epoch` is "-3": expected a whole number ≥ 1'],
    [{ batch: "0" }, 'metadata `batch` is "0": expected a whole number ≥ 1'],
    [{ class_names: "null" }, 'metadata `class_names` is "null": expected a JSON list of class names (strings)'],
    [{ format: "lift-train/1", history: "5" }, 'metadata `history` is "5": expected a JSON list of epoch records'],
    [{ format: "lift-train/1" }, "metadata `history` is missing: expected a JSON list of epoch records"],
    [{ global_step: "12.5" }, 'metadata `global_step` is "12.5": expected a whole number ≥ 1'],
    [{ global_step: "1" }, 'metadata `global_step` is "1": expected at least one step per finished epoch (epoch is 2)'],
    [{ seed: "0x10" }, 'metadata `seed` is "0x10": expected a whole number ≥ 0'],
    [{ lr: "Infinity" }, 'metadata `lr` is "Infinity": expected a positive number'],
    [{ optimizer: "rmsprop" }, 'metadata `optimizer` is "rmsprop": expected one of adam, sgd, adadelta'],
    [{ limit_train: "-1" }, 'metadata `limit_train` is "-1": expected a whole number ≥ 1'],
    [
      { epoch_progress: '{"step":3}' },
      'metadata `epoch_progress` is "{\\"step\\":3}": expected the running figures of the interrupted epoch',
    ],
    [{ model_sha256: null }, "metadata `model_sha256` is missing: expected the SHA-256 of the model text, in hex"],
    [{ format: null }, "not a checkpoint of `lift train` (metadata `format` is missing)"],
  ];
  for (const [i, [change, message]] of cases.entries()) {
    const path = edited(String(i), change);
    await assert.rejects(train({ ...BASE, epochs: 5, resume: path }), (e: LiftError) => {
      assert.equal(e.message, `${path}: ${message}`, JSON.stringify(change));
      return true;
    });
  }
});

test("NaN in a checkpoint is refused for resume and predict, naming the tensor", async () => {
  const path = edited("nan", {}, (t) => {
    (t.K1!.data as Float32Array)[3] = NaN;
    (t["W.s"]!.data as Float32Array)[0] = Infinity;
  });
  await assert.rejects(
    train({ ...BASE, resume: path }),
    (e: LiftError) =>
      e.message === `${path}: tensor \`K1\` holds NaN at index 3 (of 200), so it cannot be used to resume` &&
      /use an earlier checkpoint/.test(e.hint ?? ""),
  );
  await assert.rejects(
    readPredictWeights(path, contract),
    new RegExp(`tensor \`K1\` holds NaN at index 3 \\(of 200\\), so it cannot be used to predict`),
  );
  const state = edited("inf", {}, (t) => {
    (t["W.s"]!.data as Float32Array)[5] = -Infinity;
  });
  await assert.rejects(
    train({ ...BASE, resume: state }),
    /tensor `W\.s` holds -Infinity at index 5 \(of 7840\), so it cannot be used to resume/,
  );
  await readPredictWeights(state, contract); // predict needs only the params
});

test("a lift-train/1 checkpoint (history inside) resumes with that history; predict loads plain weights", async () => {
  const path = edited("legacy", { format: "lift-train/1", history: JSON.stringify(clean.history.slice(0, 2)) });
  const r = await train({ ...BASE, resume: path });
  assertSameRun(r, "resumed from a /1 checkpoint");
  assert.deepEqual(
    Object.keys((await readPredictWeights(path, contract)).tensors).length,
    18,
    "predict loads a /1 checkpoint",
  );
  // Tensors and no metadata at all (a C driver's output): enough for predict.
  const f = decodeSafetensors(readFileSync(path), "p");
  const params = Object.fromEntries(contract.params.map((p) => [p.name, f.tensors[p.name]!]));
  const bare = join(dir, "bare.safetensors");
  writeFileSync(bare, encodeSafetensors(params));
  const w = await readPredictWeights(bare, contract);
  assert.deepEqual(Object.keys(w.tensors).sort(), contract.params.map((p) => p.name).sort());
});

test("resuming with another model text or batch says which settings differ, in plain words", async () => {
  const model = join(dir, "fashion-lenet.lift");
  writeFileSync(model, text + "\n; a comment changes the text\n");
  const ck = join(dir, "changed");
  mkdirSync(ck);
  copyFileSync(join(dir, "clean", "epoch-2.safetensors"), join(ck, "epoch-2.safetensors"));
  const lines: string[] = [];
  await train({
    ...BASE,
    model,
    resume: join(ck, "epoch-2.safetensors"),
    batch: 32,
    stderr: { write: (s: string) => lines.push(s) },
  });
  assert.ok(
    lines.includes(
      "warning: resuming with settings that differ from the checkpoint's: --batch 32 (was 16), the model's text (it has changed since fashion-lenet.lift was saved); the run will differ from one that never stopped\n",
    ),
    lines.join(""),
  );
  assert.ok(!lines.join("").includes("different the"));
});

test("a param the loss does not use is reported at its own line in the model", async () => {
  const name = join(dir, "unused.lift");
  const unused = text.replace("B :: (param 10)\n", "B :: (param 10)\nU :: (param 3)\n");
  const line = unused.split("\n").indexOf("U :: (param 3)") + 1;
  await assert.rejects(train({ ...BASE, model: { name, text: unused } }), (e: LiftError) => {
    assert.equal(e.message, "param `U` is not used by `Loss`, so it has no gradient and cannot be trained");
    assert.deepEqual(e.location, { file: name, line, col: 1 });
    assert.match(e.format(), new RegExp(`^${name}:${line}:1: error: param \`U\``));
    assert.doesNotMatch(e.format(), /generated/);
    return true;
  });
});

test("empty training or test sets are refused, without a --batch hint", async () => {
  const none = { ...data.train, count: 0, images: new Float32Array(0), labels: new Uint8Array(0) };
  await assert.rejects(
    train({ ...BASE, data: { train: none, test: data.test }, checkpoints: false, report: false }),
    (e: LiftError) => {
      assert.equal(e.message, `the training set in ${SUBSET_DIR} is empty (0 images)`);
      assert.equal(e.hint, "nothing to train on: check --data");
      return true;
    },
  );
  await assert.rejects(
    train({ ...BASE, data: { train: data.train, test: { ...none } }, checkpoints: false, report: false }),
    new RegExp(`the test set in ${SUBSET_DIR} is empty \\(0 images\\)`),
  );
});
