/**
 * A ViT-family model (VitSpec + canonical weights + preprocessing) as an `EncoderModel`: HF ViT/DeiT, DINOv2 (with
 * or without registers), CLIP vision, Theia, VC-1 and the random baselines all go through here.
 * Outputs: `spatial` [T, C] (patch tokens only), `cls` [C], `pooled` [C], `tokens` [P + T, C], and where the model
 * has them `distillation` [C], `registers` [R, C], `translator.<teacher id>` [H_t * W_t, C_t] (Theia's heads).
 */
import type { Encoder, EncoderOptions } from '../encoder.js';
import { createModelEncoder, type EncoderModel } from '../encoder_model.js';
import type { PreprocessRecipe } from '../preprocess/processor_config.js';
import { prefixTokens, type VitSpec, type WeightMap } from '../vit_spec.js';
import type { Preprocessor } from './session_encoder.js';
import { buildVitGraph, tokenGrid } from './vit_graph.js';

export type { Preprocessor } from './session_encoder.js';

const TRANSLATOR_PREFIX = 'translators.';

function describePooled(spec: VitSpec): string {
  if (spec.pooled === 'dense_tanh') return 'tanh(dense(CLS)) pooler';
  return spec.finalNorm === 'cls' ? 'post-LayerNorm CLS' : 'CLS after the final LayerNorm';
}

export interface VitModelSource {
  id: string;
  architecture: string;
  spec: VitSpec;
  /** Backbone and translator weights (translators.<teacher id>.*). */
  weights: WeightMap;
  preprocess: Preprocessor;
  recipe: PreprocessRecipe | null;
}

export function vitEncoderModel({ id, architecture, spec, weights, preprocess, recipe }: VitModelSource): EncoderModel {
  if (preprocess.inputSize !== spec.imageSize) {
    throw new Error(`encoder '${id}': preprocessing gives ${preprocess.inputSize}x${preprocess.inputSize} images, the ViT expects ${spec.imageSize}x${spec.imageSize}`);
  }
  const grid = tokenGrid(spec);
  const T = grid * grid;
  const C = spec.hiddenSize;
  const backbone: WeightMap = new Map();
  const heads: WeightMap = new Map();
  for (const [name, tensor] of weights) (name.startsWith(TRANSLATOR_PREFIX) ? heads : backbone).set(name, tensor);
  const outputs = new Map<string, number[]>([
    ['spatial', [T, C]],
    ['cls', [C]],
    ['pooled', [C]],
    ['tokens', [prefixTokens(spec) + T, C]],
  ]);
  if (spec.distillationToken) outputs.set('distillation', [C]);
  if (spec.registerTokens > 0) outputs.set('registers', [spec.registerTokens, C]);
  const headOutputs = new Set<string>();
  for (const t of spec.translators) {
    const name = `translator.${t.teacherId}`;
    outputs.set(name, [t.targetShape[1] * t.targetShape[2], t.targetShape[0]]);
    headOutputs.add(name);
  }
  const policyInput =
    spec.family === 'theia'
      ? `spatial tokens [${T}, ${C}] (last layer after the final LayerNorm, CLS dropped)`
      : `pooled [${C}] (${describePooled(spec)}); spatial tokens [${T}, ${C}] also available`;
  return {
    id,
    architecture,
    spec,
    weights: backbone,
    headWeights: heads,
    preprocess,
    recipe,
    outputs,
    headOutputs,
    pooled: 'pooled',
    spatial: 'spatial',
    policyInput,
    buildGraph: (withHeads) =>
      buildVitGraph(withHeads ? spec : { ...spec, translators: [] }, withHeads ? new Map([...backbone, ...heads]) : backbone),
  };
}

/** A ViT-family Encoder (backbone outputs only; translator heads stay out of the session). */
export function createVitEncoder(source: VitModelSource, options: EncoderOptions = {}): Promise<Encoder> {
  return createModelEncoder(vitEncoderModel(source), options);
}
