/** The PNG encoder and decoder used by reports and `lift predict`. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { crc32, decodePng, encodePng, grayPngDataUri, PngError, toGray, type PngImage } from "../../src/train/png.js";

const image = (width: number, height: number, channels: PngImage["channels"]): PngImage => ({
  width,
  height,
  channels,
  data: Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37 + 11) % 256),
});

test("crc32 matches the standard check value", () => {
  assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
});

test("encode then decode gives the image back, for every channel count", () => {
  for (const ch of [1, 2, 3, 4] as const) {
    const img = image(7, 5, ch);
    const png = encodePng(img);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.deepEqual(decodePng(png, "x.png"), img);
  }
});

/** A PNG built by hand, each row with its own filter type (as other encoders write them). */
function filteredPng(img: PngImage, filters: number[]): Buffer {
  const { width, height, channels: c, data } = img;
  const stride = width * c;
  const raw = Buffer.alloc(height * (stride + 1));
  const paeth = (a: number, b: number, cc: number) => {
    const p = a + b - cc,
      pa = Math.abs(p - a),
      pb = Math.abs(p - b),
      pc = Math.abs(p - cc);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : cc;
  };
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length]!;
    raw[y * (stride + 1)] = f;
    for (let x = 0; x < stride; x++) {
      const v = data[y * stride + x]!;
      const a = x >= c ? data[y * stride + x - c]! : 0;
      const b = y > 0 ? data[(y - 1) * stride + x]! : 0;
      const cc = x >= c && y > 0 ? data[(y - 1) * stride + x - c]! : 0;
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, cc)][f]!;
      raw[y * (stride + 1) + 1 + x] = (v - pred) & 0xff;
    }
  }
  const chunk = (type: string, body: Buffer) => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, "latin1");
    body.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = { 1: 0, 2: 4, 3: 2, 4: 6 }[c];
  const z = deflateSync(raw);
  // Split the image data over two IDAT chunks, and add an ancillary chunk, as real files do.
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("tEXt", Buffer.from("Comment\0made by hand")),
    chunk("IDAT", z.subarray(0, 10)),
    chunk("IDAT", z.subarray(10)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("the decoder undoes all five row filters", () => {
  for (const ch of [1, 3, 4] as const) {
    const img = image(9, 10, ch);
    assert.deepEqual(decodePng(filteredPng(img, [0, 1, 2, 3, 4]), "f.png"), img);
    assert.deepEqual(decodePng(filteredPng(img, [4, 3, 2, 1]), "f.png"), img);
  }
});

test("gray levels: luminance for colour, alpha over black", () => {
  const rgb: PngImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([255, 255, 255, 255, 0, 0]) };
  const g = toGray(rgb);
  assert.ok(Math.abs(g[0]! - 1) < 1e-6 && Math.abs(g[1]! - 0.299) < 1e-6);
  const ga: PngImage = { width: 1, height: 1, channels: 2, data: Uint8Array.from([255, 51]) };
  assert.ok(Math.abs(toGray(ga)[0]! - 0.2) < 1e-6);
  const uri = grayPngDataUri([0, 0.5, 1, 2], 2, 2);
  assert.match(uri, /^data:image\/png;base64,/);
  assert.deepEqual([...decodePng(Buffer.from(uri.split(",")[1]!, "base64"), "u").data], [0, 128, 255, 255]);
});

test("unsupported or damaged files are refused with a reason", () => {
  const fails = (buf: Buffer, re: RegExp) =>
    assert.throws(
      () => decodePng(buf, "bad.png"),
      (e: unknown) => e instanceof PngError && re.test(e.message) && e.message.startsWith("bad.png: "),
    );
  const good = encodePng(image(4, 4, 1));
  fails(Buffer.from("GIF89a........"), /not a PNG file/);
  const badCrc = Buffer.from(good);
  badCrc[good.length - 20]! ^= 0xff;
  fails(badCrc, /bad CRC/);
  fails(good.subarray(0, good.length - 12), /no IEND chunk/);
  fails(good.subarray(0, 30), /truncated/);
  const withIhdr = (mutate: (ihdr: Buffer) => void) => {
    const b = Buffer.from(good);
    mutate(b.subarray(16, 29));
    b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);
    return b;
  };
  fails(
    withIhdr((h) => {
      h[9] = 3;
    }),
    /palette PNGs are not supported/,
  );
  fails(
    withIhdr((h) => {
      h[8] = 16;
    }),
    /16-bit PNGs are not supported/,
  );
  fails(
    withIhdr((h) => {
      h[12] = 1;
    }),
    /interlaced PNGs are not supported/,
  );
  // Inflation is bounded by the header: a header declaring a huge image is refused before inflating,
  // and data that inflates past the declared size stops there (cli_faults.test.ts: a 16 MiB bomb).
  fails(
    withIhdr((h) => {
      h.writeUInt32BE(20000, 0);
      h.writeUInt32BE(20000, 4);
    }),
    /^bad\.png: the header declares 20000×20000 pixels \(400020000 bytes of image data\), more than the 256 MiB this decoder accepts$/,
  );
  fails(
    withIhdr((h) => {
      h.writeUInt32BE(2, 0);
    }),
    /^bad\.png: the image data inflates to more than the 12 bytes that 2×4 grayscale needs$/,
  );
});
