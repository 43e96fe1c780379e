/**
 * A read-only zip archive reader for PyTorch checkpoints (`torch.save` writes a zip of `ARCHIVE/data.pkl`,
 * `ARCHIVE/data/<key>` storages and `ARCHIVE/version`, uncompressed and 64-byte aligned).
 *
 * Only the central directory is trusted: it is located through the end-of-central-directory record (zip64 when
 * present), every entry's byte range is checked against the file, and records are read on demand straight from the
 * file descriptor, so multi-GB checkpoints never sit in memory twice. A file without an end-of-central-directory
 * record (truncated, or not a zip) is refused; the archive is never rebuilt from local headers.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const STORED = 0;
const DEFLATED = 8;
/** One readSync call is limited to < 2 GiB; larger records are read in chunks. */
const READ_CHUNK_BYTES = 1 << 30;

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export class ZipArchive {
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    readonly fileSize: number,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {
    this.fd = fd;
  }

  static open(path: string): ZipArchive {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new Error(`zip archive ${path}: cannot open (${(error as Error).message})`);
    }
    try {
      const fileSize = fstatSync(fd).size;
      const entries = readCentralDirectory(fd, fileSize, path);
      return new ZipArchive(path, fd, fileSize, entries);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  entry(name: string): ZipEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`zip archive ${this.path}: no record named "${name}"`);
    return entry;
  }

  /** Absolute offset of an entry's data (after its local header). */
  private dataOffset(entry: ZipEntry): number {
    const header = Buffer.alloc(30);
    readAt(this.descriptor(), header, entry.localHeaderOffset, this.path);
    if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) {
      throw new Error(`zip archive ${this.path}: record "${entry.name}" has no local header at offset ${entry.localHeaderOffset} (corrupt zip)`);
    }
    const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (start + entry.compressedSize > this.fileSize) {
      throw new Error(`zip archive ${this.path}: record "${entry.name}" (${entry.compressedSize} bytes at ${start}) runs past the end of the ${this.fileSize}-byte file (truncated?)`);
    }
    return start;
  }

  /** The whole (decompressed) record, checked against its CRC-32. For small records such as data.pkl. */
  read(name: string): Uint8Array {
    const entry = this.entry(name);
    const raw = new Uint8Array(entry.compressedSize);
    readAt(this.descriptor(), raw, this.dataOffset(entry), this.path);
    let data: Uint8Array;
    if (entry.method === STORED) data = raw;
    else if (entry.method === DEFLATED) {
      try {
        data = inflateRawSync(raw);
      } catch (error) {
        throw new Error(`zip archive ${this.path}: record "${name}" does not inflate (${(error as Error).message})`);
      }
    } else throw new Error(`zip archive ${this.path}: record "${name}" uses compression method ${entry.method} (supported: stored, deflate)`);
    if (data.length !== entry.size) throw new Error(`zip archive ${this.path}: record "${name}" holds ${data.length} bytes, its directory entry says ${entry.size}`);
    if (crc32(data) >>> 0 !== entry.crc32) throw new Error(`zip archive ${this.path}: record "${name}" fails its CRC-32 check (corrupt zip)`);
    return data;
  }

  /** `target.byteLength` bytes of a stored record from byte `offset` on, read straight into `target`. */
  readInto(name: string, offset: number, target: Uint8Array): void {
    const entry = this.entry(name);
    if (entry.method !== STORED) {
      target.set(this.read(name).subarray(offset, offset + target.byteLength));
      return;
    }
    if (offset < 0 || offset + target.byteLength > entry.size) {
      throw new Error(`zip archive ${this.path}: bytes ${offset}..${offset + target.byteLength} are outside record "${name}" (${entry.size} bytes)`);
    }
    readAt(this.descriptor(), target, this.dataOffset(entry) + offset, this.path);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private descriptor(): number {
    if (this.fd === null) throw new Error(`zip archive ${this.path}: already closed`);
    return this.fd;
  }
}

