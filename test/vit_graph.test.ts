import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildVitGraph } from '../src/encoders/onnx/vit_graph.js';
import { cubicWeights, resizePositionEmbeddings } from '../src/encoders/onnx/pos_embed.js';
import { vitWeightShapes } from '../src/encoders/onnx/weight_shapes.js';
import type { VitSpec, WeightMap } from '../src/encoders/vit_spec.js';
import { Rng } from '../src/util/rng.js';
import { referenceVit } from './vit_reference.js';

/**
 * Every weight random and O(1)-scaled, so that no term (bias, LN affine, layer scale) can hide behind a 0 or 1.
 */
function randomWeights(spec: VitSpec, seed: number, translatorHidden: number): WeightMap {
  const rng = new Rng(seed);
  const weights: WeightMap = new Map();
  for (const [name, shape] of vitWeightShapes(spec, translatorHidden)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? size / shape[0]! : 1;
    const isAffine = /norm\d?\.weight$|adapter\.[036]\.weight$|\.ls[12]$/.test(name);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      if (isAffine) data[i] = 1 + 0.1 * rng.normal();
      else if (name.endsWith('bias') || shape.length === 1) data[i] = 0.1 * rng.normal();
      else data[i] = rng.normal() * (name === 'embed.pos' ? 0.5 : 1 / Math.sqrt(fanIn));
    }
    weights.set(name, { shape, data });
  }
  return weights;
}

function randomPixels(n: number, size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * 3 * size * size }, () => rng.uniform(-1, 1));
}

async function runGraph(bytes: Uint8Array, pixels: Float32Array, n: number, size: number): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const result = await session.run({ pixel_values: new ort.Tensor('float32', pixels, [n, 3, size, size]) });
    return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Max abs difference allowed between the float32 ORT graph and the float64 reference. Observed: <= 3.2e-6. 2e-5 is
 * tight enough to catch a tanh-approximated GELU (~4e-5 on the Theia fixtures) or a wrong LN eps.
 */
const TOLERANCE = 2e-5;

const base: VitSpec = {
  family: 'theia',
  imageSize: 56,
  patchSize: 4,
  hiddenSize: 16,
  numLayers: 2,
  numHeads: 2,
  mlpSize: 24,
  layerNormEps: 1e-6,
  activation: 'gelu',
  qkvBias: true,
  patchBias: true,
  layerScale: true,
  preNorm: true,
  finalNorm: 'all',
  posGrid: 9, // stored 9x9, interpolated to the 14x14 input grid
  posInterpolation: 'bicubic',
  distillationToken: false,
  registerTokens: 0,
  pooled: 'dense_tanh',
  translators: [
    { teacherId: 'org/teacher-16', targetShape: [10, 16, 16] },
    { teacherId: 'org/teacher-64', targetShape: [6, 64, 64] },
  ],
};

