/**
 * The CortexBench policy trunk: BatchNorm1d over the whole input -> [Linear -> ReLU] x hidden -> Linear(action),
 * with a hand-written backward pass.
 *
 * Why hand-written: in tfjs-backend-wasm 4.22 a matMul with transposeA/transposeB is ~15x slower than an
 * explicit transpose followed by a plain matMul, and tf's built-in matMul gradient uses those flags. Here every
 * product is a plain [M, K] x [K, N] matMul after explicit transposes, and reductions over the batch are
 * products with a ones vector (the wasm backend's axis-0 mean/sum transposes internally and is slower).
 * BatchNorm statistics are taken from the transposed input z^T [Din, B] times a cached [B, 1] column of 1/B:
 * XNNPACK packs the right-hand operand of every product, so a constant right operand is packed only once,
 * and z^T is needed anyway for the first layer's weight gradient.
 *
 * When the input gradient is not needed (the input is data), the BatchNorm + first Linear backward avoids the
 * [B, 256] x [256, Din] product entirely: with G = xhat^T da1 [Din, H1],
 *   dW1 = gamma^T * G + beta^T db1,  dgamma_j = sum_k W1[j, k] G[j, k],  dbeta = W1 db1^T,
 * which is the chain rule through y0 = gamma * xhat + beta rearranged (same math, one matMul fewer).
 *
 * PyTorch semantics: BatchNorm normalises a training batch with its biased variance and updates running
 * statistics with momentum 0.1 using the unbiased variance; eps 1e-5. Linear layers start from PyTorch's default
 * uniform initialisation, gamma from 1 and beta from 0, then `config.init` scales gamma or the last layer by 0.01
 * (see init.ts: the reference code scales gamma, its comment says the last layer).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import { fanInBound, initScales, type PolicyInit, uniformValues } from './init.js';

export const BATCHNORM_EPS = 1e-5;
export const BATCHNORM_MOMENTUM = 0.1;

export interface BatchNormMlpConfig {
  inputDim: number;
  hidden: readonly number[];
  outputDim: number;
  /** Which tensors start scaled by 0.01: BatchNorm's gamma ('mjrl') or the last layer ('last-layer-0.01'). */
  init: PolicyInit;
}

/** Values kept from a training forward pass for the backward pass. Tensors belong to the caller's tidy. */
export interface BatchNormMlpCache {
  batch: number;
  /** [B, Din] normalised input. */
  xhat: tf.Tensor2D;
  /** [Din, B] the same, transposed. */
  xhatT: tf.Tensor2D;
  /** [B, Din] BatchNorm output (gamma * xhat + beta). */
  y0: tf.Tensor2D;
  /** [Din, 1] 1 / sqrt(batch variance + eps). */
  invStd: tf.Tensor2D;
  /** [Din, 1] batch mean and biased batch variance. */
  mean: tf.Tensor2D;
  variance: tf.Tensor2D;
  /** Post-ReLU hidden activations, [B, hidden[i]] each. */
  hiddens: tf.Tensor2D[];
  /** [1, B] ones, for batch reductions by matMul. */
  onesRow: tf.Tensor2D;
}

export interface BatchNormMlpGradients {
  /** Same order and shapes as `BatchNormMlp.parameters()`. */
  params: tf.Tensor[];
  /** [B, Din], only when requested. */
  input?: tf.Tensor2D;
}

/** The trunk's layer sizes [Din, ...hidden, Dout]; errors unless every one is a positive integer. */
export function trunkLayerSizes(config: BatchNormMlpConfig): number[] {
  const dims = [config.inputDim, ...config.hidden, config.outputDim];
  for (const d of dims) {
    if (!Number.isInteger(d) || d <= 0) throw new Error(`BatchNormMlp: layer sizes must be positive integers, got [${dims}]`);
  }
  return dims;
}

/**
 * The trunk's starting parameters in `parameters()` order (gamma [Din], beta [Din], W1 [Din, H1], b1 [H1], ...,
 * Wn [Hn-1, Dout], bn [Dout]), drawn from `rng`: every engine starts from these same values.
 */
