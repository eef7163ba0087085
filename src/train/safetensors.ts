// The safetensors format: an 8-byte little-endian header length N, N bytes
// of JSON header padded with spaces to a multiple of 8, then the tensors'
// little-endian bytes laid out back to back. Output matches the reference
// implementation byte for byte, so files can be compared and diffed.

import { endianness } from "node:os";
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "./atomic.js";
import { printable } from "../lang/diagnostics.js";

export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "SafetensorsError";
  }
}

export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

interface DtypeInfo {
  size: number;
  array: { new (buffer: ArrayBuffer): TensorData; readonly name: string };
}

// In the reference's order, which is increasing alignment: the writer puts
// more-aligned dtypes first so every tensor starts aligned to its element
// size. Dtypes with no JS number type (F16, BF16, F8) hold raw bit patterns.
export const DTYPES = {
  BOOL: { size: 1, array: Uint8Array },
  U8: { size: 1, array: Uint8Array },
  I8: { size: 1, array: Int8Array },
  F8_E5M2: { size: 1, array: Uint8Array },
  F8_E4M3: { size: 1, array: Uint8Array },
  I16: { size: 2, array: Int16Array },
  U16: { size: 2, array: Uint16Array },
  F16: { size: 2, array: Uint16Array },
  BF16: { size: 2, array: Uint16Array },
  I32: { size: 4, array: Int32Array },
  U32: { size: 4, array: Uint32Array },
  F32: { size: 4, array: Float32Array },
  F64: { size: 8, array: Float64Array },
  I64: { size: 8, array: BigInt64Array },
  U64: { size: 8, array: BigUint64Array },
} as const satisfies Record<string, DtypeInfo>;

export type Dtype = keyof typeof DTYPES;

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

export interface Safetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const DTYPE_ORDER = Object.keys(DTYPES) as Dtype[];
const isDtype = (d: unknown): d is Dtype => typeof d === "string" && Object.hasOwn(DTYPES, d);
const METADATA_KEY = "__metadata__";
/** The reference rejects larger headers; so do we, to bound what a corrupt length can make us parse. */
const MAX_HEADER_BYTES = 100_000_000;

// Typed arrays use the host's byte order and the format is little-endian;
// every platform Node supports today is little-endian, so refuse rather than
// silently produce garbage on an exotic one.
function requireLittleEndian(): void {
  if (endianness() !== "LE") throw new Error("safetensors: big-endian hosts are not supported");
}

const elementCount = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

