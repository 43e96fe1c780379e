/**
 * Parameter initialisation drawn from an explicit `Rng` (never tf's global RNG), following PyTorch's defaults
 * so that the policies match the reference implementation's starting point:
 *   nn.Linear / nn.Conv2d weight and bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn))  (kaiming_uniform with a = sqrt(5)).
 */
import type { Rng } from '../util/rng.js';

/** Uniform values in [-bound, bound), `count` of them, times `scale`. */
export function uniformValues(rng: Rng, count: number, bound: number, scale = 1): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = scale * rng.uniform(-bound, bound);
  return values;
}

/** PyTorch's default bound for a layer with `fanIn` inputs per output. */
export function fanInBound(fanIn: number): number {
  if (!Number.isInteger(fanIn) || fanIn <= 0) throw new Error(`fanInBound: fanIn must be a positive integer, got ${fanIn}`);
  return 1 / Math.sqrt(fanIn);
}
