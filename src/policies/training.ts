/**
 * The behaviour-cloning training loop shared by every policy head: one epoch visits every sample once in an
 * order shuffled from the epoch's seed, in mini-batches of `batchSize` (the last one may be smaller).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import type { AdamOptions } from './adam.js';
import { FlareSamples } from './flare.js';
import { TORCH_ADAM } from './adam.js';
import type { PolicyInit } from './init.js';
import type { BcDataset, BcPolicy, PolicySpec } from './policy.js';

/**
 * Where a policy trains. 'onnxruntime' (the default): ONNX Runtime's CPU kernels (MLAS, every core) run the 'mlp'
 * and the conv heads whole, one graph run per training step and per prediction (batchnorm_mlp_ort.ts,
 * conv_head_ort.ts). 'tfjs': every layer on the tfjs backend, the reference that
 * tests and benchmarks compare with, and what native tfjs backends run (backend.ts).
 */
export type PolicyEngine = 'onnxruntime' | 'tfjs';

export interface TrainingOptions {
  /** Mini-batch size (protocol: 256). */
  batchSize: number;
  adam: AdamOptions;
  /** How the trunk starts (protocol: 'mjrl', what the reference code does). */
  init: PolicyInit;
  /** Where the policy trains (default 'onnxruntime'). */
  engine?: PolicyEngine;
  /** ONNX Runtime intra-op threads of the 'onnxruntime' engine (default: every core; results do not depend on it). */
  threads?: number;
}

export const DEFAULT_TRAINING: TrainingOptions = { batchSize: 256, adam: TORCH_ADAM, init: 'mjrl' };

/** What a policy head implements; `TfBcPolicy` turns it into a `BcPolicy`. */
export interface BcModel {
  /**
   * One Adam step on the samples `indices` of `data`. Returns the batch's sum of squared errors over all
   * action components (before the update), for the epoch's mean loss.
   */
  trainBatch(data: BcDataset, indices: Int32Array): number | Promise<number>;
  /** Deterministic actions [n, actionDim] (BatchNorm in inference mode). */
  predict(features: Float32Array, proprio: Float32Array, n: number): Float32Array | Promise<Float32Array>;
  /** Copies of the trainable parameters in a fixed order. */
  weights(): { shape: number[]; values: Float32Array }[];
  dispose(): void | Promise<void>;
}

/**
 * The sample order of one epoch: a permutation of [0, count) from `seed`, cut into batches of `batchSize`.
 * A trailing batch of a single sample joins the one before it, because BatchNorm's batch statistics are
 * undefined for one sample (PyTorch raises on it).
 */
export function epochBatches(count: number, batchSize: number, seed: number): Int32Array[] {
  if (!Number.isInteger(count) || count < 2) throw new Error(`epochBatches: need at least 2 samples, got ${count}`);
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new Error(`epochBatches: batchSize must be an integer >= 2, got ${batchSize}`);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  new Rng(seed).shuffle(order);
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    if (end - start === 1 && batches.length > 0) {
      const last = batches.pop()!;
      batches.push(order.subarray(start - last.length, end));
    } else {
      batches.push(order.subarray(start, end));
    }
  }
  return batches;
}

/** Checks a dataset against a spec and names what is wrong. */
export function validateDataset(spec: PolicySpec, data: BcDataset): void {
  const { count } = data;
  if (!Number.isInteger(count) || count < 2) throw new Error(`BcDataset: count must be an integer >= 2, got ${count}`);
  const check = (name: string, array: Float32Array, width: number): void => {
    if (!(array instanceof Float32Array)) throw new Error(`BcDataset: ${name} must be a Float32Array`);
    if (array.length !== count * width) {
      throw new Error(`BcDataset: ${name} must hold [${count}, ${width}] = ${count * width} values, got ${array.length}`);
    }
  };
  if (data.features instanceof FlareSamples) {
    if (data.features.count !== count || data.features.width !== spec.featureDim) {
      throw new Error(`BcDataset: features must hold [${count}, ${spec.featureDim}] samples, got [${data.features.count}, ${data.features.width}]`);
    }
    // Fused rows of finite frames are finite.
    data.features.frames.checkFinite('BcDataset: feature frames');
  } else {
    check('features', data.features, spec.featureDim);
    checkFinite('BcDataset: features', data.features);
  }
  check('proprio', data.proprio, spec.proprioDim);
  check('actions', data.actions, spec.actionDim);
  checkFinite('BcDataset: proprio', data.proprio);
  checkFinite('BcDataset: actions', data.actions);
}

