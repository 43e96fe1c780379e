/** Float array comparisons for the policy engines' tests. */
import { expect } from 'vitest';
import type { Rng } from '../../src/util/rng.js';

export function normals(rng: Rng, count: number, std = 1): Float32Array {
  return Float32Array.from({ length: count }, () => rng.normal(0, std));
}

/** max |a - b| / max |b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / scale;
}

/** How many values of `a` differ from `b` bit for bit (toEqual on 600k values takes seconds). */
export function differingValues(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  let count = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) count++;
  return count;
}
