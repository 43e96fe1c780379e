/**
 * dm_control's shared reward-shaping helper: 1 inside `bounds`, falling off outside them over `margin`
 * according to `sigmoid`, reaching `valueAtMargin` at distance `margin` from the nearest bound.
 */
export type Sigmoid = 'gaussian' | 'linear' | 'quadratic' | 'hyperbolic' | 'long_tail' | 'cosine' | 'tanh_squared' | 'reciprocal';

export interface ToleranceOptions {
  bounds?: [number, number];
  margin?: number;
  sigmoid?: Sigmoid;
  valueAtMargin?: number;
}

export function tolerance(x: number, options: ToleranceOptions = {}): number {
  const [lower, upper] = options.bounds ?? [0, 0];
  const margin = options.margin ?? 0;
  const sigmoid = options.sigmoid ?? 'gaussian';
  const valueAtMargin = options.valueAtMargin ?? 0.1;
  if (lower > upper) throw new Error(`tolerance: lower bound ${lower} exceeds upper bound ${upper}`);
  if (margin < 0) throw new Error(`tolerance: margin must be >= 0, got ${margin}`);
  const inBounds = lower <= x && x <= upper;
  if (margin === 0) return inBounds ? 1 : 0;
  if (inBounds) return 1;
  const d = (x < lower ? lower - x : x - upper) / margin;
  return shape(d, sigmoid, valueAtMargin);
}

/** Maps a normalised distance d >= 0 to (0, 1] with value 1 at d = 0 and `v` at d = 1 (dm_control's sigmoids). */
function shape(d: number, sigmoid: Sigmoid, v: number): number {
  switch (sigmoid) {
    case 'gaussian': {
      const scale = Math.sqrt(-2 * Math.log(v));
      return Math.exp(-0.5 * (d * scale) ** 2);
    }
    case 'hyperbolic': {
      const scale = Math.acosh(1 / v);
      return 1 / Math.cosh(d * scale);
    }
    case 'long_tail': {
      const scale = Math.sqrt(1 / v - 1);
      return 1 / ((d * scale) ** 2 + 1);
    }
    case 'reciprocal': {
      const scale = 1 / v - 1;
      return 1 / (Math.abs(d) * scale + 1);
    }
    case 'cosine': {
      const scale = Math.acos(2 * v - 1) / Math.PI;
      const s = d * scale;
      return Math.abs(s) < 1 ? (1 + Math.cos(Math.PI * s)) / 2 : 0;
    }
    case 'linear': {
      const s = d * (1 - v);
      return Math.abs(s) < 1 ? 1 - s : 0;
    }
    case 'quadratic': {
      const scale = Math.sqrt(1 - v);
      const s = d * scale;
      return Math.abs(s) < 1 ? 1 - s * s : 0;
    }
    case 'tanh_squared': {
      const scale = Math.atanh(Math.sqrt(1 - v));
      return 1 - Math.tanh(d * scale) ** 2;
    }
  }
}
