/**
 * examples/crf on the committed subset: the CRF (Viterbi) beats the same CNN trained without it,
 * the --json line carries the figures, the report shows them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runJsonExample } from "../helpers.js";

test("examples/crf on test/data/fashion-small: the CRF wins by a clear margin; --json and the report agree", () => {
  const report = join(mkdtempSync(join(tmpdir(), "lift-crf-")), "crf.html");
  const j = runJsonExample(join("examples", "crf", "crf.mjs"), [
    "--data",
    join("test", "data", "fashion-small"),
    "--epochs",
    "1",
    "--train-seqs",
    "120",
    "--test-seqs",
    "40",
    "--json",
    "--report",
    report,
  ]);
  assert.equal(j.example, "crf");
  assert.equal(j.train_sequences, 120);
  assert.equal(j.test_sequences, 40);
  assert.ok(j.cnn_accuracy > 0.5, `the CNN learned something: ${j.cnn_accuracy}`);
  assert.ok(j.crf_accuracy >= j.cnn_accuracy + 0.04, `CRF ${j.crf_accuracy} against CNN ${j.cnn_accuracy}`);
  const html = readFileSync(report, "utf8");
  assert.ok(
    html.includes(`${(100 * j.crf_accuracy).toFixed(1)}%`) && html.includes(`${(100 * j.cnn_accuracy).toFixed(1)}%`),
    "the report shows both figures",
  );
  assert.match(html, /<h2>Transitions<\/h2>/);
});
