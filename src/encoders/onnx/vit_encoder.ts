/**
 * `VitOnnxEncoder`: an Encoder for any ViT-family model given as (VitSpec, canonical weights, preprocessing).
 * Builds the graph with buildVitGraph, opens an ORT session, and serves `pooled` and `spatial` outputs.
 * Checkpoint loaders (HF ViT/DeiT, DINOv2, CLIP, Theia) only supply those three things.
 */
import { createHash } from 'node:crypto';
import type { Encoder, EncoderOptions } from '../encoder.js';
import { createOrtSession } from '../ort.js';
import type { VitSpec, WeightMap } from '../vit_spec.js';
import { DEFAULT_MAX_BATCH, type Preprocessor, SessionEncoder } from './session_encoder.js';
import { buildVitGraph, PIXEL_INPUT, tokenGrid } from './vit_graph.js';

export type { Preprocessor } from './session_encoder.js';

/** sha256 (hex) over the model bytes and the preprocessing id: what determines an encoder's features. */
export function encoderDigest(modelBytes: Uint8Array, preprocessId: string): string {
  return createHash('sha256').update(modelBytes).update('\0preprocess:').update(preprocessId).digest('hex');
}

export class VitOnnxEncoder {
  /**
   * `id` is the spec string (e.g. 'theia:DIR'). Theia translator heads are left out of the session: the Encoder
   * interface serves backbone features only, and the 64x64 heads would dominate memory and time.
   */
  static async create(id: string, spec: VitSpec, weights: WeightMap, preprocess: Preprocessor, options: EncoderOptions = {}): Promise<Encoder> {
    if (preprocess.inputSize !== spec.imageSize) {
      throw new Error(`encoder '${id}': preprocessing gives ${preprocess.inputSize}x${preprocess.inputSize} images, the ViT expects ${spec.imageSize}x${spec.imageSize}`);
    }
    const grid = tokenGrid(spec);
    const backbone: VitSpec = { ...spec, translators: [] };
    const bytes = buildVitGraph(backbone, weights);
    // Parameters as the checkpoint holds them (the graph stores some folded or resized copies).
    let parameterCount = 0;
    for (const [name, t] of weights) if (!name.startsWith('translators.')) parameterCount += t.data.length;
    const session = await createOrtSession(bytes, { threads: options.threads, device: options.device });
    return new SessionEncoder({
      info: {
        id,
        inputSize: spec.imageSize,
        normalisation: preprocess.normalisation,
        pooledDim: spec.hiddenSize,
        spatial: { tokens: grid * grid, channels: spec.hiddenSize, grid },
        parameterCount,
        digest: encoderDigest(bytes, preprocess.id),
      },
      session,
      preprocess,
      inputName: PIXEL_INPUT,
      inputLayout: 'nchw',
      pooledOutput: 'pooled',
      spatialOutput: { name: 'spatial', layout: 'ntc' },
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      });
  }
}
