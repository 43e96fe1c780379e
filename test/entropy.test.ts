import { describe, expect, it } from 'vitest';
import type { EncodeOptions, Encoder, FrameBatch } from '../src/encoders/encoder.js';
import { featureNormEntropy, histogramEntropy, rowNorms } from '../src/eval/entropy.js';
import { averageRanks, mean, pearson, spearman } from '../src/eval/statistics.js';

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

  it('is NaN for a constant series and rejects mismatched lengths, single pairs and non-finite values', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1, 2, 3], [4, 4, 4])).toBeNaN();
    expect(() => pearson([1, 2], [1])).toThrow('pearson: series must have equal length, got 2 and 1');
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow('spearman: series must have equal length, got 2 and 3');
    expect(() => pearson([1], [2])).toThrow('pearson: needs at least 2 pairs, got 1');
    expect(pearson([1, 2], [5, 3])).toBeCloseTo(-1, 12);
    expect(() => pearson([1, Infinity], [1, 2])).toThrow('pearson: values must be finite, got Infinity');
    expect(() => spearman([1, 2], [Number.NaN, 2])).toThrow('spearman: values must be finite, got NaN');
  });

  it('means of nothing are NaN; ranks of a tie span their positions', () => {
    expect(mean([])).toBeNaN();
    expect(mean([2, 4, 9])).toBe(5);
    expect(averageRanks([5, 5, 5, 1])).toEqual([3, 3, 3, 1]);
    expect(averageRanks([])).toEqual([]);
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

  it('counts norms that differ only by float32 rounding as one value (H = 0 at every bin count)', async () => {
    /** Token t of frame i has norm base * (1 + spread * ((i + t) % 3)). */
    const encoder = (base: number, spread: number): Encoder => ({
      ...spatialEncoder,
      async encode(frames: FrameBatch) {
        const spatial = new Float32Array(frames.n * 8);
        for (let i = 0; i < frames.n; i++) for (let t = 0; t < 4; t++) spatial[i * 8 + t * 2] = base * (1 + spread * ((i + t) % 3));
        return { pooled: new Float32Array(frames.n * 2), spatial };
      },
    });
    const probe = { data: new Uint8Array(6 * 192), n: 6, height: 8, width: 8 };
    // An untrained ViT's final LayerNorm: every norm is sqrt(192), spread over a few float32 ulps.
    const rounding = await featureNormEntropy(encoder(Math.sqrt(192), 2.5e-7), probe);
    expect(rounding.max).toBeGreaterThan(rounding.min);
    expect(rounding.byBins.map((b) => b.entropy)).toEqual([0, 0, 0]);
    expect(rounding.entropy).toBe(0);
    const spread = await featureNormEntropy(encoder(Math.sqrt(192), 1e-5), probe);
    expect(spread.entropy).toBeCloseTo(Math.log(3), 10);
  });

  it('computes row norms', () => {
    expect(Array.from(rowNorms(new Float32Array([3, 4, 0, 0, 1, 0]), 2))).toEqual([5, 0, 1]);
    expect(Array.from(rowNorms(new Float32Array([2, 3, 6]), 3))).toEqual([7]);
    expect(() => rowNorms(new Float32Array(5), 2)).toThrow('rowNorms: matrix of length 5 is not a whole number of rows of width 2');
    expect(() => rowNorms(new Float32Array(4), 0)).toThrow(/width 0/);
  });

  it('uses one norm per frame of the pooled vector when the encoder has no tokens, in batches of 32 by default', async () => {
    const batches: number[] = [];
    const pooledEncoder: Encoder = {
      info: { ...spatialEncoder.info, id: 'fake-pooled', pooledDim: 3, spatial: null },
      async encode(frames: FrameBatch, options?: EncodeOptions) {
        batches.push(frames.n);
        expect(options?.spatial).toBe(false);
        // Frame i: pooled (i, 0, 0) — norm i.
        const pooled = new Float32Array(frames.n * 3);
        for (let i = 0; i < frames.n; i++) pooled[i * 3] = frames.data[i * 8 * 8 * 3]!;
        return { pooled };
      },
      async dispose() {},
    };
    const n = 70;
    const data = new Uint8Array(n * 8 * 8 * 3);
    for (let i = 0; i < n; i++) data[i * 192] = i;
    const result = await featureNormEntropy(pooledEncoder, { data, n, height: 8, width: 8 }, { bins: 7 });
    expect(batches).toEqual([32, 32, 6]);
    expect(result).toMatchObject({ entropy: expect.closeTo(Math.log(7), 12), entropyNormalised: expect.closeTo(1, 12), bins: 7, frames: 70, norms: 70, min: 0, max: 69, source: 'pooled', histogram: new Array(7).fill(10) });
    const defaults = await featureNormEntropy(pooledEncoder, { data, n, height: 8, width: 8 });
    expect(defaults.bins).toBe(100);
  });

  it('errors when an encoder that declares tokens returns none', async () => {
    const broken: Encoder = { ...spatialEncoder, info: { ...spatialEncoder.info, id: 'broken' }, encode: async (frames) => ({ pooled: new Float32Array(frames.n * 2) }) };
    await expect(featureNormEntropy(broken, { data: new Uint8Array(192), n: 1, height: 8, width: 8 })).rejects.toThrow("encoder 'broken' declares spatial tokens but returned none");
  });
});