export function initialTrunkParameters(config: BatchNormMlpConfig, rng: Rng): { shape: number[]; values: Float32Array }[] {
  const dims = trunkLayerSizes(config);
  const scales = initScales(config.init);
  const din = config.inputDim;
  const list: { shape: number[]; values: Float32Array }[] = [
    { shape: [din], values: new Float32Array(din).fill(scales.batchNormGamma) },
    { shape: [din], values: new Float32Array(din) },
  ];
  for (let i = 0; i + 1 < dims.length; i++) {
    const fanIn = dims[i]!;
    const fanOut = dims[i + 1]!;
    const scale = i + 2 === dims.length ? scales.lastLayer : 1;
    const bound = fanInBound(fanIn);
    // Weight then bias, each from its own draw order, as torch's Linear.reset_parameters does.
    list.push({ shape: [fanIn, fanOut], values: uniformValues(rng, fanIn * fanOut, bound, scale) });
    list.push({ shape: [fanOut], values: uniformValues(rng, fanOut, bound, scale) });
  }
  return list;
}

/** Errors unless an input of `rows` x `columns` fits the trunk (training needs two rows for batch statistics). */
export function checkTrunkInput(config: BatchNormMlpConfig, columns: number, rows: number, mode: 'train' | 'predict'): void {
  if (columns !== config.inputDim) throw new Error(`BatchNormMlp: input has ${columns} columns, expected ${config.inputDim}`);
  if (mode === 'train' && rows < 2) throw new Error(`BatchNormMlp: training needs a batch of at least 2 samples, got ${rows}`);
}

export class BatchNormMlp {
  readonly config: BatchNormMlpConfig;
  /** [Din] */
  private gamma: tf.Tensor1D;
  private beta: tf.Tensor1D;
  /** [in, out] each */
  private weights: tf.Tensor2D[];
  /** [out] each (rank 1: the wasm fused matMul kernel takes rank-1 biases only, judged by storage shape) */
  private biases: tf.Tensor1D[];
  /** [Din] */
  private runningMean: tf.Tensor1D;
  private runningVar: tf.Tensor1D;
  private readonly eps: tf.Scalar;
  private readonly momentum: tf.Scalar;
  private readonly keepRate: tf.Scalar;
  private readonly meanColumns = new Map<number, tf.Tensor2D>();

  constructor(config: BatchNormMlpConfig, rng: Rng) {
    const initial = initialTrunkParameters(config, rng);
    this.config = { ...config, hidden: [...config.hidden] };
    const din = config.inputDim;
    const [gamma, beta, ...layers] = initial.map(({ shape, values }) => tf.tensor(values, shape));
    this.gamma = gamma as tf.Tensor1D;
    this.beta = beta as tf.Tensor1D;
    this.runningMean = tf.zeros([din]);
    this.runningVar = tf.ones([din]);
    this.weights = layers.filter((_, i) => i % 2 === 0) as tf.Tensor2D[];
    this.biases = layers.filter((_, i) => i % 2 === 1) as tf.Tensor1D[];
    this.eps = tf.scalar(BATCHNORM_EPS);
    this.momentum = tf.scalar(BATCHNORM_MOMENTUM);
    this.keepRate = tf.scalar(1 - BATCHNORM_MOMENTUM);
  }

  /** Trainable tensors in a fixed order: gamma, beta, W1, b1, ..., Wn, bn. */
  parameters(): tf.Tensor[] {
    const list: tf.Tensor[] = [this.gamma, this.beta];
    for (let i = 0; i < this.weights.length; i++) list.push(this.weights[i]!, this.biases[i]!);
    return list;
  }

  /** Replaces the trainable tensors (same order as `parameters()`), disposing the old ones. */
  setParameters(next: readonly tf.Tensor[]): void {
    const old = this.parameters();
    if (next.length !== old.length) throw new Error(`BatchNormMlp.setParameters: expected ${old.length} tensors, got ${next.length}`);
    this.gamma = next[0] as tf.Tensor1D;
    this.beta = next[1] as tf.Tensor1D;
    for (let i = 0; i < this.weights.length; i++) {
      this.weights[i] = next[2 + 2 * i] as tf.Tensor2D;
      this.biases[i] = next[3 + 2 * i] as tf.Tensor1D;
    }
    for (const t of old) if (!next.includes(t)) t.dispose();
  }

