/**
 * Demo features: demo frames are re-rendered deterministically (restoreDemoState, then the run's render settings
 * for the task), encoded in batches by a frozen encoder, and cached on disk.
 *
 * Cache: <cacheDir>/features/<task>/<key>.bfeat, key = sha256 of (encoder digest, task name + version, demo set key,
 * steps per episode, image size, camera, kind). Values are stored as float16 (half the disk of float32; relative
 * rounding <= 2^-11). So that a run that computes features and a run that reads them train on identical numbers,
 * freshly computed features are rounded to float16 too (`roundToHalf`), and evaluation rounds online features
 * the same way.
 *
 * File layout (little-endian): "BFEAT01\n", uint32 header length, JSON header (`FeatureFileHeader`) space-padded to
 * 8 bytes, then float16 values [frames, width] with frames = sum of episode lengths in episode order.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncodedBatch, Encoder, FrameBatch } from '../encoders/encoder.js';
import type { Env } from '../envs/env.js';
import { restoreDemoState, type DemoEpisode } from '../envs/expert_rollout.js';
import type { TaskDefinition } from '../envs/task.js';
import { frameOptions, type RenderSettings } from '../protocol/render_settings.js';
import { writeFileAtomic } from '../util/atomic.js';
import { createProgress } from '../util/progress.js';
import { decodeHalf, encodeHalf, roundToHalf } from './float16.js';

const MAGIC = Buffer.from('BFEAT01\n', 'ascii');
// Format 2: frames are re-rendered through restoreDemoState (format 1 skipped the per-episode reset, so tasks
// whose episode values live in the model, e.g. MetaWorld fixture positions, rendered every frame with one layout).
const FORMAT = 2;

/** What is encoded per frame: the pooled vector [D] or the spatial tokens [T, C] flattened. */
export type FeatureKind = 'pooled' | 'spatial';

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
  /** An env of `task` used for replay rendering (its physics state is overwritten). */
  env: Env;
  kind: FeatureKind;
  /** How the frames are rendered (the same settings as the evaluation frames). */
  render: RenderSettings;
  /** Use only the first `maxSteps` steps of each episode (shortened horizons); all steps when omitted. */
  maxSteps?: number;
  cacheDir: string;
  batchSize?: number;
  quiet?: boolean;
}

/** Features of a demo set: `values` is [frames, width] row-major, frames of episode i start at `offsets[i]`. */
export interface DemoFeatures {
  kind: FeatureKind;
  /** Per-frame width: D for pooled, T * C for spatial. */
  width: number;
  /** Frames used per episode (min(length, maxSteps)). */
  lengths: number[];
  offsets: number[];
  values: Float32Array;
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
    steps: usedLengths(request.demos.episodes, request.maxSteps),
    imageSize: request.render.imageSize,
    camera: request.render.camera,
    supersample: request.render.supersample,
    textureFilter: request.render.textureFilter,
    kind: request.kind,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** Renders the given demo steps ([episode, step] pairs) into one frame batch [N, S, S, 3]. */
export function renderDemoFrames(
  env: Env,
  episodes: readonly DemoEpisode[],
  steps: readonly (readonly [number, number])[],
  render: RenderSettings,
): FrameBatch {
  const { imageSize } = render;
  const frameBytes = imageSize * imageSize * 3;
  const data = new Uint8Array(steps.length * frameBytes);
  steps.forEach(([ep, t], i) => {
    // Not a bare setState: per-episode values that live in the model (MetaWorld fixture positions) are restored
    // only by resetting with the episode's seed, which restoreDemoState does when the seed changes.
    restoreDemoState(env, episodes[ep]!, t);
    const rgb = env.render(frameOptions(render)).rgb;
    if (rgb.length !== frameBytes) throw new Error(`renderer returned ${rgb.length} bytes, expected ${frameBytes} for ${imageSize}x${imageSize} RGB`);
    data.set(rgb, i * frameBytes);
  });
  return { data, n: steps.length, height: imageSize, width: imageSize };
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
  const { task, demos, encoder, kind, render } = request;
  const width = featureWidth(encoder, kind);
  const lengths = usedLengths(demos.episodes, request.maxSteps);
  const offsets = lengths.map((_, i) => lengths.slice(0, i).reduce((a, b) => a + b, 0));
  const frames = lengths.reduce((a, b) => a + b, 0);
  const key = featureCacheKey(request);
  const path = join(request.cacheDir, 'features', task.name, `${key}.bfeat`);

  if (existsSync(path)) {
    const values = readFeatureFile(path, key, frames * width);
    return { kind, width, lengths, offsets, values, cached: true, key };
  }

  const values = new Float32Array(frames * width);
  const all: [number, number][] = [];
  lengths.forEach((len, ep) => {
    for (let t = 0; t < len; t++) all.push([ep, t]);
  });
  const batchSize = request.batchSize ?? 32;
  const progress = createProgress({ label: `features ${task.name} ${encoder.info.id}`, total: frames, quiet: request.quiet });
  try {
    for (let start = 0; start < frames; start += batchSize) {
      const steps = all.slice(start, start + batchSize);
      const batch = renderDemoFrames(request.env, demos.episodes, steps, render);
      const encoded = await encoder.encode(batch, { spatial: kind === 'spatial' });
      values.set(selectFeatures(encoded, encoder, kind, steps.length), start * width);
      progress.update(start + steps.length);
    }
  } finally {
    progress.stop();
  }
  roundToHalf(values);
  const header: FeatureFileHeader = {
    format: FORMAT,
    key,
    encoderDigest: encoder.info.digest,
    task: task.name,
    taskVersion: task.version,
    demoSetKey: demos.key,
    kind,
    width,
    lengths,
  };
  writeFileAtomic(path, encodeFeatureFile(header, values));
  return { kind, width, lengths, offsets, values, cached: false, key };
}

function encodeFeatureFile(header: FeatureFileHeader, values: Float32Array): Uint8Array {
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - ((MAGIC.length + 4 + json.length) % 8)) % 8;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  const half = encodeHalf(values);
  return Buffer.concat([MAGIC, length, json, Buffer.from(half.buffer, half.byteOffset, half.byteLength)]);
}

function readFeatureFile(path: string, key: string, count: number): Float32Array {
  const bytes = readFileSync(path);
  const fail = (why: string): never => {
    throw new Error(`feature cache file ${path}: ${why}; delete it to recompute`);
  };
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) fail('not a feature file (bad magic bytes)');
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4 + headerLength;
  const header = JSON.parse(bytes.subarray(MAGIC.length + 4, start).toString('utf8')) as FeatureFileHeader;
  if (header.format !== FORMAT) fail(`format ${header.format}, expected ${FORMAT}`);
  if (header.key !== key) fail(`key ${header.key.slice(0, 12)} does not match the requested ${key.slice(0, 12)}`);
  if (bytes.length - start !== count * 2) fail(`holds ${(bytes.length - start) / 2} values, expected ${count}`);
  const half = new Uint16Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + count * 2));
  return decodeHalf(half);
}
