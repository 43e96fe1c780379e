/**
 * Demo features: demo frames are re-rendered deterministically (restoreDemoState, in each episode's own scene
 * variant, then the run's render settings for the task), encoded in batches by a frozen encoder, and cached on disk.
 * The frames are rendered by a VectorEnv: on this thread, or on worker threads one batch ahead of the encoder (the
 * same frames either way: a frame is a function of its recorded state and scene).
 *
 * Cache: <cacheDir>/features/<task>/<key>.bfeat, key = sha256 of (encoder digest, task name + version, demo set key,
 * the scene variant digest of every episode, steps per episode, image size, camera, look, kind). The frames are
 * rendered in the variants the key names (the replay follows each episode's recorded variant), so features of two
 * scenes can never share an entry. Values are stored as float16 (half the disk of float32; relative rounding
 * <= 2^-11) when they all fit its range (|x| <= 65504), else as float32: float16 would turn them into infinities.
 * So that a run that computes features and a run that reads them train on identical numbers, freshly computed
 * float16 features are rounded to float16 too (`roundToHalf`), and evaluation rounds online features the same way
 * (`DemoFeatures.precision` says which).
 *
 * File: a cache file (cache_file.ts) with magic "BFEAT04\n", a `FeatureFileHeader` and as payload the values
 * [frames, width] (float16 or float32, little-endian), frames = sum of episode lengths in episode order. A damaged
 * file (content hash) is recomputed with a warning naming it.
 *
 * Size: an entry whose frames as float32 exceed `STREAM_ABOVE_BYTES` (1 GiB, e.g. 7,000 frames of Theia-tiny's
 * 14 x 14 x 192 tokens; every pooled entry and every quick-profile token grid stays far below) is never held in
 * memory: computed, it is written to the file batch by batch as it is encoded (float16 unless a value does not fit,
 * in which case the frames are encoded again and stored as float32); cached, its hash is verified in place. Training
 * then reads the frames each mini-batch needs from the file (streamed_frames.ts), so memory is bounded by the batch,
 * not the demo set. Smaller entries are held in memory. Either way the policy sees the same float32 numbers.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EncodedBatch, Encoder, FrameBatch } from '../encoders/encoder.js';
import type { Env } from '../envs/env.js';
import { demoStateFrame, type DemoEpisode } from '../envs/expert_rollout.js';
import { variantDigest } from '../envs/factors/variant.js';
import type { TaskDefinition } from '../envs/task.js';
import { LocalVectorEnv, type VectorEnv } from '../envs/vector_env.js';
import { frameOptions, type RenderSettings } from '../protocol/render_settings.js';
import { removeStaleTemporaries, writeFileAtomic } from '../util/atomic.js';
import { createProgress } from '../util/progress.js';
import { MemoryFrames, type FrameSource } from '../policies/flare.js';
import { CacheFileError, CacheFileWriter, encodeCacheFile, readCacheFile, verifyCacheFileInPlace } from './cache_file.js';
import { decodeHalf, encodeHalf, fitsHalf, roundToHalf } from './float16.js';
import { StreamedFrames } from './streamed_frames.js';

// Format 2: frames are re-rendered through restoreDemoState (format 1 skipped the per-episode reset, so tasks
// whose episode values live in the model, e.g. MetaWorld fixture positions, rendered every frame with one layout).
// Format 3: a content hash, and float32 storage for features outside float16's range.
// Format 4: each episode is replayed in its own scene variant, whose digest is part of the key.
const FORMAT = 4;
const MAGIC = 'BFEAT04\n';
const KIND = 'feature cache file';

/** Entries whose frames as float32 take more bytes than this are never held in memory (see above). */
export const STREAM_ABOVE_BYTES = 2 ** 30;

/** Demo frames per encoder call in the feature stage (unless a request sets `batchSize`). */
export const FEATURE_BATCH = 32;

/** What is encoded per frame: the pooled vector [D] or the spatial tokens [T, C] flattened. */
export type FeatureKind = 'pooled' | 'spatial';

/** How features are stored and fed to the policy (see the header comment). */
export type FeaturePrecision = 'float16' | 'float32';

/** A demo set as the demo store returns it (only what features need). */
export interface DemoSetLike {
  /** Identity of the set (task, version, expert, seeds): part of the feature key. */
  key: string;
  episodes: readonly DemoEpisode[];
}

