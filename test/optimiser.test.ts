/**
 * The optimiser against PyTorch's Adam formula where it differs from TensorFlow's: with gradients of the order of
 * eps, where the epsilon sits decides the step. torch.optim.Adam's first step is lr * g / (|g| + eps) per element
 * (the bias-corrected moments of one gradient are g and g^2); TensorFlow's eps outside the bias correction, or
 * another eps, gives a different step.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, TORCH_ADAM } from '../src/policies/adam.js';
import { selectTfBackend } from '../src/policies/backend.js';

beforeAll(async () => {
  await selectTfBackend();
});

/** Runs `steps` Adam updates of the same gradient from `start`; the parameters after each step. */
function adamSteps(start: number[], gradient: number[], steps: number, options = TORCH_ADAM): number[][] {
  const adam = new Adam([[start.length]], options);
  let param: tf.Tensor = tf.tensor1d(start);
  const g = tf.tensor1d(gradient);
  const out: number[][] = [];
  try {
    for (let t = 0; t < steps; t++) {
      const next = adam.apply([param], [g])[0]!;
      param.dispose();
      param = next;
      out.push(Array.from(param.dataSync()));
    }
  } finally {
    param.dispose();
    g.dispose();
    adam.dispose();
  }
  return out;
}

describe('Adam (PyTorch formulation, eps 1e-8)', () => {
  it('uses lr 1e-3, betas 0.9 / 0.999 and eps 1e-8 by default', () => {
    expect(TORCH_ADAM).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  });

  it('steps lr * g / (|g| + 1e-8) with gradients of the order of eps, on every step of a constant gradient', () => {
    const start = [0.5, -0.25, 0, 1, 2];
    const gradient = [1e-8, -2e-8, 5e-9, 0, 3e-8];
    // g / (|g| + eps): 1/2, -2/3, 1/3, 0, 3/4. A constant gradient keeps the bias-corrected moments at g and g^2.
    const unitSteps = [1 / 2, -2 / 3, 1 / 3, 0, 3 / 4];
    // Float32 parameters: within 5e-7 (two ulps at 2), a 0.05% part of one lr-sized step.
    const steps = adamSteps(start, gradient, 3);
    steps.forEach((params, t) => {
      params.forEach((p, i) => expect(p, `step ${t + 1}, parameter ${i}`).toBeCloseTo(start[i]! - (t + 1) * 1e-3 * unitSteps[i]!, 6));
    });
  });

  it('is not TensorFlow\'s formula (eps outside the bias correction), which steps ~0.03 lr here', () => {
    const [first] = adamSteps([0], [1e-8], 1);
    const tfStep = ((1e-3 * Math.sqrt(1 - 0.999)) / (1 - 0.9)) * (1e-9 / (Math.sqrt(1e-3 * 1e-16) + 1e-8));
    expect(tfStep).toBeLessThan(4e-5);
    expect(-first![0]!).toBeCloseTo(5e-4, 8);
  });

  it('moves a large gradient by about lr whatever its size (the moments normalise it)', () => {
    const [first] = adamSteps([0, 0], [250, -0.01], 1);
    expect(first![0]).toBeCloseTo(-1e-3, 8);
    expect(first![1]).toBeCloseTo(1e-3 * (0.01 / (0.01 + 1e-8)), 8);
  });

  it('rejects bad hyper-parameters and mismatched shapes, naming them', () => {
    expect(() => new Adam([[1]], { ...TORCH_ADAM, learningRate: -1 })).toThrow(/learningRate must be a finite number >= 0, got -1/);
    expect(() => new Adam([[1]], { ...TORCH_ADAM, epsilon: Number.NaN })).toThrow(/epsilon must be a finite number/);
    expect(() => new Adam([[1]], { ...TORCH_ADAM, beta2: 1 })).toThrow('Adam: betas must be < 1, got 0.9, 1');
    expect(() => new Adam([[1]], { ...TORCH_ADAM, beta1: 1 })).toThrow('Adam: betas must be < 1, got 1, 0.999');
    const adam = new Adam([[2, 3]]);
    const p = tf.zeros([2, 3]);
    const wrong = [tf.zeros([2]), tf.zeros([2, 4]), tf.zeros([2, 3, 1]), tf.zeros([3, 3])];
    for (const g of wrong) expect(() => adam.apply([p], [g])).toThrow(`Adam.apply: parameter 0 has shape [2,3], gradient [${g.shape}], moment [2,3]`);
    expect(() => adam.apply([p, p], [p])).toThrow('Adam.apply: expected 1 parameters and gradients, got 2 and 1');
    expect(() => adam.apply([p], [p, p])).toThrow('Adam.apply: expected 1 parameters and gradients, got 1 and 2');
    expect(adam.steps).toBe(0);
    [p, ...wrong].forEach((t) => t.dispose());
    adam.dispose();
  });

  it('counts its steps and frees every tensor it holds', () => {
    const before = tf.memory().numTensors;
    const adam = new Adam([[3], [2, 2]]);
    const params = [tf.zeros([3]), tf.zeros([2, 2])];
    const grads = [tf.ones([3]), tf.ones([2, 2])];
    const next = adam.apply(params, grads);
    expect(adam.steps).toBe(1);
    [...params, ...grads, ...next].forEach((t) => t.dispose());
    adam.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Adam hyper-parameters at zero', () => {
  it('accepts 0 for the learning rate, beta1, beta2 and epsilon, as torch.optim.Adam does', () => {
    for (const key of ['learningRate', 'beta1', 'beta2', 'epsilon'] as const) {
      expect(() => new Adam([[1]], { ...TORCH_ADAM, [key]: 0 }).dispose(), key).not.toThrow();
    }
  });
});
