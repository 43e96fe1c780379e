/**
 * `theia:DIR` and `hf:DIR` encoders: checkpoint directories (config.json + model.safetensors) turned into frozen
 * encoders. Theia feeds policies its spatial tokens [N, 196, C] (CLS is `pooled`); HF models feed their pooled
 * vector (ViT pooler, DINOv2 CLS, CLIP post-LayerNorm CLS) and also offer spatial tokens. Translator outputs and
 * `pixel_values` are served by `CheckpointSession` (used by `bench encode`).
 */
import type { Encoder, EncoderOptions } from '../encoder.js';
import { VitOnnxEncoder } from '../onnx/vit_encoder.js';
import type { CheckpointKind } from './checkpoint.js';
import { loadCheckpoint } from './checkpoint.js';
import { recipePreprocessor } from './recipe_preprocessor.js';

export type { CheckpointKind, LoadedCheckpoint } from './checkpoint.js';
export { loadCheckpoint, SUPPORTED_HF_ARCHITECTURES } from './checkpoint.js';
export { CheckpointSession } from './checkpoint_session.js';
export { recipePreprocessor } from './recipe_preprocessor.js';

/** Loads `theia:DIR` / `hf:DIR` as an Encoder (only JSON and safetensors are read from DIR). */
export async function loadCheckpointEncoder(kind: CheckpointKind, dir: string, options: EncoderOptions = {}): Promise<Encoder> {
  const { spec, weights, recipe } = loadCheckpoint(kind, dir);
  return VitOnnxEncoder.create(`${kind}:${dir}`, spec, weights, recipePreprocessor(recipe, spec.imageSize), options);
}
