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
import { readFileSync } from 'node:fs';
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
  if (Buffer.byteLength(magic, 'ascii') !== 8) throw new Error(`encodeCacheFile: magic must be 8 ASCII bytes, got ${JSON.stringify(magic)}`);
  let json = Buffer.from(JSON.stringify({ ...header, sha256: sha256(payload) }), 'utf8');
  json = Buffer.concat([json, Buffer.alloc(pad8(PREFIX_BYTES + json.length), 0x20)]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  return [Buffer.from(magic, 'ascii'), length, json, ...payload];
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
  const fail = (reason: string): never => {
    throw new CacheFileError(path, kind, reason);
  };
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, 8).equals(Buffer.from(magic, 'ascii'))) {
    const found = bytes.subarray(0, 8).toString('latin1');
    fail(/^B[A-Z]{4}\d\d\n$/.test(found) ? `format ${JSON.stringify(found.trim())}, expected ${JSON.stringify(magic.trim())}` : 'not a cache file of this kind (bad magic bytes)');
  }
  const headerLength = bytes.readUInt32LE(8);
  if (PREFIX_BYTES + headerLength > bytes.length) fail('truncated header');
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    fail('unreadable header');
  }
  if (header === null || typeof header !== 'object' || typeof header.sha256 !== 'string') fail('header without a content hash');
  const payload = bytes.subarray(PREFIX_BYTES + headerLength);
  if (sha256([payload]) !== header.sha256) fail('content hash mismatch: the file was changed or damaged after it was written');
  const { sha256: _hash, ...rest } = header;
  return { header: rest, payload };
}