  /** Running statistics [Din] (for tests and inspection). */
  runningStatistics(): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
    return { mean: this.runningMean, variance: this.runningVar };
  }

  /** Training-mode forward of z [B, Din] -> out [B, Dout]; call inside a tidy. */
  forwardTrain(z: tf.Tensor2D): { out: tf.Tensor2D; cache: BatchNormMlpCache } {
    const [batch, din] = z.shape;
    checkTrunkInput(this.config, din, batch, 'train');
    const onesRow = tf.ones([1, batch]) as tf.Tensor2D;
    const meanColumn = this.batchMeanColumn(batch);
    const zT = tf.transpose(z); // [Din, B]
    const mean = tf.matMul(zT, meanColumn) as tf.Tensor2D; // [Din, 1]
    const centredT = tf.sub(zT, mean);
    const variance = tf.matMul(tf.square(centredT), meanColumn) as tf.Tensor2D; // biased
    const invStd = tf.rsqrt(tf.add(variance, this.eps)) as tf.Tensor2D;
    const xhatT = tf.mul(centredT, invStd) as tf.Tensor2D;
    // The same normalisation in [B, Din] layout for the forward product (row views of the [Din, 1] statistics).
    const xhat = tf.mul(tf.sub(z, tf.reshape(mean, [1, din])), tf.reshape(invStd, [1, din])) as tf.Tensor2D;
    const y0 = tf.add(tf.mul(xhat, this.gamma), this.beta) as tf.Tensor2D;
    const { out, hiddens } = this.mlp(y0);
    return { out, cache: { batch, xhat, xhatT, y0, invStd, mean, variance, hiddens, onesRow } };
  }

  /** Inference forward (BatchNorm from running statistics) of z [N, Din] -> [N, Dout]; call inside a tidy. */
  predict(z: tf.Tensor2D): tf.Tensor2D {
    checkTrunkInput(this.config, z.shape[1], z.shape[0], 'predict');
    const invStd = tf.rsqrt(tf.add(this.runningVar, this.eps));
    const y0 = tf.add(tf.mul(tf.mul(tf.sub(z, this.runningMean), invStd), this.gamma), this.beta) as tf.Tensor2D;
    return this.mlp(y0).out;
  }

  /**
   * Backward pass from dOut [B, Dout] (gradient of the loss w.r.t. the output) through the cached forward.
   * Call inside a tidy.
   */
  backward(cache: BatchNormMlpCache, dOut: tf.Tensor2D, needInputGradient: boolean): BatchNormMlpGradients {
    const layers = this.weights.length;
    const weightGrads: tf.Tensor[] = new Array(layers);
    const biasGrads: tf.Tensor[] = new Array(layers);
    let delta = dOut; // gradient w.r.t. the pre-activation of layer i
    for (let i = layers - 1; i >= 1; i--) {
      const input = cache.hiddens[i - 1]!;
      weightGrads[i] = tf.matMul(tf.transpose(input), delta);
      biasGrads[i] = tf.reshape(tf.matMul(cache.onesRow, delta), [-1]);
      const dInput = tf.matMul(delta, tf.transpose(this.weights[i]!));
      // ReLU': the post-activation is > 0 exactly where the pre-activation is (torch's gradient at 0 is 0).
      delta = tf.mul(dInput, tf.step(input)) as tf.Tensor2D;
    }
    const w1 = this.weights[0]!;
    const db1 = tf.matMul(cache.onesRow, delta) as tf.Tensor2D; // [1, H1]
    biasGrads[0] = tf.reshape(db1, [-1]);
    let dGamma: tf.Tensor;
    let dBeta: tf.Tensor;
    let dInput: tf.Tensor2D | undefined;
    if (!needInputGradient) {
      const g = tf.matMul(cache.xhatT, delta); // [Din, H1]
      const gammaCol = tf.reshape(this.gamma, [-1, 1]);
      const betaCol = tf.reshape(this.beta, [-1, 1]);
      weightGrads[0] = tf.add(tf.mul(g, gammaCol), tf.mul(betaCol, db1));
      const h1 = w1.shape[1];
      dGamma = tf.reshape(tf.matMul(tf.mul(w1, g), tf.ones([h1, 1])), [-1]);
      dBeta = tf.reshape(tf.matMul(w1, tf.reshape(db1, [-1, 1])), [-1]);
    } else {
      weightGrads[0] = tf.matMul(tf.transpose(cache.y0), delta);
      const dy0 = tf.matMul(delta, tf.transpose(w1)); // [B, Din]
      dGamma = tf.reshape(tf.matMul(cache.onesRow, tf.mul(dy0, cache.xhat)), [-1]);
      dBeta = tf.reshape(tf.matMul(cache.onesRow, dy0), [-1]);
      // dz = invStd / B * (B dxhat - sum_b dxhat - xhat sum_b(dxhat xhat)), with dxhat = gamma dy0.
      const invBatch = tf.scalar(1 / cache.batch);
      const dxhat = tf.mul(dy0, this.gamma);
      const meanDxhat = tf.mul(tf.mul(dBeta, this.gamma), invBatch);
      const meanDxhatXhat = tf.mul(tf.mul(dGamma, this.gamma), invBatch);
      const invStdRow = tf.reshape(cache.invStd, [1, -1]);
      dInput = tf.mul(tf.sub(tf.sub(dxhat, meanDxhat), tf.mul(cache.xhat, meanDxhatXhat)), invStdRow) as tf.Tensor2D;
    }
    const params: tf.Tensor[] = [dGamma, dBeta];
    for (let i = 0; i < layers; i++) params.push(weightGrads[i]!, biasGrads[i]!);
    return dInput ? { params, input: dInput } : { params };
  }

  /** Running-statistics update from a training batch (torch: unbiased variance, momentum 0.1). */
  updateRunningStatistics(cache: BatchNormMlpCache): void {
    const [mean, variance] = tf.tidy(() => {
      const unbiased = tf.mul(tf.reshape(cache.variance, [-1]), tf.scalar(cache.batch / (cache.batch - 1)));
      return [
        tf.add(tf.mul(this.runningMean, this.keepRate), tf.mul(tf.reshape(cache.mean, [-1]), this.momentum)),
        tf.add(tf.mul(this.runningVar, this.keepRate), tf.mul(unbiased, this.momentum)),
      ] as tf.Tensor1D[];
    });
    tf.keep(mean!);
    tf.keep(variance!);
    this.runningMean.dispose();
    this.runningVar.dispose();
    this.runningMean = mean!;
    this.runningVar = variance!;
  }

  dispose(): void {
    for (const t of [...this.parameters(), this.runningMean, this.runningVar, this.eps, this.momentum, this.keepRate]) t.dispose();
    for (const t of this.meanColumns.values()) t.dispose();
    this.meanColumns.clear();
  }

  /** [B, 1] filled with 1 / B, kept per batch size (a constant right operand is packed once by XNNPACK). */
  private batchMeanColumn(batch: number): tf.Tensor2D {
    let column = this.meanColumns.get(batch);
    if (!column) {
      column = tf.keep(tf.fill([batch, 1], 1 / batch)) as tf.Tensor2D;
      this.meanColumns.set(batch, column);
    }
    return column;
  }

  private mlp(y0: tf.Tensor2D): { out: tf.Tensor2D; hiddens: tf.Tensor2D[] } {
    const hiddens: tf.Tensor2D[] = [];
    let h = y0;
    const last = this.weights.length - 1;
    for (let i = 0; i < last; i++) {
      h = tf.fused.matMul({ a: h, b: this.weights[i]!, bias: this.biases[i]!, activation: 'relu' }) as tf.Tensor2D;
      hiddens.push(h);
    }
    const out = tf.fused.matMul({ a: h, b: this.weights[last]!, bias: this.biases[last]! }) as tf.Tensor2D;
    return { out, hiddens };
  }
}
