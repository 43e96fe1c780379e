/**
 * A frozen encoder as a checkpoint loader produces it: the exact preprocessing, the architecture, the weights under
 * canonical names, and a builder for its ONNX graph. Every checkpoint family (HF ViT/DeiT/DINOv2/CLIP, Theia, SAM,
 * Depth-Anything, R3M, VC-1) yields one; `createModelEncoder` serves it through the Encoder interface and
 * `CheckpointSession` runs any of its named outputs (`bench encode`).
 *
 * Graph input: `pixel_values` [N, 3, S, S] float32 (S = preprocess.inputSize). Optional heads (Theia's translators,
 * Depth-Anything's DPT neck and head) cost more than the backbone, so they live in a second graph that is only
 * built when one of their outputs is asked for.
 */
import { createHash } from 'node:crypto';
import type { Encoder, EncoderOptions } from './encoder.js';
import type { DepthAnythingSpec } from './onnx/dpt_graph.js';
import type { ResNetSpec } from './onnx/resnet_graph.js';
import type { SamSpec } from './onnx/sam_graph.js';
import { DEFAULT_MAX_BATCH, type Preprocessor, SessionEncoder } from './onnx/session_encoder.js';
import { PIXEL_INPUT } from './onnx/pixel_input.js';
import { createOrtSession } from './ort.js';
import { withFramePreprocessing } from './preprocess/frame_resize.js';
import type { PreprocessRecipe } from './preprocess/processor_config.js';
import type { VitSpec, WeightMap } from './vit_spec.js';

/** The architecture of any checkpoint family, told apart by `family`. */
export type ModelSpec = VitSpec | SamSpec | DepthAnythingSpec | ResNetSpec;

export interface EncoderModel {
  /** The spec string it was loaded from, e.g. "hf:DIR", "r3m:FILE". */
  id: string;
  /** The architecture as the checkpoint names it (e.g. "SamModel", "R3M ResNet-50"). */
  architecture: string;
  spec: ModelSpec;
  /** Backbone weights (canonical names), counted as the encoder's parameters. */
  weights: WeightMap;
  /** Weights only the optional heads use. */
  headWeights: WeightMap;
  preprocess: Preprocessor;
  /** The exact preprocessing, for `bench encoders` and the checkpoint digest (null: described by preprocess.id). */
  recipe: PreprocessRecipe | null;
  /** Graph output name -> per-frame shape. */
  outputs: ReadonlyMap<string, number[]>;
  /** The outputs that need the head graph. */
  headOutputs: ReadonlySet<string>;
  /** What the Encoder interface serves: `pooled` [D] and spatial tokens [T, C] (null: none). */
  pooled: string;
  spatial: string | null;
  /** What `bench encoders` says the policy gets. */
  policyInput: string;
  /** ONNX model bytes; `withHeads` adds the head outputs. */
  buildGraph(withHeads: boolean): Uint8Array;
}

/** sha256 (hex) over the model bytes and the preprocessing id: what determines an encoder's features. */
export function encoderDigest(modelBytes: Uint8Array, preprocessId: string): string {
  return createHash('sha256').update(modelBytes).update('\0preprocess:').update(preprocessId).digest('hex');
}

/** Values in a weight map. */
export function countParameters(weights: WeightMap): number {
  let total = 0;
  for (const tensor of weights.values()) total += tensor.data.length;
  return total;
}

/** sha256 of the spec, every weight (heads included, by canonical name) and the preprocessing recipe. */
export function checkpointDigest(model: EncoderModel): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(model.spec)).update(JSON.stringify(model.recipe));
  const all = new Map([...model.weights, ...model.headWeights]);
  for (const name of [...all.keys()].sort()) {
    const tensor = all.get(name)!;
    hash.update(`${name}[${tensor.shape.join(',')}]`).update(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  }
  return hash.digest('hex');
}

/** Per-frame spatial token shape [T, C] of a model, from its declared outputs. */
function spatialInfo(model: EncoderModel): { tokens: number; channels: number; grid: number } | null {
  if (model.spatial === null) return null;
  const [tokens, channels] = model.outputs.get(model.spatial) as [number, number];
  return { tokens, channels, grid: Math.round(Math.sqrt(tokens)) };
}

/** The backbone graph in an ONNX Runtime session behind the Encoder interface. */
export async function createModelEncoder(model: EncoderModel, options: EncoderOptions = {}): Promise<Encoder> {
  const pooledShape = model.outputs.get(model.pooled);
  if (!pooledShape || pooledShape.length !== 1) throw new Error(`encoder '${model.id}': pooled output '${model.pooled}' must be [D] per frame`);
  const bytes = model.buildGraph(false);
  const session = await createOrtSession(bytes, { threads: options.threads, device: options.device });
  const preprocess = withFramePreprocessing(model.preprocess, options.framePreprocessing ?? 'processor');
  return new SessionEncoder({
    info: {
      id: model.id,
      inputSize: preprocess.inputSize,
      normalisation: preprocess.normalisation,
      pooledDim: pooledShape[0]!,
      spatial: spatialInfo(model),
      parameterCount: countParameters(model.weights),
      digest: encoderDigest(bytes, preprocess.id),
    },
    session,
    preprocess,
    inputName: PIXEL_INPUT,
    inputLayout: 'nchw',
    pooledOutput: model.pooled,
    spatialOutput: model.spatial === null ? null : { name: model.spatial, layout: 'ntc' },
    maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
  });
}
