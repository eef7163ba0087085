import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  IdxError,
  encodeIdx,
  readIdx,
  readIdxFrom,
  writeIdx,
  type IdxArray,
  type IdxType,
} from "../../src/train/idx.js";

const dir = mkdtempSync(join(tmpdir(), "lift-idx-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const samples: { type: IdxType; dims: number[]; data: IdxArray }[] = [
  { type: "ubyte", dims: [2, 3], data: Uint8Array.from([0, 1, 127, 128, 254, 255]) },
  { type: "sbyte", dims: [4], data: Int8Array.from([-128, -1, 0, 127]) },
  { type: "short", dims: [2, 2], data: Int16Array.from([-32768, -2, 1, 32767]) },
  { type: "int", dims: [3], data: Int32Array.from([-2147483648, 0x01020304, 2147483647]) },
  { type: "float", dims: [1, 2, 2], data: Float32Array.from([Math.fround(0.1), -3.5, Infinity, 1e-40]) },
  { type: "double", dims: [2], data: Float64Array.from([Math.PI, -0]) },
];

for (const gzip of [false, true]) {
  for (const s of samples) {
    test(`idx round trip: ${s.type}${gzip ? " gzip" : ""}`, async () => {
      const path = join(dir, `rt-${s.type}-${gzip}`);
      await writeIdx(path, s.type, s.dims, s.data, { gzip });
      const back = await readIdx(path);
      assert.equal(back.type, s.type);
      assert.deepEqual(back.dims, s.dims);
      assert.deepEqual(back.data, s.data);
    });
  }
}

test("idx encoding is big-endian with the documented header", () => {
  const bytes = encodeIdx("short", [2], Int16Array.from([1, -2]));
  assert.deepEqual([...bytes], [0, 0, 0x0b, 1, 0, 0, 0, 2, 0x00, 0x01, 0xff, 0xfe]);
});

test("idx compression is detected by content, not by name", async () => {
  const raw = encodeIdx("ubyte", [3], Uint8Array.from([7, 8, 9]));
  await writeFile(join(dir, "looks-plain"), gzipSync(raw));
  await writeFile(join(dir, "looks-gzipped.gz"), raw);
  assert.deepEqual((await readIdx(join(dir, "looks-plain"))).data, Uint8Array.from([7, 8, 9]));
  assert.deepEqual((await readIdx(join(dir, "looks-gzipped.gz"))).data, Uint8Array.from([7, 8, 9]));
});

test("idx parsing works whatever the chunk boundaries", async () => {
  const raw = encodeIdx("int", [2, 2], Int32Array.from([1, -1, 65536, 7]));
  async function* bytewise() {
    for (const b of raw) yield Uint8Array.of(b);
  }
  const back = await readIdxFrom(bytewise(), "bytewise");
  assert.deepEqual(back.dims, [2, 2]);
  assert.deepEqual(back.data, Int32Array.from([1, -1, 65536, 7]));
});

test("idx reads a large gzip file spanning many stream chunks", async () => {
  const data = new Uint8Array(3 * 1000 * 1000).map((_, i) => (i * 7919) % 251);
  const path = join(dir, "large.gz");
  await writeIdx(path, "ubyte", [3000, 1000], data, { gzip: true });
  const back = await readIdx(path);
  assert.deepEqual(back.dims, [3000, 1000]);
  assert.ok(Buffer.from(back.data.buffer).equals(Buffer.from(data.buffer)));
});

/** Assert that reading `bytes` (stored as `name`) fails with an IdxError naming the file and matching `problem`. */
async function assertCorrupt(name: string, bytes: Uint8Array, problem: RegExp): Promise<void> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  await assert.rejects(readIdx(path), (e: unknown) => {
    assert.ok(e instanceof IdxError, `expected IdxError, got ${e}`);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.match(e.message, problem);
    return true;
  });
}

const good = encodeIdx("ubyte", [10, 28, 28], new Uint8Array(7840).fill(3));

test("idx rejects a bad magic number", async () => {
  const bytes = Buffer.from(good);
  bytes[1] = 0x42;
  await assertCorrupt("bad-magic", bytes, /bad magic: first two bytes must be 0x00 0x00, got 0x00 0x42/);
});

test("idx rejects an unknown data type", async () => {
  const bytes = Buffer.from(good);
  bytes[2] = 0x0a;
  await assertCorrupt("bad-type", bytes, /unknown data type 0x0a/);
});

test("idx rejects zero dimensions", async () => {
  await assertCorrupt("zero-dims", Uint8Array.of(0, 0, 8, 0), /number of dimensions is 0/);
});

test("idx rejects truncated data, plain and gzip", async () => {
  const cut = good.subarray(0, 16 + 1234);
  await assertCorrupt("trunc", cut, /: truncated: expected 7840 data bytes, got 1234$/);
  await assertCorrupt(
    "t10k-images-idx3-ubyte.gz",
    gzipSync(cut),
    /t10k-images-idx3-ubyte\.gz: truncated: expected 7840 data bytes, got 1234$/,
  );
});

test("idx rejects trailing bytes after the data", async () => {
  const long = Buffer.concat([good, Buffer.from("junk")]);
  await assertCorrupt("trailing", long, /trailing bytes after data: expected 7840 data bytes, got 7844/);
  await assertCorrupt("trailing.gz", gzipSync(long), /trailing bytes after data: expected 7840 data bytes, got 7844/);
});

test("idx rejects a truncated header", async () => {
  await assertCorrupt("empty", new Uint8Array(0), /truncated header: expected 4 header bytes, got 0/);
  await assertCorrupt("short-magic", Uint8Array.of(0, 0, 8), /truncated header: expected 4 header bytes, got 3/);
  await assertCorrupt("short-dims", good.subarray(0, 10), /truncated header: expected 16 header bytes, got 10/);
});

test("idx rejects dims declaring more data than can be loaded", async () => {
  const bytes = Uint8Array.of(0, 0, 0x0e, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  await assertCorrupt("huge", bytes, /declare \d+ data bytes, more than can be loaded/);
});

test("idx rejects corrupt gzip data", async () => {
  const gz = gzipSync(good);
  const damaged = Buffer.from(gz);
  for (let i = 20; i < damaged.length - 8; i += 3) damaged[i]! ^= 0x5a;
  await assertCorrupt("damaged.gz", damaged, /corrupt gzip data: /);
  await assertCorrupt("cut.gz", gz.subarray(0, gz.length - 12), /corrupt gzip data: unexpected end of file/);
  const badCrc = Buffer.from(gz);
  badCrc[badCrc.length - 6]! ^= 0xff;
  await assertCorrupt("bad-crc.gz", badCrc, /corrupt gzip data: /);
});

test("idx reports a missing file by name", async () => {
  const path = join(dir, "nope-idx1-ubyte");
  await assert.rejects(readIdx(path), { name: "IdxError", message: `${path}: no such file` });
});

test("idx writing rejects data that does not match type or dims", () => {
  assert.throws(
    () => encodeIdx("float", [2], Float64Array.from([1, 2])),
    /type float needs a Float32Array, got a Float64Array/,
  );
  assert.throws(() => encodeIdx("ubyte", [2, 2], new Uint8Array(3)), /dims \[2, 2\] need 4 elements, data has 3/);
  assert.throws(() => encodeIdx("ubyte", [], new Uint8Array(1)), /needs 1 to 255 dims/);
});