export interface FeatureRequest {
  task: TaskDefinition;
  demos: DemoSetLike;
  encoder: Encoder;
  /** Envs of `task` that render the demo frames (`renderStates`; their states and scenes are overwritten). */
  envs: VectorEnv;
  kind: FeatureKind;
  /** How the frames are rendered (the same settings as the evaluation frames). */
  render: RenderSettings;
  /** Use only the first `maxSteps` steps of each episode (shortened horizons); all steps when omitted. */
  maxSteps?: number;
  cacheDir: string;
  /** Frames per encoder call (default `FEATURE_BATCH`). */
  batchSize?: number;
  quiet?: boolean;
  /** Where warnings go (a damaged cache file that is recomputed); default stderr. */
  warn?: (line: string) => void;
  /** Stops between batches when aborted. */
  signal?: AbortSignal;
  /** Stream entries (computed or cached) above this many bytes of float32 frames; default `STREAM_ABOVE_BYTES`. */
  streamAboveBytes?: number;
}

/** Features of a demo set: `frames` holds [frames, width] row-major, frames of episode i start at `offsets[i]`. */
export interface DemoFeatures {
  kind: FeatureKind;
  /** Per-frame width: D for pooled, T * C for spatial. */
  width: number;
  /** Frames used per episode (min(length, maxSteps)). */
  lengths: number[];
  offsets: number[];
  /** In memory (`MemoryFrames`) or read from the cache file per mini-batch (`StreamedFrames`). */
  frames: FrameSource;
  precision: FeaturePrecision;
  /** Whether the values came from the cache. */
  cached: boolean;
  key: string;
}

interface FeatureFileHeader {
  format: number;
  key: string;
  encoderDigest: string;
  task: string;
  taskVersion: number;
  demoSetKey: string;
  kind: FeatureKind;
  width: number;
  lengths: number[];
  precision: FeaturePrecision;
}

/** Frames used per episode. */
export function usedLengths(episodes: readonly DemoEpisode[], maxSteps?: number): number[] {
  return episodes.map((e) => (maxSteps === undefined ? e.length : Math.min(e.length, maxSteps)));
}

