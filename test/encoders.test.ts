import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resizeNormalise } from '../src/encoders/baselines/preprocess.js';
import { RANDOM_VIT_SPECS } from '../src/encoders/baselines/random_vit.js';
import { randomVitWeights } from '../src/encoders/baselines/random_vit_weights.js';
import type { Encoder, FrameBatch } from '../src/encoders/encoder.js';
import { GraphBuilder, ints, int } from '../src/util/onnx_graph.js';
import { createVitEncoder } from '../src/encoders/onnx/vit_encoder.js';
import { buildVitGraph } from '../src/encoders/onnx/vit_graph.js';
import { createOrtSession } from '../src/encoders/ort.js';
import { createEncoder, KNOWN_ENCODER_SPECS } from '../src/encoders/registry.js';
import type { VitSpec } from '../src/encoders/vit_spec.js';
import { Rng } from '../src/util/rng.js';

function randomFrames(n: number, height: number, width: number, seed: number): FrameBatch {
  const rng = new Rng(seed);
  const data = new Uint8Array(n * height * width * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { data, n, height, width };
}

/** A small ViT (32x32 input, 4x4 grid) so that several encoders can be built quickly. */
const smallSpec: VitSpec = {
  ...RANDOM_VIT_SPECS['vit-tiny-random'],
  imageSize: 32,
  patchSize: 8,
  hiddenSize: 24,
  numLayers: 2,
  numHeads: 2,
  mlpSize: 48,
  posGrid: 4,
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bench-encoders-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pixels', () => {
  it('area-averages to 16x16 in [0, 1], channel-first, without spatial tokens', async () => {
    const enc = await createEncoder('pixels');
    expect(enc.info).toMatchObject({ id: 'pixels', inputSize: 16, pooledDim: 3 * 16 * 16, spatial: null, normalisation: null });
    // 64x64 frame whose 4x4 blocks hold {0, 255} equally often in red, constant 51 in green, a left-right ramp in blue.
    const frame = new Uint8Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) {
      frame[(y * 64 + x) * 3] = (x + y) % 2 === 0 ? 0 : 255;
      frame[(y * 64 + x) * 3 + 1] = 51;
      frame[(y * 64 + x) * 3 + 2] = x * 4;
    }
    const { pooled, spatial } = await enc.encode({ data: frame, n: 1, height: 64, width: 64 }, { spatial: true });
    expect(pooled.length).toBe(768);
    expect(spatial).toBeUndefined();
    for (let p = 0; p < 256; p++) {
      expect(pooled[p]).toBeCloseTo(0.5, 6);
      expect(pooled[256 + p]).toBeCloseTo(0.2, 6);
      expect(pooled[512 + p]).toBeCloseTo(((p % 16) * 16 + 6) / 255, 6); // mean of 4x .. 4(x+3)
    }
  });
});

describe('vit-tiny-random', () => {
  let enc: Encoder;
  beforeAll(async () => {
    enc = await createEncoder('vit-tiny-random', { threads: 1, maxBatch: 2 });
  });
  afterAll(() => enc.dispose());

  it('has DeiT-Tiny shapes and serves CLS-pooled and spatial tokens', async () => {
    expect(enc.info).toMatchObject({ id: 'vit-tiny-random', inputSize: 224, pooledDim: 192, spatial: { tokens: 196, channels: 192, grid: 14 } });
    expect(enc.info.normalisation).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    // 5.5M parameters: DeiT-Tiny without its classifier.
    expect(enc.info.parameterCount).toBeGreaterThan(5.4e6);
    expect(enc.info.parameterCount).toBeLessThan(5.6e6);
    expect(enc.info.digest).toMatch(/^[0-9a-f]{64}$/);
    const frames = randomFrames(3, 120, 160, 1); // not 224: exercises the resize; 3 frames > maxBatch 2: chunks
    const out = await enc.encode(frames, { spatial: true });
    expect(out.pooled.length).toBe(3 * 192);
    expect(out.spatial!.length).toBe(3 * 196 * 192);
    expect(out.pooled.every(Number.isFinite)).toBe(true);
    // Chunked output keeps frame order: frame 2 alone gives the same features as in the batch.
    const single = await enc.encode({ data: frames.data.subarray(2 * 120 * 160 * 3), n: 1, height: 120, width: 160 });
    expect(Array.from(single.pooled)).toEqual(Array.from(out.pooled.subarray(2 * 192)));
    // Without the option no spatial copy is made; an empty batch is fine.
    expect((await enc.encode(frames)).spatial).toBeUndefined();
    expect((await enc.encode({ data: new Uint8Array(0), n: 0, height: 8, width: 8 })).pooled.length).toBe(0);
  });

  it('rejects malformed frame batches', async () => {
    await expect(enc.encode({ data: new Uint8Array(10), n: 1, height: 4, width: 4 })).rejects.toThrow(/frames\.data has 10 bytes, expected n\*height\*width\*3 = 1\*4\*4\*3 = 48/);
  });
});

