/**
 * FLARE-style fusion of a 3-frame embedding history (CortexBench protocol):
 *   fused(t) = [e(t-1) - e(t-2), e(t) - e(t-1), e(t)]
 * with the history before t = 0 filled with copies of e(0), so t = 0 gives [0, 0, e0] and t = 1 gives
 * [0, e1 - e0, e1]. The same rule applies to pooled vectors [D] and to token grids [T, C] (flattened to
 * D = T * C; the fused grid is [3, T, C]).
 */

/** Fuses one episode: embeddings [steps, D] -> fused [steps, 3 * D]. */
export function flareFuseEpisode(embeddings: Float32Array, steps: number, dim: number): Float32Array {
  checkEpisode('flareFuseEpisode', embeddings, steps, dim);
  const fused = new Float32Array(steps * 3 * dim);
  for (let t = 0; t < steps; t++) {
    const cur = t * dim;
    const prev = Math.max(t - 1, 0) * dim;
    const prev2 = Math.max(t - 2, 0) * dim;
    writeFused(embeddings, prev2, prev, cur, dim, fused, t * 3 * dim);
  }
  return fused;
}

/** Fuses one episode of token grids: [steps, T, C] -> [steps, 3, T, C]. */
export function flareFuseTokenEpisode(tokens: Float32Array, steps: number, tokenCount: number, channels: number): Float32Array {
  if (!Number.isInteger(tokenCount) || tokenCount <= 0) {
    throw new Error(`flareFuseTokenEpisode: tokenCount must be a positive integer, got ${tokenCount}`);
  }
  if (!Number.isInteger(channels) || channels <= 0) {
    throw new Error(`flareFuseTokenEpisode: channels must be a positive integer, got ${channels}`);
  }
  // [3, T, C] per step is three contiguous [T * C] blocks, so the pooled rule applies to the flattened grid.
  return flareFuseEpisode(tokens, steps, tokenCount * channels);
}

/**
 * Where `FlareSamples` reads the episodes' frames [F, D] from: memory (`MemoryFrames`), or a file read per
 * mini-batch (the feature cache's token grids, data/features.ts), so that a cell need not hold every frame.
 */
export interface FrameSource {
  readonly frameCount: number;
  readonly dim: number;
  /**
   * Makes frames `frames` (ascending, distinct) readable: an array holding them and, per requested frame, the
   * offset of its row [D] in that array. Valid until the next call.
   */
  gather(frames: Int32Array): { values: Float32Array; offsets: Int32Array };
  /** Throws unless every frame is finite (a file source checks each frame as it reads it instead). */
  checkFinite(name: string): void;
}

/** Frames held in memory: [F, D] row-major; gathering is a lookup, not a copy. */
export class MemoryFrames implements FrameSource {
  readonly frameCount: number;
  private finiteChecked = false;

  constructor(
    readonly values: Float32Array,
    readonly dim: number,
  ) {
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`MemoryFrames: dim must be a positive integer, got ${dim}`);
    if (values.length % dim !== 0) throw new Error(`MemoryFrames: ${values.length} values are not whole frames of ${dim}`);
    this.frameCount = values.length / dim;
  }

  gather(frames: Int32Array): { values: Float32Array; offsets: Int32Array } {
    const offsets = new Int32Array(frames.length);
    for (let i = 0; i < frames.length; i++) offsets[i] = frames[i]! * this.dim;
    return { values: this.values, offsets };
  }

  /** Scans once: a dataset is trained on for many epochs. */
  checkFinite(name: string): void {
    if (this.finiteChecked) return;
    const { values } = this;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw new Error(`${name} holds a non-finite value (${values[i]}) at index ${i}`);
    }
    this.finiteChecked = true;
  }
}

/**
 * The fused training samples of whole episodes, fused on demand: reads the frames [F, D] (each held once, or
 * read per mini-batch) instead of holding the fused [F, 3D] (3x the memory; for token grids that is what bounds
 * a cell's size), and writes the fused rows a mini-batch asks for. `rows` gives exactly `flareFuseEpisode`'s
 * values whatever the source.
 */
