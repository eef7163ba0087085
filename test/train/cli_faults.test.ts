/**
 * `lift train` and `lift predict` under faults, as a user meets them (issue 11): 20 SIGKILLs at
 * random moments, each resumed, end with the weights of a run that never stopped; Ctrl-C saves a
 * checkpoint and prints the command that resumes it; a second run into a busy or used directory is
 * refused; a closed pipe does not stop training; bad flags, empty data sets, NaN weights and a PNG
 * bomb get one clear message and no stack trace.
 */
import { LENET, SUBSET_DIR } from "./cache.js";
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { load } from "../../src/api/program.js";
import { writeIdx } from "../../src/train/idx.js";
import { crc32, encodePng } from "../../src/train/png.js";
import { checkContract } from "../../src/train/program.js";
import { decodeSafetensors, encodeSafetensors } from "../../src/train/safetensors.js";
import { loadData, train } from "../../src/train/trainer.js";
import { main } from "../../src/cli/main.js";
import { shellQuote } from "../../src/cli/train.js";

// One thread per run: the machine's cores are shared, and oversubscribed OpenMP barriers make a
// tiny step take 100 times longer. The figures do not depend on it (no parallel loop splits a sum).
process.env.OMP_NUM_THREADS = "1";
const BIN = join(process.cwd(), "bin", "lift.js");
const dir = mkdtempSync(join(tmpdir(), "lift-cli-faults-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const lift = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
const data = await loadData(SUBSET_DIR);
const contract = checkContract(load([{ name: LENET, text: readFileSync(LENET, "utf8") }]), LENET);
const hex = (v: Record<string, Float32Array>) =>
  Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("hex")]),
  );

function assertFails(r: ReturnType<typeof lift>, status: number, message: string | RegExp): void {
  assert.equal(r.status, status, `exit status ${status}; stderr:\n${r.stderr}`);
  if (typeof message === "string")
    assert.ok(r.stderr.includes(message), `stderr has ${JSON.stringify(message)}:\n${r.stderr}`);
  else assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, "no stack trace");
}

/** Resolves with the child's stderr so far once it contains `text`. */
function waitFor(child: ReturnType<typeof spawn>, text: string): Promise<string> {
  let seen = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) resolve(seen);
    });
    child.on("exit", () => reject(new Error(`exited before printing ${JSON.stringify(text)}:\n${seen}`)));
  });
}

