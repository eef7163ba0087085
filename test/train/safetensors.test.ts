import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
  type Tensor,
} from "../../src/train/safetensors.js";

const dir = mkdtempSync(join(tmpdir(), "lift-st-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: "F32", shape, data: Float32Array.from(values) });
const f64 = (shape: number[], values: number[]): Tensor => ({ dtype: "F64", shape, data: Float64Array.from(values) });

/** A file as raw parts: the header JSON text (unpadded, unvalidated) and data bytes. */
function rawFile(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), lengthField?: bigint): Buffer {
  const headerBytes = typeof header === "string" ? Buffer.from(header) : header;
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthField ?? BigInt(headerBytes.length));
  return Buffer.concat([len, headerBytes, data]);
}

const floatBytes = (values: number[]) => Buffer.from(Float32Array.from(values).buffer);

test("safetensors round trip with metadata and several dtypes", () => {
  const tensors: Record<string, Tensor> = {
    "layer.0.weight": f32([2, 3], [1, -2, 3.5, 0, Math.fround(0.1), -Infinity]),
    "layer.0.bias": f64([3], [Math.PI, -0, 1e300]),
    scalar: f32([], [42]),
    empty: f32([0, 4], []),
    steps: { dtype: "I64", shape: [2], data: BigInt64Array.from([-1n, 2n ** 62n]) },
    mask: { dtype: "BOOL", shape: [3], data: Uint8Array.from([1, 0, 1]) },
    half: { dtype: "F16", shape: [1], data: Uint16Array.from([0x3c00]) },
  };
  const metadata = { format: "pt", step: "17" };
  const back = decodeSafetensors(encodeSafetensors(tensors, metadata), "mem");
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(back.tensors, tensors);
});

// Byte-exact outputs from the reference implementation's own unit tests.
test("safetensors output matches the reference implementation byte for byte", () => {
  const data = floatBytes([0, 1, 2, 3, 4, 5]);
  const header64 = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(header64.length, 64);
  assert.ok(encodeSafetensors({ "attn.0": f32([1, 2, 3], [0, 1, 2, 3, 4, 5]) }).equals(rawFile(header64, data)));

  const header65 = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
  const padded = rawFile(`${header65}       `, data);
  assert.ok(encodeSafetensors({ attn0: f32([1, 1, 2, 3], [0, 1, 2, 3, 4, 5]) }).equals(padded));

  assert.ok(encodeSafetensors({}).equals(rawFile("{}      ")));
  const withMeta = rawFile('{"__metadata__":{"framework":"pt"}}     ');
  assert.ok(encodeSafetensors({}, { framework: "pt" }).equals(withMeta));
});

test("safetensors header is space-padded to a multiple of 8 for every name length", () => {
  for (let len = 1; len <= 16; len++) {
    const buf = encodeSafetensors({ ["x".repeat(len)]: f32([1], [1]) });
    const n = Number(buf.readBigUInt64LE(0));
    assert.equal((8 + n) % 8, 0, `name length ${len}`);
    const text = buf.subarray(8, 8 + n).toString();
    const json = text.trimEnd();
    assert.ok(json.endsWith("}"));
    assert.match(text.slice(json.length), /^ {0,7}$/);
  }
});

test("safetensors lays out tensors by descending dtype alignment, then by name", () => {
  const buf = encodeSafetensors({
    b: f32([1], [2]),
    "10": f32([1], [3]),
    a: f32([2], [0, 1]),
    "2": f32([1], [4]),
    d: f64([1], [5]),
  });
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString());
  // Key order in the header text itself, which JSON.parse would hide for integer-like names.
  const textOrder = [
    ...buf
      .subarray(8, 8 + n)
      .toString()
      .matchAll(/"([^"]+)":\{"dtype"/g),
  ].map((m) => m[1]);
  assert.deepEqual(textOrder, ["d", "10", "2", "a", "b"]);
  assert.deepEqual(header.d.data_offsets, [0, 8]);
  assert.deepEqual(header["10"].data_offsets, [8, 12]);
  assert.deepEqual(header["2"].data_offsets, [12, 16]);
  assert.deepEqual(header.a.data_offsets, [16, 24]);
  assert.deepEqual(header.b.data_offsets, [24, 28]);
});

// Reads the file with nothing but the format description, to check the writer's layout independently of the reader.
test("safetensors file from the writer parses with an independent mini-parser", async () => {
  const path = join(dir, "model.safetensors");
  await writeSafetensors(path, { w: f32([2, 2], [1.5, -2, 3, 4]), b: f64([2], [0.25, -8]) }, { epoch: "3" });
  const bytes = await readFile(path);
  let n = 0;
  for (let i = 7; i >= 0; i--) n = n * 256 + bytes[i]!;
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8"));
  assert.deepEqual(header.__metadata__, { epoch: "3" });
  assert.deepEqual(header.b, { dtype: "F64", shape: [2], data_offsets: [0, 16] });
  assert.deepEqual(header.w, { dtype: "F32", shape: [2, 2], data_offsets: [16, 32] });
  assert.equal(bytes.length, 8 + n + 32);
  const data = new DataView(bytes.buffer, bytes.byteOffset + 8 + n);
  assert.deepEqual([data.getFloat64(0, true), data.getFloat64(8, true)], [0.25, -8]);
  assert.deepEqual(
    [16, 20, 24, 28].map((o) => data.getFloat32(o, true)),
    [1.5, -2, 3, 4],
  );
  assert.equal((8 + n) % 8, 0);

  const back = await readSafetensors(path);
  assert.deepEqual(back.tensors.w!.data, Float32Array.from([1.5, -2, 3, 4]));
});

