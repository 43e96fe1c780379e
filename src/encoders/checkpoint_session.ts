/**
 * Runs any subset of an `EncoderModel`'s named outputs (plus `pixel_values`, the exact preprocessed input) in
 * batches, into one float32 array per output: what `bench encode` writes.
 */
import type { FrameBatch } from './encoder.js';
import { checkpointDigest, countParameters, encoderDigest, type EncoderModel } from './encoder_model.js';
import { PIXEL_INPUT } from './onnx/pixel_input.js';
import { createOrtSession, ort, type OrtSessionOptions } from './ort.js';

/** ORT threads/device (default: CPU, all cores) and batching. */
export interface CheckpointSessionOptions extends OrtSessionOptions {
  /** Frames per onnxruntime call (bounds memory; default 32). */
  batchSize?: number;
}

/** An output tensor: float32, row-major, batch first. */
export interface OutputTensor {
  shape: number[];
  data: Float32Array;
}

const PIXEL_VALUES_OUTPUT = 'pixel_values';

type GraphKind = 'backbone' | 'full';

export class CheckpointSession {
  /**
   * onnxruntime runs every node of a graph whatever outputs are requested, and optional heads (Theia's translators,
   * Depth-Anything's DPT head) cost more than the backbone, so the backbone graph (built at creation) serves
   * requests without head outputs; the full graph is built on the first request for one.
   */
  private readonly sessions = new Map<GraphKind, Promise<ort.InferenceSession>>();

  private constructor(
    readonly model: EncoderModel,
    /** Backbone and head parameters. */
    readonly parameterCount: number,
    /** The digest the Encoder for this model reports (backbone graph + preprocessing). */
    readonly digest: string,
    /** sha256 of the spec, every weight (heads included) and the preprocessing recipe. */
    readonly checkpointDigest: string,
    private readonly options: CheckpointSessionOptions,
    private readonly batchSize: number,
  ) {}

  static async create(model: EncoderModel, options: CheckpointSessionOptions = {}): Promise<CheckpointSession> {
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`CheckpointSession: batchSize must be a positive integer, got ${batchSize}`);
    const backboneBytes = model.buildGraph(false);
    const session = new CheckpointSession(
      model,
      countParameters(model.weights) + countParameters(model.headWeights),
      encoderDigest(backboneBytes, model.preprocess.id),
      checkpointDigest(model),
      options,
      batchSize,
    );
    session.sessions.set('backbone', createOrtSession(backboneBytes, options));
    await session.sessions.get('backbone'); // fail early on a graph onnxruntime refuses
    return session;
  }

  private ortSession(which: GraphKind): Promise<ort.InferenceSession> {
    const key: GraphKind = which === 'full' && this.model.headOutputs.size > 0 ? 'full' : 'backbone';
    let session = this.sessions.get(key);
    if (!session) {
      session = createOrtSession(this.model.buildGraph(key === 'full'), this.options);
      this.sessions.set(key, session);
    }
    return session;
  }

  /** Output names this model can produce, with their per-frame shapes. */
  outputShapes(): Map<string, number[]> {
    const S = this.model.preprocess.inputSize;
    return new Map([...this.model.outputs, [PIXEL_VALUES_OUTPUT, [3, S, S]]]);
  }

  /** Runs `frames` (uint8 RGB, any size) and returns the requested outputs, each [N, ...]. */
  async run(frames: FrameBatch, outputs: string[]): Promise<Map<string, OutputTensor>> {
    const shapes = this.outputShapes();
    const unknown = outputs.filter((name) => !shapes.has(name));
    if (unknown.length) {
      throw new Error(`encoder '${this.model.id}': unknown output(s) ${unknown.join(', ')} (available: ${[...shapes.keys()].join(', ')})`);
    }
    const result = new Map<string, OutputTensor>();
    for (const name of outputs) {
      const shape = [frames.n, ...shapes.get(name)!];
      result.set(name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    }
    const graphOutputs = outputs.filter((name) => name !== PIXEL_VALUES_OUTPUT);
    const needsHeads = graphOutputs.some((name) => this.model.headOutputs.has(name));
    const session = graphOutputs.length ? await this.ortSession(needsHeads ? 'full' : 'backbone') : null;
    const S = this.model.preprocess.inputSize;
    const frameBytes = frames.height * frames.width * 3;
    for (let start = 0; start < frames.n; start += this.batchSize) {
      const n = Math.min(this.batchSize, frames.n - start);
      const batch: FrameBatch = { ...frames, n, data: frames.data.subarray(start * frameBytes, (start + n) * frameBytes) };
      const pixels = this.model.preprocess.run(batch);
      result.get(PIXEL_VALUES_OUTPUT)?.data.set(pixels, start * 3 * S * S);
      if (!session) continue;
      const values = await session.run({ [PIXEL_INPUT]: new ort.Tensor('float32', pixels, [n, 3, S, S]) }, graphOutputs);
      for (const name of graphOutputs) {
        const target = result.get(name)!;
        target.data.set(values[name]!.data as Float32Array, (start * target.data.length) / frames.n);
      }
    }
    return result;
  }

  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of sessions) await (await session).release();
  }
}