test("20 SIGKILLs at random moments, each resumed from what was left: the weights of a run that never stopped", async (t) => {
  // Tiny epochs (4 steps of 16 images), many of them, so the kills land in every phase:
  // start-up, steps, evaluation, history appends, checkpoint and report writes.
  const SETTINGS = [
    "--data",
    SUBSET_DIR,
    "--epochs",
    "40",
    "--batch",
    "16",
    "--limit-train",
    "64",
    "--limit-test",
    "20",
  ];
  const clean = await train({
    model: LENET,
    data,
    dataDir: SUBSET_DIR,
    epochs: 40,
    batch: 16,
    limitTrain: 64,
    limitTest: 20,
    checkpoints: false,
    report: false,
    stderr: null,
  });
  const out = join(dir, "killed");
  // A kill between epoch-K and last.safetensors leaves epoch-K the newest: the refusal's hint names it too.
  const newest = (d: string) => {
    if (!existsSync(d)) return [];
    if (existsSync(join(d, "last.safetensors"))) return ["--resume", join(d, "last.safetensors")];
    const k = Math.max(
      0,
      ...readdirSync(d)
        .filter((n) => /^epoch-\d+\.safetensors$/.test(n))
        .map((n) => Number(n.slice(6, -12))),
    );
    return k > 0 ? ["--resume", join(d, `epoch-${k}.safetensors`)] : [];
  };
  let kills = 0,
    resumes = 0,
    staleNotes = 0,
    beforeTraining = 0;
  // Measured on the way, so that the kills spread over phases whatever the machine's speed.
  let startup = 500,
    epochMs = 100;
  while (kills < 20) {
    const args = newest(out);
    if (args.length) resumes++;
    const launched = performance.now();
    const child = spawn(process.execPath, [BIN, "train", LENET, ...SETTINGS, "--out", out, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.on("exit", (code, signal) => resolve([code, signal])),
    );
    const kill = () => child.kill("SIGKILL");
    // A third of the kills at any moment of the start-up, the others within the first epoch and a half of training.
    const early = kills % 3 === 0;
    const timer = early ? setTimeout(kill, Math.random() * startup) : undefined;
    let trainingSince = 0,
      lastEpochLine = 0;
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      const now = performance.now();
      if (!trainingSince && stderr.includes("steps an epoch")) {
        trainingSince = now;
        startup = now - launched;
        if (!early) setTimeout(kill, Math.random() * 1.5 * epochMs);
      }
      if (/^epoch \d+\/40:/m.test(d.toString())) {
        if (lastEpochLine) epochMs = now - lastEpochLine;
        else epochMs = Math.max(epochMs, now - trainingSince);
        lastEpochLine = now;
      }
    });
    const [code, signal] = await exited;
    clearTimeout(timer);
    if (trainingSince && !lastEpochLine) epochMs = Math.min(2000, epochMs * 1.5); // killed inside its first epoch: epochs take longer than thought
    if (stderr.includes("was left by a run that no longer exists")) staleNotes++;
    if (!stderr.includes("steps an epoch")) beforeTraining++;
    if (signal === "SIGKILL") kills++;
    else assert.fail(`a run ended by itself (status ${code}) before its kill:\n${stderr}`);
    // Whatever is left loads: no half-written checkpoint, ever.
    for (const f of (existsSync(out) ? readdirSync(out) : []).filter(
      (n) => n.endsWith(".safetensors") && !n.startsWith("."),
    ))
      await readCheckpoint(join(out, f), contract);
  }
  const final = spawnSync(process.execPath, [BIN, "train", LENET, ...SETTINGS, "--out", out, ...newest(out)], {
    encoding: "utf8",
  });
  assert.equal(final.status, 0, final.stderr);
  const done = await readCheckpoint(join(out, "epoch-40.safetensors"), contract);
  assert.equal(done.run.global_step, 160);
  assert.deepEqual(hex(done.values), hex(clean.values), "bit-identical weights and optimizer state");
  const history = readFileSync(join(out, "history.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(history, clean.history, "the history, every epoch once, as the clean run's");
  assert.ok(staleNotes > 0, "a killed run's lock was recognised as stale");
  t.diagnostic(
    `${kills} kills (${beforeTraining} before training began), ${resumes} runs resumed a checkpoint, ${staleNotes} took over a stale lock; the last run resumed at ${final.stderr.match(/from (epoch \d+|step \d+ of epoch \d+)/)?.[1] ?? "the start"}`,
  );
});

test("Ctrl-C: the current step finishes, a checkpoint is saved, the printed command resumes it to the same bits", async () => {
  const SETTINGS = [
    "--data",
    SUBSET_DIR,
    "--epochs",
    "3",
    "--batch",
    "16",
    "--limit-train",
    "320",
    "--limit-test",
    "20",
  ];
  const cleanOut = join(dir, "ctrlc-clean");
  await train({
    model: LENET,
    data,
    dataDir: SUBSET_DIR,
    epochs: 3,
    batch: 16,
    limitTrain: 320,
    limitTest: 20,
    outDir: cleanOut,
    stderr: null,
  });
  const out = join(dir, "ctrlc");
  const child = spawn(process.execPath, [BIN, "train", LENET, ...SETTINGS, "--out", out], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  await waitFor(child, "steps an epoch");

  // While it holds the directory (stopped, so that it cannot finish meanwhile), a second run is refused, naming it.
  child.kill("SIGSTOP");
  assertFails(
    lift("train", LENET, ...SETTINGS, "--out", out),
    1,
    `${out} is in use by another \`lift train\` (pid ${child.pid}, started `,
  );
  child.kill("SIGCONT");
  await new Promise((r) => setTimeout(r, 100));
  child.kill("SIGINT");
  assert.equal(await exited, 130, stderr);
  assert.match(
    stderr,
    /SIGINT: finishing the current step, then saving a checkpoint to resume from \(Ctrl-C again aborts at once\)/,
  );
  const m =
    /stopped by SIGINT (at step \d+\/20 of epoch [123] \(global step \d+\)|after epoch [12]); saved (.*)\nresume with:\n {2}(.*)\n/.exec(
      stderr,
    );
  assert.ok(m, stderr);
  assert.equal(m[2], join(out, "last.safetensors"));
  assert.equal(m[3], `lift train ${LENET} --resume ${join(out, "last.safetensors")} --epochs 3 --data ${SUBSET_DIR}`);
  assert.ok(!existsSync(join(out, "train.lock")), "the lock is released");

  // A plain re-run is refused (it would replace the run); the printed command continues it.
  assertFails(lift("train", LENET, ...SETTINGS, "--out", out), 1, `${out} already holds another run (last.safetensors`);
  const words = m[3]!.split(" ");
  const resumed = lift(...words.slice(1));
  assert.equal(resumed.status, 0, resumed.stderr);
  for (const f of ["epoch-3.safetensors", "history.jsonl"])
    assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(cleanOut, f))), `${f}: byte for byte`);
  // --overwrite starts over: the old run's files are gone, the new run's are written.
  const over = lift("train", LENET, ...SETTINGS, "--epochs", "1", "--out", out, "--overwrite");
  assert.equal(over.status, 0, over.stderr);
  assert.match(
    over.stderr,
    /note: --overwrite: deleted the previous run in .*ctrlc \(last\.safetensors, 3 epoch checkpoints\)/,
  );
  assert.deepEqual(readdirSync(out).sort(), [
    "epoch-1.safetensors",
    "history.jsonl",
    "last.safetensors",
    "report.html",
  ]);
});

