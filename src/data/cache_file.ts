/**
 * The container of the binary cache files (demo episodes, demo features), little-endian:
 *
 *   bytes 0-7    magic: 8 ASCII bytes naming the kind and its version, e.g. "BDEMO02\n"
 *   bytes 8-11   uint32 H: byte length of the JSON header
 *   next H bytes UTF-8 JSON header, space-padded so that the payload starts 8-byte aligned; its `sha256` field is
 *                the hex SHA-256 of the payload
 *   payload      to the end of the file
 *
 * The reader checks the hash before any payload byte is used, so a file changed after it was written (an edit,
 * a disk fault, another program) is recognised instead of silently trusted.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { AtomicFileWriter } from '../util/atomic.js';
import { readError } from '../util/fs_errors.js';

const PREFIX_BYTES = 12;

/** A cache file that cannot be used: unreadable, damaged, or not the entry asked for. */
export class CacheFileError extends Error {
  constructor(
    readonly path: string,
    kind: string,
    reason: string,
  ) {
    super(`${kind} ${path}: ${reason}`);
    this.name = 'CacheFileError';
  }
}

const pad8 = (n: number): number => (8 - (n % 8)) % 8;

function sha256(chunks: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** The file as chunks to write in order (no copy of the payload): prefix, header with the payload hash, payload. */
export function encodeCacheFile(magic: string, header: object, payload: readonly Uint8Array[]): Uint8Array[] {
  return [...encodeHead(magic, header, sha256(payload)), ...payload];
}

/** Magic, header length and padded header JSON with `hash` as its `sha256`. */
function encodeHead(magic: string, header: object, hash: string): Buffer[] {
  if (Buffer.byteLength(magic, 'ascii') !== 8) throw new Error(`encodeCacheFile: magic must be 8 ASCII bytes, got ${JSON.stringify(magic)}`);
  let json = Buffer.from(JSON.stringify({ ...header, sha256: hash }), 'utf8');
  json = Buffer.concat([json, Buffer.alloc(pad8(PREFIX_BYTES + json.length), 0x20)]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  return [Buffer.from(magic, 'ascii'), length, json];
}

/**
 * `encodeCacheFile` + `writeFileAtomic` for payloads produced piece by piece (too large to hold): the header is
 * written first with a placeholder hash of the same length, the payload appended and hashed as it comes, and the
 * header rewritten with the real hash on `commit`. Nothing reaches `path` before `commit`.
 */
export class CacheFileWriter {
  private readonly file: AtomicFileWriter;
  private readonly hash = createHash('sha256');
  private readonly headerBytes: number;

  constructor(
    path: string,
    private readonly magic: string,
    private readonly header: object,
    what: string,
  ) {
    const head = encodeCacheFile(magic, header, []);
    this.headerBytes = head.reduce((n, chunk) => n + chunk.length, 0);
    this.file = new AtomicFileWriter(path, what);
    for (const chunk of head) this.file.append(chunk);
  }

  append(payload: Uint8Array): void {
    this.hash.update(payload);
    this.file.append(payload);
  }

  commit(): void {
    // The same header with a 64-hex-digit hash in place of the placeholder's: the same byte length.
    const head = Buffer.concat(encodeHead(this.magic, this.header, this.hash.digest('hex')));
    if (head.length !== this.headerBytes) throw new Error(`CacheFileWriter: header changed length (${this.headerBytes} -> ${head.length} bytes)`);
    this.file.writeAt(head, 0);
    this.file.commit();
  }

  abort(): void {
    this.file.abort();
  }
}

/**
 * Reads a cache file of kind `kind` ("demo file", "feature cache file") with `magic`, verifies its payload hash and
 * returns the header (without `sha256`) and the payload. Every problem is a CacheFileError naming the file.
 */
export function readCacheFile(path: string, kind: string, magic: string): { header: Record<string, unknown>; payload: Buffer } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CacheFileError(path, kind, readError(error, kind, path).message);
  }
  const { header, payloadStart } = parseHead(path, kind, magic, bytes, bytes.length);
  const payload = bytes.subarray(payloadStart);
  if (sha256([payload]) !== header.sha256) fail(path, kind, HASH_MISMATCH);
  const { sha256: _hash, ...rest } = header;
  return { header: rest, payload };
}

