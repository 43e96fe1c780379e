/**
 * Feature-norm entropy (theia.md), with every choice fixed here so the number means the same thing in every run:
 *   1. probe set: the protocol's fixed frames (protocol/entropy_probe.ts: expert frames of every cortexbench task at
 *      256 px under fixed seeds), the same for every run, profile and task list;
 *   2. per frame, one vector per spatial position of the encoder's spatial output [T, C] (ViT patch tokens, CNN
 *      feature-map cells; CLS and other extra tokens excluded), or, for encoders without any spatial output, the
 *      pooled vector [D] (one per frame: far fewer values, stated in the record as `source`); the L2 norm of each;
 *   3. all norms of all probe frames pooled into one set; a histogram with ENTROPY_BINS equal-width bins over
 *      [min, max] of that set, no clipping (the maximum falls in the last bin); a set whose spread is within float32
 *      rounding (ROUNDING_SPREAD) is constant, H = 0;
 *   4. H = -sum_b p_b ln p_b in nats over non-empty bins, and H / ln(bins) in [0, 1]; the same at 50, 100 and 200
 *      bins (`byBins`) shows how much H depends on the bin count;
 *   5. across encoders (>= 3): Pearson and Spearman correlation of H with the benchmark mean (statistics.ts).
 */
import type { EncodedBatch, Encoder, FrameBatch } from '../encoders/encoder.js';

export const ENTROPY_BINS = 100;
/**
 * Relative spread (max - min) / max at or below which the norms count as one value, H = 0: 2^-20, 8 float32 ulps
 * (untrained ViTs' token norms spread by ~3 ulps around sqrt(C)).
 */
export const ROUNDING_SPREAD = 2 ** -20;
/** Bin counts whose entropies every record carries beside the headline ENTROPY_BINS. */
export const ENTROPY_SENSITIVITY_BINS: readonly number[] = [50, 100, 200];

export interface BinnedEntropy {
  bins: number;
  /** H in nats. */
  entropy: number;
  /** H / ln(bins). */
  entropyNormalised: number;
}

export interface NormEntropy {
  /** H in nats at `bins` bins. */
  entropy: number;
  /** H / ln(bins), in [0, 1]. */
  entropyNormalised: number;
  bins: number;
  /** H at each of ENTROPY_SENSITIVITY_BINS. */
  byBins: BinnedEntropy[];
  /** Probe frames encoded. */
  frames: number;
  /** Number of norms in the histogram: frames x vectors per frame. */
  norms: number;
  /** 'spatial': one vector per spatial position (T per frame); 'pooled': one per frame (encoders without spatial output). */
  source: 'spatial' | 'pooled';
  min: number;
  max: number;
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

/** Norms of one encoded batch: of its spatial vectors when the encoder has a spatial output, else of its pooled vectors. */
export function tokenNorms(encoded: EncodedBatch, encoder: Encoder): Float32Array {
  const spatial = encoder.info.spatial;
  if (spatial) {
    if (!encoded.spatial) throw new Error(`encoder '${encoder.info.id}' declares spatial tokens but returned none`);
    return rowNorms(encoded.spatial, spatial.channels);
  }
  return rowNorms(encoded.pooled, encoder.info.pooledDim);
}

/** Feature-norm entropy of `encoder` on `probe` frames, encoded in batches of `batchSize`. */
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
  const { min, max, counts } = histogramEntropy(all, bins);
  // Norms that differ only by float32 rounding are one value (a final LayerNorm with unit gain and zero bias, as in
  // untrained ViTs, gives every token the norm sqrt(C)): binning their spread would measure rounding noise.
  const roundingOnly = max - min <= max * ROUNDING_SPREAD;
  const binned = (b: number): BinnedEntropy => {
    const entropy = roundingOnly ? 0 : histogramEntropy(all, b).entropy;
    return { bins: b, entropy, entropyNormalised: entropy / Math.log(b) };
  };
  const headline = binned(bins);
  return {
    entropy: headline.entropy,
    entropyNormalised: headline.entropyNormalised,
    bins,
    byBins: ENTROPY_SENSITIVITY_BINS.map(binned),
    frames: probe.n,
    norms: all.length,
    source: encoder.info.spatial ? 'spatial' : 'pooled',
    min,
    max,
    histogram: counts,
  };
}
