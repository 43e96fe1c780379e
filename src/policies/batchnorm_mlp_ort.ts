/**
 * The BatchNorm-MLP trunk trained and run on ONNX Runtime's CPU kernels (MLAS): the same model, initialisation,
 * backward pass, Adam and running statistics as `BatchNormMlp` with `Adam` on tfjs (batchnorm_mlp.ts, adam.ts),
 * one graph run per training step (batchnorm_mlp_graph.ts) and one per prediction.
 *
 * Why: the trunk's first products ([B, 3 x 768 + P] x [.., 256] for pixels) are nearly all of a training step, and
 * tfjs-backend-wasm runs them on one thread of 128-bit SIMD; MLAS uses the machine's widest vectors on every core.
 *
 * State lives in host Float32Arrays (parameters, Adam moments, running statistics: graph_training_state.ts); a step
 * feeds them in and takes the graph's next values, so a failed run leaves the trunk as it was. Results do not depend on the thread
 * count (ort_sessions.ts, tested), and agree with the tfjs trunk to float rounding (the products sum in another
 * order).
 */
import * as ort from 'onnxruntime-node';
import type { Rng } from '../util/rng.js';
import { type AdamOptions, checkAdamOptions, TORCH_ADAM } from './adam.js';
import { type BatchNormMlpConfig, checkTrunkInput, initialTrunkParameters } from './batchnorm_mlp.js';
import { predictGraph, trainStepGraph, trunkParameterShapes } from './batchnorm_mlp_graph.js';
import { GraphTrainingState } from './graph_training_state.js';
import { createPolicySession, defaultPolicyThreads } from './ort_sessions.js';

export class OrtBatchNormMlp {
  readonly config: BatchNormMlpConfig;
  private readonly state: GraphTrainingState;

  private constructor(
    config: BatchNormMlpConfig,
    params: Float32Array[],
    adam: AdamOptions,
    private readonly sessions: { train: ort.InferenceSession; predict: ort.InferenceSession },
  ) {
    this.config = { ...config, hidden: [...config.hidden] };
    this.state = new GraphTrainingState(trunkParameterShapes(config), params, { ...adam }, config.inputDim);
  }

  /**
   * A trunk starting from the parameters `BatchNormMlp` draws from the same `rng`. `threads`: ONNX Runtime
   * intra-op threads (default: every core this process may use).
   */
  static async create(config: BatchNormMlpConfig, rng: Rng, adam: AdamOptions = TORCH_ADAM, threads = defaultPolicyThreads()): Promise<OrtBatchNormMlp> {
    checkAdamOptions(adam);
    const params = initialTrunkParameters(config, rng).map((p) => p.values);
    const [train, predict] = await Promise.all([
      createPolicySession(trainStepGraph(config, adam), threads, 'OrtBatchNormMlp'),
      createPolicySession(predictGraph(config), threads, 'OrtBatchNormMlp'),
    ]);
    return new OrtBatchNormMlp(config, params, adam, { train, predict });
  }

  /**
   * One Adam step on the mean squared error of z [B, Din] against targets [B, Dout] (B >= 2), with BatchNorm in
   * training mode and its running statistics updated. Returns the batch's squared-error sum before the update.
   */
  async trainStep(z: Float32Array, targets: Float32Array, batch: number): Promise<number> {
    const { inputDim, outputDim } = this.config;
    checkTrunkInput(this.config, z.length / batch, batch, 'train');
    if (targets.length !== batch * outputDim) throw new Error(`OrtBatchNormMlp: targets must hold [${batch}, ${outputDim}] values, got ${targets.length}`);
    const feeds = {
      ...this.state.stepFeeds(batch, outputDim),
      z: new ort.Tensor('float32', z, [batch, inputDim]),
      y: new ort.Tensor('float32', targets, [batch, outputDim]),
    };
    return this.state.accept(await this.sessions.train.run(feeds));
  }

  /**
   * Inference forward (BatchNorm from running statistics) of z [N, Din] -> [N, Dout]. A row's actions do not
   * depend on the rows beside it: a single row runs as two copies, because ONNX Runtime's MatMul takes another
   * path for one row (a vector product) whose sums differ in rounding from the matrix kernel's (measured: 41-44
   * of 48 values), and evaluation episodes predicted alone or in groups must act alike.
   */
  async predict(z: Float32Array, n: number): Promise<Float32Array> {
    const { inputDim, outputDim } = this.config;
    checkTrunkInput(this.config, z.length / n, n, 'predict');
    if (n === 1) return (await this.predict(twoCopies(z), 2)).slice(0, outputDim);
    const out = await this.sessions.predict.run({ ...this.state.predictFeeds(), z: new ort.Tensor('float32', z, [n, inputDim]) });
    return out.out!.data as Float32Array;
  }

  /** The trainable parameters in `BatchNormMlp.parameters()` order (the trunk's own arrays: do not modify). */
  parameters(): { shape: number[]; values: Float32Array }[] {
    return this.state.parameters();
  }

  /** Running statistics [Din] (the trunk's own arrays: do not modify). */
  runningStatistics(): { mean: Float32Array; variance: Float32Array } {
    return this.state.runningStatistics();
  }

  /** Adam's first and second moments in `parameters()` order (the trunk's own arrays: do not modify). */
  adamMoments(): { m: Float32Array[]; v: Float32Array[] } {
    return this.state.adamMoments();
  }

  async release(): Promise<void> {
    await Promise.all([this.sessions.train.release(), this.sessions.predict.release()]);
  }
}

/** One row [D] -> the same row twice [2, D] (see `predict`: a single row is predicted as a batch of two). */
export function twoCopies(row: Float32Array): Float32Array {
  const twice = new Float32Array(2 * row.length);
  twice.set(row);
  twice.set(row, row.length);
  return twice;
}
