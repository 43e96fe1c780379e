/**
 * The 'mlp' policy head: BatchNorm-MLP on [features ++ proprio] (CortexBench protocol), trained with MSE and
 * Adam through the hand-written backward pass of `BatchNormMlp`.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import { Adam } from './adam.js';
import { BatchNormMlp } from './batchnorm_mlp.js';
import { FlareSamples } from './flare.js';
import { meanSquaredError } from './mse.js';
import type { BcDataset, PolicySpec } from './policy.js';
import type { BcModel, TrainingOptions } from './training.js';
import { gatherRows } from './training.js';

export const MLP_HIDDEN = [256, 256, 256] as const;

export class MlpModel implements BcModel {
  readonly trunk: BatchNormMlp;
  private readonly spec: PolicySpec;
  private readonly adam: Adam;
  private readonly inputDim: number;
  private staging = new Float32Array(0);

  constructor(spec: PolicySpec, seed: number, options: TrainingOptions) {
    this.spec = spec;
    this.inputDim = spec.featureDim + spec.proprioDim;
    this.trunk = new BatchNormMlp(
      { inputDim: this.inputDim, hidden: MLP_HIDDEN, outputDim: spec.actionDim, init: options.init },
      new Rng(seed),
    );
    this.adam = new Adam(
      this.trunk.parameters().map((p) => p.shape),
      options.adam,
    );
  }

  trainBatch(data: BcDataset, indices: Int32Array): number {
    const batch = indices.length;
    const inputs = this.concatInputs(data.features, data.proprio, indices, 0, this.inputBuffer(batch));
    const targets = gatherRows(data.actions, this.spec.actionDim, indices);
    const squaredErrorSum = tf.tidy(() => {
      const z = tf.tensor2d(inputs, [batch, this.inputDim]);
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
    const inputs = this.concatInputs(features, proprio, null, n);
    return tf.tidy(() => this.trunk.predict(tf.tensor2d(inputs, [n, this.inputDim])).dataSync() as Float32Array);
  }

  parameters(): tf.Tensor[] {
    return this.trunk.parameters();
  }

  dispose(): void {
    this.trunk.dispose();
    this.adam.dispose();
  }

  /** A reused [batch, inputDim] staging buffer (tf.tensor copies it into the backend). */
  private inputBuffer(batch: number): Float32Array {
    if (this.staging.length !== batch * this.inputDim) this.staging = new Float32Array(batch * this.inputDim);
    return this.staging;
  }

  /** [rows, featureDim + proprioDim]: the selected rows (all `n` rows when `indices` is null). */
  private concatInputs(
    features: BcDataset['features'],
    proprio: Float32Array,
    indices: Int32Array | null,
    n: number,
    target?: Float32Array,
  ): Float32Array {
    const { featureDim, proprioDim } = this.spec;
    const rows = indices ? indices.length : n;
    const out = target ?? new Float32Array(rows * this.inputDim);
    if (features instanceof FlareSamples) features.rows(indices ?? Int32Array.from({ length: n }, (_, i) => i), out, this.inputDim);
    for (let r = 0; r < rows; r++) {
      const s = indices ? indices[r]! : r;
      if (!(features instanceof FlareSamples)) out.set(features.subarray(s * featureDim, (s + 1) * featureDim), r * this.inputDim);
      if (proprioDim > 0) out.set(proprio.subarray(s * proprioDim, (s + 1) * proprioDim), r * this.inputDim + featureDim);
    }
    return out;
  }
}
