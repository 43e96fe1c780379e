/**
 * Frames [F, D] read from a verified cache file per mini-batch (positioned reads of the rows asked for, float16
 * decoded as they arrive) instead of held in memory: what lets a cell train on more token grids than fit in RAM.
 * The file's content hash was checked when it was opened (`verifyCacheFileInPlace`); every read afterwards checks
 * that the file still has the size and modification time it had then, that it returns every byte, and that each
 * value is finite (the writer stored finite values only), and fails with a CacheFileError naming the file
 * otherwise. No descriptor is held between reads, so nothing needs closing.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { FrameSource } from '../policies/flare.js';
import { readError } from '../util/fs_errors.js';
import { CacheFileError, type VerifiedPayload } from './cache_file.js';
import { decodeHalfInto } from './float16.js';

/** Frames per positioned read: bounds the raw read buffer (5 MB for 14 x 14 x 192 float16 tokens). */
const FRAMES_PER_READ = 64;

export interface StreamedFramesFile {
  path: string;
  /** What the file holds, for error messages ("feature cache file"). */
  kind: string;
  payload: VerifiedPayload;
  precision: 'float16' | 'float32';
  frameCount: number;
  dim: number;
}

export class StreamedFrames implements FrameSource {
  readonly frameCount: number;
  readonly dim: number;
  private readonly bytesPerValue: number;
  /** The rows of the last gather [frames, D]; grows to the largest batch seen and is reused. */
  private rows = new Float32Array(0);
  private readonly raw: Uint8Array;

  constructor(private readonly file: StreamedFramesFile) {
    const { payload, precision, frameCount, dim } = file;
    this.frameCount = frameCount;
    this.dim = dim;
    this.bytesPerValue = precision === 'float16' ? 2 : 4;
    if (payload.payloadBytes !== frameCount * dim * this.bytesPerValue) {
      this.fail(`holds ${payload.payloadBytes} payload bytes, expected ${frameCount} frames x ${dim} ${precision} values`);
    }
    // Its own ArrayBuffer: the typed views over it need an aligned start.
    this.raw = new Uint8Array(new ArrayBuffer(Math.min(FRAMES_PER_READ, frameCount) * dim * this.bytesPerValue));
  }

  gather(frames: Int32Array): { values: Float32Array; offsets: Int32Array } {
    const { dim } = this;
    if (this.rows.length < frames.length * dim) this.rows = new Float32Array(frames.length * dim);
    const fd = this.open();
    try {
      // Runs of consecutive frames (a sample's history is three) are read in one call each.
      for (let i = 0; i < frames.length; ) {
        let end = i + 1;
        while (end < frames.length && end - i < FRAMES_PER_READ && frames[end] === frames[end - 1]! + 1) end++;
        this.readRun(fd, frames[i]!, end - i, i * dim);
        i = end;
      }
    } finally {
      closeSync(fd);
    }
    const offsets = new Int32Array(frames.length);
    for (let i = 0; i < frames.length; i++) offsets[i] = i * dim;
    return { values: this.rows, offsets };
  }

  /** Each read checks its values (see the header comment). */
  checkFinite(): void {}

  private open(): number {
    const { path, kind, payload } = this.file;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new CacheFileError(path, kind, `cannot be read any more: ${readError(error, kind, path).message}`);
    }
    const { size, mtimeMs } = fstatSync(fd);
    if (size !== payload.size || mtimeMs !== payload.mtimeMs) {
      closeSync(fd);
      this.fail(size !== payload.size ? `changed size from ${payload.size} to ${size} bytes while in use (truncated or rewritten)` : 'was modified while in use');
    }
    return fd;
  }

  /** Reads frames [first, first + count) into `rows` at `offset`. */
  private readRun(fd: number, first: number, count: number, offset: number): void {
    const { dim, bytesPerValue } = this;
    if (!Number.isInteger(first) || first < 0 || first + count > this.frameCount) throw new Error(`StreamedFrames: frames ${first}..${first + count - 1} outside [0, ${this.frameCount})`);
    const bytes = count * dim * bytesPerValue;
    const position = this.file.payload.payloadStart + first * dim * bytesPerValue;
    let done = 0;
    while (done < bytes) {
      const n = readSync(fd, this.raw, done, bytes - done, position + done);
      if (n === 0) this.fail(`ended at byte ${position + done} while frame ${first + Math.floor(done / (dim * bytesPerValue))} was read (truncated)`);
      done += n;
    }
    const values = count * dim;
    if (bytesPerValue === 2) decodeHalfInto(new Uint16Array(this.raw.buffer, 0, values), this.rows, offset);
    else this.rows.set(new Float32Array(this.raw.buffer, 0, values), offset);
    for (let i = offset; i < offset + values; i++) {
      if (!Number.isFinite(this.rows[i]!)) {
        this.fail(`frame ${first + Math.floor((i - offset) / dim)} holds ${this.rows[i]}, but only finite values were written (damaged while in use)`);
      }
    }
  }

  private fail(reason: string): never {
    throw new CacheFileError(this.file.path, this.file.kind, reason);
  }
}
