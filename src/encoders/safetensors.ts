/**
 * safetensors reader and writer (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length,
 * a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}`, then the tensor
 * bytes (offsets relative to the end of the header).
 *
 * The reader validates the whole header before any tensor is read and then reads each tensor straight from the file
 * into its own typed array (never the whole file, never two copies), so multi-GB checkpoints load in bounded memory.
 * Floating tensors (F32, F16, BF16) are returned as float32; U8 is readable as bytes (the `frames` of `bench encode`).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../util/atomic.js';
import { parseJson } from '../util/json_file.js';
import type { Tensor, WeightMap } from './vit_spec.js';

/** Byte sizes of every dtype the format defines; all are accepted in a header, only some can be read. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16']);

/** The reference implementation refuses headers above 100 MB; a larger value means a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;
/** One readSync call is limited to < 2 GiB; larger tensors are read in chunks. */
const READ_CHUNK_BYTES = 1 << 30;

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte range in the file, [begin, end). */
  begin: number;
  end: number;
}

export interface Uint8TensorData {
  shape: number[];
  data: Uint8Array;
}

function fail(path: string, problem: string): never {
  throw new Error(`safetensors file ${path}: ${problem}`);
}

function assertLittleEndianHost(): void {
  // Typed arrays use host byte order; the format is little-endian.
  if (endianness() !== 'LE') throw new Error('safetensors: big-endian hosts are not supported');
}

