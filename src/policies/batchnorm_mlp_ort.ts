/**
 * The BatchNorm-MLP trunk trained and run on ONNX Runtime's CPU kernels (MLAS): the same model, initialisation,
 * backward pass, Adam and running statistics as `BatchNormMlp` with `Adam` on tfjs (batchnorm_mlp.ts, adam.ts),
 * one graph run per training step (batchnorm_mlp_graph.ts) and one per prediction.
 *
 * Why: the trunk's first products ([B, 3 x 768 + P] x [.., 256] for pixels) are nearly all of a training step, and
 * tfjs-backend-wasm runs them on one thread of 128-bit SIMD; MLAS uses the machine's widest vectors on every core.
 *
 * State lives in host Float32Arrays (parameters, Adam moments, running statistics); a step feeds them in and
 * takes the graph's next values, so a failed run leaves the trunk as it was. Results do not depend on the thread
 * count (ort_sessions.ts, tested), and agree with the tfjs trunk to float rounding (the products sum in another
 * order).
 */
import * as ort from 'onnxruntime-node';
import type { Rng } from '../util/rng.js';
import { type AdamOptions, adamStepScalars, checkAdamOptions, TORCH_ADAM } from './adam.js';
import { type BatchNormMlpConfig, checkTrunkInput, initialTrunkParameters } from './batchnorm_mlp.js';
import { predictGraph, trainStepGraph, trunkParameterShapes } from './batchnorm_mlp_graph.js';
import { createPolicySession, defaultPolicyThreads } from './ort_sessions.js';

export class OrtBatchNormMlp {
  readonly config: BatchNormMlpConfig;
  private readonly shapes: number[][];
  private params: Float32Array[];
  private moments: { m: Float32Array[]; v: Float32Array[] };
  private steps = 0;
  private runningMean: Float32Array;
  private runningVar: Float32Array;
  /** [1, B] rows of ones and of 1/B, per batch size. */
  private readonly batchRows = new Map<number, { ones: ort.Tensor; mean: ort.Tensor }>();

  private constructor(
    config: BatchNormMlpConfig,
    params: Float32Array[],
    private readonly adam: AdamOptions,
    private readonly sessions: { train: ort.InferenceSession; predict: ort.InferenceSession },
  ) {
    this.config = { ...config, hidden: [...config.hidden] };
    this.shapes = trunkParameterShapes(config);
    this.params = params;
    this.moments = { m: params.map((p) => new Float32Array(p.length)), v: params.map((p) => new Float32Array(p.length)) };
    this.runningMean = new Float32Array(config.inputDim);
    this.runningVar = new Float32Array(config.inputDim).fill(1);
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
    return new OrtBatchNormMlp(config, params, { ...adam }, { train, predict });
  }

  /**
   * One Adam step on the mean squared error of z [B, Din] against targets [B, Dout] (B >= 2), with BatchNorm in
   * training mode and its running statistics updated. Returns the batch's squared-error sum before the update.
   */
  async trainStep(z: Float32Array, targets: Float32Array, batch: number): Promise<number> {
    const { inputDim, outputDim } = this.config;
    checkTrunkInput(this.config, z.length / batch, batch, 'train');
    if (targets.length !== batch * outputDim) throw new Error(`OrtBatchNormMlp: targets must hold [${batch}, ${outputDim}] values, got ${targets.length}`);
    const scalars = adamStepScalars(this.adam, this.steps + 1);
    const rows = this.rows(batch);
    const scalar = (value: number): ort.Tensor => new ort.Tensor('float32', Float32Array.of(value), []);
    const feeds: Record<string, ort.Tensor> = {
      z: new ort.Tensor('float32', z, [batch, inputDim]),
      y: new ort.Tensor('float32', targets, [batch, outputDim]),
      ones_row: rows.ones,
      mean_row: rows.mean,
      grad_scale: scalar(2 / (batch * outputDim)),
      unbiased_scale: scalar(batch / (batch - 1)),
      adam_sqrt_scale: scalar(scalars.sqrtScale),
      adam_eps_scaled: scalar(scalars.epsScaled),
      running_mean: new ort.Tensor('float32', this.runningMean, [inputDim]),
      running_var: new ort.Tensor('float32', this.runningVar, [inputDim]),
    };
    this.shapes.forEach((shape, i) => {
      feeds[`p${i}`] = new ort.Tensor('float32', this.params[i]!, shape);
      feeds[`m${i}`] = new ort.Tensor('float32', this.moments.m[i]!, shape);
      feeds[`v${i}`] = new ort.Tensor('float32', this.moments.v[i]!, shape);
    });
    const out = await this.sessions.train.run(feeds);
    const data = (name: string): Float32Array => out[name]!.data as Float32Array;
    this.params = this.shapes.map((_, i) => data(`next_p${i}`));
    this.moments = { m: this.shapes.map((_, i) => data(`next_m${i}`)), v: this.shapes.map((_, i) => data(`next_v${i}`)) };
    this.runningMean = data('next_running_mean');
    this.runningVar = data('next_running_var');
    this.steps += 1;
    return data('squared_error_sum')[0]!;
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
    if (n === 1) {
      const twice = new Float32Array(2 * inputDim);
      twice.set(z);
      twice.set(z, inputDim);
      return (await this.predict(twice, 2)).slice(0, outputDim);
    }
    const feeds: Record<string, ort.Tensor> = {
      z: new ort.Tensor('float32', z, [n, inputDim]),
      running_mean: new ort.Tensor('float32', this.runningMean, [inputDim]),
      running_var: new ort.Tensor('float32', this.runningVar, [inputDim]),
    };
    this.shapes.forEach((shape, i) => (feeds[`p${i}`] = new ort.Tensor('float32', this.params[i]!, shape)));
    const out = await this.sessions.predict.run(feeds);
    return out.out!.data as Float32Array;
  }

  /** The trainable parameters in `BatchNormMlp.parameters()` order (the trunk's own arrays: do not modify). */
  parameters(): { shape: number[]; values: Float32Array }[] {
    return this.shapes.map((shape, i) => ({ shape: [...shape], values: this.params[i]! }));
  }

  /** Running statistics [Din] (the trunk's own arrays: do not modify). */
  runningStatistics(): { mean: Float32Array; variance: Float32Array } {
    return { mean: this.runningMean, variance: this.runningVar };
  }

  /** Adam's first and second moments in `parameters()` order (the trunk's own arrays: do not modify). */
  adamMoments(): { m: Float32Array[]; v: Float32Array[] } {
    return this.moments;
  }

  async release(): Promise<void> {
    await Promise.all([this.sessions.train.release(), this.sessions.predict.release()]);
  }

  private rows(batch: number): { ones: ort.Tensor; mean: ort.Tensor } {
    let rows = this.batchRows.get(batch);
    if (!rows) {
      rows = {
        ones: new ort.Tensor('float32', new Float32Array(batch).fill(1), [1, batch]),
        mean: new ort.Tensor('float32', new Float32Array(batch).fill(1 / batch), [1, batch]),
      };
      this.batchRows.set(batch, rows);
    }
    return rows;
  }
}
