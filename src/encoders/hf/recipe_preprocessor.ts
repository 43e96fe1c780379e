/** An HF image processor's exact pipeline (preprocess/) as the harness's `Preprocessor` (onnx/session_encoder.ts). */
import type { Preprocessor } from '../onnx/vit_encoder.js';
import { preprocessFrames } from '../preprocess/pixel_values.js';
import type { PreprocessRecipe } from '../preprocess/processor_config.js';

export function recipePreprocessor(recipe: PreprocessRecipe, inputSize: number): Preprocessor {
  return {
    id: `hf-image-processor:${JSON.stringify(recipe)}`,
    inputSize,
    normalisation: recipe.normalisation ? { mean: [...recipe.normalisation.mean], std: [...recipe.normalisation.std] } : null,
    run(frames) {
      const pixels = preprocessFrames(frames, recipe);
      if (pixels.height !== inputSize || pixels.width !== inputSize) {
        throw new Error(`preprocessing gave ${pixels.height}x${pixels.width} images, expected ${inputSize}x${inputSize}`);
      }
      return pixels.data;
    },
  };
}