/** Byte-wise UTF-8 order, as the reference (Rust) sorts names. */
const compareUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Serialize tensors (and optional string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Buffer {
  requireLittleEndian();
  const names = Object.keys(tensors).sort((a, b) => {
    const byDtype = DTYPE_ORDER.indexOf(tensors[b]!.dtype) - DTYPE_ORDER.indexOf(tensors[a]!.dtype);
    return byDtype !== 0 ? byDtype : compareUtf8(a, b);
  });
  // Built by hand: a JS object would move integer-like names ("0", "12") to
  // the front, and the header must list tensors in data order.
  const fields: string[] = [];
  if (metadata !== undefined) {
    const sorted = Object.keys(metadata).sort(compareUtf8);
    for (const k of sorted) {
      if (typeof metadata[k] !== "string") throw new SafetensorsError("encode", `metadata '${k}' is not a string`);
    }
    const body = sorted.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",");
    fields.push(`${JSON.stringify(METADATA_KEY)}:{${body}}`);
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    if (name === METADATA_KEY) throw new SafetensorsError("encode", `tensor name ${METADATA_KEY} is reserved`);
    checkTensor(name, t);
    const info = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += t.data.byteLength;
  }
  let json = `{${fields.join(",")}}`;
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.byteLength(json);
  const out = Buffer.alloc(8 + headerBytes + offset);
  out.writeBigUInt64LE(BigInt(headerBytes), 0);
  out.write(json, 8, "utf8");
  let at = 8 + headerBytes;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

function checkTensor(name: string, t: Tensor): void {
  const fail = (problem: string) => new SafetensorsError("encode", `tensor '${name}': ${problem}`);
  if (!isDtype(t.dtype)) throw fail(`unknown dtype ${JSON.stringify(t.dtype)}`);
  const info: DtypeInfo = DTYPES[t.dtype];
  if (!(t.data instanceof info.array))
    throw fail(`dtype ${t.dtype} needs a ${info.array.name}, got a ${t.data.constructor.name}`);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(`bad shape [${t.shape.join(", ")}]`);
  if (elementCount(t.shape) !== t.data.length) {
    throw fail(`shape [${t.shape.join(", ")}] needs ${elementCount(t.shape)} elements, data has ${t.data.length}`);
  }
}

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Check one header entry's fields, which come from untrusted JSON. */
function parseEntry(name: string, value: unknown, fail: (p: string) => SafetensorsError): Entry {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw fail(`tensor '${name}': entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (dtype === undefined) throw fail(`tensor '${name}': no dtype`);
  if (!isDtype(dtype)) throw fail(`tensor '${name}': unknown dtype ${JSON.stringify(dtype)}`);
  const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex))
    throw fail(`tensor '${name}': shape must be an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    throw fail(`tensor '${name}': data_offsets must be [begin, end] non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw fail(`tensor '${name}': data_offsets [${begin}, ${end}] end before begin`);
  const want = elementCount(shape) * DTYPES[dtype].size;
  if (end - begin !== want) {
    throw fail(
      `tensor '${name}': ${dtype} [${shape.join(", ")}] needs ${want} bytes, data_offsets [${begin}, ${end}] give ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

function parseMetadata(value: unknown, fail: (p: string) => SafetensorsError): Record<string, string> {
  const ok =
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string");
  if (!ok) throw fail(`${METADATA_KEY} must be an object of strings`);
  return { ...(value as Record<string, string>) };
}

/** Parse and fully validate safetensors bytes; `nameForErrors` prefixes every error. */
export function decodeSafetensors(buf: Uint8Array, nameForErrors: string): Safetensors {
  requireLittleEndian();
  // Names and dtypes come from the file: their control characters are shown, not sent to a terminal.
  const fail = (problem: string) => new SafetensorsError(nameForErrors, printable(problem));
  if (buf.length < 8) throw fail(`file is ${buf.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(buf.length - 8))
    throw fail(`header length ${n} exceeds the ${buf.length - 8} bytes after the length field`);
  if (n > BigInt(MAX_HEADER_BYTES)) throw fail(`header length ${n} exceeds the limit of ${MAX_HEADER_BYTES}`);
  const headerEnd = 8 + Number(n);

  let parsed: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(8, headerEnd));
    parsed = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid UTF-8 JSON: ${(e as Error).message.replace(/, (\.\.\.)?".*$/s, "")}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw fail("header is not a JSON object");

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, fail);
    else entries.push(parseEntry(name, value, fail));
  }

  // Tensors must tile the data section exactly: no gap, no overlap, nothing after.
  const dataBytes = buf.length - headerEnd;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let prev: Entry | undefined;
  for (const e of entries) {
    const where = `tensor '${e.name}' data_offsets [${e.begin}, ${e.end}]`;
    if (e.begin < expected) throw fail(`${where} overlap tensor '${prev!.name}' [${prev!.begin}, ${prev!.end}]`);
    if (e.begin > expected) throw fail(`${where} leave a gap: expected begin ${expected}`);
    if (e.end > dataBytes) throw fail(`${where} extend past the ${dataBytes} data bytes`);
    expected = e.end;
    prev = e;
  }
  if (expected !== dataBytes) throw fail(`${dataBytes - expected} trailing bytes after the last tensor`);

  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    // Copy: tensor starts need not be aligned for a typed-array view, and the
    // result should not pin or alias the caller's buffer.
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(buf.subarray(headerEnd + e.begin, headerEnd + e.end));
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: new DTYPES[e.dtype].array(copy.buffer) };
  }
  return { tensors, metadata };
}

export async function readSafetensors(path: string): Promise<Safetensors> {
  return decodeSafetensors(await readFile(path), path);
}

/** Write atomically, so a crash never leaves a half-written checkpoint at `path`. */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
