/**
 * Frame-batch checks and float image resampling used by the built-in encoders' preprocessing.
 * Resampling is separable and antialiased like PIL's resample (filter support stretched by the downscale factor,
 * weights normalised per output pixel, taps outside the image dropped), but in float with no 8-bit rounding.
 */
import type { FrameBatch, Normalisation } from '../encoder.js';

/** Throws a clear error when `frames` is not a well-formed N x H x W x 3 uint8 batch. */
export function checkFrameBatch(frames: FrameBatch, who: string): void {
  const { n, height, width, data } = frames;
  for (const [name, v] of [['n', n], ['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < (name === 'n' ? 0 : 1)) throw new Error(`${who}: frames.${name} must be a ${name === 'n' ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
  if (!(data instanceof Uint8Array)) throw new Error(`${who}: frames.data must be a Uint8Array of RGB bytes`);
  if (data.length !== n * height * width * 3) {
    throw new Error(`${who}: frames.data has ${data.length} bytes, expected n*height*width*3 = ${n}*${height}*${width}*3 = ${n * height * width * 3}`);
  }
}

/** Frames [start, end) of a batch, sharing memory. */
export function sliceFrames(frames: FrameBatch, start: number, end: number): FrameBatch {
  const size = frames.height * frames.width * 3;
  return { data: frames.data.subarray(start * size, end * size), n: end - start, height: frames.height, width: frames.width };
}

/** 'box' = area average (PIL BOX), 'triangle' = antialiased bilinear (PIL BILINEAR). */
export type ResampleFilter = 'box' | 'triangle';

interface Taps {
  first: Int32Array; // first source index per output
  count: Int32Array; // taps per output
  weights: Float32Array; // [out, maxCount]
  maxCount: number;
}

function filterWeight(filter: ResampleFilter, x: number): number {
  if (filter === 'box') return x >= -0.5 && x < 0.5 ? 1 : 0;
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

function computeTaps(inSize: number, outSize: number, filter: ResampleFilter): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = (filter === 'box' ? 0.5 : 1) * filterScale;
  const maxCount = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxCount);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.floor(centre - support + 0.5), 0);
    const hi = Math.min(Math.floor(centre + support + 0.5), inSize);
    let total = 0;
    const row = new Float64Array(hi - lo);
    for (let i = lo; i < hi; i++) total += row[i - lo] = filterWeight(filter, (i + 0.5 - centre) / filterScale);
    first[o] = lo;
    count[o] = hi - lo;
    for (let k = 0; k < hi - lo; k++) weights[o * maxCount + k] = total > 0 ? row[k]! / total : 0;
  }
  return { first, count, weights, maxCount };
}

/**
 * frames (uint8 NHWC) -> float32 [N, 3, S, S] (or [N, S, S, 3] for 'nhwc'): resize to S x S with `filter`, scale to
 * [0, 1], then (x - mean) / std per channel when `norm` is given.
 */
export function framesToTensor(frames: FrameBatch, size: number, filter: ResampleFilter, norm: Normalisation | null, layout: 'nchw' | 'nhwc' = 'nchw'): Float32Array {
  const { n, height: H, width: W, data } = frames;
  const S = size;
  const plane = S * S;
  const out = new Float32Array(n * 3 * plane);
  const scale = new Float32Array(3);
  const offset = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    // (v/255 - mean)/std as one multiply-add per value.
    const std = norm ? norm.std[c]! : 1;
    const mean = norm ? norm.mean[c]! : 0;
    scale[c] = 1 / (255 * std);
    offset[c] = -mean / std;
  }
  const identity = H === S && W === S;
  const tx = identity ? null : computeTaps(W, S, filter);
  const ty = identity ? null : computeTaps(H, S, filter);
  const rows = identity ? null : new Float32Array(H * S * 3); // horizontally resized [H, S, 3]
  const resized = identity ? null : new Float32Array(plane * 3); // [S, S, 3] in 0..255
  for (let b = 0; b < n; b++) {
    const src = data.subarray(b * H * W * 3, (b + 1) * H * W * 3);
    let img: ArrayLike<number> = src;
    if (!identity) {
      resample(src, H, W, tx!, ty!, S, rows!, resized!);
      img = resized!;
    }
    const base = b * 3 * plane;
    if (layout === 'nchw') {
      for (let p = 0; p < plane; p++) {
        out[base + p] = img[p * 3]! * scale[0]! + offset[0]!;
        out[base + plane + p] = img[p * 3 + 1]! * scale[1]! + offset[1]!;
        out[base + 2 * plane + p] = img[p * 3 + 2]! * scale[2]! + offset[2]!;
      }
    } else {
      for (let p = 0; p < plane * 3; p++) out[base + p] = img[p]! * scale[p % 3]! + offset[p % 3]!;
    }
  }
  return out;
}

/** Separable resample of one HWC uint8 image to S x S float (horizontal pass first). */
function resample(src: Uint8Array, H: number, W: number, tx: Taps, ty: Taps, S: number, rows: Float32Array, dst: Float32Array): void {
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < S; x++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      const f = tx.first[x]!;
      for (let k = 0; k < tx.count[x]!; k++) {
        const wgt = tx.weights[x * tx.maxCount + k]!;
        const s = (y * W + f + k) * 3;
        r += wgt * src[s]!;
        g += wgt * src[s + 1]!;
        bl += wgt * src[s + 2]!;
      }
      const d = (y * S + x) * 3;
      rows[d] = r;
      rows[d + 1] = g;
      rows[d + 2] = bl;
    }
  }
  dst.fill(0);
  for (let y = 0; y < S; y++) {
    const f = ty.first[y]!;
    for (let k = 0; k < ty.count[y]!; k++) {
      const wgt = ty.weights[y * ty.maxCount + k]!;
      const srcRow = (f + k) * S * 3;
      const dstRow = y * S * 3;
      for (let i = 0; i < S * 3; i++) dst[dstRow + i] += wgt * rows[srcRow + i]!;
    }
  }
}
