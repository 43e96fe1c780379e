/**
 * Resizing learned position embeddings to another token grid, done once when the graph is built.
 *
 * 'bicubic' matches torch `F.interpolate(x, size=(g, g), mode='bicubic', align_corners=False)` on the [1, C, G, G]
 * grid (what transformers >= 4.45 does for DINOv2): source coordinate (i + 0.5) * G / g - 0.5 (not clamped), cubic
 * convolution with A = -0.75 over the 4 taps floor-1 .. floor+2, taps clamped to the border.
 *
 * 'bicubic_antialias' matches the same call with `antialias=True` (Dinov2WithRegisters): a PIL-style separable
 * filter. With scale = G / g and filter scale s = max(scale, 1), output i has centre c = scale * (i + 0.5) and reads
 * the taps j in [floor(c - 2s + 0.5), floor(c + 2s + 0.5)) within the grid, weighted by the Keys cubic with
 * A = -0.5 at (j - c + 0.5) / s and normalised to sum 1.
 *
 * Both run in float64; the prefix rows (CLS, distillation) are kept as they are.
 */
import type { Tensor } from '../vit_spec.js';

export type PosInterpolation = 'bicubic' | 'bicubic_antialias';

/** Keys' cubic convolution kernel with parameter `a`. */
function cubic(x: number, a: number): number {
  const ax = Math.abs(x);
  if (ax <= 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return ((a * ax - 5 * a) * ax + 8 * a) * ax - 4 * a;
  return 0;
}

/** Weights of the 4 taps (floor-1, floor, floor+1, floor+2) for fractional offset t in [0, 1), A = -0.75. */
export function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  return [cubic(t + 1, A), cubic(t, A), cubic(1 - t, A), cubic(2 - t, A)];
}

/** Per output index: the source indices and their weights (1-D), as flat lists. */
interface Taps {
  index: number[][];
  weight: number[][];
}

function bicubicTaps(inSize: number, outSize: number): Taps {
  const taps: Taps = { index: [], weight: [] };
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = (o + 0.5) * scale - 0.5;
    const base = Math.floor(src);
    taps.index.push([0, 1, 2, 3].map((k) => Math.min(Math.max(base - 1 + k, 0), inSize - 1)));
    taps.weight.push(cubicWeights(src - base));
  }
  return taps;
}

function antialiasTaps(inSize: number, outSize: number): Taps {
  const taps: Taps = { index: [], weight: [] };
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  for (let o = 0; o < outSize; o++) {
    const centre = scale * (o + 0.5);
    const lo = Math.max(Math.floor(centre - support + 0.5), 0);
    const hi = Math.min(Math.floor(centre + support + 0.5), inSize);
    const index: number[] = [];
    const weight: number[] = [];
    for (let j = lo; j < hi; j++) {
      index.push(j);
      weight.push(cubic((j - centre + 0.5) / filterScale, -0.5));
    }
    const total = weight.reduce((a, b) => a + b, 0);
    taps.index.push(index);
    taps.weight.push(weight.map((w) => (total !== 0 ? w / total : w)));
  }
  return taps;
}

/**
 * pos [K + G*G, C] (K prefix rows, then the grid row-major) -> [K + g*g, C]. Returns the input unchanged when g === G.
 */
export function resizePositionEmbeddings(pos: Tensor, targetGrid: number, method: PosInterpolation = 'bicubic', prefixRows = 1): Tensor {
  if (pos.shape.length !== 2) throw new Error(`resizePositionEmbeddings: expected pos [K + G*G, C], got [${pos.shape}]`);
  const [rows, channels] = pos.shape as [number, number];
  const grid = Math.round(Math.sqrt(rows - prefixRows));
  if (grid * grid !== rows - prefixRows) {
    throw new Error(`resizePositionEmbeddings: ${rows - prefixRows} patch rows is not a square grid (pos shape [${pos.shape}], ${prefixRows} prefix rows)`);
  }
  if (!Number.isInteger(targetGrid) || targetGrid < 1) {
    throw new Error(`resizePositionEmbeddings: target grid must be a positive integer, got ${targetGrid}`);
  }
  if (targetGrid === grid) return pos;
  const taps = method === 'bicubic' ? bicubicTaps(grid, targetGrid) : antialiasTaps(grid, targetGrid);
  const out = new Float32Array((prefixRows + targetGrid * targetGrid) * channels);
  out.set(pos.data.subarray(0, prefixRows * channels), 0);
  const acc = new Float64Array(channels);
  for (let oy = 0; oy < targetGrid; oy++) {
    for (let ox = 0; ox < targetGrid; ox++) {
      acc.fill(0);
      const ys = taps.index[oy]!;
      const xs = taps.index[ox]!;
      for (let ky = 0; ky < ys.length; ky++) {
        const wy = taps.weight[oy]![ky]!;
        for (let kx = 0; kx < xs.length; kx++) {
          const w = wy * taps.weight[ox]![kx]!;
          const row = (prefixRows + ys[ky]! * grid + xs[kx]!) * channels;
          for (let c = 0; c < channels; c++) acc[c] += w * pos.data[row + c]!;
        }
      }
      const dst = (prefixRows + oy * targetGrid + ox) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = acc[c]!;
    }
  }
  return { shape: [prefixRows + targetGrid * targetGrid, channels], data: out };
}
