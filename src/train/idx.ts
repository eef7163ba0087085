// IDX files, the format of MNIST and Fashion-MNIST: a 4-byte magic
// (0, 0, type code, number of dims), the dims as big-endian uint32, then the
// elements, big-endian, row-major. Files are usually gzip-compressed.

import { constants as bufferConstants } from "node:buffer";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { createGunzip, gzip } from "node:zlib";
import { writeFileAtomic } from "./atomic.js";

export class IdxError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "IdxError";
  }
}

export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

type Getter = "getUint8" | "getInt8" | "getInt16" | "getInt32" | "getFloat32" | "getFloat64";
type Setter = "setUint8" | "setInt8" | "setInt16" | "setInt32" | "setFloat32" | "setFloat64";
interface TypeInfo {
  code: number;
  size: number;
  array: new (n: number) => IdxArray;
  get: Getter;
  set: Setter;
}

export const IDX_TYPES = {
  ubyte: { code: 0x08, size: 1, array: Uint8Array, get: "getUint8", set: "setUint8" },
  sbyte: { code: 0x09, size: 1, array: Int8Array, get: "getInt8", set: "setInt8" },
  short: { code: 0x0b, size: 2, array: Int16Array, get: "getInt16", set: "setInt16" },
  int: { code: 0x0c, size: 4, array: Int32Array, get: "getInt32", set: "setInt32" },
  float: { code: 0x0d, size: 4, array: Float32Array, get: "getFloat32", set: "setFloat32" },
  double: { code: 0x0e, size: 8, array: Float64Array, get: "getFloat64", set: "setFloat64" },
} as const satisfies Record<string, TypeInfo>;

export type IdxType = keyof typeof IDX_TYPES;

export interface IdxTensor {
  type: IdxType;
  dims: number[];
  data: IdxArray;
}

const typeByCode = new Map<number, IdxType>((Object.keys(IDX_TYPES) as IdxType[]).map((t) => [IDX_TYPES[t].code, t]));

const hex = (b: number) => `0x${b.toString(16).padStart(2, "0")}`;

interface Header {
  type: IdxType;
  dims: number[];
  headerBytes: number;
  dataBytes: number;
}

/**
 * Parse the header at the start of `buf`; undefined while more bytes are
 * needed. Invalid fields are reported as soon as they have arrived.
 */
function parseHeader(buf: Buffer, file: string): Header | undefined {
  if (buf.length >= 2 && (buf[0] !== 0 || buf[1] !== 0)) {
    throw new IdxError(file, `bad magic: first two bytes must be 0x00 0x00, got ${hex(buf[0]!)} ${hex(buf[1]!)}`);
  }
  if (buf.length < 4) return undefined;
  const type = typeByCode.get(buf[2]!);
  if (type === undefined) throw new IdxError(file, `unknown data type ${hex(buf[2]!)}`);
  const ndims = buf[3]!;
  if (ndims === 0) throw new IdxError(file, "number of dimensions is 0, must be at least 1");
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) return undefined;
  const dims = Array.from({ length: ndims }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const dataBytes = dims.reduce((a, d) => a * d, IDX_TYPES[type].size);
  // A corrupt header must not make us try to hold more than a Buffer can.
  if (dataBytes > bufferConstants.MAX_LENGTH) {
    throw new IdxError(file, `dims [${dims.join(", ")}] declare ${dataBytes} data bytes, more than can be loaded`);
  }
  return { type, dims, headerBytes, dataBytes };
}

/** Convert big-endian element bytes (a fresh, unshared array) to host order. */
function decodeElements(type: IdxType, bytes: Uint8Array): IdxArray {
  if (type === "ubyte") return bytes;
  if (type === "sbyte") return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const t: TypeInfo = IDX_TYPES[type];
  const n = bytes.length / t.size;
  const out = new t.array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < n; i++) out[i] = view[t.get](i * t.size, false);
  return out;
}

/**
 * Parse uncompressed IDX bytes arriving in chunks of any size; `file` names
 * the source in errors. Data chunks are kept as they come and joined once at
 * the end, so memory follows what the source really holds rather than what
 * its (possibly corrupt) header claims.
 */