function readAt(fd: number, target: Uint8Array, position: number, path: string): void {
  for (let done = 0; done < target.byteLength; ) {
    const want = Math.min(target.byteLength - done, READ_CHUNK_BYTES);
    const got = readSync(fd, target, done, want, position + done);
    if (got === 0) throw new Error(`zip archive ${path}: unexpected end of file at byte ${position + done}`);
    done += got;
  }
}

function readCentralDirectory(fd: number, fileSize: number, path: string): Map<string, ZipEntry> {
  const notZip = (why: string): Error =>
    new Error(`zip archive ${path}: truncated or corrupt zip (${why}); a PyTorch checkpoint is a complete zip archive`);
  if (fileSize < EOCD_BYTES) throw notZip(`${fileSize} bytes, too short for an end-of-central-directory record`);
  const tailSize = Math.min(fileSize, EOCD_BYTES + MAX_COMMENT_BYTES);
  const tail = Buffer.alloc(tailSize);
  readAt(fd, tail, fileSize - tailSize, path);
  let eocd = -1;
  for (let i = tailSize - EOCD_BYTES; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE && i + EOCD_BYTES + tail.readUInt16LE(i + 20) === tailSize) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw notZip('no end-of-central-directory record');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const eocdAbsolute = fileSize - tailSize + eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = Buffer.alloc(20);
    if (eocdAbsolute < 20) throw notZip('zip64 fields without a zip64 locator');
    readAt(fd, locator, eocdAbsolute - 20, path);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) throw notZip('zip64 fields without a zip64 locator');
    const zip64Offset = Number(locator.readBigUInt64LE(8));
    if (zip64Offset + 56 > fileSize) throw notZip('zip64 end-of-central-directory record outside the file');
    const record = Buffer.alloc(56);
    readAt(fd, record, zip64Offset, path);
    if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) throw notZip('bad zip64 end-of-central-directory record');
    count = Number(record.readBigUInt64LE(32));
    cdSize = Number(record.readBigUInt64LE(40));
    cdOffset = Number(record.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > fileSize) throw notZip(`central directory (${cdSize} bytes at ${cdOffset}) outside the ${fileSize}-byte file`);
  const directory = Buffer.alloc(cdSize);
  readAt(fd, directory, cdOffset, path);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || directory.readUInt32LE(p) !== CENTRAL_SIGNATURE) throw notZip(`central directory entry ${i} is malformed`);
    const flags = directory.readUInt16LE(p + 8);
    const method = directory.readUInt16LE(p + 10);
    const crc = directory.readUInt32LE(p + 16);
    let compressedSize = directory.readUInt32LE(p + 20);
    let size = directory.readUInt32LE(p + 24);
    const nameLength = directory.readUInt16LE(p + 28);
    const extraLength = directory.readUInt16LE(p + 30);
    const commentLength = directory.readUInt16LE(p + 32);
    let localHeaderOffset = directory.readUInt32LE(p + 42);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cdSize) throw notZip(`central directory entry ${i} runs past the directory`);
    if (flags & 1) throw new Error(`zip archive ${path}: record ${i} is encrypted`);
    const name = directory.toString('utf8', p + 46, p + 46 + nameLength);
    // Zip64 extended information: the 64-bit values replace the saturated 32-bit ones, in this order.
    for (let e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength; ) {
      const id = directory.readUInt16LE(e);
      const length = directory.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const next = (): number => {
          const v = Number(directory.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      e += 4 + length;
    }
    if (localHeaderOffset + 30 + compressedSize > fileSize) {
      throw notZip(`record "${name}" (${compressedSize} bytes at ${localHeaderOffset}) runs past the end of the file`);
    }
    entries.set(name, { name, method, crc32: crc, compressedSize, size, localHeaderOffset });
    p = end;
  }
  return entries;
}
