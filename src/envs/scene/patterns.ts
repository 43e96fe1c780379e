/**
 * Procedural, tileable texture patterns (wood, marble, noise, stripes, checker, dots, bricks, waves, granite),
 * generated in code from a seed: the material of the texture pools (texture_pools.ts). Every pattern repeats
 * seamlessly across the texture's edges (lattice periods and frequencies divide the side), since materials tile
 * them over the table and floor.
 */
import { Rng } from '../../util/rng.js';
import type { Rgb } from './textures.js';

export const PATTERN_FAMILIES = ['wood', 'marble', 'noise', 'stripes', 'checker', 'dots', 'bricks', 'waves', 'granite'] as const;
export type PatternFamily = (typeof PATTERN_FAMILIES)[number];

/** A square RGB image: [side, side, 3] uint8, row-major. */
export interface PatternImage {
  side: number;
  rgb: Uint8Array;
}

/** Periodic value noise: a `period` x `period` lattice of seeded values, smoothly interpolated, in [0, 1]. */
class PeriodicNoise {
  private readonly lattice: Float64Array;

  constructor(
    rng: Rng,
    private readonly period: number,
  ) {
    this.lattice = new Float64Array(period * period);
    for (let i = 0; i < this.lattice.length; i++) this.lattice[i] = rng.random();
  }

