/**
 * Adam written with tf ops, one update per parameter tensor (PyTorch's formulation):
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * eps = 1e-8 as in torch.optim.Adam (the reference policies were trained with PyTorch); tf's Adam puts eps
 * outside the bias correction and defaults to 1e-7, which differs slightly early in training.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const TORCH_ADAM: AdamOptions = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Errors unless every option is a finite number >= 0 and both betas are below 1. */
export function checkAdamOptions(options: AdamOptions): void {
  for (const [key, value] of Object.entries(options)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`Adam: ${key} must be a finite number >= 0, got ${value}`);
  }
  if (options.beta1 >= 1 || options.beta2 >= 1) throw new Error(`Adam: betas must be < 1, got ${options.beta1}, ${options.beta2}`);
}

/**
 * The step-dependent factors of update `step` (1-based): p - stepSize * m / (sqrt(v) * c2 + eps), with
 * stepSize = lr / (1 - b1^t) and c2 = 1 / sqrt(1 - b2^t), is written as p - m / (sqrt(v) * sqrtScale + epsScaled),
 * sqrtScale = c2 / stepSize and epsScaled = eps / stepSize: the same quantity with one pass fewer over each tensor.
 * Every engine's Adam uses these.
 */
export function adamStepScalars(options: AdamOptions, step: number): { sqrtScale: number; epsScaled: number } {
  const stepSize = options.learningRate / (1 - options.beta1 ** step);
  return { sqrtScale: 1 / Math.sqrt(1 - options.beta2 ** step) / stepSize, epsScaled: options.epsilon / stepSize };
}

export class Adam {
  readonly options: AdamOptions;
  private step = 0;
  private readonly m: tf.Tensor[];
  private readonly v: tf.Tensor[];
  // Constant scalars are created once: every `tf.mul(x, 0.9)` would upload a fresh scalar tensor.
  private readonly beta1: tf.Scalar;
  private readonly oneMinusBeta1: tf.Scalar;
  private readonly beta2: tf.Scalar;
  private readonly oneMinusBeta2: tf.Scalar;

  constructor(shapes: number[][], options: AdamOptions = TORCH_ADAM) {
    checkAdamOptions(options);
    this.options = { ...options };
    this.m = shapes.map((shape) => tf.zeros(shape));
    this.v = shapes.map((shape) => tf.zeros(shape));
    this.beta1 = tf.scalar(options.beta1);
    this.oneMinusBeta1 = tf.scalar(1 - options.beta1);
    this.beta2 = tf.scalar(options.beta2);
    this.oneMinusBeta2 = tf.scalar(1 - options.beta2);
  }

  get steps(): number {
    return this.step;
  }

  /**
   * One update. Returns new parameter tensors (kept outside any tidy); the caller disposes the old ones.
   * `grads[i]` must have the shape of `params[i]`; the moments are replaced in place.
   */
  apply(params: readonly tf.Tensor[], grads: readonly tf.Tensor[]): tf.Tensor[] {
    if (params.length !== this.m.length || grads.length !== this.m.length) {
      throw new Error(`Adam.apply: expected ${this.m.length} parameters and gradients, got ${params.length} and ${grads.length}`);
    }
    // Every shape is checked before anything changes, so a refused update leaves the optimiser as it was.
    for (let i = 0; i < params.length; i++) {
      const [param, grad, moment] = [params[i]!, grads[i]!, this.m[i]!];
      if (!shapesEqual(param.shape, grad.shape) || !shapesEqual(param.shape, moment.shape)) {
        throw new Error(`Adam.apply: parameter ${i} has shape [${param.shape}], gradient [${grad.shape}], moment [${moment.shape}]`);
      }
    }
    this.step += 1;
    const scalars = adamStepScalars(this.options, this.step);
    const sqrtScale = tf.scalar(scalars.sqrtScale);
    const epsScaled = tf.scalar(scalars.epsScaled);
    const next: tf.Tensor[] = [];
    for (let i = 0; i < params.length; i++) {
      const param = params[i]!;
      const grad = grads[i]!;
      const [m, v, p] = tf.tidy(() => {
        const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(grad, this.oneMinusBeta1));
        const v = tf.add(tf.mul(this.v[i]!, this.beta2), tf.mul(tf.square(grad), this.oneMinusBeta2));
        const denominator = tf.add(tf.mul(tf.sqrt(v), sqrtScale), epsScaled);
        const p = tf.sub(param, tf.div(m, denominator));
        return [m, v, p];
      });
      // Kept: these outlive any tidy the caller may be running.
      tf.keep(m);
      tf.keep(v);
      tf.keep(p);
      this.m[i]!.dispose();
      this.v[i]!.dispose();
      this.m[i] = m;
      this.v[i] = v;
      next.push(p);
    }
    sqrtScale.dispose();
    epsScaled.dispose();
    return next;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v, this.beta1, this.oneMinusBeta1, this.beta2, this.oneMinusBeta2]) {
      t.dispose();
    }
  }
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
