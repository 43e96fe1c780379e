/** An HF image processor's exact pipeline (preprocess/) as the harness's `Preprocessor` (onnx/session_encoder.ts). */
import type { Preprocessor } from '../onnx/session_encoder.js';
import { preprocessFrames } from './pixel_values.js';
import type { PreprocessRecipe } from './processor_config.js';

export function recipePreprocessor(recipe: PreprocessRecipe, inputSize: number): Preprocessor {
  return {
    id: `hf-image-processor:${JSON.stringify(recipe)}`,
    inputSize,
    normalisation: recipe.normalisation ? { mean: [...recipe.normalisation.mean], std: [...recipe.normalisation.std] } : null,
    run(frames) {
      const pixels = preprocessFrames(frames, recipe);
      if (pixels.height !== inputSize || pixels.width !== inputSize) {
        throw new Error(
          `preprocessing (${recipe.processor}) turns ${frames.width}x${frames.height} frames into ${pixels.width}x${pixels.height} images, but the graph is built for ${inputSize}x${inputSize}; ` +
            'this preprocessing keeps the aspect ratio, so the frames must be square',
        );
      }
      return pixels.data;
    },
  };
}