describe('random ViT weights and digests', () => {
  it('vit-small-random is DeiT-Small shaped', () => {
    expect(RANDOM_VIT_SPECS['vit-small-random']).toMatchObject({ imageSize: 224, patchSize: 16, hiddenSize: 384, numLayers: 12, numHeads: 6, mlpSize: 1536 });
  });

  it('same spec and seed give the same digest and features; another seed differs', async () => {
    const make = (seed: number): Promise<Encoder> =>
      createVitEncoder({ id: `small:${seed}`, architecture: 'small', spec: smallSpec, weights: randomVitWeights(smallSpec, seed), preprocess: resizeNormalise(32, 'triangle', { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }), recipe: null }, { threads: 1 });
    const [a, b, c] = await Promise.all([make(3), make(3), make(4)]);
    const frames = randomFrames(2, 32, 32, 9);
    const [fa, fb, fc] = await Promise.all([a, b, c].map((e) => e.encode(frames, { spatial: true })));
    expect(a.info.digest).toBe(b.info.digest);
    expect(a.info.digest).not.toBe(c.info.digest);
    expect(Array.from(fa!.pooled)).toEqual(Array.from(fb!.pooled));
    expect(Array.from(fa!.spatial!)).toEqual(Array.from(fb!.spatial!));
    expect(Array.from(fa!.pooled)).not.toEqual(Array.from(fc!.pooled));
    await Promise.all([a, b, c].map((e) => e.dispose()));
  });

  it('the weights follow the HF initialisation (trunc-normal 0.02, zero biases, unit LayerNorm)', () => {
    const w = randomVitWeights(smallSpec, 0);
    const fc1 = w.get('blocks.0.mlp.fc1.weight')!.data;
    const std = Math.sqrt(fc1.reduce((s, v) => s + v * v, 0) / fc1.length);
    expect(std).toBeGreaterThan(0.016);
    expect(std).toBeLessThan(0.0185); // truncation at 2 std lowers it to ~0.0176
    expect(Math.max(...fc1.map(Math.abs))).toBeLessThanOrEqual(0.04 + 1e-7);
    expect(w.get('blocks.0.mlp.fc1.bias')!.data.every((v) => v === 0)).toBe(true);
    expect(w.get('final_norm.weight')!.data.every((v) => v === 1)).toBe(true);
  });
});

