import { expect } from 'vitest';

/**
 * Uniform reset draws `values` of `name` stay inside [lo, hi] and reach within `margin` (a fraction of the range)
 * of both ends: a reset distribution that is clipped or shrunk fails.
 */
export function expectDrawsCoverRange(name: string, values: readonly number[], [lo, hi]: readonly [number, number], margin: number): void {
  expect(Math.min(...values), name).toBeGreaterThanOrEqual(lo);
  expect(Math.max(...values), name).toBeLessThanOrEqual(hi);
  expect(Math.min(...values), name).toBeLessThan(lo + margin * (hi - lo));
  expect(Math.max(...values), name).toBeGreaterThan(hi - margin * (hi - lo));
}