describe('buildVitGraph agrees with the plain reference ViT', () => {
  const cases: [string, VitSpec, number][] = [
    ['every backbone feature + both translator kinds + pos interpolation', base, 12],
    [
      'CLIP-style: no biases on patch/qkv, quick_gelu, final norm on CLS only, pos grid upsampled',
      { ...base, family: 'clip', imageSize: 24, patchSize: 4, posGrid: 4, activation: 'quick_gelu', qkvBias: false, patchBias: false, layerScale: false, finalNorm: 'cls', pooled: 'cls', translators: [] },
      16,
    ],
    [
      'HF ViT-style: no pre-norm, no layer scale, stored grid = input grid',
      { ...base, family: 'vit', imageSize: 32, patchSize: 8, posGrid: 4, preNorm: false, layerScale: false, numHeads: 4, translators: [] },
      16,
    ],
  ];
  for (const [name, spec, hidden] of cases) {
    it(name, async () => {
      const weights = randomWeights(spec, 7, hidden);
      const n = 2;
      const pixels = randomPixels(n, spec.imageSize, 3);
      const got = await runGraph(buildVitGraph(spec, weights), pixels, n, spec.imageSize);
      const want = referenceVit(spec, weights, pixels, n);
      const g = spec.imageSize / spec.patchSize;
      expect(got.tokens!.length).toBe(n * (1 + g * g) * spec.hiddenSize);
      expect(got.spatial!.length).toBe(n * g * g * spec.hiddenSize);
      for (const key of ['tokens', 'spatial', 'cls', 'pooled'] as const) {
        expect(maxAbsDiff(got[key]!, want[key]), key).toBeLessThanOrEqual(TOLERANCE);
      }
      for (const tr of spec.translators) {
        const out = got[`translator.${tr.teacherId}`]!;
        expect(out.length).toBe(n * tr.targetShape[0] * tr.targetShape[1] * tr.targetShape[2]);
        expect(maxAbsDiff(out, want.translators.get(tr.teacherId)!), tr.teacherId).toBeLessThanOrEqual(TOLERANCE);
      }
      // The outputs are not degenerate (a constant map would pass a loose comparison trivially).
      const spread = Math.max(...got.pooled!) - Math.min(...got.pooled!);
      expect(spread).toBeGreaterThan(0.1);
    });
  }

  it('rejects missing and mis-shaped weights by name', () => {
    const spec = base;
    const weights = randomWeights(spec, 1, 12);
    weights.delete('blocks.1.attn.k.weight');
    expect(() => buildVitGraph(spec, weights)).toThrow(/missing weight 'blocks\.1\.attn\.k\.weight'/);
    weights.set('blocks.1.attn.k.weight', { shape: [16, 8], data: new Float32Array(128) });
    expect(() => buildVitGraph(spec, weights)).toThrow(/'blocks\.1\.attn\.k\.weight' has shape \[16,8\], expected \[16,16\]/);
    expect(() => buildVitGraph({ ...spec, imageSize: 50 }, weights)).toThrow(/imageSize 50 is not a multiple of patchSize 4/);
  });
});

describe('position-embedding resize (torch bicubic, align_corners false)', () => {
  it('has cubic weights that sum to 1 and match A = -0.75 at t = 0.5', () => {
    const w = cubicWeights(0.5);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Keys' kernel at distances 1.5, 0.5, 0.5, 1.5 with A = -0.75.
    expect(w[0]).toBeCloseTo(-0.09375, 12);
    expect(w[1]).toBeCloseTo(0.59375, 12);
  });

  it('keeps CLS, preserves constants, clamps border taps, and is the identity at equal size', () => {
    const G = 3;
    const g = 4;
    const C = 2;
    const data = new Float32Array((1 + G * G) * C);
    data[0] = 42;
    data[1] = -7;
    for (let y = 0; y < G; y++) for (let x = 0; x < G; x++) {
      data[(1 + y * G + x) * C] = 5; // constant channel
      data[(1 + y * G + x) * C + 1] = x; // ramp in x
    }
    const pos = { shape: [1 + G * G, C], data };
    const out = resizePositionEmbeddings(pos, g);
    expect(out.shape).toEqual([1 + g * g, C]);
    expect([out.data[0], out.data[1]]).toEqual([42, -7]);
    for (let i = 0; i < g * g; i++) expect(out.data[(1 + i) * C]).toBeCloseTo(5, 5);
    // Output column 0: source x = (0.5 * 3/4) - 0.5 = -0.125, floor -1, t = 0.875; taps -2..1 clamp to 0,0,0,1.
    const [w0, w1, w2, w3] = cubicWeights(0.875);
    const expected = (w0 + w1 + w2) * 0 + w3 * 1;
    for (let oy = 0; oy < g; oy++) expect(out.data[(1 + oy * g) * C + 1]).toBeCloseTo(expected, 6);
    expect(resizePositionEmbeddings(pos, G)).toBe(pos);
  });
});
