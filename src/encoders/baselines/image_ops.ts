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
  const out = new Float32Array(n * 3 * S * S);
  const scale = new Float32Array(3);
  const offset = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    // (v/255 - mean)/std as one multiply-add per value.
    const std = norm ? norm.std[c]! : 1;
    const mean = norm ? norm.mean[c]! : 0;
    scale[c] = 1 / (255 * std);
    offset[c] = -mean / std;
  }
  const resampler = new Resampler(H, W, S, filter);
  const store = layout === 'nchw' ? storeRowNchw : storeRowNhwc;
  for (let b = 0; b < n; b++) {
    const src = data.subarray(b * H * W * 3, (b + 1) * H * W * 3);
    resampler.resizeRows(src);
    for (let y = 0; y < S; y++) store(resampler.outputRow(y), out, b, y, S, scale, offset);
  }
  return out;
}

/** One resized row [S, 3] (0..255) -> its normalised values in image b of an [N, 3, S, S] tensor. */
function storeRowNchw(row: Float32Array, out: Float32Array, b: number, y: number, S: number, scale: Float32Array, offset: Float32Array): void {
  const plane = S * S;
  const base = b * 3 * plane + y * S;
  const [s0, s1, s2] = [scale[0]!, scale[1]!, scale[2]!];
  const [o0, o1, o2] = [offset[0]!, offset[1]!, offset[2]!];
  for (let x = 0; x < S; x++) {
    out[base + x] = row[x * 3]! * s0 + o0;
    out[base + plane + x] = row[x * 3 + 1]! * s1 + o1;
    out[base + 2 * plane + x] = row[x * 3 + 2]! * s2 + o2;
  }
}

/** One resized row [S, 3] (0..255) -> its normalised values in image b of an [N, S, S, 3] tensor. */
function storeRowNhwc(row: Float32Array, out: Float32Array, b: number, y: number, S: number, scale: Float32Array, offset: Float32Array): void {
  const base = (b * S + y) * S * 3;
  for (let i = 0; i < S * 3; i++) out[base + i] = row[i]! * scale[i % 3]! + offset[i % 3]!;
}

/**
 * Separable resample of HWC uint8 images to S x S float, horizontal pass first, then one output row at a time into
 * a row-sized accumulator that stays in cache (0.94 ms a 96 -> 224 frame against 1.18 for a whole-image one). Each
 * output value is the float32 sum of its taps added in order (every partial sum rounded to float32, as a
 * Float32Array accumulator rounds it), so the values do not depend on how the loops are arranged. At S x S already
 * the rows are the source's own.
 */
class Resampler {
  private readonly identity: boolean;
  private readonly tx: Taps;
  private readonly ty: Taps;
  /** Horizontally resized rows [H, S, 3] of the current image (unused at identity). */
  private readonly rows: Float32Array;
  /** One output row [S, 3]. */
  private readonly row: Float32Array;
  /** The current image [H, W, 3]. */
  private source: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly H: number,
    private readonly W: number,
    private readonly S: number,
    filter: ResampleFilter,
  ) {
    this.identity = H === S && W === S;
    this.tx = computeTaps(W, S, filter);
    this.ty = computeTaps(H, S, filter);
    this.rows = new Float32Array(this.identity ? 0 : H * S * 3);
    this.row = new Float32Array(S * 3);
  }

  /** Takes `src` [H, W, 3] as the current image and resizes each of its rows to width S. */
  resizeRows(src: Uint8Array): void {
    this.source = src;
    if (this.identity) return;
    const { H, W, S, tx, rows } = this;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < S; x++) {
        let r = 0;
        let g = 0;
        let bl = 0;
        const f = tx.first[x]!;
        const count = tx.count[x]!;
        const w0 = x * tx.maxCount;
        for (let k = 0; k < count; k++) {
          const wgt = tx.weights[w0 + k]!;
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
  }

  /** Output row y [S, 3] of the current image (valid until the next call). */
  outputRow(y: number): Float32Array {
    const { S, ty, rows, row } = this;
    const width = S * 3;
    if (this.identity) {
      for (let i = 0; i < width; i++) row[i] = this.source[y * width + i]!;
      return row;
    }
    const f = ty.first[y]!;
    const count = ty.count[y]!;
    row.fill(0);
    for (let k = 0; k < count; k++) {
      const wgt = ty.weights[y * ty.maxCount + k]!;
      const srcRow = (f + k) * width;
      for (let i = 0; i < width; i++) row[i] += wgt * rows[srcRow + i]!;
    }
    return row;
  }
}
