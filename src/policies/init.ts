/**
 * Parameter initialisation drawn from an explicit `Rng` (never tf's global RNG), following PyTorch's defaults
 * so that the policies match the reference implementation's starting point:
 *   nn.Linear / nn.Conv2d weight and bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn))  (kaiming_uniform with a = sqrt(5)),
 *   BatchNorm1d weight (gamma) 1, bias (beta) 0;
 * then the small-start scaling that `PolicyInit` names.
 */
import type { Rng } from '../util/rng.js';

/**
 * How the BatchNorm-MLP trunk starts, from PyTorch's defaults:
 *   'mjrl'             what mjrl's BatchNormMLP (used by eai-vc, inherited by Theia's ConvBatchNormMLP) does. Its
 *                      "make the last layer small" loop scales `list(model.parameters())[-2:]` by 0.01, and because
 *                      FCNetworkWithBatchNorm registers its Linear layers before the input BatchNorm, those two
 *                      tensors are the BatchNorm's weight and bias: gamma = 0.01, beta = 0, every Linear default.
 *   'last-layer-0.01'  what that loop's comment intends: gamma = 1, beta = 0, the last Linear's weight and bias
 *                      x 0.01 (initial actions near zero).
 * Theia's conv neck is default-initialised under both (ConvBatchNormMLP builds it after mjrl's scaling).
 */
export type PolicyInit = 'mjrl' | 'last-layer-0.01';
export const POLICY_INITS: readonly PolicyInit[] = ['mjrl', 'last-layer-0.01'];

/** The factors a `PolicyInit` applies to PyTorch's default initialisation. */
export function initScales(init: PolicyInit): { batchNormGamma: number; lastLayer: number } {
  switch (init) {
    case 'mjrl':
      return { batchNormGamma: 0.01, lastLayer: 1 };
    case 'last-layer-0.01':
      return { batchNormGamma: 1, lastLayer: 0.01 };
    default:
      throw new Error(`policy init must be one of ${POLICY_INITS.join(', ')}, got ${JSON.stringify(init)}`);
  }
}

export function isPolicyInit(value: unknown): value is PolicyInit {
  return (POLICY_INITS as readonly unknown[]).includes(value);
}

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
