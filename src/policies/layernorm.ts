/**
 * LayerNorm over every feature of a sample jointly (Theia's `LN([C, H, W])`: one mean and variance per sample
 * over channels AND space), with elementwise affine parameters of the full feature shape.
 * Inputs are flattened to [B, D]; the caller chooses the layout (NHWC here, so the affine parameters are
 * stored as [H, W, C] flattened; initialised to 1 and 0 as in PyTorch, eps 1e-5).
 * Hand-written backward; reductions over features and over the batch are matMuls with cached ones vectors.
 */
import * as tf from '@tensorflow/tfjs';

export const LAYERNORM_EPS = 1e-5;

export interface LayerNormCache {
  /** [B, D] normalised input */
  xhat: tf.Tensor2D;
  /** [B, 1] 1 / sqrt(variance + eps) */
  invStd: tf.Tensor2D;
  /** [1, B] */
  onesRow: tf.Tensor2D;
}

export class JointLayerNorm {
  readonly size: number;
  /** [D] */
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  /** [D, 1] of 1 / D: row means as one matMul (kept: XNNPACK caches its packed form by tensor). */
  private readonly meanColumn: tf.Tensor2D;
  private readonly eps: tf.Scalar;

  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0) throw new Error(`JointLayerNorm: size must be a positive integer, got ${size}`);
    this.size = size;
    this.gamma = tf.ones([size]);
    this.beta = tf.zeros([size]);
    this.meanColumn = tf.fill([size, 1], 1 / size);
    this.eps = tf.scalar(LAYERNORM_EPS);
  }

  parameters(): tf.Tensor[] {
    return [this.gamma, this.beta];
  }

  /** Takes [gamma, beta]; disposes the old tensors. */
  setParameters([gamma, beta]: readonly tf.Tensor[]): void {
    if (gamma !== this.gamma) this.gamma.dispose();
    if (beta !== this.beta) this.beta.dispose();
    this.gamma = gamma as tf.Tensor1D;
    this.beta = beta as tf.Tensor1D;
  }

  /** x [B, D] -> y [B, D]; call inside a tidy. */
  forward(x: tf.Tensor2D): { y: tf.Tensor2D; cache: LayerNormCache } {
    const [batch, size] = x.shape;
    if (size !== this.size) throw new Error(`JointLayerNorm: input has ${size} features per sample, expected ${this.size}`);
    const mean = tf.matMul(x, this.meanColumn);
    const centred = tf.sub(x, mean);
    const variance = tf.matMul(tf.square(centred), this.meanColumn);
    const invStd = tf.rsqrt(tf.add(variance, this.eps)) as tf.Tensor2D;
    const xhat = tf.mul(centred, invStd) as tf.Tensor2D;
    const y = tf.add(tf.mul(xhat, this.gamma), this.beta) as tf.Tensor2D;
    return { y, cache: { xhat, invStd, onesRow: tf.ones([1, batch]) } };
  }

  /** dy [B, D] -> dx [B, D] and [dGamma, dBeta]; call inside a tidy. */
  backward(cache: LayerNormCache, dy: tf.Tensor2D): { dx: tf.Tensor2D; grads: tf.Tensor[] } {
    const { xhat, invStd, onesRow } = cache;
    const dGamma = tf.reshape(tf.matMul(onesRow, tf.mul(dy, xhat)), [-1]);
    const dBeta = tf.reshape(tf.matMul(onesRow, dy), [-1]);
    // dx = invStd * (dxhat - mean_features(dxhat) - xhat * mean_features(dxhat * xhat))
    const dxhat = tf.mul(dy, this.gamma);
    const meanDxhat = tf.matMul(dxhat, this.meanColumn);
    const meanDxhatXhat = tf.matMul(tf.mul(dxhat, xhat), this.meanColumn);
    const dx = tf.mul(tf.sub(tf.sub(dxhat, meanDxhat), tf.mul(xhat, meanDxhatXhat)), invStd) as tf.Tensor2D;
    return { dx, grads: [dGamma, dBeta] };
  }

  dispose(): void {
    for (const t of [this.gamma, this.beta, this.meanColumn, this.eps]) t.dispose();
  }
}
