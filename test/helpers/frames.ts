import type { DemoFeatures } from '../../src/data/features.js';

/** Every frame of a demo feature set, [frames, width], wherever they are held (memory or file). */
export function valuesOf(features: DemoFeatures): Float32Array {
  const { frames } = features;
  const { values, offsets } = frames.gather(Int32Array.from({ length: frames.frameCount }, (_, i) => i));
  const all = new Float32Array(frames.frameCount * frames.dim);
  offsets.forEach((offset, i) => all.set(values.subarray(offset, offset + frames.dim), i * frames.dim));
  return all;
}
