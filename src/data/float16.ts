/** IEEE 754 half-precision conversion (Node 20 has no Float16Array): storage format of the feature cache. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> float16 bits, round to nearest even; overflow gives +-Infinity, NaN stays NaN. */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal half: shift the mantissa (with its implicit 1) right, rounding to nearest even.
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function encodeHalf(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
  return out;
}

let halfTable: Float32Array | null = null;

function table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalfBits(h);
  }
  return halfTable;
}

export function decodeHalf(bits: Uint16Array): Float32Array {
  return decodeHalfInto(bits, new Float32Array(bits.length), 0);
}

/** Decodes `bits` into `out` from `offset`; returns `out`. */
export function decodeHalfInto(bits: Uint16Array, out: Float32Array, offset: number): Float32Array {
  const values = table();
  for (let i = 0; i < bits.length; i++) out[offset + i] = values[bits[i]!]!;
  return out;
}

/** Magnitudes from here up round to infinity in float16 (its largest finite value is 65504). */
const HALF_OVERFLOW = 65520;

/** Whether every value is finite and rounds to a finite float16. */
export function fitsHalf(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!(Math.abs(values[i]!) < HALF_OVERFLOW)) return false;
  return true;
}

/** Rounds every value to the nearest float16 in place (what a cache round trip does). */
export function roundToHalf(values: Float32Array): Float32Array {
  values.set(decodeHalf(encodeHalf(values)));
  return values;
}
