/** The standard preprocessing of built-in encoders: resize to S x S, scale to [0, 1], normalise per channel. */
import type { Normalisation } from '../encoder.js';
import type { Preprocessor } from '../onnx/session_encoder.js';
import { framesToTensor, type ResampleFilter } from './image_ops.js';

export const HALF_NORMALISATION: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

export function resizeNormalise(size: number, filter: ResampleFilter, norm: Normalisation | null, layout: 'nchw' | 'nhwc' = 'nchw'): Preprocessor {
  if (!Number.isInteger(size) || size < 1) throw new Error(`preprocessing: input size must be a positive integer, got ${size}`);
  if (norm) {
    for (const v of norm.std) if (!(v > 0)) throw new Error(`preprocessing: std values must be > 0, got [${norm.std}]`);
  }
  const normId = norm ? `mean=${norm.mean.join(',')};std=${norm.std.join(',')}` : 'unit';
  return {
    id: `resize-${filter}-aa:${size};${normId};${layout}`,
    inputSize: size,
    normalisation: norm,
    run: (frames) => framesToTensor(frames, size, filter, norm, layout),
  };
}
