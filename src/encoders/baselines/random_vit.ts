/**
 * Randomly initialised (untrained) ViTs: the "how much does pre-training buy" baselines.
 *   vit-tiny-random   DeiT-Tiny shape: 224, patch 16, hidden 192, 12 layers, 3 heads, MLP 768
 *   vit-small-random  DeiT-Small shape: hidden 384, 6 heads, MLP 1536
 * Weights from randomVitWeights(spec, seed); preprocessing: antialiased bilinear resize to 224, mean = std = 0.5.
 * Features: pooled = CLS after the final LayerNorm, spatial = the 196 patch tokens.
 */
import type { Encoder, EncoderOptions } from '../encoder.js';
import { createVitEncoder } from '../onnx/vit_encoder.js';
import type { VitSpec } from '../vit_spec.js';
import { HALF_NORMALISATION, resizeNormalise } from './preprocess.js';
import { randomVitWeights } from './random_vit_weights.js';

const deitShape = (hiddenSize: number, numHeads: number): VitSpec => ({
  family: 'random',
  imageSize: 224,
  patchSize: 16,
  hiddenSize,
  numLayers: 12,
  numHeads,
  mlpSize: 4 * hiddenSize,
  layerNormEps: 1e-12,
  activation: 'gelu',
  qkvBias: true,
  patchBias: true,
  layerScale: false,
  preNorm: false,
  finalNorm: 'all',
  posGrid: 14,
  posInterpolation: 'bicubic',
  distillationToken: false,
  registerTokens: 0,
  pooled: 'cls',
  translators: [],
});

export const RANDOM_VIT_SPECS = {
  'vit-tiny-random': deitShape(192, 3),
  'vit-small-random': deitShape(384, 6),
} as const satisfies Record<string, VitSpec>;

export type RandomVitName = keyof typeof RANDOM_VIT_SPECS;

export function isRandomVitName(name: string): name is RandomVitName {
  return Object.hasOwn(RANDOM_VIT_SPECS, name);
}

/** `id` is the full spec string (it may carry a seed suffix); `seed` picks the weights. */
export async function createRandomVit(id: string, name: RandomVitName, seed: number, options: EncoderOptions): Promise<Encoder> {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`encoder '${id}': seed must be a non-negative integer, got ${seed}`);
  const spec = RANDOM_VIT_SPECS[name];
  const weights = randomVitWeights(spec, seed);
  const preprocess = resizeNormalise(spec.imageSize, 'triangle', HALF_NORMALISATION);
  return createVitEncoder({ id, architecture: `${name} (seed ${seed})`, spec, weights, preprocess, recipe: null }, options);
}
