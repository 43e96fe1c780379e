import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoEpisode } from '../src/envs/expert_rollout.js';
import { featureCacheKey, loadOrComputeFeatures, type DemoFeatures, type FeatureRequest } from '../src/data/features.js';
import { valuesOf } from './helpers/frames.js';
import { decodeHalf, encodeHalf, fromHalfBits, toHalfBits } from '../src/data/float16.js';
import type { EncodeOptions, Encoder, FrameBatch } from '../src/encoders/encoder.js';
import type { Env } from '../src/envs/env.js';
import { LocalVectorEnv } from '../src/envs/vector_env.js';
import type { SceneVariant } from '../src/envs/factors/variant.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { StreamedFrames } from '../src/data/streamed_frames.js';
import { FlareSamples, MemoryFrames } from '../src/policies/flare.js';
import { createPolicy } from '../src/policies/index.js';
import type { PolicySpec } from '../src/policies/policy.js';
import { buildDataset, shuffleActions } from '../src/run/dataset.js';
import { observationLook } from '../src/protocol/render_settings.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-features-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The canonical scene of the fake task below (a variant is plain data). */
const FAKE_SCENE: SceneVariant = { task: 'fake-task', taskVersion: 3, values: {}, assets: {} };

/** A replay env whose "render" paints the whole frame with (qpos0 * 10 + camera tag) so frames follow the state. */
function fakeEnv(): Env & { renders: number } {
  let state = new Float64Array(2);
  const env = {
    renders: 0,
    seed: null as number | null,
    variant: null as SceneVariant | null,
    definition: { name: 'fake' },
    // restoreDemoState resets to the episode's seed and scene before restoring its states (per-episode model values).
    reset({ seed, variant }: { seed: number; variant: SceneVariant }) {
      env.seed = seed;
      env.variant = variant;
    },
    physics: { stateSize: 2, setState: (s: Float64Array) => (state = Float64Array.from(s)) },
    render(options: { width: number; height: number; camera?: string | number }) {
      env.renders++;
      const rgb = new Uint8Array(options.width * options.height * 3).fill((state[0]! * 10 + (options.camera === 'other' ? 1 : 0)) % 256);
      return { width: options.width, height: options.height, rgb };
    },
  };
  return env as unknown as Env & { renders: number };
}

/** pooled = [mean pixel / 3, 1/3] (D = 2); spatial: 4 tokens of 1 channel = mean pixel + token index. */
function fakeEncoder(digest = 'enc-a', spatial = true): Encoder & { calls: number; frames: number } {
  const encoder = {
    calls: 0,
    frames: 0,
    info: { id: `fake-${digest}`, inputSize: 8, normalisation: null, pooledDim: 2, spatial: spatial ? { tokens: 4, channels: 1, grid: 2 } : null, parameterCount: 0, digest },
    async encode(frames: FrameBatch, options?: EncodeOptions) {
      encoder.calls++;
      encoder.frames += frames.n;
      const size = frames.height * frames.width * 3;
      const pooled = new Float32Array(frames.n * 2);
      const tokens = new Float32Array(frames.n * 4);
      for (let i = 0; i < frames.n; i++) {
        let sum = 0;
        for (let k = 0; k < size; k++) sum += frames.data[i * size + k]!;
        pooled[i * 2] = sum / size / 3;
        pooled[i * 2 + 1] = 1 / 3;
        for (let t = 0; t < 4; t++) tokens[i * 4 + t] = sum / size + t;
      }
      return { pooled, ...(options?.spatial && spatial ? { spatial: tokens } : {}) };
    },
    async dispose() {},
  };
  return encoder;
}

function fakeEpisode(seed: number, length: number): DemoEpisode {
  const states = new Float64Array(length * 2);
  for (let t = 0; t < length; t++) states[t * 2] = seed + t;
  return {
    seed,
    variant: FAKE_SCENE,
    length,
    stateSize: 2,
    actionDim: 1,
    proprioDim: 1,
    states,
    proprio: Float32Array.from({ length }, (_, t) => -t),
    actions: Float32Array.from({ length }, (_, t) => t / 10),
    rewards: new Float64Array(length),
    successes: new Uint8Array(length),
    episodeReturn: 0,
    success: false,
  };
}