function parseHeader(path: string, headerText: string, dataStart: number, fileSize: number): {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
} {
  const header = parseJson(headerText, `safetensors file ${path}: header`);
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(path, 'header must be a JSON object');
  const metadata: Record<string, string> = {};
  const entries = new Map<string, SafetensorsEntry>();
  const dataBytes = fileSize - dataStart;
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, '__metadata__ must be an object of strings');
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(path, `__metadata__.${key} must be a string, got ${JSON.stringify(v)}`);
        metadata[key] = v;
      }
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, `tensor "${name}": entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      fail(path, `tensor "${name}": unknown dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(path, `tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(path, `tensor "${name}": data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(path, `tensor "${name}": data_offsets [${begin}, ${end}] end before begin`);
    if (end > dataBytes) {
      fail(path, `tensor "${name}": data_offsets [${begin}, ${end}] beyond the data section (${dataBytes} bytes; file truncated?)`);
    }
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expectedBytes = elements * DTYPE_BYTES[dtype]!;
    if (expectedBytes !== end - begin) {
      fail(path, `tensor "${name}": ${dtype} ${JSON.stringify(shape)} needs ${expectedBytes} bytes but data_offsets span ${end - begin}`);
    }
    entries.set(name, { name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  const byOffset = [...entries.values()].filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < byOffset.length; i++) {
    const previous = byOffset[i - 1]!;
    const current = byOffset[i]!;
    if (current.begin < previous.end) {
      fail(path, `tensors "${previous.name}" and "${current.name}" overlap (data_offsets ${previous.begin - dataStart}..${previous.end - dataStart} and ${current.begin - dataStart}..${current.end - dataStart})`);
    }
  }
  return { entries, metadata };
}

/** An open safetensors file: the validated header, and per-tensor reads. Call `close()` when done. */
export class SafetensorsFile {
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    readonly entries: ReadonlyMap<string, SafetensorsEntry>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.fd = fd;
  }

  static open(path: string): SafetensorsFile {
    assertLittleEndianHost();
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new Error(`safetensors file ${path}: cannot open (${(error as Error).message})`);
    }
    try {
      const fileSize = fstatSync(fd).size;
      if (fileSize < 8) fail(path, `file is ${fileSize} bytes, shorter than the 8-byte header length`);
      const lengthBytes = Buffer.alloc(8);
      readExactly(fd, lengthBytes, 0, path);
      const headerLength = lengthBytes.readBigUInt64LE(0);
      if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(path, `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
      if (headerLength + 8n > BigInt(fileSize)) fail(path, `header length ${headerLength} runs past the end of the ${fileSize}-byte file`);
      const headerBytes = Buffer.alloc(Number(headerLength));
      readExactly(fd, headerBytes, 8, path);
      const dataStart = 8 + Number(headerLength);
      const { entries, metadata } = parseHeader(path, headerBytes.toString('utf8'), dataStart, fileSize);
      return new SafetensorsFile(path, fd, entries, metadata);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  entry(name: string): SafetensorsEntry {
    const entry = this.entries.get(name);
    if (!entry) fail(this.path, `no tensor named "${name}" (has ${this.entries.size} tensors)`);
    return entry;
  }

  /** Reads a floating tensor (F32, F16 or BF16) as float32. */
  readFloat32(name: string): Tensor {
    const entry = this.entry(name);
    if (!FLOAT_DTYPES.has(entry.dtype)) {
      fail(this.path, `tensor "${name}" has dtype ${entry.dtype}; only F32, F16 and BF16 can be read as float32`);
    }
    const elements = (entry.end - entry.begin) / DTYPE_BYTES[entry.dtype]!;
    if (entry.dtype === 'F32') {
      const data = new Float32Array(elements);
      this.readInto(new Uint8Array(data.buffer), entry.begin);
      return { shape: [...entry.shape], data };
    }
    const halves = new Uint16Array(elements);
    this.readInto(new Uint8Array(halves.buffer), entry.begin);
    const data = entry.dtype === 'F16' ? f16ToF32(halves) : bf16ToF32(halves);
    return { shape: [...entry.shape], data };
  }

  /** Reads a U8 tensor. */
  readUint8(name: string): Uint8TensorData {
    const entry = this.entry(name);
    if (entry.dtype !== 'U8') fail(this.path, `tensor "${name}" has dtype ${entry.dtype}, expected U8`);
    const data = new Uint8Array(entry.end - entry.begin);
    this.readInto(data, entry.begin);
    return { shape: [...entry.shape], data };
  }

  /** Reads every floating tensor; non-floating ones (e.g. int64 `position_ids` buffers) are skipped. */
  readAllFloat32(): WeightMap {
    const weights: WeightMap = new Map();
    for (const entry of this.entries.values()) {
      if (FLOAT_DTYPES.has(entry.dtype)) weights.set(entry.name, this.readFloat32(entry.name));
    }
    return weights;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private readInto(target: Uint8Array, position: number): void {
    if (this.fd === null) fail(this.path, 'file already closed');
    for (let done = 0; done < target.length; done += READ_CHUNK_BYTES) {
      const view = target.subarray(done, Math.min(target.length, done + READ_CHUNK_BYTES));
      readExactly(this.fd, view, position + done, this.path);
    }
  }
}

function readExactly(fd: number, target: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, target.length - done, position + done);
    if (n === 0) fail(path, `unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

/** Opens, reads every floating tensor as float32, and closes. */
export function readSafetensors(path: string): { tensors: WeightMap; metadata: Record<string, string> } {
  const file = SafetensorsFile.open(path);
  try {
    return { tensors: file.readAllFloat32(), metadata: { ...file.metadata } };
  } finally {
    file.close();
  }
}

/** IEEE half -> float32 (handles subnormals, inf, NaN). */
export function f16ToF32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) out[i] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) out[i] = mantissa ? NaN : sign * Infinity;
    else out[i] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

/** bfloat16 -> float32: the 16 bits are the high half of the float32. */
export function bf16ToF32(halves: Uint16Array): Float32Array {
  const bits = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
  return new Float32Array(bits.buffer);
}

/** A tensor to write: float32 or uint8 data, row-major. */
export type WritableTensor =
  | { name: string; dtype: 'F32'; shape: number[]; data: Float32Array }
  | { name: string; dtype: 'U8'; shape: number[]; data: Uint8Array };

/**
 * Writes a safetensors file atomically (util/atomic.ts), writing each tensor's bytes in place so no second copy of
 * the data is made. Tensors are stored in the given order.
 */
export function writeSafetensors(path: string, tensors: WritableTensor[], metadata: Record<string, string> = {}): void {
  assertLittleEndianHost();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const tensor of tensors) {
    if (tensor.name === '__metadata__' || seen.has(tensor.name)) {
      throw new Error(`writeSafetensors ${path}: tensor name "${tensor.name}" is reserved or repeated`);
    }
    seen.add(tensor.name);
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || elements !== tensor.data.length) {
      throw new Error(`writeSafetensors ${path}: tensor "${tensor.name}" shape ${JSON.stringify(tensor.shape)} does not match its ${tensor.data.length} values`);
    }
    const bytes = tensor.data.byteLength;
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let headerText = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned (as the reference writer does).
  headerText += ' '.repeat((8 - ((Buffer.byteLength(headerText) + 8) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(headerBytes.length));

  const chunks = [lengthBytes, headerBytes, ...tensors.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))];
  writeFileAtomic(path, chunks, 'safetensors file');
}