/** Where a verified payload lies in its file, and what the file looked like when it was verified. */
export interface VerifiedPayload {
  header: Record<string, unknown>;
  /** Byte offset of the payload in the file. */
  payloadStart: number;
  payloadBytes: number;
  /** File size and modification time at verification: a reader compares them before each later read. */
  size: number;
  mtimeMs: number;
}

/** Bytes hashed per read while verifying in place. */
const VERIFY_CHUNK_BYTES = 16 * 2 ** 20;

/**
 * `readCacheFile` for payloads too large to hold: reads the header, verifies the payload hash in chunks of
 * 16 MiB and returns where the payload lies instead of its bytes, for positioned reads later.
 */
export function verifyCacheFileInPlace(path: string, kind: string, magic: string): VerifiedPayload {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new CacheFileError(path, kind, readError(error, kind, path).message);
  }
  try {
    const { size, mtimeMs } = fstatSync(fd);
    const read = (bytes: number, position: number): Buffer => {
      const chunk = Buffer.alloc(Math.max(0, Math.min(bytes, size - position)));
      let done = 0;
      while (done < chunk.length) {
        const n = readSync(fd, chunk, done, chunk.length - done, position + done);
        if (n === 0) fail(path, kind, `truncated while being read (${position + done} of ${size} bytes)`);
        done += n;
      }
      return chunk;
    };
    const prefix = read(PREFIX_BYTES, 0);
    const headerBytes = prefix.length === PREFIX_BYTES ? prefix.readUInt32LE(8) : 0;
    const { header, payloadStart } = parseHead(path, kind, magic, Buffer.concat([prefix, read(headerBytes, PREFIX_BYTES)]), size);
    const hash = createHash('sha256');
    for (let position = payloadStart; position < size; position += VERIFY_CHUNK_BYTES) hash.update(read(VERIFY_CHUNK_BYTES, position));
    if (hash.digest('hex') !== header.sha256) fail(path, kind, HASH_MISMATCH);
    const { sha256: _hash, ...rest } = header;
    return { header: rest, payloadStart, payloadBytes: size - payloadStart, size, mtimeMs };
  } finally {
    closeSync(fd);
  }
}

const HASH_MISMATCH = 'content hash mismatch: the file was changed or damaged after it was written';

const fail = (path: string, kind: string, reason: string): never => {
  throw new CacheFileError(path, kind, reason);
};

/** Checks the magic and parses the header out of `head` (the file's first bytes, at least prefix + header) of a file of `fileBytes`. */
function parseHead(path: string, kind: string, magic: string, head: Buffer, fileBytes: number): { header: Record<string, unknown> & { sha256: string }; payloadStart: number } {
  if (head.length < PREFIX_BYTES || !head.subarray(0, 8).equals(Buffer.from(magic, 'ascii'))) {
    const found = head.subarray(0, 8).toString('latin1');
    fail(path, kind, /^B[A-Z]{4}\d\d\n$/.test(found) ? `format ${JSON.stringify(found.trim())}, expected ${JSON.stringify(magic.trim())}` : 'not a cache file of this kind (bad magic bytes)');
  }
  const headerLength = head.readUInt32LE(8);
  if (PREFIX_BYTES + headerLength > fileBytes || PREFIX_BYTES + headerLength > head.length) fail(path, kind, 'truncated header');
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(head.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    fail(path, kind, 'unreadable header');
  }
  if (header === null || typeof header !== 'object' || typeof header.sha256 !== 'string') fail(path, kind, 'header without a content hash');
  return { header: header as Record<string, unknown> & { sha256: string }, payloadStart: PREFIX_BYTES + headerLength };
}
