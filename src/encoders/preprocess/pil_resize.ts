/**
 * Pillow-exact `Image.resize` for 8-bit RGB images with the BILINEAR and BICUBIC filters.
 *
 * HF image processors resize uint8 images through PIL, and models are sensitive to single grey levels (a float
 * resize moves Theia's features by ~4e-2), so this reproduces Pillow's integer resampler bit for bit:
 * - separable, antialiased: when downscaling, the filter support is stretched by the scale factor;
 * - per output pixel, taps from xmin = trunc(center - support + 0.5) to trunc(center + support + 0.5) (clamped),
 *   weights filter((x + xmin - center + 0.5) / filterscale) normalised to sum 1 in float64;
 * - weights converted to fixed point with 22 fractional bits, rounded half away from zero;
 * - each pass accumulates in integers starting at 2^21, shifts right by 22 and clips to 0..255, so the
 *   intermediate image is uint8; the horizontal pass runs first.
 * A pass is skipped when its size is unchanged, and an unchanged image is returned as a copy (as Pillow does).
 */

export type PilFilter = 'bilinear' | 'bicubic';

/** Pillow's integer codes for `resample` (as stored in preprocessor_config.json). */
export const PIL_RESAMPLE_CODES: Readonly<Record<number, string>> = {
  0: 'nearest', 1: 'lanczos', 2: 'bilinear', 3: 'bicubic', 4: 'box', 5: 'hamming',
};

const PRECISION_BITS = 32 - 8 - 2;
const ROUNDING = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;

interface FilterDef {
  support: number;
  weight(x: number): number;
}

const FILTERS: Readonly<Record<PilFilter, FilterDef>> = {
  bilinear: {
    support: 1,
    weight(x) {
      const ax = Math.abs(x);
      return ax < 1 ? 1 - ax : 0;
    },
  },
  bicubic: {
    support: 2,
    weight(x) {
      const a = -0.5;
      const ax = Math.abs(x);
      if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
      return 0;
    },
  },
};

/** Fixed-point taps for one axis: output i reads input[start[i] .. start[i] + count[i]) with weights[i * kernelSize + k]. */
export interface ResampleCoefficients {
  kernelSize: number;
  start: Int32Array;
  count: Int32Array;
  weights: Int32Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for resizing inSize -> outSize over the whole axis. */
export function resampleCoefficients(inSize: number, outSize: number, filter: PilFilter): ResampleCoefficients {
  const def = FILTERS[filter];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = def.support * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * kernelSize);
  const taps = new Float64Array(kernelSize);
  const inverseScale = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = def.weight((x + xmin - center + 0.5) * inverseScale);
      taps[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? taps[x]! / total : taps[x]!;
      weights[xx * kernelSize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[xx] = xmin;
    count[xx] = Math.max(0, xmax);
  }
  return { kernelSize, start, count, weights };
}

function clip8(accumulator: number): number {
  const v = accumulator >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Horizontal pass: [h, inW, 3] -> [h, outW, 3]. */
function resampleHorizontal(src: Uint8Array, h: number, inW: number, outW: number, c: ResampleCoefficients): Uint8Array {
  const out = new Uint8Array(h * outW * 3);
  const { kernelSize, start, count, weights } = c;
  for (let y = 0; y < h; y++) {
    const row = y * inW * 3;
    for (let xx = 0; xx < outW; xx++) {
      let r = ROUNDING;
      let g = ROUNDING;
      let b = ROUNDING;
      const k0 = xx * kernelSize;
      let p = row + start[xx]! * 3;
      for (let x = 0; x < count[xx]!; x++, p += 3) {
        const w = weights[k0 + x]!;
        r += src[p]! * w;
        g += src[p + 1]! * w;
        b += src[p + 2]! * w;
      }
      const o = (y * outW + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

/** Vertical pass: [inH, w, 3] -> [outH, w, 3]. */
function resampleVertical(src: Uint8Array, w: number, outH: number, c: ResampleCoefficients): Uint8Array {
  const out = new Uint8Array(outH * w * 3);
  const { kernelSize, start, count, weights } = c;
  const rowBytes = w * 3;
  for (let yy = 0; yy < outH; yy++) {
    const k0 = yy * kernelSize;
    const first = start[yy]!;
    const n = count[yy]!;
    for (let i = 0; i < rowBytes; i++) {
      let acc = ROUNDING;
      let p = first * rowBytes + i;
      for (let y = 0; y < n; y++, p += rowBytes) acc += src[p]! * weights[k0 + y]!;
      out[yy * rowBytes + i] = clip8(acc);
    }
  }
  return out;
}

/**
 * Resizes one RGB image, uint8 [height, width, 3] row-major, to [outHeight, outWidth, 3] exactly as
 * `PIL.Image.fromarray(img).resize((outWidth, outHeight), filter)` does.
 */
export function pilResize(
  rgb: Uint8Array,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
  filter: PilFilter,
): Uint8Array {
  for (const [label, v] of [['height', height], ['width', width], ['outHeight', outHeight], ['outWidth', outWidth]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`pilResize: ${label} must be a positive integer, got ${v}`);
  }
  if (rgb.length !== height * width * 3) {
    throw new Error(`pilResize: expected ${height}x${width}x3 = ${height * width * 3} bytes, got ${rgb.length}`);
  }
  if (!(filter in FILTERS)) throw new Error(`pilResize: unsupported filter "${filter}" (supported: ${Object.keys(FILTERS).join(', ')})`);
  let image = rgb;
  let w = width;
  if (outWidth !== width) {
    image = resampleHorizontal(image, height, width, outWidth, resampleCoefficients(width, outWidth, filter));
    w = outWidth;
  }
  if (outHeight !== height) {
    image = resampleVertical(image, w, outHeight, resampleCoefficients(height, outHeight, filter));
  }
  return image === rgb ? rgb.slice() : image;
}