/** Arrays already scanned (a dataset is trained on for many epochs; it is scanned once). */
const finiteArrays = new WeakSet<Float32Array>();

/**
 * Throws if `values` holds NaN or an infinity. Needed because non-finite inputs do not show in the loss:
 * the wasm fused matMul's ReLU clamp turns NaN into 0, so training would silently corrupt weights.
 */
function checkFinite(name: string, values: Float32Array, remember = true): void {
  if (finiteArrays.has(values)) return;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new Error(`${name} holds a non-finite value (${values[i]}) at index ${i}`);
  }
  if (remember) finiteArrays.add(values);
}

/** Checks predict() inputs against a spec. */
export function validatePredictInput(spec: PolicySpec, features: Float32Array, proprio: Float32Array, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`predict: n must be a positive integer, got ${n}`);
  if (features.length !== n * spec.featureDim) {
    throw new Error(`predict: features must hold [${n}, ${spec.featureDim}] = ${n * spec.featureDim} values, got ${features.length}`);
  }
  if (proprio.length !== n * spec.proprioDim) {
    throw new Error(`predict: proprio must hold [${n}, ${spec.proprioDim}] = ${n * spec.proprioDim} values, got ${proprio.length}`);
  }
  // Rollout buffers are often reused and refilled, so these are scanned on every call.
  checkFinite('predict: features', features, false);
  checkFinite('predict: proprio', proprio, false);
}

/** Feature rows `indices` of a dataset -> [indices.length, width], whichever way the dataset holds them. */
export function featureRows(features: BcDataset['features'], width: number, indices: Int32Array): Float32Array {
  return features instanceof FlareSamples ? features.rows(indices) : gatherRows(features, width, indices);
}

/** Copies rows `indices` of a row-major [S, width] array into a new [indices.length, width] array. */
export function gatherRows(source: Float32Array, width: number, indices: Int32Array, out?: Float32Array): Float32Array {
  const target = out ?? new Float32Array(indices.length * width);
  for (let r = 0; r < indices.length; r++) {
    const from = indices[r]! * width;
    target.set(source.subarray(from, from + width), r * width);
  }
  return target;
}

/** Host copies of tensors, for `BcModel.weights()`. */
export function tensorCopies(tensors: readonly tf.Tensor[]): { shape: number[]; values: Float32Array }[] {
  return tensors.map((t) => ({ shape: [...t.shape], values: new Float32Array(t.dataSync()) }));
}

/** A `BcPolicy` over any `BcModel`. */
export class TfBcPolicy implements BcPolicy {
  readonly spec: PolicySpec;
  readonly options: TrainingOptions;
  private readonly model: BcModel;
  private disposed = false;

  constructor(spec: PolicySpec, model: BcModel, options: TrainingOptions) {
    this.spec = spec;
    this.model = model;
    this.options = options;
  }

  async trainEpoch(data: BcDataset, seed: number): Promise<number> {
    this.checkAlive();
    validateDataset(this.spec, data);
    let squaredErrorSum = 0;
    const batches = epochBatches(data.count, this.options.batchSize, seed);
    for (let b = 0; b < batches.length; b++) {
      squaredErrorSum += await this.model.trainBatch(data, batches[b]!);
      // Let timers and I/O (progress bars, signals) run during long epochs.
      if (b % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
    }
    const meanLoss = squaredErrorSum / (data.count * this.spec.actionDim);
    if (!Number.isFinite(meanLoss)) throw new Error(`trainEpoch: the loss diverged to ${meanLoss}`);
    return meanLoss;
  }

  /** Throws at once on bad input; the actions may come asynchronously (ONNX Runtime runs are). */
  predict(features: Float32Array, proprio: Float32Array, n: number): Float32Array | Promise<Float32Array> {
    this.checkAlive();
    validatePredictInput(this.spec, features, proprio, n);
    return this.model.predict(features, proprio, n);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      await this.model.dispose();
    } catch (err) {
      throw new Error(`BcPolicy (${this.spec.head} head, ${this.spec.featureDim} features): releasing its model failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** Copies of the trainable parameters in a fixed order (for inspection, tests and comparisons). */
  weights(): { shape: number[]; values: Float32Array }[] {
    this.checkAlive();
    return this.model.weights();
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('BcPolicy: used after dispose()');
  }
}
