/**
 * Feature-norm entropy (theia.md), with every choice fixed here so the number means the same thing in every run:
 *   1. probe set: ENTROPY_PROBE_FRAMES frames sampled without replacement, with the fixed seed ENTROPY_PROBE_SEED,
 *      from the demo frames of the run's tasks (see src/run/probe.ts), rendered like the training frames;
 *   2. per frame the spatial tokens [T, C] (encoders without spatial tokens: their pooled vector [D]);
 *      the L2 norm of each token;
 *   3. all norms of all probe frames pooled into one set; a histogram with ENTROPY_BINS equal-width bins over
 *      [min, max] of that set, no clipping (the maximum falls in the last bin);
 *   4. H = -sum_b p_b ln p_b in nats over non-empty bins, and H / ln(bins) in [0, 1];
 *   5. across encoders (>= 3): Pearson and Spearman correlation of H with the benchmark mean (statistics.ts).
 */
import type { EncodedBatch, Encoder, FrameBatch } from '../encoders/encoder.js';

export const ENTROPY_BINS = 100;
export const ENTROPY_PROBE_FRAMES = 256;
/** An arbitrary fixed seed: every run and encoder measures entropy on the same probe frames (changing it changes them). */
export const ENTROPY_PROBE_SEED = 7_2024;

export interface NormEntropy {
  /** H in nats. */
  entropy: number;
  /** H / ln(bins), in [0, 1]. */
  entropyNormalised: number;
  bins: number;
  /** Number of norms in the histogram (probe frames x tokens per frame). */
  norms: number;
  min: number;
  max: number;
  /** 'spatial' when token norms were used, 'pooled' for pooled-only encoders. */
  source: 'spatial' | 'pooled';
  /** Norms per bin over [min, max] (`bins` counts; a constant set lies in the first); null in records of older runs. */
  histogram: number[] | null;
}

/** Histogram entropy (nats) of `values` with `bins` equal-width bins over [min, max]. A constant set gives 0. */
export function histogramEntropy(values: ArrayLike<number>, bins: number): { entropy: number; min: number; max: number; counts: number[] } {
  if (!Number.isInteger(bins) || bins < 2) throw new Error(`histogramEntropy: bins must be an integer >= 2, got ${bins}`);
  if (values.length === 0) throw new Error('histogramEntropy: needs at least one value, got none');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new Error(`histogramEntropy: value ${i} is ${v}; values must be finite`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max === min) return { entropy: 0, min, max, counts: [values.length, ...new Array<number>(bins - 1).fill(0)] };
  const counts = new Float64Array(bins);
  const scale = bins / (max - min);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i]! - min) * scale);
    counts[b >= bins ? bins - 1 : b]! += 1;
  }
  let entropy = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / values.length;
    entropy -= p * Math.log(p);
  }
  return { entropy, min, max, counts: [...counts] };
}

/** L2 norm of each row of a row-major [rows, width] matrix. */
export function rowNorms(matrix: Float32Array, width: number): Float32Array {
  if (width <= 0 || matrix.length % width !== 0) {
    throw new Error(`rowNorms: matrix of length ${matrix.length} is not a whole number of rows of width ${width}`);
  }
  const rows = matrix.length / width;
  const norms = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = r * width; c < (r + 1) * width; c++) ss += matrix[c]! * matrix[c]!;
    norms[r] = Math.sqrt(ss);
  }
  return norms;
}

/** Token norms of one encoded batch: spatial tokens when present, else the pooled vectors. */
export function tokenNorms(encoded: EncodedBatch, encoder: Encoder): Float32Array {
  const spatial = encoder.info.spatial;
  if (spatial) {
    if (!encoded.spatial) throw new Error(`encoder '${encoder.info.id}' declares spatial tokens but returned none`);
    return rowNorms(encoded.spatial, spatial.channels);
  }
  return rowNorms(encoded.pooled, encoder.info.pooledDim);
}

/** Feature-norm entropy of `encoder` on the probe frames, encoded in batches of `batchSize`. */
export async function featureNormEntropy(
  encoder: Encoder,
  probe: FrameBatch,
  options: { bins?: number; batchSize?: number } = {},
): Promise<NormEntropy> {
  const bins = options.bins ?? ENTROPY_BINS;
  const batchSize = options.batchSize ?? 32;
  const frameBytes = probe.height * probe.width * 3;
  const parts: Float32Array[] = [];
  for (let start = 0; start < probe.n; start += batchSize) {
    const n = Math.min(batchSize, probe.n - start);
    const batch: FrameBatch = {
      data: probe.data.subarray(start * frameBytes, (start + n) * frameBytes),
      n,
      height: probe.height,
      width: probe.width,
    };
    const encoded = await encoder.encode(batch, { spatial: encoder.info.spatial !== null });
    const norms = tokenNorms(encoded, encoder);
    const bad = norms.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const frame = start + Math.floor(bad / (norms.length / n));
      throw new Error(`feature-norm entropy: encoder '${encoder.info.id}' gave a token norm of ${norms[bad]} on probe frame ${frame} of ${probe.n}; its features must be finite`);
    }
    parts.push(norms);
  }
  const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  const { entropy, min, max, counts } = histogramEntropy(all, bins);
  return {
    entropy,
    entropyNormalised: entropy / Math.log(bins),
    bins,
    norms: all.length,
    min,
    max,
    source: encoder.info.spatial ? 'spatial' : 'pooled',
    histogram: counts,
  };
}