export class FlareSamples {
  readonly count: number;
  readonly dim: number;
  /** Fused width 3D. */
  readonly width: number;
  /** Per sample: its frame's index and its step in its episode (the history clamps at step 0). */
  private readonly frameOf: Int32Array;
  private readonly stepOf: Int32Array;

  /** `frames` [sum(lengths), dim]: the episodes' frames back to back. */
  constructor(
    readonly frames: FrameSource,
    lengths: readonly number[],
  ) {
    const total = lengths.reduce((a, b) => a + b, 0);
    if (frames.frameCount !== total) {
      throw new Error(`FlareSamples: episodes of ${total} steps in all, but the frame source holds ${frames.frameCount} frames`);
    }
    this.count = total;
    this.dim = frames.dim;
    this.width = 3 * frames.dim;
    this.frameOf = new Int32Array(total);
    this.stepOf = new Int32Array(total);
    let s = 0;
    for (const length of lengths) {
      if (!Number.isInteger(length) || length <= 0) throw new Error(`FlareSamples: episode lengths must be positive integers, got ${length}`);
      for (let t = 0; t < length; t++, s++) {
        this.frameOf[s] = s;
        this.stepOf[s] = t;
      }
    }
  }

  /** Frames held in memory, [sum(lengths), dim]. */
  static inMemory(frames: Float32Array, dim: number, lengths: readonly number[]): FlareSamples {
    const total = lengths.reduce((a, b) => a + b, 0);
    checkEpisode('FlareSamples', frames, total, dim);
    return new FlareSamples(new MemoryFrames(frames, dim), lengths);
  }

  /**
   * Samples `indices` -> fused rows [indices.length, 3D], row r written at `out[r * rowStride]` (a stride wider
   * than 3D leaves room for other columns, e.g. proprio).
   */
  rows(indices: Int32Array, out?: Float32Array, rowStride = this.width): Float32Array {
    const { dim } = this;
    const target = out ?? new Float32Array(indices.length * rowStride);
    // Each sample reads its frame and the two before it (clamped at its episode's start).
    const triples = new Int32Array(indices.length * 3);
    for (let r = 0; r < indices.length; r++) {
      const sample = indices[r]!;
      if (!Number.isInteger(sample) || sample < 0 || sample >= this.count) throw new Error(`FlareSamples: sample ${sample} outside [0, ${this.count})`);
      const frame = this.frameOf[sample]!;
      const step = this.stepOf[sample]!;
      triples[r * 3] = frame - Math.min(step, 2);
      triples[r * 3 + 1] = frame - Math.min(step, 1);
      triples[r * 3 + 2] = frame;
    }
    const needed = Int32Array.from(new Set(triples)).sort();
    const { values, offsets } = this.frames.gather(needed);
    const offsetOf = new Map<number, number>();
    needed.forEach((frame, i) => offsetOf.set(frame, offsets[i]!));
    for (let r = 0; r < indices.length; r++) {
      const at = (k: number): number => offsetOf.get(triples[r * 3 + k]!)!;
      writeFused(values, at(0), at(1), at(2), dim, target, r * rowStride);
    }
    return target;
  }
}

/**
 * Online fusion for rollouts: one ring buffer of the last two embeddings per environment.
 * After `reset(env)` the next `push` for that environment is treated as t = 0.
 */
export class FlareHistory {
  readonly envCount: number;
  readonly dim: number;
  /** [envCount, 2, D]: the two most recent embeddings per environment, slot `newest[env]` is e(t-1). */
  private readonly ring: Float32Array;
  private readonly newest: Uint8Array;
  /** Steps seen since the last reset, capped at 2. */
  private readonly seen: Uint8Array;