export async function readIdxFrom(source: AsyncIterable<Uint8Array>, file: string): Promise<IdxTensor> {
  let pending: Buffer = Buffer.alloc(0);
  let header: Header | undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of source) {
    let data = chunk;
    if (header === undefined) {
      pending = Buffer.concat([pending, chunk]);
      header = parseHeader(pending, file);
      if (header === undefined) continue;
      data = pending.subarray(header.headerBytes);
    }
    // Past the declared size we only count, to report the exact excess.
    if (received < header.dataBytes) chunks.push(data.subarray(0, header.dataBytes - received));
    received += data.length;
  }
  if (header === undefined) {
    const need = pending.length < 4 ? 4 : 4 + 4 * pending[3]!;
    throw new IdxError(file, `truncated header: expected ${need} header bytes, got ${pending.length}`);
  }
  if (received !== header.dataBytes) {
    const what = received < header.dataBytes ? "truncated" : "trailing bytes after data";
    throw new IdxError(file, `${what}: expected ${header.dataBytes} data bytes, got ${received}`);
  }
  const bytes = new Uint8Array(header.dataBytes);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { type: header.type, dims: header.dims, data: decodeElements(header.type, bytes) };
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Read a plain or gzip-compressed IDX file (told apart by content, not by name). */
export async function readIdx(path: string): Promise<IdxTensor> {
  let gz = false;
  let result: IdxTensor | undefined;
  // The parser's own error, kept: once it throws, the pipeline may reject with an AbortError instead.
  let parseError: IdxError | undefined;
  const consume = async (source: AsyncIterable<Uint8Array>) => {
    try {
      result = await readIdxFrom(source, path);
    } catch (e) {
      if (e instanceof IdxError) parseError = e;
      throw e;
    }
  };
  try {
    gz = await isGzip(path);
    if (gz) await pipeline(createReadStream(path), createGunzip(), consume);
    else await pipeline(createReadStream(path), consume);
  } catch (e) {
    if (parseError) throw parseError;
    if (e instanceof IdxError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") throw new IdxError(path, "no such file");
    if (gz && err.code?.startsWith("Z_")) throw new IdxError(path, `corrupt gzip data: ${err.message}`);
    // zlib leaves a stream with junk after its last member open; the pipeline then aborts.
    if (gz && err.name === "AbortError")
      throw new IdxError(path, "corrupt gzip data: the compressed stream does not end cleanly");
    throw new IdxError(path, `cannot read: ${err.message}`);
  }
  return result!;
}

/** The bytes of an IDX file; `data` must be the array class of `type`. */
export function encodeIdx(type: IdxType, dims: number[], data: IdxArray, file = "<idx>"): Buffer {
  const t: TypeInfo = IDX_TYPES[type];
  if (!(data instanceof t.array)) {
    throw new IdxError(file, `type ${type} needs a ${t.array.name}, got a ${data.constructor.name}`);
  }
  if (dims.length < 1 || dims.length > 255) throw new IdxError(file, `needs 1 to 255 dims, got ${dims.length}`);
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new IdxError(file, `bad dim ${d}`);
  }
  const count = dims.reduce((a, d) => a * d, 1);
  if (count !== data.length) {
    throw new IdxError(file, `dims [${dims.join(", ")}] need ${count} elements, data has ${data.length}`);
  }
  const headerBytes = 4 + 4 * dims.length;
  const out = Buffer.alloc(headerBytes + count * t.size);
  out[2] = t.code;
  out[3] = dims.length;
  dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  const view = new DataView(out.buffer, out.byteOffset + headerBytes, count * t.size);
  for (let i = 0; i < count; i++) view[t.set](i * t.size, data[i]!, false);
  return out;
}

/** Write an IDX file atomically, optionally gzip-compressed. */
export async function writeIdx(
  path: string,
  type: IdxType,
  dims: number[],
  data: IdxArray,
  options: { gzip?: boolean } = {},
): Promise<void> {
  const raw = encodeIdx(type, dims, data, path);
  await writeFileAtomic(path, options.gzip ? await promisify(gzip)(raw) : raw);
}
