import { describe, expect, it } from 'vitest';
import { framesToTensor, type ResampleFilter } from '../src/encoders/baselines/image_ops.js';
import type { Normalisation } from '../src/encoders/encoder.js';
import { Rng } from '../src/util/rng.js';
import { differingValues } from './helpers/float_arrays.js';

/**
 * framesToTensor value by value, written out per output pixel: PIL-style antialiased taps (support stretched by the
 * downscale factor, weights normalised in float64 and stored as float32), the horizontal pass summed in float64 and
 * rounded to float32, the vertical pass summed tap by tap in float32, then (v * scale + offset) in float32.
 */
function referenceTensor(frames: { data: Uint8Array; n: number; height: number; width: number }, S: number, filter: ResampleFilter, norm: Normalisation | null, layout: 'nchw' | 'nhwc'): Float32Array {
  const { n, height: H, width: W, data } = frames;
  const taps = (inSize: number): { first: number; weights: number[] }[] => {
    const scale = inSize / S;
    const filterScale = Math.max(scale, 1);
    const support = (filter === 'box' ? 0.5 : 1) * filterScale;
    const weight = (x: number): number => (filter === 'box' ? (x >= -0.5 && x < 0.5 ? 1 : 0) : Math.max(0, 1 - Math.abs(x)));
    return Array.from({ length: S }, (_, o) => {
      const centre = (o + 0.5) * scale;
      const lo = Math.max(Math.floor(centre - support + 0.5), 0);
      const hi = Math.min(Math.floor(centre + support + 0.5), inSize);
      const raw = Array.from({ length: hi - lo }, (_, k) => weight((lo + k + 0.5 - centre) / filterScale));
      const total = raw.reduce((a, b) => a + b, 0);
      return { first: lo, weights: raw.map((w) => Math.fround(total > 0 ? w / total : 0)) };
    });
  };
  const identity = H === S && W === S;
  const tx = taps(W);
  const ty = taps(H);
  const out = new Float32Array(n * 3 * S * S);
  for (let b = 0; b < n; b++) {
    const pixel = (y: number, x: number, c: number): number => data[((b * H + y) * W + x) * 3 + c]!;
    const row = (y: number, x: number, c: number): number => Math.fround(tx[x]!.weights.reduce((sum, w, k) => sum + w * pixel(y, tx[x]!.first + k, c), 0));
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        for (let c = 0; c < 3; c++) {
          let v = identity ? pixel(y, x, c) : 0;
          if (!identity) ty[y]!.weights.forEach((w, k) => (v = Math.fround(v + w * row(ty[y]!.first + k, x, c))));
          const scale = Math.fround(1 / (255 * (norm ? norm.std[c]! : 1)));
          const offset = Math.fround(-(norm ? norm.mean[c]! : 0) / (norm ? norm.std[c]! : 1));
          const index = layout === 'nchw' ? ((b * 3 + c) * S + y) * S + x : ((b * S + y) * S + x) * 3 + c;
          out[index] = v * scale + offset;
        }
      }
    }
  }
  return out;
}

const HALF: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const IMAGENET: Normalisation = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

describe('framesToTensor', () => {
  const cases: [number, number, number, ResampleFilter, Normalisation | null, 'nchw' | 'nhwc'][] = [
    [24, 56, 56, 'triangle', HALF, 'nchw'], // upscale, as 96 -> 224 frames for the random ViTs
    [40, 40, 35, 'triangle', IMAGENET, 'nchw'], // downscale, as 256 -> 224 probe frames
    [30, 20, 16, 'box', null, 'nchw'], // non-square area average, as `pixels`
    [21, 21, 21, 'box', HALF, 'nchw'], // no resize
    [24, 24, 56, 'triangle', IMAGENET, 'nhwc'],
  ];
  for (const [H, W, S, filter, norm, layout] of cases) {
    it(`equals the per-pixel reference bit for bit: ${H}x${W} -> ${S}, ${filter}, ${norm ? 'normalised' : 'unnormalised'}, ${layout}`, () => {
      const rng = new Rng(H * 1000 + S);
      const frames = { data: Uint8Array.from({ length: 2 * H * W * 3 }, () => rng.int(256)), n: 2, height: H, width: W };
      const got = framesToTensor(frames, S, filter, norm, layout);
      const want = referenceTensor(frames, S, filter, norm, layout);
      expect(differingValues(got, want)).toBe(0);
    });
  }

  it('keeps a constant frame constant and maps 0 and 255 to the normalised ends', () => {
    for (const value of [0, 255]) {
      const frames = { data: new Uint8Array(17 * 23 * 3).fill(value), n: 1, height: 17, width: 23 };
      const got = framesToTensor(frames, 32, 'triangle', HALF);
      for (const v of got) expect(v).toBeCloseTo(value === 0 ? -1 : 1, 6);
    }
  });
});
