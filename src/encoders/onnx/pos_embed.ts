/**
 * Resizing learned position embeddings to another token grid, done once when the graph is built.
 *
 * Matches torch `F.interpolate(x, size=(g, g), mode='bicubic', align_corners=False)` on the [1, C, G, G] grid
 * (what transformers >= 4.45 does for DINOv2): source coordinate (i + 0.5) * G / g - 0.5 (not clamped), cubic
 * convolution with A = -0.75 over the 4 taps floor-1 .. floor+2, taps clamped to the border. The CLS row is kept.
 */
import type { Tensor } from '../vit_spec.js';

const A = -0.75;

/** Weights of the 4 taps (floor-1, floor, floor+1, floor+2) for fractional offset t in [0, 1). */
export function cubicWeights(t: number): [number, number, number, number] {
  const near = (x: number): number => ((A + 2) * x - (A + 3)) * x * x + 1; // |x| <= 1
  const far = (x: number): number => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/** For each output index: the 4 clamped source indices and their weights (1-D bicubic, align_corners false). */
function resampleTaps(inSize: number, outSize: number): { index: Int32Array; weight: Float64Array } {
  const index = new Int32Array(outSize * 4);
  const weight = new Float64Array(outSize * 4);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = (o + 0.5) * scale - 0.5;
    const base = Math.floor(src);
    const w = cubicWeights(src - base);
    for (let k = 0; k < 4; k++) {
      index[o * 4 + k] = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      weight[o * 4 + k] = w[k]!;
    }
  }
  return { index, weight };
}

/**
 * pos [1 + G*G, C] (CLS first, grid row-major) -> [1 + g*g, C]. Returns the input unchanged when g === G.
 */
export function resizePositionEmbeddings(pos: Tensor, targetGrid: number): Tensor {
  if (pos.shape.length !== 2) throw new Error(`resizePositionEmbeddings: expected pos [1 + G*G, C], got [${pos.shape}]`);
  const [rows, channels] = pos.shape as [number, number];
  const grid = Math.round(Math.sqrt(rows - 1));
  if (grid * grid !== rows - 1) {
    throw new Error(`resizePositionEmbeddings: ${rows - 1} patch rows is not a square grid (pos shape [${pos.shape}])`);
  }
  if (!Number.isInteger(targetGrid) || targetGrid < 1) {
    throw new Error(`resizePositionEmbeddings: target grid must be a positive integer, got ${targetGrid}`);
  }
  if (targetGrid === grid) return pos;
  const taps = resampleTaps(grid, targetGrid);
  const out = new Float32Array((1 + targetGrid * targetGrid) * channels);
  out.set(pos.data.subarray(0, channels), 0);
  const acc = new Float64Array(channels);
  for (let oy = 0; oy < targetGrid; oy++) {
    for (let ox = 0; ox < targetGrid; ox++) {
      acc.fill(0);
      for (let ky = 0; ky < 4; ky++) {
        const sy = taps.index[oy * 4 + ky]!;
        const wy = taps.weight[oy * 4 + ky]!;
        for (let kx = 0; kx < 4; kx++) {
          const sx = taps.index[ox * 4 + kx]!;
          const w = wy * taps.weight[ox * 4 + kx]!;
          const row = (1 + sy * grid + sx) * channels;
          for (let c = 0; c < channels; c++) acc[c] += w * pos.data[row + c]!;
        }
      }
      const dst = (1 + oy * targetGrid + ox) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = acc[c]!;
    }
  }
  return { shape: [1 + targetGrid * targetGrid, channels], data: out };
}
