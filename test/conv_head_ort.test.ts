/**
 * The conv head on ONNX Runtime (conv_head_ort.ts: one graph per training step and per prediction) against the
 * tfjs engine it reimplements (conv_head.ts): same start, gradients, loss curve and actions to float rounding; the
 * same numbers for any thread count; the same errors on bad input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectTfBackend } from '../src/policies/backend.js';
import { createPolicy, type TrainingOverrides } from '../src/policies/index.js';
import type { BcDataset, PolicySpec } from '../src/policies/policy.js';
import { Rng } from '../src/util/rng.js';
import { differingValues, normals, relativeError } from './helpers/float_arrays.js';

/** Theia's grid of 14 (16 at patch 14) with few channels; proprio and actions as a DMC task has them. */
const spec = (grid: number, channels: number, proprioDim = 3): PolicySpec => ({ head: 'conv', featureDim: 3 * grid * grid * channels, tokens: { grid, channels }, proprioDim, actionDim: 4 });

/** Tokens with non-zero means per channel and targets a fixed linear map of the proprio and the first tokens (learnable). */
function dataset(s: PolicySpec, count: number, seed: number): BcDataset & { features: Float32Array } {
  const rng = new Rng(seed);
  const features = Float32Array.from({ length: count * s.featureDim }, (_, i) => rng.normal(0.3 * (i % 3), 1));
  const proprio = normals(rng, count * s.proprioDim);
  const map = normals(new Rng(1), 16 * s.actionDim, 0.3);
  const actions = new Float32Array(count * s.actionDim);
  for (let n = 0; n < count; n++) {
    for (let a = 0; a < s.actionDim; a++) {
      let sum = 0;
      for (let i = 0; i < 16; i++) sum += features[n * s.featureDim + i]! * map[i * s.actionDim + a]!;
      actions[n * s.actionDim + a] = sum + (s.proprioDim > 0 ? proprio[n * s.proprioDim]! : 0);
    }
  }
  return { count, features, proprio, actions };
}

beforeAll(async () => {
  await selectTfBackend();
});