test("`lift train … 2>&1 | head -3`: training goes on to its last epoch, quietly, and exits 0", () => {
  const out = join(dir, "pipe");
  const cmd = `"${process.execPath}" "${BIN}" train "${LENET}" --data "${SUBSET_DIR}" --epochs 6 --batch 16 --limit-train 64 --limit-test 20 --out "${out}" 2>&1 | head -3; echo "status \${PIPESTATUS[0]}"`;
  const r = spawnSync("bash", ["-c", cmd], { encoding: "utf8" });
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 4, r.stdout);
  assert.match(lines[0]!, /^compiling the adam training step/);
  assert.equal(lines[3], "status 0");
  const meta = decodeSafetensors(readFileSync(join(out, "last.safetensors")), "last").metadata;
  assert.equal(meta.epoch, "6", "all six epochs were trained and saved");
  assert.equal(readFileSync(join(out, "history.jsonl"), "utf8").trim().split("\n").length, 6);
});

/** Runs the CLI in this process (flags fail before anything is loaded): the exit status and stderr. */
async function liftHere(...args: string[]): Promise<{ status: number; stderr: string; stdout: string }> {
  let stderr = "";
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => {
    stderr += s;
    return true;
  }) as typeof write;
  try {
    return { status: await main(args), stderr, stdout: "" };
  } finally {
    process.stderr.write = write;
  }
}

