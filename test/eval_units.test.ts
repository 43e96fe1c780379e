/**
 * Small evaluation helpers on hand-made inputs (src/eval/metrics.ts, entropy.ts, statistics.ts). (test/run.test.ts checks the
 * best evaluation of real runs.)
 */
import { describe, expect, it } from 'vitest';
import type { EncodeOptions, Encoder, FrameBatch } from '../src/encoders/encoder.js';
import { featureNormEntropy, histogramEntropy, rowNorms } from '../src/eval/entropy.js';
import { bestEvaluation } from '../src/eval/metrics.js';
import { correlationInterval, normalQuantile, pearson, percentileInterval } from '../src/eval/statistics.js';

describe('bestEvaluation', () => {
  it('is the highest score, the earliest epoch on ties, wherever it lies', () => {
    expect(bestEvaluation([{ epoch: 1, score: 10 }, { epoch: 2, score: 30 }, { epoch: 3, score: 20 }])).toEqual({ epoch: 2, score: 30 });
    expect(bestEvaluation([{ epoch: 1, score: 40 }, { epoch: 2, score: 30 }])).toEqual({ epoch: 1, score: 40 });
    expect(bestEvaluation([{ epoch: 1, score: 5 }, { epoch: 2, score: 50 }, { epoch: 3, score: 50 }, { epoch: 4, score: 7 }]).epoch).toBe(2);
    expect(bestEvaluation([{ epoch: 5, score: 0 }]).epoch).toBe(5);
  });

  it('refuses an empty list', () => {
    expect(() => bestEvaluation([])).toThrow('bestEvaluation: no evaluations');
  });
});

describe('histogramEntropy', () => {
  it('puts a constant set in the first of its bins, and finds min and max wherever they are', () => {
    expect(histogramEntropy([4, 4, 4], 5)).toEqual({ entropy: 0, min: 4, max: 4, counts: [3, 0, 0, 0, 0] });
    const spread = histogramEntropy([3, 10, 0, 5], 2);
    expect([spread.min, spread.max, spread.counts]).toEqual([0, 10, [2, 2]]);
  });
});

describe('rowNorms', () => {
  it('refuses a width of 0', () => {
    expect(() => rowNorms(new Float32Array(4), 0)).toThrow('rowNorms: matrix of length 4 is not a whole number of rows of width 0');
  });
});

describe('featureNormEntropy', () => {
  /** 1 x 1 frames; the pooled feature [1] of a frame is its red byte, NaN for 255; counts its encode calls. */
  const redByte = (): Encoder & { batches: number[] } => {
    const batches: number[] = [];
    return {
      batches,
      info: { id: 'red-byte', inputSize: 1, normalisation: null, pooledDim: 1, spatial: null, parameterCount: 0, digest: 'red-byte' },
      async encode(frames: FrameBatch, _options?: EncodeOptions) {
        batches.push(frames.n);
        return { pooled: Float32Array.from({ length: frames.n }, (_, i) => (frames.data[3 * i] === 255 ? Number.NaN : frames.data[3 * i]!)) };
      },
      async dispose() {},
    };
  };
  const probe = (reds: number[]): FrameBatch => ({ data: Uint8Array.from(reds.flatMap((r) => [r, 0, 0])), n: reds.length, height: 1, width: 1 });

  it('encodes the probe in whole batches and no empty one', async () => {
    const encoder = redByte();
    const result = await featureNormEntropy(encoder, probe([1, 2, 3, 4]), { batchSize: 2, bins: 2 });
    expect(encoder.batches).toEqual([2, 2]);
    expect([result.norms, result.min, result.max, result.histogram]).toEqual([4, 1, 4, [2, 2]]);
  });

  it('names the probe frame of a non-finite norm', async () => {
    await expect(featureNormEntropy(redByte(), probe([1, 2, 3, 255, 5]), { batchSize: 2 })).rejects.toThrow(
      "feature-norm entropy: encoder 'red-byte' gave a token norm of NaN on probe frame 3 of 5; its features must be finite",
    );
  });
});

describe('statistics', () => {
  it('gives NaN correlation when either series is constant', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1, 2, 3], [2, 2, 2])).toBeNaN();
  });

  it('normal quantiles match the standard table in the tails and the centre', () => {
    const table: [number, number][] = [
      [0.001, -3.090232306167813],
      [0.01, -2.326347874040841],
      [0.03, -1.880793608151251],
      [0.5, 0],
      [0.975, 1.959963984540054],
      [0.99, 2.326347874040841],
      [0.999, 3.090232306167813],
    ];
    for (const [p, z] of table) expect(normalQuantile(p), `p = ${p}`).toBeCloseTo(z, 7);
    for (const p of [0, 1, -0.1, 1.5, Number.NaN]) expect(() => normalQuantile(p)).toThrow(`normalQuantile: p must be in (0, 1), got ${p}`);
  });

  it("gives Fisher's z interval from 4 pairs on, [-1, 1] below, NaN for NaN", () => {
    const z975 = 1.959963984540054;
    const fisher = (r: number, se: number): number[] => [Math.tanh(Math.atanh(r) - z975 * se), Math.tanh(Math.atanh(r) + z975 * se)];
    correlationInterval(0.5, 4, 0.05, 'pearson').forEach((v, i) => expect(v).toBeCloseTo(fisher(0.5, 1)[i]!, 7));
    correlationInterval(0.5, 12, 0.05, 'spearman').forEach((v, i) => expect(v).toBeCloseTo(fisher(0.5, Math.sqrt(1.06 / 9))[i]!, 7));
    expect(correlationInterval(0.5, 3, 0.05, 'pearson')).toEqual([-1, 1]);
    expect(correlationInterval(Number.NaN, 10, 0.05, 'pearson')).toEqual([Number.NaN, Number.NaN]);
    // A perfect correlation: the interval ends at +-1 and reaches inside.
    const [lo, hi] = correlationInterval(-1, 10, 0.05, 'pearson');
    expect(lo).toBeCloseTo(-1, 12);
    expect(hi).toBeGreaterThan(-1);
    const [lo1, hi1] = correlationInterval(1, 10, 0.05, 'pearson');
    expect(hi1).toBeCloseTo(1, 12);
    expect(lo1).toBeLessThan(1);
  });

  it('refuses a percentile interval of nothing', () => {
    expect(() => percentileInterval([], 0.05)).toThrow('percentileInterval: needs at least one sample');
  });
});