  constructor(envCount: number, dim: number) {
    if (!Number.isInteger(envCount) || envCount <= 0) {
      throw new Error(`FlareHistory: envCount must be a positive integer, got ${envCount}`);
    }
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`FlareHistory: dim must be a positive integer, got ${dim}`);
    this.envCount = envCount;
    this.dim = dim;
    this.ring = new Float32Array(envCount * 2 * dim);
    this.newest = new Uint8Array(envCount);
    this.seen = new Uint8Array(envCount);
  }

  /** Starts a new episode for `env` (or for all environments when omitted). */
  reset(env?: number): void {
    if (env === undefined) {
      this.seen.fill(0);
      return;
    }
    this.checkEnv(env);
    this.seen[env] = 0;
  }

  /**
   * Records e(t) for one environment and writes fused(t) [3 * D] into `out` (allocated when omitted).
   * `embedding` is read from `offset` (so a row of a batch can be passed without copying).
   */
  push(env: number, embedding: Float32Array, offset = 0, out?: Float32Array, outOffset = 0): Float32Array {
    this.checkEnv(env);
    const dim = this.dim;
    if (!Number.isInteger(offset) || offset < 0 || offset + dim > embedding.length) {
      throw new Error(`FlareHistory.push: embedding needs ${dim} values from offset ${offset}, has ${embedding.length}`);
    }
    const target = out ?? new Float32Array(3 * dim);
    if (outOffset < 0 || outOffset + 3 * dim > target.length) {
      throw new Error(`FlareHistory.push: out needs ${3 * dim} values from offset ${outOffset}, has ${target.length}`);
    }
    const base = env * 2 * dim;
    const seen = this.seen[env]!;
    if (seen === 0) {
      // t = 0: both history slots become e(0).
      this.ring.set(embedding.subarray(offset, offset + dim), base);
      this.ring.set(embedding.subarray(offset, offset + dim), base + dim);
      this.newest[env] = 0;
    }
    const prevSlot = this.newest[env]!;
    const prev = base + prevSlot * dim;
    const prev2 = base + (1 - prevSlot) * dim;
    for (let i = 0; i < dim; i++) {
      const e = embedding[offset + i]!;
      const p = this.ring[prev + i]!;
      target[outOffset + i] = p - this.ring[prev2 + i]!;
      target[outOffset + dim + i] = e - p;
      target[outOffset + 2 * dim + i] = e;
    }
    // The oldest slot now receives e(t) and becomes the newest.
    this.ring.set(embedding.subarray(offset, offset + dim), prev2);
    this.newest[env] = 1 - prevSlot;
    this.seen[env] = Math.min(seen + 1, 2);
    return target;
  }

  /** Pushes one embedding per environment (rows of [envCount, D]) and returns fused [envCount, 3 * D]. */
  pushAll(embeddings: Float32Array): Float32Array {
    if (embeddings.length !== this.envCount * this.dim) {
      throw new Error(
        `FlareHistory.pushAll: expected [${this.envCount}, ${this.dim}] = ${this.envCount * this.dim} values, got ${embeddings.length}`,
      );
    }
    const fused = new Float32Array(this.envCount * 3 * this.dim);
    for (let env = 0; env < this.envCount; env++) this.push(env, embeddings, env * this.dim, fused, env * 3 * this.dim);
    return fused;
  }

  private checkEnv(env: number): void {
    if (!Number.isInteger(env) || env < 0 || env >= this.envCount) {
      throw new Error(`FlareHistory: env must be an integer in [0, ${this.envCount}), got ${env}`);
    }
  }
}

function writeFused(
  src: Float32Array,
  prev2: number,
  prev: number,
  cur: number,
  dim: number,
  out: Float32Array,
  outOffset: number,
): void {
  for (let i = 0; i < dim; i++) {
    const p = src[prev + i]!;
    const e = src[cur + i]!;
    out[outOffset + i] = p - src[prev2 + i]!;
    out[outOffset + dim + i] = e - p;
    out[outOffset + 2 * dim + i] = e;
  }
}

function checkEpisode(name: string, embeddings: Float32Array, steps: number, dim: number): void {
  if (!Number.isInteger(steps) || steps <= 0) throw new Error(`${name}: steps must be a positive integer, got ${steps}`);
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${name}: dim must be a positive integer, got ${dim}`);
  if (embeddings.length !== steps * dim) {
    throw new Error(`${name}: expected [${steps}, ${dim}] = ${steps * dim} values, got ${embeddings.length}`);
  }
}