test("flags are strict decimal numbers with their range, negative values included", async () => {
  const cases: [string[], string][] = [
    [["--epochs", "-1"], "--epochs needs a whole number ≥ 1, not `-1`"],
    [["--epochs", "0x10"], "--epochs needs a whole number ≥ 1, not `0x10`"],
    [["--batch", "1e2"], "--batch needs a whole number ≥ 1, not `1e2`"],
    [["--lr", "0x1"], "--lr needs a decimal number > 0, not `0x1`"],
    [["--lr", "-0.5"], "--lr needs a decimal number > 0, not `-0.5`"],
    [["--seed=-4"], "--seed needs a whole number ≥ 0, not `-4`"],
    [["--limit-train", " 5"], "--limit-train needs a whole number ≥ 1, not ` 5`"],
  ];
  for (const [args, message] of cases)
    assertFails((await liftHere("train", LENET, ...args)) as ReturnType<typeof lift>, 2, `lift train: ${message}\n`);
  // The printed resume command quotes what a shell would split or expand.
  assert.equal(shellQuote("runs/a-b_c.d/last.safetensors"), "runs/a-b_c.d/last.safetensors");
  assert.equal(shellQuote("my runs/it's $HOME"), `'my runs/it'\\''s $HOME'`);
});

test("empty data sets, NaN weights, empty IDX files and PNG bombs: one message each", async () => {
  // An empty training set, then an empty test set.
  const empty = join(dir, "empty");
  mkdirSync(empty);
  const src = await loadData(SUBSET_DIR);
  const bytes = (f: Float32Array) => Uint8Array.from(f, (v) => Math.round(v * 255));
  const write = (split: "train" | "t10k", count: number, s: typeof src.train) =>
    Promise.all([
      writeIdx(
        join(empty, `${split}-images-idx3-ubyte`),
        "ubyte",
        [count, 28, 28],
        bytes(s.images.subarray(0, count * 784)),
      ),
      writeIdx(join(empty, `${split}-labels-idx1-ubyte`), "ubyte", [count], s.labels.slice(0, count)),
    ]);
  await write("train", 20, src.train);
  await write("t10k", 0, src.test);
  assertFails(
    lift("train", LENET, "--data", empty, "--batch", "10", "--out", join(dir, "e2")),
    1,
    `error: the test set in ${empty} is empty (0 images)`,
  );

  // Weights with a NaN: refused, naming the tensor (not "T-shirt/top (NaN%)").
  const good = join(dir, "ctrlc-clean", "epoch-2.safetensors");
  assert.ok(existsSync(good), "needs the Ctrl-C test's clean run");
  const f = decodeSafetensors(readFileSync(good), "good");
  (f.tensors.B!.data as Float32Array)[7] = NaN;
  const nan = join(dir, "nan.safetensors");
  writeFileSync(nan, encodeSafetensors(f.tensors, f.metadata));
  const images = join(SUBSET_DIR, "t10k-images-idx3-ubyte.gz");
  assertFails(
    lift("predict", LENET, "--weights", nan, images),
    1,
    `error: ${nan}: tensor \`B\` holds NaN at index 7 (of 10), so it cannot be used to predict`,
  );

  // An IDX file with no images.
  assertFails(
    lift("predict", LENET, "--weights", good, join(empty, "t10k-images-idx3-ubyte")),
    1,
    `error: ${join(empty, "t10k-images-idx3-ubyte")}: the file holds no images (its count is 0)`,
  );

  // A 16 KiB PNG whose 28×28 image data inflates to 16 MiB: stopped at the 812 bytes the header declares.
  const png = encodePng({ width: 28, height: 28, channels: 1, data: new Uint8Array(784) });
  const z = deflateSync(Buffer.alloc(16 << 20));
  const idat = Buffer.alloc(12 + z.length);
  idat.writeUInt32BE(z.length, 0);
  idat.write("IDAT", 4, "latin1");
  z.copy(idat, 8);
  idat.writeUInt32BE(crc32(idat.subarray(4, 8 + z.length)), 8 + z.length);
  const at = 8 + 25; // signature, IHDR
  const bomb = join(dir, "bomb.png");
  writeFileSync(bomb, Buffer.concat([png.subarray(0, at), idat, png.subarray(at + 12 + png.readUInt32BE(at))]));
  assertFails(
    lift("predict", LENET, "--weights", good, bomb),
    1,
    `error: ${bomb}: the image data inflates to more than the 812 bytes that 28×28 grayscale needs`,
  );
});
