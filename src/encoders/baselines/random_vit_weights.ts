/**
 * Seeded random initial weights for a ViT spec, the way HF initialises ViT/DeiT (`_init_weights`): matrices,
 * convolutions, CLS and position embeddings ~ truncated normal(0, 0.02) (cut at +-2 std), biases 0, LayerNorm
 * weight 1 / bias 0, layer scale 1.
 */
import { Rng } from '../../util/rng.js';
import type { VitSpec, WeightMap } from '../vit_spec.js';
import { vitWeightShapes } from '../onnx/weight_shapes.js';

export const INIT_STD = 0.02;

function truncatedNormal(rng: Rng, size: number, std: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    out[i] = z * std;
  }
  return out;
}

/** Deterministic in (spec, seed): each tensor draws from its own sub-stream, in the canonical name order. */
export function randomVitWeights(spec: VitSpec, seed: number): WeightMap {
  const root = new Rng(seed);
  const weights: WeightMap = new Map();
  let index = 0;
  for (const [name, shape] of vitWeightShapes(spec)) {
    const rng = root.fork(index++);
    const size = shape.reduce((a, b) => a * b, 1);
    const isNorm = /(^|\.)(norm\d?|pre_norm|final_norm|adapter\.[036])\.(weight|bias)$/.test(name);
    let data: Float32Array;
    if (isNorm) data = new Float32Array(size).fill(name.endsWith('.weight') ? 1 : 0);
    else if (/\.ls[12]$/.test(name)) data = new Float32Array(size).fill(1);
    else if (name.endsWith('.bias')) data = new Float32Array(size);
    else data = truncatedNormal(rng, size, INIT_STD);
    weights.set(name, { shape, data });
  }
  return weights;
}
