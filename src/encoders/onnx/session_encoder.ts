/**
 * An `Encoder` over one ONNX Runtime session: preprocess uint8 frames, run in chunks of at most `maxBatch` frames,
 * and gather the pooled vector (and optionally spatial tokens) in input order. Used by the ViT encoders built here
 * and by `onnx:PATH` files.
 */
import { checkFrameBatch, sliceFrames } from '../baselines/image_ops.js';
import type { EncodedBatch, EncodeOptions, Encoder, EncoderInfo, FrameBatch, Normalisation } from '../encoder.js';
import { ort } from '../ort.js';

/** Turns uint8 frames into the model's input tensor. */
export interface Preprocessor {
  /** Names everything that determines the input values (resize filter, size, normalisation); part of the digest. */
  readonly id: string;
  readonly inputSize: number;
  readonly normalisation: Normalisation | null;
  /** frames -> float32 input, [N, 3, S, S] (or [N, S, S, 3] for NHWC models). */
  run(frames: FrameBatch): Float32Array;
}

/**
 * Frames per session run unless `maxBatch` says otherwise. Small runs keep a ViT's activations in the cores' caches:
 * vit-tiny-random ran at ~105 frames/s in runs of 8 against 90-103 in runs of 32, vit-small-random at 31-32 against
 * 28-29.5 (2-core AVX-512 Xeon, 2 MiB L2 a core, 3 alternated repetitions). ONNX Runtime's outputs do not depend on
 * the run's size (each frame's values are bit-identical in runs of 1 to 48), so neither does any feature.
 */
export const DEFAULT_MAX_BATCH = 8;

export interface SessionEncoderConfig {
  info: EncoderInfo;
  session: ort.InferenceSession;
  preprocess: Preprocessor;
  inputName: string;
  /** Layout of the model input. */
  inputLayout: 'nchw' | 'nhwc';
  /** Output holding the pooled vector [N, D]. */
  pooledOutput: string;
  /** Output with spatial tokens, as [N, T, C] ('ntc') or a feature map [N, C, h, w] ('nchw'). */
  spatialOutput: { name: string; layout: 'ntc' | 'nchw' } | null;
  maxBatch: number;
}

export class SessionEncoder implements Encoder {
  readonly info: EncoderInfo;
  private disposed = false;

  constructor(private readonly config: SessionEncoderConfig) {
    if (!Number.isInteger(config.maxBatch) || config.maxBatch < 1) {
      throw new Error(`encoder '${config.info.id}': maxBatch must be a positive integer, got ${config.maxBatch}`);
    }
    this.info = config.info;
  }

  async encode(frames: FrameBatch, options: EncodeOptions = {}): Promise<EncodedBatch> {
    const { info, maxBatch, pooledOutput, spatialOutput } = this.config;
    if (this.disposed) throw new Error(`encoder '${info.id}' was disposed`);
    checkFrameBatch(frames, `encoder '${info.id}'`);
    const D = info.pooledDim;
    const wantSpatial = options.spatial === true && info.spatial !== null && spatialOutput !== null;
    const tokenSize = wantSpatial ? info.spatial!.tokens * info.spatial!.channels : 0;
    const pooled = new Float32Array(frames.n * D);
    const spatial = wantSpatial ? new Float32Array(frames.n * tokenSize) : undefined;
    const fetches = wantSpatial ? [pooledOutput, spatialOutput!.name] : [pooledOutput];
    // Equal chunks of at most maxBatch frames (10 frames run as 5 + 5, not 8 + 2: a run of 2 is the slowest per frame).
    const chunk = Math.ceil(frames.n / Math.max(1, Math.ceil(frames.n / maxBatch)));
    for (let start = 0; start < frames.n; start += chunk) {
      const end = Math.min(start + chunk, frames.n);
      const result = await this.run(sliceFrames(frames, start, end), fetches);
      const p = result[pooledOutput]!;
      expectSize(p, (end - start) * D, `pooled output '${pooledOutput}'`, info.id);
      pooled.set(p.data as Float32Array, start * D);
      if (spatial) {
        const s = result[spatialOutput!.name]!;
        expectSize(s, (end - start) * tokenSize, `spatial output '${spatialOutput!.name}'`, info.id);
        const data = s.data as Float32Array;
        if (spatialOutput!.layout === 'ntc') spatial.set(data, start * tokenSize);
        else nchwToTokens(data, end - start, info.spatial!.channels, info.spatial!.tokens, spatial, start * tokenSize);
      }
    }
    return spatial ? { pooled, spatial } : { pooled };
  }

  private async run(frames: FrameBatch, fetches: string[]): Promise<ort.InferenceSession.ReturnType> {
    const { preprocess, inputName, inputLayout, session, info } = this.config;
    const S = preprocess.inputSize;
    const input = preprocess.run(frames);
    const dims = inputLayout === 'nchw' ? [frames.n, 3, S, S] : [frames.n, S, S, 3];
    try {
      return await session.run({ [inputName]: new ort.Tensor('float32', input, dims) }, fetches);
    } catch (err) {
      throw new Error(`encoder '${info.id}': ONNX Runtime failed on input '${inputName}' [${dims}]: ${(err as Error).message}`);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.config.session.release();
  }
}

function expectSize(t: ort.Tensor, size: number, what: string, id: string): void {
  if (t.data.length !== size || t.type !== 'float32') {
    throw new Error(`encoder '${id}': ${what} is ${t.type} [${t.dims}], expected float32 with ${size} values`);
  }
}

/** [n, C, h, w] -> tokens [n, h*w, C] written into `out` at `offset`. */
function nchwToTokens(data: Float32Array, n: number, C: number, T: number, out: Float32Array, offset: number): void {
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < C; c++) {
      const src = (b * C + c) * T;
      for (let t = 0; t < T; t++) out[offset + (b * T + t) * C + c] = data[src + t]!;
    }
  }
}
