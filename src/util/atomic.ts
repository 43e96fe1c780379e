/**
 * Atomic, durable file writes and checked directory creation. Every file the harness writes (cells, results,
 * caches, exports) goes through `writeFileAtomic`: readers see the old content or the whole new content, never a
 * partial file, even after a crash or a full disk.
 */
import { accessSync, closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describeFsError, errnoCode, FileSystemError, writeError } from './fs_errors.js';
import { processIsAlive } from './lock_file.js';

/**
 * Makes sure `path` is a writable directory, creating it and missing parents one level at a time. `what` names it
 * in errors (e.g. "--out directory"). Unlike `mkdirSync(recursive)`, which spins forever on file systems that refuse
 * to create entries (procfs answers ENOENT with the parent present), every refusal becomes an error naming the path.
 */
export function ensureDirectory(path: string, what: string): void {
  const missing: string[] = [];
  let dir = resolve(path);
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(dir).isDirectory();
    } catch (error) {
      const code = errnoCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FileSystemError(dir, `cannot use ${what} '${path}': '${dir}': ${describeFsError(error)}`, code);
      missing.push(dir);
      const parent = dirname(dir);
      if (parent === dir) throw new FileSystemError(dir, `cannot create ${what} '${path}': no existing folder above it`, code);
      dir = parent;
      continue;
    }
    if (!isDirectory) {
      throw new FileSystemError(dir, `cannot create ${what} '${path}': '${dir}' is a file, not a directory`, 'ENOTDIR');
    }
    try {
      accessSync(dir, constants.W_OK);
    } catch (error) {
      throw new FileSystemError(dir, `cannot write ${what} '${path}': '${dir}' is not writable: ${describeFsError(error)}`, errnoCode(error));
    }
    break;
  }
  for (const child of missing.reverse()) {
    try {
      mkdirSync(child);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST' && statSync(child).isDirectory()) continue; // created by a concurrent process
      // procfs and similar refuse with ENOENT although the parent exists.
      const reason = code === 'ENOENT' ? `the file system refuses to create '${child}' (ENOENT although its parent exists)` : `'${child}': ${describeFsError(error)}`;
      throw new FileSystemError(child, `cannot create ${what} '${path}': ${reason}`, code);
    }
  }
}

let temporaries = 0;
const TEMPORARY = /\.tmp-(\d+)-\w+$/;

/**
 * Writes `data` (bytes, text, or byte chunks written in order without concatenating them) to `path` atomically:
 * a temporary file beside it is written, fsynced and renamed into place, then the directory is fsynced. On any
 * failure the temporary file is removed and the error names `what` and `path` (e.g. "cannot write cell result
 * '...': the disk is full (ENOSPC)").
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[], what: string): void {
  const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  const writer = new AtomicFileWriter(path, what);
  for (const chunk of chunks) writer.append(chunk);
  writer.commit();
}

/**
 * `writeFileAtomic` for content produced piece by piece (too large to hold at once): `append` pieces, patch bytes
 * already written with `writeAt` (e.g. a header whose hash is known only at the end), then `commit` (fsync,
 * rename, directory fsync) or `abort`. Any failure removes the temporary file and names `what` and `path`.
 */
export class AtomicFileWriter {
  private fd: number | null = null;
  private readonly tmp: string;
  /** Bytes appended so far. */
  private length = 0;

  constructor(
    readonly path: string,
    private readonly what: string,
  ) {
    ensureDirectory(dirname(path), `the folder of ${what}`);
    this.tmp = `${path}.tmp-${process.pid}-${temporaries++}`;
    this.guard(() => {
      this.fd = openSync(this.tmp, 'wx');
    });
  }

  append(bytes: Uint8Array): void {
    this.guard(() => writeAll(this.open(), bytes, this.length));
    this.length += bytes.length;
  }

  /** Overwrites bytes already appended, from `position`. */
  writeAt(bytes: Uint8Array, position: number): void {
    if (position < 0 || position + bytes.length > this.length) throw new Error(`AtomicFileWriter.writeAt: bytes ${position}..${position + bytes.length} were not appended yet (${this.length} were)`);
    this.guard(() => writeAll(this.open(), bytes, position));
  }

  commit(): void {
    this.guard(() => {
      const fd = this.open();
      fsyncSync(fd);
      closeSync(fd);
      this.fd = null;
      renameSync(this.tmp, this.path);
    });
    syncDirectory(dirname(this.path));
  }

  /** Removes the temporary file (nothing reaches `path`). */
  abort(): void {
    if (this.fd !== null) closeQuietly(this.fd);
    this.fd = null;
    rmSync(this.tmp, { force: true });
  }

  private open(): number {
    if (this.fd === null) throw new Error(`AtomicFileWriter: ${this.what} '${this.path}' was already committed or aborted`);
    return this.fd;
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.abort();
      throw writeError(error, this.what, this.path);
    }
  }
}

/** One write call is limited to < 2 GiB; larger chunks are written in pieces. */
const WRITE_PIECE_BYTES = 1 << 30;

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, WRITE_PIECE_BYTES), position + done);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // the write already failed; that error is the one to report
  }
}

/** Makes a rename durable; file systems that cannot fsync a directory are skipped (the rename itself is atomic). */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // e.g. EISDIR / EINVAL on platforms without directory fsync
  } finally {
    if (fd !== null) closeQuietly(fd);
  }
}

/** Removes temporary files that killed processes left in `dir` (those of live processes are being written). */
export function removeStaleTemporaries(dir: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = TEMPORARY.exec(name)?.[1];
    if (pid === undefined || processIsAlive(Number(pid))) continue;
    rmSync(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

/**
 * Checks, before any work, that a file can be written at `path`: its folder exists or can be created and is
 * writable, and `path` itself is not a directory. `what` names it in errors (e.g. "--out file").
 */
export function prepareOutputFile(path: string, what: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // absent (or unreachable, which ensureDirectory below reports)
  }
  if (isDirectory) throw new FileSystemError(path, `cannot write ${what} '${path}': it is a directory`, 'EISDIR');
  ensureDirectory(dirname(resolve(path)), `the folder of ${what}`);
}