describe('onnx:PATH', () => {
  it('runs a ViT exported to a file with settings from PATH.json, matching the in-memory encoder', async () => {
    const weights = randomVitWeights(smallSpec, 11);
    const path = join(dir, 'small_vit.onnx');
    writeFileSync(path, buildVitGraph(smallSpec, weights));
    writeFileSync(`${path}.json`, JSON.stringify({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], pooled: 'pooled', spatial: 'spatial' }));
    const fileEnc = await createEncoder(`onnx:${path}`, { threads: 1 });
    const memEnc = await createVitEncoder({ id: 'small', architecture: 'small', spec: smallSpec, weights, preprocess: resizeNormalise(32, 'triangle', { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }), recipe: null }, { threads: 1 });
    expect(fileEnc.info).toMatchObject({ inputSize: 32, pooledDim: 24, spatial: { tokens: 16, channels: 24, grid: 4 } });
    // The file's initialisers hold the CLS token folded into its position embedding: C values fewer.
    expect(fileEnc.info.parameterCount).toBe(memEnc.info.parameterCount - smallSpec.hiddenSize);
    const frames = randomFrames(3, 48, 40, 2);
    const [f, m] = await Promise.all([fileEnc.encode(frames, { spatial: true }), memEnc.encode(frames, { spatial: true })]);
    expect(Array.from(f.pooled)).toEqual(Array.from(m.pooled));
    expect(Array.from(f.spatial!)).toEqual(Array.from(m.spatial!));
    // Flags override the file: another normalisation changes features and digest.
    const flagged = await createEncoder(`onnx:${path}`, { threads: 1, onnx: { mean: [0, 0, 0], std: [1, 1, 1] } });
    expect(flagged.info.digest).not.toBe(fileEnc.info.digest);
    expect(Array.from((await flagged.encode(frames)).pooled)).not.toEqual(Array.from(f.pooled));
    await Promise.all([fileEnc, memEnc, flagged].map((e) => e.dispose()));
  });

  it('maps a [N, C, h, w] feature-map output to tokens, and reads model.json', async () => {
    // pooled = per-channel mean of the input, spatial = the input map itself (8x8 -> 64 tokens of 3 channels).
    const g = new GraphBuilder('probe');
    const x = g.input('image', ['N', 3, 8, 8]);
    g.output('mean_rgb', g.op('ReduceMean', [x], { axes: ints([2, 3]), keepdims: int(0) }), ['N', 3]);
    g.output('fmap', x, ['N', 3, 8, 8]);
    const sub = join(dir, 'fmap');
    rmSync(sub, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    writeFileSync(join(sub, 'probe.onnx'), g.toBytes());
    writeFileSync(join(sub, 'model.json'), JSON.stringify({ pooled: 'mean_rgb', spatial: 'fmap' }));
    const enc = await createEncoder(`onnx:${join(sub, 'probe.onnx')}`, { threads: 1 });
    expect(enc.info).toMatchObject({ inputSize: 8, pooledDim: 3, spatial: { tokens: 64, channels: 3, grid: 8 }, normalisation: null });
    const frames = randomFrames(2, 8, 8, 5);
    const { pooled, spatial } = await enc.encode(frames, { spatial: true });
    for (let b = 0; b < 2; b++) for (let t = 0; t < 64; t++) for (let c = 0; c < 3; c++) {
      expect(spatial![(b * 64 + t) * 3 + c]).toBeCloseTo(frames.data[(b * 64 + t) * 3 + c]! / 255, 6);
    }
    let red = 0;
    for (let t = 0; t < 64; t++) red += frames.data[(64 + t) * 3]! / 255;
    expect(pooled[3]).toBeCloseTo(red / 64, 5);
    await enc.dispose();
  });

  it('fails clearly on a missing file, an input shape that does not fit, bad settings and unknown outputs', async () => {
    await expect(createEncoder(`onnx:${join(dir, 'nope.onnx')}`)).rejects.toThrow(/ONNX model file '.*nope\.onnx' not found/);
    const g = new GraphBuilder('fixed');
    const x = g.input('image', [1, 3, 16, 16]);
    g.output('pooled', g.op('ReduceMean', [x], { axes: ints([2, 3]), keepdims: int(0) }), [1, 3]);
    const path = join(dir, 'fixed16.onnx');
    writeFileSync(path, g.toBytes());
    await expect(createEncoder(`onnx:${path}`, { onnx: { inputSize: 32 } })).rejects.toThrow(/input shape does not fit: 'image' is \[1, 3, 16, 16\].*inputSize is 32/);
    await expect(createEncoder(`onnx:${path}`, { onnx: { layout: 'nhwc' } })).rejects.toThrow(/16 channels where 3 \(RGB, nhwc\) were expected/);
    await expect(createEncoder(`onnx:${path}`, { onnx: { pooled: 'cls' } })).rejects.toThrow(/no output 'cls' for pooled \(outputs: pooled\)/);
    writeFileSync(`${path}.json`, JSON.stringify({ std: [0.5, 0, 0.5] }));
    await expect(createEncoder(`onnx:${path}`)).rejects.toThrow(/fixed16\.onnx\.json': std values must be > 0/);
    writeFileSync(`${path}.json`, JSON.stringify({ imageSize: 16 }));
    await expect(createEncoder(`onnx:${path}`)).rejects.toThrow(/unknown key 'imageSize'/);
    rmSync(`${path}.json`);
    // A fixed batch of 1 runs frame by frame, whatever maxBatch says.
    const enc = await createEncoder(`onnx:${path}`, { threads: 1, maxBatch: 8 });
    expect((await enc.encode(randomFrames(3, 16, 16, 1))).pooled.length).toBe(9);
    await enc.dispose();
  });
});

describe('registry and runtime errors', () => {
  it('lists the known specs for an unknown one', async () => {
    await expect(createEncoder('resnet50')).rejects.toThrow(/unknown encoder spec 'resnet50' \(known: pixels, conv-random\[:SEED\], vit-tiny-random\[:SEED\], vit-small-random\[:SEED\], onnx:PATH, tfjs:DIR, theia:DIR, hf:DIR, r3m:PATH, vc1:PATH\)/);
    expect(KNOWN_ENCODER_SPECS).toContain('onnx:PATH');
    await expect(createEncoder('vit-tiny-random:abc')).rejects.toThrow(/seed suffix must be a non-negative integer, got 'abc'/);
    await expect(createEncoder('theia:')).rejects.toThrow(/expected theia:DIR/);
  });

  it('a CUDA request fails with a clear error where the provider is not installed', async () => {
    const g = new GraphBuilder('tiny');
    g.output('y', g.op('Relu', [g.input('x', ['N', 3])]), ['N', 3]);
    await expect(createOrtSession(g.toBytes(), { device: 'cuda' })).rejects.toThrow(/device 'cuda' is not available.*bundled execution providers: cpu/);
    await expect(createEncoder(`onnx:${join(dir, 'whatever.onnx')}`, { device: 'cuda' })).rejects.toThrow(/not found/);
    await expect(createOrtSession(g.toBytes(), { threads: 0 })).rejects.toThrow(/threads must be a positive integer, got 0/);
  });
});
