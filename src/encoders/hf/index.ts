/**
 * `theia:DIR` and `hf:DIR` encoders: checkpoint directories (config.json + model.safetensors) turned into frozen
 * encoders. Theia feeds policies its spatial tokens [N, 196, C] (CLS is `pooled`); HF models feed their pooled
 * vector (ViT pooler, DeiT / DINOv2 CLS, CLIP post-LayerNorm CLS, SAM's mean image embedding, Depth-Anything's
 * backbone CLS) and also offer spatial tokens. Head outputs and `pixel_values` are served by `CheckpointSession`
 * (used by `bench encode`).
 */
import type { Encoder, EncoderOptions } from '../encoder.js';
import { createModelEncoder } from '../encoder_model.js';
import type { CheckpointKind } from './checkpoint.js';
import { loadCheckpoint } from './checkpoint.js';

export type { CheckpointKind } from './checkpoint.js';
export { loadCheckpoint, SUPPORTED_HF_ARCHITECTURES } from './checkpoint.js';
export { recipePreprocessor } from '../preprocess/recipe_preprocessor.js';

/** Loads `theia:DIR` / `hf:DIR` as an Encoder (only JSON, safetensors and torch zips, never code, are read from DIR). */
export async function loadCheckpointEncoder(kind: CheckpointKind, dir: string, options: EncoderOptions = {}): Promise<Encoder> {
  return createModelEncoder(loadCheckpoint(kind, dir), options);
}
