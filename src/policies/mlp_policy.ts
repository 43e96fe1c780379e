/**
 * The 'mlp' policy head: BatchNorm-MLP on [features ++ proprio] (CortexBench protocol), trained with MSE and
 * Adam through the hand-written backward pass of `BatchNormMlp`: on tfjs (`MlpModel`) or, the same arithmetic
 * to float rounding, on ONNX Runtime (`OrtMlpModel`, batchnorm_mlp_ort.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import { Adam } from './adam.js';
import { BatchNormMlp, type BatchNormMlpConfig } from './batchnorm_mlp.js';
import { OrtBatchNormMlp } from './batchnorm_mlp_ort.js';
import { FlareSamples } from './flare.js';
import { meanSquaredError } from './mse.js';
import type { BcDataset, PolicySpec } from './policy.js';
import type { BcModel, TrainingOptions } from './training.js';
import { gatherRows, tensorCopies } from './training.js';

export const MLP_HIDDEN = [256, 256, 256] as const;

function trunkConfig(spec: PolicySpec, options: TrainingOptions): BatchNormMlpConfig {
  return { inputDim: spec.featureDim + spec.proprioDim, hidden: MLP_HIDDEN, outputDim: spec.actionDim, init: options.init };
}

/** The engine 'tfjs': trunk and Adam on the tfjs backend. */
export class MlpModel implements BcModel {
  readonly trunk: BatchNormMlp;
  private readonly spec: PolicySpec;
  private readonly adam: Adam;
  private readonly inputs: MlpInputs;

  constructor(spec: PolicySpec, seed: number, options: TrainingOptions) {
    this.spec = spec;
    this.inputs = new MlpInputs(spec);
    this.trunk = new BatchNormMlp(trunkConfig(spec, options), new Rng(seed));
    this.adam = new Adam(
      this.trunk.parameters().map((p) => p.shape),
      options.adam,
    );
  }

  trainBatch(data: BcDataset, indices: Int32Array): number {
    const batch = indices.length;
    const inputs = this.inputs.rows(data.features, data.proprio, indices);
    const targets = gatherRows(data.actions, this.spec.actionDim, indices);
    const squaredErrorSum = tf.tidy(() => {
      const z = tf.tensor2d(inputs, [batch, this.inputs.width]);
      const y = tf.tensor2d(targets, [batch, this.spec.actionDim]);
      const { out, cache } = this.trunk.forwardTrain(z);
      const { sum, dOut } = meanSquaredError(out, y);
      const grads = this.trunk.backward(cache, dOut, false);
      this.trunk.setParameters(this.adam.apply(this.trunk.parameters(), grads.params));
      this.trunk.updateRunningStatistics(cache);
      return sum;
    });
    const value = squaredErrorSum.dataSync()[0]!;
    squaredErrorSum.dispose();
    return value;
  }

  predict(features: Float32Array, proprio: Float32Array, n: number): Float32Array {
    const inputs = this.inputs.all(features, proprio, n);
    return tf.tidy(() => this.trunk.predict(tf.tensor2d(inputs, [n, this.inputs.width])).dataSync() as Float32Array);
  }

  weights(): { shape: number[]; values: Float32Array }[] {
    return tensorCopies(this.trunk.parameters());
  }

  dispose(): void {
    this.trunk.dispose();
    this.adam.dispose();
  }
}

/** The engine 'onnxruntime': one ONNX Runtime graph run per training step (Adam included) and per prediction. */
export class OrtMlpModel implements BcModel {
  private constructor(
    private readonly spec: PolicySpec,
    readonly trunk: OrtBatchNormMlp,
    private readonly inputs: MlpInputs,
  ) {}

  /** Starts from the weights `MlpModel` starts from for the same spec, seed and options. */
  static async create(spec: PolicySpec, seed: number, options: TrainingOptions): Promise<OrtMlpModel> {
    const trunk = await OrtBatchNormMlp.create(trunkConfig(spec, options), new Rng(seed), options.adam, options.threads);
    return new OrtMlpModel(spec, trunk, new MlpInputs(spec));
  }

  trainBatch(data: BcDataset, indices: Int32Array): Promise<number> {
    const inputs = this.inputs.rows(data.features, data.proprio, indices);
    return this.trunk.trainStep(inputs, gatherRows(data.actions, this.spec.actionDim, indices), indices.length);
  }

  predict(features: Float32Array, proprio: Float32Array, n: number): Promise<Float32Array> {
    return this.trunk.predict(this.inputs.all(features, proprio, n), n);
  }

  weights(): { shape: number[]; values: Float32Array }[] {
    return this.trunk.parameters().map((p) => ({ shape: p.shape, values: p.values.slice() }));
  }

  dispose(): Promise<void> {
    return this.trunk.release();
  }
}

/** Rows [features ++ proprio] of the trunk's input, [rows, featureDim + proprioDim]. */
class MlpInputs {
  readonly width: number;
  /** A reused [batch, width] staging buffer for training batches (the engines copy it before the next one). */
  private staging = new Float32Array(0);

  constructor(private readonly spec: PolicySpec) {
    this.width = spec.featureDim + spec.proprioDim;
  }

  /** The samples `indices` of a dataset, in the staging buffer. */
  rows(features: BcDataset['features'], proprio: Float32Array, indices: Int32Array): Float32Array {
    if (this.staging.length !== indices.length * this.width) this.staging = new Float32Array(indices.length * this.width);
    return this.fill(features, proprio, indices, indices.length, this.staging);
  }

  /** All `n` rows, in a new array. */
  all(features: BcDataset['features'], proprio: Float32Array, n: number): Float32Array {
    return this.fill(features, proprio, null, n, new Float32Array(n * this.width));
  }

  private fill(features: BcDataset['features'], proprio: Float32Array, indices: Int32Array | null, n: number, out: Float32Array): Float32Array {
    const { featureDim, proprioDim } = this.spec;
    if (features instanceof FlareSamples) features.rows(indices ?? Int32Array.from({ length: n }, (_, i) => i), out, this.width);
    for (let r = 0; r < n; r++) {
      const s = indices ? indices[r]! : r;
      if (!(features instanceof FlareSamples)) out.set(features.subarray(s * featureDim, (s + 1) * featureDim), r * this.width);
      if (proprioDim > 0) out.set(proprio.subarray(s * proprioDim, (s + 1) * proprioDim), r * this.width + featureDim);
    }
    return out;
  }
}