  /** Noise at (u, v) in lattice units, u and v >= 0; wraps every `period`. */
  at(u: number, v: number): number {
    const p = this.period;
    const x0 = Math.floor(u), y0 = Math.floor(v);
    const fx = u - x0, fy = v - y0;
    const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
    const i0 = x0 % p, i1 = (x0 + 1) % p, j0 = (y0 % p) * p, j1 = ((y0 + 1) % p) * p;
    const l = this.lattice;
    const a = l[j0 + i0]!, b = l[j0 + i1]!, c = l[j1 + i0]!, d = l[j1 + i1]!;
    return (a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy;
  }
}

/** Fractal sum of periodic noise octaves over the unit square [0, 1)^2 (tileable), normalised to [0, 1]. */
function fbm(rng: Rng, basePeriod: number, octaves: number): (x: number, y: number) => number {
  const layers = Array.from({ length: octaves }, (_, o) => new PeriodicNoise(rng.fork(o), basePeriod << o));
  let total = 0;
  for (let o = 0; o < octaves; o++) total += 0.5 ** o;
  return (x, y) => {
    let sum = 0;
    for (let o = 0, period = basePeriod, weight = 1; o < octaves; o++, period *= 2, weight *= 0.5) sum += weight * layers[o]!.at(x * period, y * period);
    return sum / total;
  };
}

function hsv(h: number, s: number, v: number): Rgb {
  const k = (n: number): number => (n + h / 60) % 6;
  const f = (n: number): number => v - v * s * Math.max(0, Math.min(k(n), 4 - k(n), 1));
  return [f(5), f(3), f(1)];
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
const frac = (x: number): number => x - Math.floor(x);
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
/** One of `options`, chosen by `rng` (integer frequencies keep a pattern tileable). */
const pick = (rng: Rng, options: readonly number[]): number => options[rng.int(options.length)]!;

/** A random colour: hue anywhere, saturation and value in the given ranges. */
function colour(rng: Rng, s: [number, number], v: [number, number], hue?: [number, number]): Rgb {
  const h = hue ? rng.uniform(hue[0], hue[1]) : rng.uniform(0, 360);
  return hsv(h, rng.uniform(s[0], s[1]), rng.uniform(v[0], v[1]));
}

/** A colour contrasting with `base` in value (so patterns stay visible at small sizes). */
function contrasting(rng: Rng, base: Rgb): Rgb {
  const lum = (base[0] + base[1] + base[2]) / 3;
  return lum > 0.5 ? colour(rng, [0.2, 0.9], [0.1, 0.4]) : colour(rng, [0.1, 0.7], [0.65, 0.95]);
}

/** Shading function of one family: (x, y) in [0, 1)^2 -> RGB in [0, 1]. */
type Shader = (x: number, y: number) => Rgb;

const SHADERS: Record<PatternFamily, (rng: Rng) => Shader> = {
  // Growth rings along one axis, warped by noise, with fine grain.
  wood: (rng) => {
    const light = colour(rng, [0.35, 0.7], [0.5, 0.85], [18, 45]);
    const dark = mix(light, [0.15, 0.07, 0.02], rng.uniform(0.45, 0.7));
    const rings = pick(rng, [3, 4, 5, 6, 8]);
    const warp = fbm(rng.fork(1), 2, 3);
    const grain = fbm(rng.fork(2), 16, 1);
    const across = rng.random() < 0.5;
    return (x, y) => {
      const [u, v] = across ? [y, x] : [x, y];
      const r = frac(rings * u + 1.6 * (warp(u, v) - 0.5));
      const band = Math.pow(Math.abs(Math.sin(Math.PI * r)), 0.6);
      return mix(dark, light, clamp01(band * 0.85 + 0.15 * grain(x, y)));
    };
  },
  // Veins: a sine of position disturbed by turbulence.
  marble: (rng) => {
    const base = colour(rng, [0, 0.25], [0.7, 0.95]);
    const vein = colour(rng, [0.1, 0.6], [0.1, 0.45]);
    const kx = pick(rng, [1, 2, 3]), ky = pick(rng, [0, 1, 2]);
    const turbulence = fbm(rng.fork(1), 4, 4);
    const strength = rng.uniform(3, 7);
    return (x, y) => {
      const t = Math.abs(Math.sin(Math.PI * (kx * x + ky * y) * 2 + strength * turbulence(x, y)));
      return mix(vein, base, Math.pow(t, 0.35));
    };
  },
  // Cloudy fractal noise between two colours.
  noise: (rng) => {
    const a = colour(rng, [0.2, 0.9], [0.2, 0.9]);
    const b = contrasting(rng, a);
    const field = fbm(rng.fork(1), pick(rng, [2, 4, 8]), 4);
    return (x, y) => mix(a, b, clamp01((field(x, y) - 0.2) / 0.6));
  },
  // Straight bands at an angle set by two integer frequencies, of a random duty cycle.
  stripes: (rng) => {
    const a = colour(rng, [0.3, 1], [0.3, 0.95]);
    const b = contrasting(rng, a);
    const kx = pick(rng, [0, 1, 2, 3, 4, 6]), ky = kx === 0 ? pick(rng, [2, 3, 4, 6, 8]) : pick(rng, [0, 1, 2, 3, 4]);
    const duty = rng.uniform(0.25, 0.75);
    return (x, y) => (frac(kx * x + ky * y) < duty ? a : b);
  },
  // Two-colour checkerboard with a little noise.
  checker: (rng) => {
    const a = colour(rng, [0.2, 1], [0.25, 0.95]);
    const b = contrasting(rng, a);
    const n = pick(rng, [2, 4, 8, 16]);
    const grit = fbm(rng.fork(1), 16, 1);
    return (x, y) => {
      const on = (Math.floor(x * n) + Math.floor(y * n)) % 2 === 0;
      return mix(on ? a : b, [0.5, 0.5, 0.5], 0.15 * grit(x, y));
    };
  },
  // A grid of discs on a background.
  dots: (rng) => {
    const bg = colour(rng, [0.1, 0.9], [0.3, 0.95]);
    const dot = contrasting(rng, bg);
    const n = pick(rng, [2, 4, 8]);
    const radius = rng.uniform(0.18, 0.42);
    const stagger = rng.random() < 0.5;
    return (x, y) => {
      const row = Math.floor(y * n);
      const u = frac(x * n + (stagger && row % 2 === 1 ? 0.5 : 0)) - 0.5, v = frac(y * n) - 0.5;
      return Math.hypot(u, v) < radius ? dot : bg;
    };
  },
  // Running-bond brickwork with mortar lines and per-brick tint.
  bricks: (rng) => {
    const brick = colour(rng, [0.35, 0.85], [0.35, 0.8]);
    const mortar = colour(rng, [0, 0.2], [0.55, 0.9]);
    const rows = pick(rng, [4, 8]), cols = rows / 2;
    const tint = new PeriodicNoise(rng.fork(1), rows * cols * 2);
    const mortarWidth = rng.uniform(0.06, 0.14);
    return (x, y) => {
      const row = Math.floor(y * rows);
      const u = x * cols + (row % 2) * 0.5;
      const col = Math.floor(u);
      const inMortar = frac(y * rows) < mortarWidth || frac(u) < mortarWidth / 2;
      return inMortar ? mortar : mix(brick, [0, 0, 0], 0.25 * tint.at(col + 0.5, row + 0.5));
    };
  },
  // Wavy bands: a sine whose phase is another sine.
  waves: (rng) => {
    const a = colour(rng, [0.3, 1], [0.3, 0.95]);
    const b = contrasting(rng, a);
    const k = pick(rng, [2, 3, 4, 6]), m = pick(rng, [1, 2, 3]);
    const amplitude = rng.uniform(0.05, 0.2);
    return (x, y) => mix(a, b, 0.5 + 0.5 * Math.sin(2 * Math.PI * (k * (y + amplitude * Math.sin(2 * Math.PI * m * x)))));
  },
  // Speckled stone: noise base with three kinds of grains.
  granite: (rng) => {
    const base = colour(rng, [0, 0.4], [0.3, 0.8]);
    const grains = [colour(rng, [0, 0.5], [0.05, 0.3]), colour(rng, [0, 0.3], [0.75, 1]), colour(rng, [0.3, 0.9], [0.3, 0.8])];
    const field = fbm(rng.fork(1), 8, 3);
    const speckle = new PeriodicNoise(rng.fork(2), 64);
    const density = rng.uniform(0.1, 0.3);
    return (x, y) => {
      const s = speckle.at(x * 64, y * 64);
      const shaded = mix(base, [0, 0, 0], 0.3 * field(x, y));
      return s < density ? grains[Math.floor((s / density) * 3)]! : shaded;
    };
  },
};

/** The image of pattern `family` drawn with `seed`, `side` texels square (pixel centres sampled). */
export function patternImage(family: PatternFamily, seed: number, side: number): PatternImage {
  const shade = SHADERS[family](new Rng(seed));
  const rgb = new Uint8Array(side * side * 3);
  for (let j = 0; j < side; j++) {
    for (let i = 0; i < side; i++) {
      const c = shade((i + 0.5) / side, (j + 0.5) / side);
      const o = (j * side + i) * 3;
      rgb[o] = Math.round(clamp01(c[0]) * 255);
      rgb[o + 1] = Math.round(clamp01(c[1]) * 255);
      rgb[o + 2] = Math.round(clamp01(c[2]) * 255);
    }
  }
  return { side, rgb };
}
