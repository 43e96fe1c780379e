/**
 * Tap columns (see conv2d.ts `TapColumns`) of the conv head's first convolution, built in host memory straight
 * from the FLARE-fused token grids. The first convolution's input is data, so its weight gradient does not need
 * the padded input gathered inside the backend, where tfjs-backend-wasm's gather moves one float at a time.
 */
import * as tf from '@tensorflow/tfjs';
import type { TapColumns } from './conv2d.js';

export interface TokenGridShape {
  batch: number;
  /** Tokens per side: T = grid * grid. */
  grid: number;
  /** Channels C per token (the convolution sees 3C: history slot k, channel c -> k*C + c). */
  channels: number;
}

export interface TapGeometry {
  stride: number;
  padding: number;
  /** Output side Ho = Wo. */
  outSide: number;
}

/**
 * `features` [B, 3, T, C] -> for tap (i, j): [3C, B*Ho*Wo] with column (b*Ho + a)*Wo + c holding token
 * (s*a + i - p, s*c + j - p) of sample b, or zeros where that pixel is padding.
 */
export function tokenTapColumns(features: Float32Array, shape: TokenGridShape, geometry: TapGeometry): TapColumns {
  const { batch, grid, channels } = shape;
  const tokens = grid * grid;
  if (features.length !== batch * 3 * tokens * channels) {
    throw new Error(
      `tokenTapColumns: features must hold [${batch}, 3, ${tokens}, ${channels}] = ${batch * 3 * tokens * channels} values, got ${features.length}`,
    );
  }
  const { stride, padding, outSide } = geometry;
  const columns = batch * outSide * outSide;
  return (i: number, j: number): tf.Tensor2D => {
    const out = new Float32Array(3 * channels * columns);
    for (let b = 0; b < batch; b++) {
      for (let a = 0; a < outSide; a++) {
        const y = stride * a + i - padding;
        if (y < 0 || y >= grid) continue;
        for (let c = 0; c < outSide; c++) {
          const x = stride * c + j - padding;
          if (x < 0 || x >= grid) continue;
          const column = (b * outSide + a) * outSide + c;
          for (let slot = 0; slot < 3; slot++) {
            const from = ((b * 3 + slot) * tokens + y * grid + x) * channels;
            let to = slot * channels * columns + column;
            for (let ch = 0; ch < channels; ch++, to += columns) out[to] = features[from + ch]!;
          }
        }
      }
    }
    return tf.tensor2d(out, [3 * channels, columns]);
  };
}