function assertBad(buf: Uint8Array, problem: RegExp): void {
  assert.throws(
    () => decodeSafetensors(buf, "bad.safetensors"),
    (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${e}`);
      assert.ok(e.message.startsWith("bad.safetensors: "), e.message);
      assert.match(e.message, problem);
      return true;
    },
  );
}

const entry = (dtype: string, shape: number[], begin: number, end: number) =>
  JSON.stringify({ dtype, shape, data_offsets: [begin, end] });

test("safetensors rejects a file shorter than the length field", () => {
  assertBad(Uint8Array.of(1, 2, 3), /file is 3 bytes, too short/);
});

test("safetensors rejects a header length beyond the file", () => {
  assertBad(rawFile("{}", new Uint8Array(0), 100n), /header length 100 exceeds the 2 bytes after the length field/);
  assertBad(rawFile("{}", new Uint8Array(0), 2n ** 64n - 1n), /header length 18446744073709551615 exceeds/);
});

test("safetensors rejects a header that is not JSON or not UTF-8", () => {
  assertBad(rawFile('{"w": {"dtype": "F32",'), /header is not valid UTF-8 JSON/);
  const notUtf8 = Buffer.concat([Buffer.from('{"'), Uint8Array.of(0xff), Buffer.from('":{}}')]);
  assertBad(rawFile(notUtf8), /header is not valid UTF-8 JSON/);
  assertBad(rawFile("[1, 2]"), /header is not a JSON object/);
});

test("safetensors rejects overlapping offsets", () => {
  const header = `{"a":${entry("F32", [2], 0, 8)},"b":${entry("F32", [2], 4, 12)}}`;
  assertBad(rawFile(header, new Uint8Array(12)), /tensor 'b' data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/);
});

test("safetensors rejects gaps, data past the end and trailing bytes", () => {
  assertBad(
    rawFile(`{"a":${entry("F32", [1], 4, 8)}}`, new Uint8Array(8)),
    /tensor 'a' .* leave a gap: expected begin 0/,
  );
  assertBad(rawFile(`{"a":${entry("F32", [2], 0, 8)}}`, new Uint8Array(6)), /extend past the 6 data bytes/);
  assertBad(rawFile(`{"a":${entry("F32", [1], 0, 4)}}`, new Uint8Array(7)), /3 trailing bytes after the last tensor/);
});

test("safetensors rejects a byte length that does not match shape and dtype", () => {
  assertBad(
    rawFile(`{"a":${entry("F32", [3], 0, 8)}}`, new Uint8Array(8)),
    /tensor 'a': F32 \[3\] needs 12 bytes, data_offsets \[0, 8\] give 8/,
  );
});

test("safetensors rejects an unknown dtype and malformed entries", () => {
  assertBad(rawFile(`{"a":${entry("F128", [1], 0, 16)}}`, new Uint8Array(16)), /tensor 'a': unknown dtype "F128"/);
  assertBad(rawFile('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4)), /shape must be/);
  assertBad(rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', new Uint8Array(4)), /data_offsets must be/);
  assertBad(rawFile('{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}', new Uint8Array(4)), /end before begin/);
  assertBad(rawFile('{"__metadata__":{"k":1}}'), /__metadata__ must be an object of strings/);
});

test("safetensors reading a corrupt file names the path", async () => {
  const path = join(dir, "corrupt.safetensors");
  const good = encodeSafetensors({ w: f32([4], [1, 2, 3, 4]) });
  await writeFile(path, good.subarray(0, good.length - 1));
  await assert.rejects(readSafetensors(path), (e: unknown) => {
    assert.ok(e instanceof SafetensorsError);
    assert.match(e.message, new RegExp(`^${path}: tensor 'w' data_offsets \\[0, 16\\] extend past the 15 data bytes`));
    return true;
  });
});

test("safetensors writing rejects data that does not match dtype or shape", () => {
  assert.throws(
    () => encodeSafetensors({ w: { dtype: "F32", shape: [1], data: Float64Array.of(1) } }),
    /dtype F32 needs a Float32Array/,
  );
  assert.throws(() => encodeSafetensors({ w: f32([2, 2], [1, 2, 3]) }), /shape \[2, 2\] needs 4 elements, data has 3/);
  assert.throws(() => encodeSafetensors({ __metadata__: f32([1], [1]) }), /reserved/);
});
