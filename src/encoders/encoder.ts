/** The frozen-encoder interface every part of the harness uses (baselines, ONNX files, HF checkpoints, Theia). */

export interface Normalisation {
  mean: [number, number, number];
  std: [number, number, number];
}

export interface EncoderInfo {
  /** The spec string the encoder was created from, e.g. "vit-tiny-random", "onnx:model.onnx", "theia:DIR". */
  id: string;
  /** Side of the square image the network sees after preprocessing. */
  inputSize: number;
  normalisation: Normalisation | null;
  /** Pooled vector width D. */
  pooledDim: number;
  /** Spatial tokens [T, C] per frame, or null when the encoder has none (e.g. `pixels`). */
  spatial: { tokens: number; channels: number; grid: number } | null;
  parameterCount: number;
  /** sha256 (hex) of everything that determines the features: weights, graph, preprocessing. */
  digest: string;
}

/** A batch of RGB frames: `data` holds N x H x W x 3 uint8 values, row-major. */
export interface FrameBatch {
  data: Uint8Array;
  n: number;
  height: number;
  width: number;
}

export interface EncodedBatch {
  /** [N, D] row-major. */
  pooled: Float32Array;
  /** [N, T, C] row-major, present when requested and the encoder has spatial tokens. */
  spatial?: Float32Array;
}

export interface EncodeOptions {
  /** Also return spatial tokens (costs a copy). */
  spatial?: boolean;
}

export interface Encoder {
  readonly info: EncoderInfo;
  encode(frames: FrameBatch, options?: EncodeOptions): Promise<EncodedBatch>;
  /** Frees native sessions. */
  dispose(): Promise<void>;
}

/**
 * Settings of a model-file encoder: `onnx:PATH` (from CLI flags or the JSON file beside the model, `PATH.json`, else
 * `model.json` in the model's folder; flags override the file) and `tfjs:DIR` (from DIR/encoder.json). Every field
 * is optional.
 */
export interface ModelFileConfig {
  /** Side of the square input (default: the model's static input size). */
  inputSize?: number;
  /** Per-channel normalisation applied after scaling to [0, 1] (default mean 0, std 1). */
  mean?: [number, number, number];
  std?: [number, number, number];
  /** Input tensor name (default: the model's only input). */
  input?: string;
  /** Input layout (default 'nchw'). */
  layout?: 'nchw' | 'nhwc';
  /** Output holding the pooled vector [N, D] (default: 'pooled' if present, else the only/first output). */
  pooled?: string;
  /** Output holding spatial tokens [N, T, C] or a feature map [N, C, h, w] (default: 'spatial' if present, else none). */
  spatial?: string | null;
}

/**
 * How frames reach an encoder's own preprocessing:
 *   'processor'       as rendered: the image processor resizes (and crops) them itself;
 *   'bicubic-resize'  first resized to the network's input side with Pillow's bicubic filter, as Theia's
 *                     CortexBench evaluation does with its 256-px frames before the DeiT processor.
 * Part of the encoder's digest.
 */
export type FramePreprocessing = 'processor' | 'bicubic-resize';

/** How `createEncoder(spec, options)` builds an encoder (the CLI's encoder flags end up here). */
export interface EncoderOptions {
  /** Default 'processor'; 'bicubic-resize' is offered by checkpoint encoders (theia:, hf:, r3m:, vc1:). */
  framePreprocessing?: FramePreprocessing;
  /** ONNX Runtime intra-op threads (default: all cores). */
  threads?: number;
  /** Execution provider (default 'cpu'); 'cuda' fails with a clear error where its binaries are not installed. */
  device?: 'cpu' | 'cuda';
  /** Most frames per model run; larger batches are split into chunks and re-joined in order (default 8 for ONNX Runtime sessions, 32 for tfjs models). */
  maxBatch?: number;
  /** Seed of randomly initialised encoders such as `vit-tiny-random` (default 0). */
  seed?: number;
  /** `onnx:PATH` settings; override the JSON file beside the model. */
  onnx?: ModelFileConfig;
}