describe('conv head on ONNX Runtime', () => {
  for (const [grid, proprioDim] of [[14, 3], [16, 0]] as const) {
    it(`starts from the tfjs head's weights and takes its gradients (grid ${grid}, proprio ${proprioDim})`, async () => {
      const s = spec(grid, 3, proprioDim);
      const data = dataset(s, 8, 2);
      // With an epsilon far above every |gradient| Adam's first step is -lr g / (|g| + eps) ~ -1e6 g: the parameters'
      // change after one full-batch step is the gradient, scaled clear of the parameters' own rounding (the standard
      // step, ~lr sign(g), would magnify rounding).
      const gradientStep: TrainingOverrides = { batchSize: 8, adam: { learningRate: 1e9, epsilon: 1e3 }, init: 'last-layer-0.01' };
      const step = async (engine: 'onnxruntime' | 'tfjs'): Promise<{ before: Float32Array[]; change: Float32Array[]; loss: number }> => {
        const policy = await createPolicy(s, 4, { ...gradientStep, engine, threads: 1 });
        const before = policy.weights().map((w) => w.values);
        const loss = await policy.trainEpoch(data, 0);
        const change = policy.weights().map((w, i) => w.values.map((v, k) => before[i]![k]! - v));
        await policy.dispose();
        return { before, change, loss };
      };
      const reference = await step('tfjs');
      const ort = await step('onnxruntime');
      ort.before.forEach((values, i) => expect(differingValues(values, reference.before[i]!), `start of parameter ${i}`).toBe(0));
      expect(Math.abs(ort.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
      ort.change.forEach((g, i) => expect(relativeError(g, reference.change[i]!), `gradient of parameter ${i}`).toBeLessThan(1e-4));
    });
  }

  it('follows the tfjs loss curve and actions, and gives the same numbers on 1 and 2 threads', async () => {
    const s = spec(14, 3);
    const data = dataset(s, 48, 3);
    const trained = async (overrides: TrainingOverrides): Promise<{ losses: number[]; weights: Float32Array[]; actions: Float32Array }> => {
      const policy = await createPolicy(s, 5, { batchSize: 16, ...overrides });
      const losses: number[] = [];
      for (let epoch = 0; epoch < 4; epoch++) losses.push(await policy.trainEpoch(data, epoch));
      const weights = policy.weights().map((w) => w.values);
      const actions = await policy.predict(data.features, data.proprio, data.count);
      await policy.dispose();
      return { losses, weights, actions };
    };
    // Twelve steps of the protocol's Adam and init. Adam turns rounding in near-zero gradients into lr-sized steps,
    // so the curves drift apart slowly (faster under 'last-layer-0.01', whose 0.01 last layer makes the neck's
    // gradients tiny: ~1e-3 after 12 steps).
    const reference = await trained({ engine: 'tfjs' });
    const one = await trained({ engine: 'onnxruntime', threads: 1 });
    const two = await trained({ engine: 'onnxruntime', threads: 2 });
    expect(one.losses[3]!).toBeLessThan(one.losses[0]! * 0.98);
    expect(relativeError(one.losses, reference.losses)).toBeLessThan(2e-3);
    expect(relativeError(one.actions, reference.actions)).toBeLessThan(1e-2);
    // An Adam whose epsilon dominates (momentum SGD, no sign-like steps) shows the steps themselves agree to rounding.
    const sgdLike: TrainingOverrides = { adam: { learningRate: 100, epsilon: 1e3 }, init: 'last-layer-0.01', threads: 1 };
    const smooth = await trained({ ...sgdLike, engine: 'onnxruntime' });
    expect(relativeError(smooth.losses, (await trained({ ...sgdLike, engine: 'tfjs' })).losses)).toBeLessThan(1e-5);
    // The thread count changes no number.
    expect(two.losses).toEqual(one.losses);
    two.weights.forEach((w, i) => expect(differingValues(w, one.weights[i]!), `parameter ${i}`).toBe(0));
    expect(differingValues(two.actions, one.actions)).toBe(0);
  });

  it('predicts each row as it predicts it among others, a single row too', async () => {
    const s = spec(14, 2);
    const data = dataset(s, 6, 4);
    const policy = await createPolicy(s, 6, { batchSize: 6, engine: 'onnxruntime', threads: 2 });
    await policy.trainEpoch(data, 0);
    const all = await policy.predict(data.features, data.proprio, 6);
    for (const rows of [1, 2, 3]) {
      for (let start = 0; start + rows <= 6; start += rows) {
        const part = await policy.predict(
          data.features.slice(start * s.featureDim, (start + rows) * s.featureDim),
          data.proprio.slice(start * s.proprioDim, (start + rows) * s.proprioDim),
          rows,
        );
        expect(differingValues(part, all.subarray(start * s.actionDim, (start + rows) * s.actionDim)), `rows ${start}+${rows}`).toBe(0);
      }
    }
    await policy.dispose();
  });

  it('refuses bad input as the tfjs engine does', async () => {
    const s = spec(14, 2);
    const data = dataset(s, 4, 5);
    const message = async (engine: 'onnxruntime' | 'tfjs', use: (policy: Awaited<ReturnType<typeof createPolicy>>) => unknown): Promise<string> => {
      const policy = await createPolicy(s, 1, { batchSize: 4, engine, threads: 1 });
      try {
        await use(policy);
      } catch (error) {
        return (error as Error).message;
      } finally {
        await policy.dispose();
      }
      throw new Error(`the ${engine} engine accepted the input`);
    };
    const cases: [string, (policy: Awaited<ReturnType<typeof createPolicy>>) => unknown, RegExp][] = [
      ['features of the wrong width', (p) => p.trainEpoch({ ...data, features: data.features.subarray(4) }, 0), /features must hold \[4, 1176\]/],
      ['proprio of the wrong width', (p) => p.trainEpoch({ ...data, proprio: data.proprio.subarray(1) }, 0), /proprio must hold \[4, 3\]/],
      ['a non-finite feature', (p) => p.trainEpoch({ ...data, features: data.features.map((v, i) => (i === 7 ? NaN : v)) }, 0), /non-finite value \(NaN\) at index 7/],
      ['predict features of the wrong width', (p) => p.predict(data.features.subarray(1), data.proprio, 4), /predict: features must hold \[4, 1176\]/],
    ];
    for (const [name, use, expected] of cases) {
      const tfjs = await message('tfjs', use);
      expect(tfjs, name).toMatch(expected);
      expect(await message('onnxruntime', use), name).toBe(tfjs);
    }
    for (const engine of ['onnxruntime', 'tfjs'] as const) {
      await expect(createPolicy({ ...s, featureDim: s.featureDim - 3 }, 1, { engine })).rejects.toThrow(/featureDim must be 3 \* grid\^2 \* channels = 1176/);
      await expect(createPolicy(spec(13, 2), 1, { engine })).rejects.toThrow(/13x13 token grid is too small/);
    }
    await expect(createPolicy(s, 1, { engine: 'onnxruntime', threads: 0 })).rejects.toThrow(/threads must be a positive integer, got 0/);
  });
});
