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