const task = { name: 'fake-task', version: 3, defaultCamera: 'main' } as unknown as TaskDefinition;
const demos = { key: 'demo-set-1', episodes: [fakeEpisode(0, 5), fakeEpisode(10, 7)] };

/** A request rendering on `env` (a fresh fake env when omitted) on this thread. */
function request({ env, ...overrides }: Partial<FeatureRequest> & { env?: Env } = {}): FeatureRequest {
  return { task, demos, encoder: fakeEncoder(), envs: new LocalVectorEnv([env ?? fakeEnv()]), kind: 'pooled', render: { imageSize: 8, camera: 'main', ...observationLook(8) }, cacheDir: tempDir(), batchSize: 3, quiet: true, ...overrides };
}

describe('demo features', () => {
  it('renders every used demo step from its state, encodes in batches and rounds to float16', async () => {
    const env = fakeEnv();
    const encoder = fakeEncoder();
    const f = await loadOrComputeFeatures(request({ env, encoder, maxSteps: 6 }));
    expect(f.lengths).toEqual([5, 6]);
    expect(f.offsets).toEqual([0, 5]);
    expect(f.cached).toBe(false);
    expect(env.renders).toBe(11);
    expect(encoder.calls).toBe(4); // 11 frames in batches of 3
    // Frame t of episode 1 shows pixel value (10 + t) * 10; pooled[0] = that / 3 rounded to float16.
    const value = valuesOf(f)[(5 + 2) * 2]!;
    expect(value).toBe(fromHalfBits(toHalfBits(120 / 3)));
    expect(valuesOf(f)[(5 + 2) * 2 + 1]).toBe(fromHalfBits(toHalfBits(1 / 3)));
    expect(valuesOf(f)[(5 + 2) * 2 + 1]).not.toBe(Math.fround(1 / 3));
  });

  it('reuses the cache: identical values, no rendering or encoding', async () => {
    const cacheDir = tempDir();
    const first = await loadOrComputeFeatures(request({ cacheDir }));
    const env = fakeEnv();
    const encoder = fakeEncoder();
    const second = await loadOrComputeFeatures(request({ cacheDir, env, encoder }));
    expect(second.cached).toBe(true);
    expect(env.renders + encoder.calls).toBe(0);
    expect(Array.from(valuesOf(second))).toEqual(Array.from(valuesOf(first)));
    expect(readdirSync(join(cacheDir, 'features', 'fake-task')).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('keys the cache on encoder digest, task version, demo set, steps, image size, camera and kind', () => {
    const base = request();
    const key = featureCacheKey(base);
    const variants: Partial<FeatureRequest>[] = [
      { encoder: fakeEncoder('enc-b') },
      { task: { ...task, version: 4 } as TaskDefinition },
      { demos: { ...demos, key: 'demo-set-2' } },
      { maxSteps: 4 },
      { render: { imageSize: 16, camera: 'main', ...observationLook(16) } },
      { render: { imageSize: 8, camera: 'other', ...observationLook(8) } },
      { kind: 'spatial' },
    ];
    const keys = variants.map((v) => featureCacheKey({ ...base, ...v }));
    expect(new Set([key, ...keys]).size).toBe(variants.length + 1);
    expect(featureCacheKey({ ...base, maxSteps: 100 })).toBe(key); // longer than every episode: same frames
  });

  it('computes spatial tokens, and errors clearly for a pooled-only encoder', async () => {
    const f = await loadOrComputeFeatures(request({ kind: 'spatial' }));
    expect(f.width).toBe(4);
    expect(valuesOf(f)[3]).toBe(0 + 3);
    await expect(loadOrComputeFeatures(request({ kind: 'spatial', encoder: fakeEncoder('p', false) }))).rejects.toThrow(/has no spatial tokens.*--head mlp/);
  });

  it('recomputes a damaged cache file (content hash, bad magic) with a warning naming it, instead of using it', async () => {
    const cacheDir = tempDir();
    const first = await loadOrComputeFeatures(request({ cacheDir }));
    const dir = join(cacheDir, 'features', 'fake-task');
    const file = join(dir, readdirSync(dir)[0]!);
    const good = readFileSync(file);
    // Other finite numbers in place of the stored ones (one bit of the last float16 value): only the hash tells.
    const edited = Buffer.from(good);
    edited[edited.length - 2]! ^= 0x01;
    const damaged: [Buffer, RegExp][] = [
      [edited, /content hash mismatch/],
      [Buffer.from('garbage'), /bad magic bytes/],
      [good.subarray(0, good.length - 6), /content hash mismatch/],
    ];
    for (const [bytes, why] of damaged) {
      writeFileSync(file, bytes);
      const warnings: string[] = [];
      const encoder = fakeEncoder();
      const again = await loadOrComputeFeatures(request({ cacheDir, encoder, warn: (line) => warnings.push(line) }));
      expect(again.cached).toBe(false);
      expect(encoder.calls).toBeGreaterThan(0);
      expect(Array.from(valuesOf(again))).toEqual(Array.from(valuesOf(first)));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`feature cache file ${file}: `);
      expect(warnings[0]).toMatch(why);
      expect(warnings[0]).toMatch(/computing the features again/);
      expect(readFileSync(file).equals(good)).toBe(true);
    }
  });

  it('stores float32 for features beyond the float16 range (no infinities) and says so', async () => {
    const cacheDir = tempDir();
    const big = fakeEncoder('big');
    const encode = big.encode.bind(big);
    // Finite features up to ~1e6, far above float16's 65504.
    big.encode = async (frames, options) => {
      const out = await encode(frames, options);
      return { ...out, pooled: out.pooled.map((v) => v * 20_000) };
    };
    const computed = await loadOrComputeFeatures(request({ cacheDir, encoder: big }));
    expect(computed.precision).toBe('float32');
    expect(valuesOf(computed).every((v) => Number.isFinite(v))).toBe(true);
    expect(Math.max(...valuesOf(computed))).toBeGreaterThan(65504);
    expect(valuesOf(computed)[(5 + 2) * 2]).toBe(Math.fround((120 / 3) * 20_000));
    const cached = await loadOrComputeFeatures(request({ cacheDir, encoder: big }));
    expect([cached.cached, cached.precision]).toEqual([true, 'float32']);
    expect(Array.from(valuesOf(cached))).toEqual(Array.from(valuesOf(computed)));
    expect((await loadOrComputeFeatures(request({ cacheDir: tempDir() }))).precision).toBe('float16');
  });

  it('names the encoder and the frame when an encoder returns a non-finite feature', async () => {
    const nan = fakeEncoder('nan');
    const encode = nan.encode.bind(nan);
    nan.encode = async (frames, options) => {
      const out = await encode(frames, options);
      return { ...out, pooled: out.pooled.map((v, i) => (i === 3 ? Number.NaN : v)) };
    };
    // Batches of 3: row 1 of the first batch is episode 0, step 1.
    await expect(loadOrComputeFeatures(request({ encoder: nan }))).rejects.toThrow(/encoder 'fake-nan' returned NaN \(feature 1 of 2\) for demo episode 0 step 1 of task 'fake-task'/);
  });
});

describe('training set', () => {
  it('fuses each episode FLARE-style with the history clamped at the start', async () => {
    const f = await loadOrComputeFeatures(request());
    const data = buildDataset(demos.episodes, f);
    expect(data.count).toBe(12);
    // The frames are held once, not copied; rows are fused on demand.
    expect(data.features).toBeInstanceOf(FlareSamples);
    expect((data.features as FlareSamples).frames).toBe(f.frames);
    const fused = (data.features as FlareSamples).rows(Int32Array.from({ length: 12 }, (_, i) => i));
    const W = 2;
    const e = (s: number): number => valuesOf(f)[s * W]!;
    // Sample 0 (t = 0): [0, 0, e0]; sample 6 (episode 1, t = 1): [0, e1 - e0, e1]; sample 8 (t = 3).
    expect(Array.from(fused.subarray(0, 6))).toEqual([0, 0, 0, 0, e(0), valuesOf(f)[1]!]);
    expect(fused[6 * 6 + 0]).toBe(0);
    expect(fused[6 * 6 + 2]).toBeCloseTo(e(6) - e(5), 6);
    expect(fused[8 * 6 + 0]).toBeCloseTo(e(7) - e(6), 6);
    expect(data.proprio[8]).toBe(-3);
    expect(data.actions[8]).toBeCloseTo(0.3, 6);
  });

  it('shuffled-action control permutes actions across samples, reproducibly', async () => {
    const data = buildDataset(demos.episodes, await loadOrComputeFeatures(request()));
    const shuffled = shuffleActions(data, 100);
    expect(Array.from(shuffled.actions).sort()).toEqual(Array.from(data.actions).sort());
    expect(Array.from(shuffled.actions)).not.toEqual(Array.from(data.actions));
    expect(Array.from(shuffleActions(data, 100).actions)).toEqual(Array.from(shuffled.actions));
    expect(shuffled.features).toBe(data.features);
  });
});

describe('float16', () => {
  it('round-trips representable values and rounds to nearest even', () => {
    const values = new Float32Array([0, -0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11]);
    const back = decodeHalf(encodeHalf(values));
    expect(Array.from(back)).toEqual([0, -0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 1, 1 + 2 ** -9]);
    expect(fromHalfBits(toHalfBits(1e6))).toBe(Infinity);
    expect(fromHalfBits(toHalfBits(Number.NaN))).toBeNaN();
  });
});

describe('streamed feature frames (entries too large to hold)', () => {
  /** Spatial tokens of Theia's 14 x 14 grid (2 channels): distinct per frame, token and channel. */
  function tokenEncoder(digest = 'tokens', scale = 1): Encoder {
    const grid = 14;
    const tokens = grid * grid;
    return {
      info: { id: `fake-${digest}`, inputSize: 8, normalisation: null, pooledDim: 2, spatial: { tokens, channels: 2, grid }, parameterCount: 0, digest },
      async encode(frames: FrameBatch) {
        const spatial = new Float32Array(frames.n * tokens * 2);
        for (let i = 0; i < frames.n; i++) {
          const pixel = frames.data[i * frames.height * frames.width * 3]!;
          for (let k = 0; k < tokens * 2; k++) spatial[i * tokens * 2 + k] = scale * Math.sin(pixel * 0.37 + k * 0.011) * (1 + (k % 7) / 3);
        }
        return { pooled: new Float32Array(frames.n * 2), spatial };
      },
      async dispose() {},
    };
  }
  const spatialRequest = (overrides: Partial<FeatureRequest> = {}): FeatureRequest => request({ kind: 'spatial', encoder: tokenEncoder(), ...overrides });
  const cacheFileOf = (cacheDir: string): string => {
    const dir = join(cacheDir, 'features', 'fake-task');
    return join(dir, readdirSync(dir)[0]!);
  };
  const train = async (features: DemoFeatures, epochs = 2): Promise<{ losses: number[]; weights: Float32Array[] }> => {
    const spec: PolicySpec = { head: 'conv', featureDim: 3 * features.width, tokens: { grid: 14, channels: 2 }, proprioDim: 1, actionDim: 1 };
    const policy = await createPolicy(spec, 5, { batchSize: 5 });
    const data = buildDataset(demos.episodes, features);
    try {
      const losses: number[] = [];
      for (let epoch = 0; epoch < epochs; epoch++) losses.push(await policy.trainEpoch(data, epoch));
      return { losses, weights: policy.weights().map((w) => w.values) };
    } finally {
      await policy.dispose();
    }
  };

  it('writes the same file as encoded, reads it per batch, and trains to bit-identical weights and losses', async () => {
    const held = tempDir();
    const inMemory = await loadOrComputeFeatures(spatialRequest({ cacheDir: held }));
    expect(inMemory.frames).toBeInstanceOf(MemoryFrames);
    const streamedDir = tempDir();
    const computed = await loadOrComputeFeatures(spatialRequest({ cacheDir: streamedDir, streamAboveBytes: 0 }));
    const cached = await loadOrComputeFeatures(spatialRequest({ cacheDir: held, streamAboveBytes: 0 }));
    expect([computed.cached, cached.cached]).toEqual([false, true]);
    for (const streamed of [computed, cached]) {
      expect(streamed.frames).toBeInstanceOf(StreamedFrames);
      expect(streamed.precision).toBe('float16');
      expect(valuesOf(streamed)).toEqual(valuesOf(inMemory));
    }
    // Written batch by batch or at once, the cache file is the same byte for byte.
    expect(readFileSync(cacheFileOf(streamedDir)).equals(readFileSync(cacheFileOf(held)))).toBe(true);
    const reference = await train(inMemory);
    const run = await train(cached);
    expect(run.losses).toEqual(reference.losses);
    // Bit for bit (a byte comparison: toEqual over the 1.5M weights takes seconds).
    expect(run.weights.map((w) => Buffer.from(w.buffer).toString('base64'))).toEqual(reference.weights.map((w) => Buffer.from(w.buffer).toString('base64')));
  });

  it('stores float32 when a value exceeds float16, as the in-memory path does', async () => {
    const big = tokenEncoder('big', 1e5);
    const inMemory = await loadOrComputeFeatures(spatialRequest({ encoder: big }));
    const streamed = await loadOrComputeFeatures(spatialRequest({ encoder: big, streamAboveBytes: 0 }));
    expect([inMemory.precision, streamed.precision]).toEqual(['float32', 'float32']);
    expect(valuesOf(streamed)).toEqual(valuesOf(inMemory));
  });

  it('fails training with an error naming the file when the file is truncated or damaged after it was opened', async () => {
    const cacheDir = tempDir();
    const features = await loadOrComputeFeatures(spatialRequest({ cacheDir, streamAboveBytes: 0 }));
    const file = cacheFileOf(cacheDir);
    const good = readFileSync(file);
    truncateSync(file, good.length - 100);
    await expect(train(features, 1)).rejects.toThrow(`feature cache file ${file}: changed size from ${good.length} to ${good.length - 100} bytes`);
    // Rewritten in place with the same size: the changed modification time tells.
    writeFileSync(file, good);
    await expect(train(features, 1)).rejects.toThrow(`feature cache file ${file}: was modified while in use`);
    // A change that keeps size and time shows as a non-finite value, which the writer never stores.
    const damaged = Buffer.from(good);
    damaged.writeUInt16LE(0x7e00, good.length - 2); // a float16 NaN in the last of the 12 frames
    writeFileSync(file, damaged);
    const { size, mtimeMs } = statSync(file);
    const payloadBytes = 12 * features.width * 2;
    const payload = { header: {}, payloadStart: size - payloadBytes, payloadBytes, size, mtimeMs };
    const source = new StreamedFrames({ path: file, kind: 'feature cache file', payload, precision: 'float16', frameCount: 12, dim: features.width });
    expect(() => source.gather(Int32Array.from([0, 1, 2]))).not.toThrow();
    expect(() => source.gather(Int32Array.from([0, 11]))).toThrow(`feature cache file ${file}: frame 11 holds NaN, but only finite values were written`);
    // Opened again, the content hash refuses the file and the features are computed again.
    const warnings: string[] = [];
    const again = await loadOrComputeFeatures(spatialRequest({ cacheDir, streamAboveBytes: 0, warn: (line) => warnings.push(line) }));
    expect(again.cached).toBe(false);
    expect(warnings[0]).toMatch(/content hash mismatch/);
    expect(valuesOf(again)).toEqual(valuesOf(await loadOrComputeFeatures(spatialRequest())));
  });

  it('leaves no file behind when encoding stops part-way', async () => {
    const cacheDir = tempDir();
    const controller = new AbortController();
    const encoder = tokenEncoder();
    const encode = encoder.encode.bind(encoder);
    encoder.encode = async (frames, options) => {
      controller.abort();
      return encode(frames, options);
    };
    await expect(loadOrComputeFeatures(spatialRequest({ cacheDir, encoder, streamAboveBytes: 0, signal: controller.signal }))).rejects.toThrow();
    expect(readdirSync(join(cacheDir, 'features', 'fake-task'))).toEqual([]);
  });
});