export function featureCacheKey(request: Pick<FeatureRequest, 'task' | 'demos' | 'encoder' | 'kind' | 'render' | 'maxSteps'>): string {
  const identity = {
    format: FORMAT,
    encoder: request.encoder.info.digest,
    task: request.task.name,
    taskVersion: request.task.version,
    demos: request.demos.key,
    variants: request.demos.episodes.map((e) => variantDigest(e.variant)),
    steps: usedLengths(request.demos.episodes, request.maxSteps),
    imageSize: request.render.imageSize,
    camera: request.render.camera,
    supersample: request.render.supersample,
    textureFilter: request.render.textureFilter,
    kind: request.kind,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** Renders the given demo steps ([episode, step] pairs) on `env` into one frame batch [N, S, S, 3]. */
export function renderDemoFrames(
  env: Env,
  episodes: readonly DemoEpisode[],
  steps: readonly (readonly [number, number])[],
  render: RenderSettings,
): FrameBatch {
  const data = new LocalVectorEnv([env]).renderStatesNow(steps.map(([ep, t]) => demoStateFrame(episodes[ep]!, t)), frameOptions(render));
  return { data, n: steps.length, height: render.imageSize, width: render.imageSize };
}

/** Width of one frame's features of `kind`; errors when the encoder has no spatial tokens. */
export function featureWidth(encoder: Encoder, kind: FeatureKind): number {
  if (kind === 'pooled') return encoder.info.pooledDim;
  const spatial = encoder.info.spatial;
  if (!spatial) throw new Error(`encoder '${encoder.info.id}' has no spatial tokens (pooled output only); use --head mlp`);
  return spatial.tokens * spatial.channels;
}

/** The rows of `kind` out of an encoder result, checked against the expected width. */
export function selectFeatures(encoded: EncodedBatch, encoder: Encoder, kind: FeatureKind, n: number): Float32Array {
  const width = featureWidth(encoder, kind);
  const values = kind === 'pooled' ? encoded.pooled : encoded.spatial;
  if (!values) throw new Error(`encoder '${encoder.info.id}' returned no spatial tokens although they were requested`);
  if (values.length !== n * width) {
    throw new Error(`encoder '${encoder.info.id}' returned ${values.length} ${kind} values for ${n} frames, expected ${n * width}`);
  }
  return values;
}

/** Loads the features of a demo set from the cache, or renders, encodes and caches them. */
export async function loadOrComputeFeatures(request: FeatureRequest): Promise<DemoFeatures> {
  const { task, demos, encoder, kind } = request;
  const width = featureWidth(encoder, kind);
  const lengths = usedLengths(demos.episodes, request.maxSteps);
  const offsets = lengths.map((_, i) => lengths.slice(0, i).reduce((a, b) => a + b, 0));
  const frames = lengths.reduce((a, b) => a + b, 0);
  const key = featureCacheKey(request);
  const path = join(request.cacheDir, 'features', task.name, `${key}.bfeat`);

  const stream = frames * width * 4 > (request.streamAboveBytes ?? STREAM_ABOVE_BYTES);
  if (existsSync(path)) {
    try {
      const { frames: source, precision } = stream ? openFeatureFile(path, key, frames, width) : readFeatureFile(path, key, frames, width);
      return { kind, width, lengths, offsets, frames: source, precision, cached: true, key };
    } catch (error) {
      if (!(error instanceof CacheFileError)) throw error;
      (request.warn ?? console.warn)(`warning: ${error.message}; computing the features again`);
    }
  }

  const header = (precision: FeaturePrecision): FeatureFileHeader => ({
    format: FORMAT,
    key,
    encoderDigest: encoder.info.digest,
    task: task.name,
    taskVersion: task.version,
    demoSetKey: demos.key,
    kind,
    width,
    lengths,
    precision,
  });
  removeStaleTemporaries(dirname(path));
  if (!stream) {
    const values = new Float32Array(frames * width);
    await encodeDemoFeatures(request, lengths, width, (rows, start) => {
      values.set(rows, start * width);
      return true;
    });
    const precision: FeaturePrecision = fitsHalf(values) ? 'float16' : 'float32';
    if (precision === 'float16') roundToHalf(values);
    writeFileAtomic(path, encodeFeatureFile(header(precision), values), 'feature cache');
    return { kind, width, lengths, offsets, frames: new MemoryFrames(values, width), precision, cached: false, key };
  }
  // Too large to hold: written to the cache as encoded, then read per mini-batch like any streamed entry. Stored as
  // float16 unless a value does not fit, in which case the frames are encoded again and stored as float32.
  for (const precision of ['float16', 'float32'] as const) {
    const writer = new CacheFileWriter(path, MAGIC, header(precision), 'feature cache');
    try {
      const complete = await encodeDemoFeatures(request, lengths, width, (rows) => {
        if (precision === 'float16' && !fitsHalf(rows)) return false;
        const stored = precision === 'float16' ? encodeHalf(rows) : rows;
        writer.append(new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength));
        return true;
      });
      if (!complete) {
        writer.abort();
        continue;
      }
      writer.commit();
    } catch (error) {
      writer.abort();
      throw error;
    }
    return { kind, width, lengths, offsets, frames: openFeatureFile(path, key, frames, width).frames, precision, cached: false, key };
  }
  throw new Error('unreachable: float32 holds every finite value');
}

/**
 * Renders and encodes every used demo step in batches, handing each batch's rows [n, width] and its first frame
 * index to `accept`, which returns false to stop early; returns whether every batch was accepted.
 */
async function encodeDemoFeatures(
  request: FeatureRequest,
  lengths: readonly number[],
  width: number,
  accept: (rows: Float32Array, start: number) => boolean,
): Promise<boolean> {
  const { task, demos, encoder, kind, render } = request;
  const all: [number, number][] = [];
  lengths.forEach((len, ep) => {
    for (let t = 0; t < len; t++) all.push([ep, t]);
  });
  const batchSize = request.batchSize ?? FEATURE_BATCH;
  const progress = createProgress({ label: `features ${task.name} ${encoder.info.id}`, total: all.length, quiet: request.quiet });
  const frame = frameOptions(render);
  const renderBatch = async (start: number): Promise<FrameBatch> => {
    const states = all.slice(start, start + batchSize).map(([ep, t]) => demoStateFrame(demos.episodes[ep]!, t));
    const data = await request.envs.renderStates(states, frame);
    return { data, n: states.length, height: render.imageSize, width: render.imageSize };
  };
  // The next batch renders (on worker threads, when the envs are there) while this one is encoded.
  let next: Promise<FrameBatch> | null = all.length > 0 ? renderBatch(0) : null;
  try {
    for (let start = 0; start < all.length; start += batchSize) {
      request.signal?.throwIfAborted();
      const steps = all.slice(start, start + batchSize);
      const batch = await next!;
      next = start + batchSize < all.length ? renderBatch(start + batchSize) : null;
      const encoded = await encoder.encode(batch, { spatial: kind === 'spatial' });
      const rows = selectFeatures(encoded, encoder, kind, steps.length);
      checkFinite(rows, width, encoder, (row) => `demo episode ${steps[row]![0]} step ${steps[row]![1]} of task '${task.name}'`);
      if (!accept(rows, start)) return false;
      progress.update(start + steps.length);
    }
  } finally {
    progress.stop();
    // A batch still rendering when the loop stopped early: wait for it (its outcome is not needed).
    await next?.catch(() => undefined);
  }
  return true;
}

/**
 * Errors when an encoder output holds NaN or an infinity, naming the encoder and the frame (`describeRow(row)`):
 * such a value would surface much later as a NaN loss that names neither.
 */
export function checkFinite(rows: Float32Array, width: number, encoder: Encoder, describeRow: (row: number) => string): void {
  for (let i = 0; i < rows.length; i++) {
    if (Number.isFinite(rows[i]!)) continue;
    const row = Math.floor(i / width);
    throw new Error(`encoder '${encoder.info.id}' returned ${rows[i]} (feature ${i % width} of ${width}) for ${describeRow(row)}; its features must be finite`);
  }
}

function encodeFeatureFile(header: FeatureFileHeader, values: Float32Array): Uint8Array[] {
  const stored = header.precision === 'float16' ? encodeHalf(values) : values;
  return encodeCacheFile(MAGIC, header, [new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength)]);
}

