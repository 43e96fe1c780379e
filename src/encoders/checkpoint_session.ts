/**
 * A loaded checkpoint ready to run: the exact preprocessing, the ONNX graph built from the checkpoint, and an
 * onnxruntime session. Runs any subset of the graph's outputs (tokens, spatial, cls, pooled, translator.<id>) plus
 * `pixel_values`, in batches, into one float32 array per output.
 */
import { createHash } from 'node:crypto';
import type { FrameBatch } from '../encoder.js';
import type { VitSpec } from '../vit_spec.js';
import { buildVitGraph, PIXEL_INPUT, tokenGrid } from '../onnx/vit_graph.js';
import { encoderDigest } from '../onnx/vit_encoder.js';
import { createOrtSession, ort, type OrtSessionOptions } from '../ort.js';
import { preprocessFrames } from '../preprocess/pixel_values.js';
import type { CheckpointKind, LoadedCheckpoint } from './checkpoint.js';
import { loadCheckpoint } from './checkpoint.js';
import { recipePreprocessor } from './recipe_preprocessor.js';

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

export const PIXEL_VALUES_OUTPUT = 'pixel_values';

/** sha256 of the spec, every weight (by canonical name) and the preprocessing recipe. */
function checkpointDigest(checkpoint: LoadedCheckpoint): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(checkpoint.spec)).update(JSON.stringify(checkpoint.recipe));
  for (const name of [...checkpoint.weights.keys()].sort()) {
    const tensor = checkpoint.weights.get(name)!;
    hash.update(`${name}[${tensor.shape.join(',')}]`).update(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  }
  return hash.digest('hex');
}

export class CheckpointSession {
  /**
   * onnxruntime runs every node of a graph whatever outputs are requested, and Theia's translator heads cost more
   * than its backbone, so the backbone-only graph (built at creation) serves requests without translator outputs;
   * the full graph is built on the first request for a translator output.
   */
  private readonly sessions = new Map<'backbone' | 'full', Promise<ort.InferenceSession>>();

  private constructor(
    readonly checkpoint: LoadedCheckpoint,
    readonly parameterCount: number,
    /** The digest the Encoder for this checkpoint reports (backbone graph + preprocessing; see vit_encoder.ts). */
    readonly digest: string,
    /** sha256 of the spec, every weight (translator heads included) and the preprocessing recipe. */
    readonly checkpointDigest: string,
    private readonly options: CheckpointSessionOptions,
    private readonly batchSize: number,
  ) {}

  static async create(kind: CheckpointKind, dir: string, options: CheckpointSessionOptions = {}): Promise<CheckpointSession> {
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`CheckpointSession: batchSize must be a positive integer, got ${batchSize}`);
    const checkpoint = loadCheckpoint(kind, dir);
    // Counted from the checkpoint, not the graph: the graph folds some tensors together (e.g. CLS into positions).
    let parameterCount = 0;
    for (const tensor of checkpoint.weights.values()) parameterCount += tensor.data.length;
    const backboneBytes = buildVitGraph({ ...checkpoint.spec, translators: [] }, checkpoint.weights);
    const preprocessId = recipePreprocessor(checkpoint.recipe, checkpoint.spec.imageSize).id;
    const session = new CheckpointSession(
      checkpoint,
      parameterCount,
      encoderDigest(backboneBytes, preprocessId),
      checkpointDigest(checkpoint),
      options,
      batchSize,
    );
    session.sessions.set('backbone', createOrtSession(backboneBytes, options));
    await session.sessions.get('backbone'); // fail early on a graph onnxruntime refuses
    return session;
  }

  private ortSession(which: 'backbone' | 'full'): Promise<ort.InferenceSession> {
    const useFull = which === 'full' && this.spec.translators.length > 0;
    const key = useFull ? 'full' : 'backbone';
    let session = this.sessions.get(key);
    if (!session) {
      const spec = useFull ? this.spec : { ...this.spec, translators: [] };
      session = createOrtSession(buildVitGraph(spec, this.checkpoint.weights), this.options);
      this.sessions.set(key, session);
    }
    return session;
  }

  get spec(): VitSpec {
    return this.checkpoint.spec;
  }

  /** Output names this checkpoint can produce, with their per-frame shapes. */
  outputShapes(): Map<string, number[]> {
    const { spec } = this;
    const grid = tokenGrid(spec);
    const T = grid * grid;
    const C = spec.hiddenSize;
    const shapes = new Map<string, number[]>([
      ['spatial', [T, C]],
      ['cls', [C]],
      ['pooled', [C]],
      ['tokens', [1 + T, C]],
      [PIXEL_VALUES_OUTPUT, [3, spec.imageSize, spec.imageSize]],
    ]);
    for (const t of spec.translators) shapes.set(`translator.${t.teacherId}`, [t.targetShape[1] * t.targetShape[2], t.targetShape[0]]);
    return shapes;
  }

  /** Runs `frames` (uint8 RGB, any size) and returns the requested outputs, each [N, ...]. */
  async run(frames: FrameBatch, outputs: string[]): Promise<Map<string, OutputTensor>> {
    const shapes = this.outputShapes();
    const unknown = outputs.filter((name) => !shapes.has(name));
    if (unknown.length) {
      throw new Error(`${this.checkpoint.kind} encoder: unknown output(s) ${unknown.join(', ')} (available: ${[...shapes.keys()].join(', ')})`);
    }
    const result = new Map<string, OutputTensor>();
    for (const name of outputs) {
      const shape = [frames.n, ...shapes.get(name)!];
      result.set(name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    }
    const graphOutputs = outputs.filter((name) => name !== PIXEL_VALUES_OUTPUT);
    const session = graphOutputs.length ? await this.ortSession(graphOutputs.some((name) => name.startsWith('translator.')) ? 'full' : 'backbone') : null;
    const frameBytes = frames.height * frames.width * 3;
    for (let start = 0; start < frames.n; start += this.batchSize) {
      const n = Math.min(this.batchSize, frames.n - start);
      const batch: FrameBatch = { ...frames, n, data: frames.data.subarray(start * frameBytes, (start + n) * frameBytes) };
      const pixels = preprocessFrames(batch, this.checkpoint.recipe);
      if (result.has(PIXEL_VALUES_OUTPUT)) {
        result.get(PIXEL_VALUES_OUTPUT)!.data.set(pixels.data, start * pixels.data.length / n);
      }
      if (!session) continue;
      const input = new ort.Tensor('float32', pixels.data, [n, 3, pixels.height, pixels.width]);
      const values = await session.run({ [PIXEL_INPUT]: input }, graphOutputs);
      for (const name of graphOutputs) {
        const value = values[name]!.data as Float32Array;
        const target = result.get(name)!;
        target.data.set(value, (start * target.data.length) / frames.n);
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
