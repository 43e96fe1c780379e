import { describe, expect, it } from 'vitest';
import type { EncodeOptions, Encoder, FrameBatch } from '../src/encoders/encoder.js';
import { featureNormEntropy, histogramEntropy, rowNorms } from '../src/eval/entropy.js';
import { averageRanks, pearson, spearman } from '../src/eval/statistics.js';
import { sampleIndices } from '../src/run/probe.js';

describe('histogramEntropy', () => {
  it('gives ln(bins) when every bin holds the same count (min and max included)', () => {
    // 10 bins over [0, 10]: two values per bin, with 0 in the first and 10 (the max) in the last bin.
    const values = [0, 0.5];
    for (let b = 1; b < 9; b++) values.push(b + 0.25, b + 0.5);
    values.push(9.5, 10);
    const { entropy, min, max } = histogramEntropy(values, 10);
    expect(min).toBe(0);
    expect(max).toBe(10);
    expect(entropy).toBeCloseTo(Math.log(10), 12);
  });

  it('gives 0 for a constant set and for a set in one bin', () => {
    expect(histogramEntropy([3, 3, 3, 3], 100).entropy).toBe(0);
    expect(histogramEntropy([7], 100).entropy).toBe(0);
  });

  it('gives ln 2 for two equally filled bins and the exact value for 1:3', () => {
    expect(histogramEntropy([0, 0, 1, 1], 100).entropy).toBeCloseTo(Math.log(2), 12);
    const p = [0.25, 0.75];
    expect(histogramEntropy([0, 1, 1, 1], 2).entropy).toBeCloseTo(-p.reduce((s, q) => s + q * Math.log(q), 0), 12);
  });

  it('rejects bad input with a clear error', () => {
    expect(() => histogramEntropy([], 10)).toThrow(/at least one value/);
    expect(() => histogramEntropy([1, Number.NaN], 10)).toThrow(/value 1 is NaN/);
    expect(() => histogramEntropy([1, 2], 1)).toThrow(/bins must be an integer >= 2/);
  });
});

describe('correlations', () => {
  it('matches known Pearson and Spearman values (ties as average ranks)', () => {
    const x = [1, 2, 3, 4, 5];
    const y = [2, 4, 5, 4, 5];
    expect(pearson(x, y)).toBeCloseTo(0.7745966692414834, 12);
    expect(averageRanks(y)).toEqual([1, 2.5, 4.5, 2.5, 4.5]);
    expect(spearman(x, y)).toBeCloseTo(0.7378647873726218, 12);
    expect(spearman([3, 1, 2], [30, 10, 20])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('is NaN for a constant series and rejects mismatched lengths', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => pearson([1, 2], [1])).toThrow(/equal length/);
  });
});

describe('featureNormEntropy', () => {
  /** Token t of frame i has norm (first byte of the frame + t); 4 tokens of 2 channels. */
  const spatialEncoder: Encoder = {
    info: { id: 'fake-spatial', inputSize: 8, normalisation: null, pooledDim: 2, spatial: { tokens: 4, channels: 2, grid: 2 }, parameterCount: 0, digest: 'x' },
    async encode(frames: FrameBatch, options?: EncodeOptions) {
      const spatial = new Float32Array(frames.n * 8);
      for (let i = 0; i < frames.n; i++) for (let t = 0; t < 4; t++) spatial[i * 8 + t * 2] = frames.data[i * 8 * 8 * 3]! + t;
      return { pooled: new Float32Array(frames.n * 2), ...(options?.spatial ? { spatial } : {}) };
    },
    async dispose() {},
  };

  it('pools token norms over all probe frames and batches', async () => {
    const n = 5;
    const data = new Uint8Array(n * 8 * 8 * 3);
    for (let i = 0; i < n; i++) data[i * 192] = 4 * i; // norms 0..19, each once
    const result = await featureNormEntropy(spatialEncoder, { data, n, height: 8, width: 8 }, { bins: 20, batchSize: 2 });
    expect(result.norms).toBe(20);
    expect(result.source).toBe('spatial');
    expect([result.min, result.max]).toEqual([0, 19]);
    expect(result.entropy).toBeCloseTo(Math.log(20), 10);
    expect(result.entropyNormalised).toBeCloseTo(1, 10);
  });

  it('computes row norms', () => {
    expect(Array.from(rowNorms(new Float32Array([3, 4, 0, 0, 1, 0]), 2))).toEqual([5, 0, 1]);
    expect(() => rowNorms(new Float32Array(5), 2)).toThrow(/whole number of rows/);
  });
});

describe('probe sampling', () => {
  it('draws distinct indices, reproducibly from the seed', () => {
    const a = sampleIndices(1000, 256, 7);
    expect(new Set(a).size).toBe(256);
    expect(a).toEqual(sampleIndices(1000, 256, 7));
    expect(a).not.toEqual(sampleIndices(1000, 256, 8));
    expect(sampleIndices(10, 256, 7)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