/** Checks a feature file's header against the entry asked for; returns its precision. */
function checkFeatureHeader(path: string, raw: Record<string, unknown>, key: string, width: number): FeaturePrecision {
  const header = raw as unknown as FeatureFileHeader;
  const fail = (why: string): never => {
    throw new CacheFileError(path, KIND, why);
  };
  if (header.format !== FORMAT) fail(`format ${header.format}, expected ${FORMAT}`);
  if (header.key !== key) fail(`key ${String(header.key).slice(0, 12)} does not match the requested ${key.slice(0, 12)}`);
  if (header.precision !== 'float16' && header.precision !== 'float32') fail(`unknown precision ${JSON.stringify(header.precision)}`);
  if (header.width !== width) fail(`frames of width ${header.width}, expected ${width}`);
  return header.precision;
}

const bytesPerValue = (precision: FeaturePrecision): number => (precision === 'float16' ? 2 : 4);

function readFeatureFile(path: string, key: string, frames: number, width: number): { frames: MemoryFrames; precision: FeaturePrecision } {
  const { header, payload } = readCacheFile(path, KIND, MAGIC);
  const precision = checkFeatureHeader(path, header, key, width);
  const count = frames * width;
  if (payload.length !== count * bytesPerValue(precision)) throw new CacheFileError(path, KIND, `holds ${payload.length / bytesPerValue(precision)} values, expected ${count}`);
  // Copy into a fresh, aligned buffer: Node's Buffer may sit at any offset of a shared pool.
  const copy = payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length);
  const values = precision === 'float16' ? decodeHalf(new Uint16Array(copy)) : new Float32Array(copy);
  return { frames: new MemoryFrames(values, width), precision };
}

/** The entry verified in place and read per mini-batch (see the header comment). */
function openFeatureFile(path: string, key: string, frames: number, width: number): { frames: StreamedFrames; precision: FeaturePrecision } {
  const payload = verifyCacheFileInPlace(path, KIND, MAGIC);
  const precision = checkFeatureHeader(path, payload.header, key, width);
  if (payload.payloadBytes !== frames * width * bytesPerValue(precision)) {
    throw new CacheFileError(path, KIND, `holds ${payload.payloadBytes / bytesPerValue(precision)} values, expected ${frames * width}`);
  }
  return { frames: new StreamedFrames({ path, kind: KIND, payload, precision, frameCount: frames, dim: width }), precision };
}
