// A small PNG encoder and decoder (node:zlib does the deflate). The encoder
// writes 8-bit grayscale, RGB or RGBA images with filter 0 on every row; the
// decoder reads 8-bit non-interlaced grayscale (0), RGB (2), grayscale+alpha
// (4) and RGBA (6) images, with any of the five row filters, and checks
// every chunk's CRC. Palettes, other bit depths and interlacing are refused
// with a message saying so.

import { deflateSync, inflateSync } from "node:zlib";

export class PngError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "PngError";
  }
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The most image data (filter bytes included) a PNG may declare: 256 MiB, e.g. 8192×8192 RGBA. */
const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

/** Channels per pixel of the supported colour types. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };
const COLOR_NAMES: Record<number, string> = { 0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale+alpha", 6: "RGBA" };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export interface PngImage {
  width: number;
  height: number;
  /** 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) */
  channels: 1 | 2 | 3 | 4;
  /** row-major, channels interleaved, 8 bits each */
  data: Uint8Array;
}

const COLOR_TYPE_OF: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/** Encode an 8-bit image as PNG bytes. */
export function encodePng(img: PngImage): Buffer {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PngError("<png>", `bad size ${width}×${height}`);
  }
  if (data.length !== width * height * channels) {
    throw new PngError(
      "<png>",
      `${width}×${height}×${channels} needs ${width * height * channels} bytes, got ${data.length}`,
    );
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = COLOR_TYPE_OF[channels]!;
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/** A grayscale PNG of `rows × cols` pixels in [0, 1] (clamped), as a data: URI. */
export function grayPngDataUri(pixels: ArrayLike<number>, rows: number, cols: number): string {
  const data = new Uint8Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, pixels[i]!)) * 255);
  return `data:image/png;base64,${encodePng({ width: cols, height: rows, channels: 1, data }).toString("base64")}`;
}

const paeth = (a: number, b: number, c: number) => {
  const p = a + b - c;
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/** Decode PNG bytes; `file` names the source in errors. */
// long: one pass over the chunks in file order, each check next to the bytes it reads.
export function decodePng(buf: Uint8Array, file: string): PngImage {
  const fail = (problem: string) => new PngError(file, problem);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8 || !b.subarray(0, 8).equals(SIGNATURE)) throw fail("not a PNG file (bad signature)");
  let at = 8;
  let header: { width: number; height: number; depth: number; color: number; interlace: number } | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (at < b.length) {
    if (at + 12 > b.length) throw fail(`truncated chunk at byte ${at}`);
    const len = b.readUInt32BE(at);
    const raw4 = b.toString("latin1", at + 4, at + 8);
    // A chunk type is four ASCII letters; anything else is shown in hex, never as raw bytes.
    const type = /^[A-Za-z]{4}$/.test(raw4) ? raw4 : `0x${b.subarray(at + 4, at + 8).toString("hex")}`;
    if (at + 12 + len > b.length) throw fail(`truncated ${type} chunk at byte ${at}: needs ${len} data bytes`);
    const data = b.subarray(at + 8, at + 8 + len);
    if (crc32(b.subarray(at + 4, at + 8 + len)) !== b.readUInt32BE(at + 8 + len))
      throw fail(`bad CRC in the ${type} chunk at byte ${at}`);
    at += 12 + len;
    if (type === "IHDR") {
      if (len !== 13) throw fail(`IHDR chunk has ${len} bytes, not 13`);
      header = {
        width: data.readUInt32BE(0),
        height: data.readUInt32BE(4),
        depth: data[8]!,
        color: data[9]!,
        interlace: data[12]!,
      };
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") {
      ended = true;
      break;
    } else if (header === undefined) throw fail("the first chunk is not IHDR");
  }
  if (!header) throw fail("no IHDR chunk");
  if (!ended) throw fail("no IEND chunk (truncated file?)");
  const { width, height, depth, color, interlace } = header;
  const channels = CHANNELS[color];
  if (channels === undefined) {
    throw fail(
      `${COLOR_NAMES[color] ?? `colour type ${color}`} PNGs are not supported; save it as 8-bit grayscale, RGB or RGBA`,
    );
  }
  if (depth !== 8) throw fail(`${depth}-bit PNGs are not supported; save it with 8 bits per channel`);
  if (interlace !== 0) throw fail("interlaced PNGs are not supported; save it without interlacing");
  if (width < 1 || height < 1) throw fail(`bad size ${width}×${height}`);
  // The header says how many bytes the image data inflates to; inflating is stopped there, so a
  // small file that inflates to gigabytes (a "zip bomb") costs no more memory than its header claims.
  const stride = width * channels;
  const expected = height * (stride + 1);
  if (expected > MAX_INFLATED_BYTES) {
    throw fail(
      `the header declares ${width}×${height} pixels (${expected} bytes of image data), more than the ${MAX_INFLATED_BYTES >> 20} MiB this decoder accepts`,
    );
  }
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: Math.max(expected, 1) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw fail(
        `the image data inflates to more than the ${expected} bytes that ${width}×${height} ${COLOR_NAMES[color]} needs`,
      );
    }
    throw fail(`corrupt image data: ${(e as Error).message}`);
  }
  if (raw.length !== expected) throw fail(`image data has ${raw.length} bytes, ${width}×${height} needs ${expected}`);
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[row + x - channels]! : 0;
      const up = y > 0 ? out[row - stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[row - stride + x - channels]! : 0;
      let v: number;
      switch (filter) {
        case 0:
          v = src[x]!;
          break;
        case 1:
          v = src[x]! + a;
          break;
        case 2:
          v = src[x]! + up;
          break;
        case 3:
          v = src[x]! + ((a + up) >> 1);
          break;
        case 4:
          v = src[x]! + paeth(a, up, c);
          break;
        default:
          throw fail(`row ${y} has unknown filter type ${filter}`);
      }
      out[row + x] = v & 0xff;
    }
  }
  return { width, height, channels: channels as PngImage["channels"], data: out };
}

/**
 * The image as gray levels in [0, 1]: RGB by luminance (0.299 R + 0.587 G + 0.114 B), alpha
 * composited over black (the background of MNIST-style images).
 */
export function toGray(img: PngImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    const p = i * img.channels;
    let v: number;
    let alpha = 1;
    if (img.channels <= 2) {
      v = d[p]!;
      if (img.channels === 2) alpha = d[p + 1]! / 255;
    } else {
      v = 0.299 * d[p]! + 0.587 * d[p + 1]! + 0.114 * d[p + 2]!;
      if (img.channels === 4) alpha = d[p + 3]! / 255;
    }
    out[i] = (v / 255) * alpha;
  }
  return out;
}
