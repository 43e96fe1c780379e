/**
 * The BatchNorm-MLP trunk on ONNX Runtime (batchnorm_mlp_ort.ts) against the tfjs trunk it reimplements
 * (batchnorm_mlp.ts + adam.ts): same start, gradients, Adam step, loss curve and inference, to float rounding;
 * and the same numbers for any thread count.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, TORCH_ADAM } from '../src/policies/adam.js';
import { selectTfBackend } from '../src/policies/backend.js';
import { BatchNormMlp, type BatchNormMlpConfig } from '../src/policies/batchnorm_mlp.js';
import { OrtBatchNormMlp } from '../src/policies/batchnorm_mlp_ort.js';
import { createPolicy, DEFAULT_TRAINING, TfBcPolicy } from '../src/policies/index.js';
import type { BcModel } from '../src/policies/training.js';
import { meanSquaredError } from '../src/policies/mse.js';
import type { BcDataset, PolicySpec } from '../src/policies/policy.js';
import { Rng } from '../src/util/rng.js';
import { differingValues, normals, relativeError } from './helpers/float_arrays.js';

const CONFIG: BatchNormMlpConfig = { inputDim: 40, hidden: [32, 32, 32], outputDim: 5, init: 'mjrl' };
const BATCH = 24;

/** A batch whose inputs have non-zero means and unequal scales, so every BatchNorm term matters. */
function batchOf(seed: number, rows = BATCH): { z: Float32Array; y: Float32Array } {
  const rng = new Rng(seed);
  const z = Float32Array.from({ length: rows * CONFIG.inputDim }, (_, i) => rng.normal(0.5 * (i % 3), 1 + (i % 5)));
  return { z, y: normals(rng, rows * CONFIG.outputDim) };
}

/** The tfjs reference: one step of `MlpModel`'s tfjs path, returning the loss and the gradients it applied. */
function tfjsStep(trunk: BatchNormMlp, adam: Adam, z: Float32Array, y: Float32Array, rows: number): { loss: number; grads: Float32Array[] } {
  const [loss, ...grads] = tf.tidy(() => {
    const { out, cache } = trunk.forwardTrain(tf.tensor2d(z, [rows, CONFIG.inputDim]));
    const { sum, dOut } = meanSquaredError(out, tf.tensor2d(y, [rows, CONFIG.outputDim]));
    const g = trunk.backward(cache, dOut, false);
    const copies = g.params.map((t) => t.dataSync().slice() as Float32Array);
    trunk.setParameters(adam.apply(trunk.parameters(), g.params));
    trunk.updateRunningStatistics(cache);
    return [Float32Array.of(sum.dataSync()[0]!), ...copies];
  });
  return { loss: loss![0]!, grads };
}

beforeAll(async () => {
  await selectTfBackend();
});

describe('BatchNorm-MLP on ONNX Runtime', () => {
  it('starts from the tfjs trunk\'s weights and takes the same gradients and Adam step', async () => {
    const reference = new BatchNormMlp(CONFIG, new Rng(4));
    const adam = new Adam(reference.parameters().map((p) => p.shape));
    const ort = await OrtBatchNormMlp.create(CONFIG, new Rng(4), TORCH_ADAM, 1);
    reference.parameters().forEach((p, i) => expect(ort.parameters()[i]!.values).toEqual(p.dataSync()));
    const { z, y } = batchOf(1);
    const expected = tfjsStep(reference, adam, z, y, BATCH);
    const loss = await ort.trainStep(z, y, BATCH);
    // The products sum in another order: float32 rounding, ~1e-7 relative, grown by a few layers.
    expect(Math.abs(loss - expected.loss) / expected.loss).toBeLessThan(1e-5);
    // From zero moments the first m is (1 - beta1) g: the gradients the graph computed.
    const gradients = ort.adamMoments().m.map((m) => m.map((x) => x / (1 - TORCH_ADAM.beta1)));
    gradients.forEach((g, i) => expect(relativeError(g, expected.grads[i]!), `gradient ${i}`).toBeLessThan(1e-4));
    // The first Adam step is ~lr * sign(g): equal where g is clear of rounding, and never more than 2 lr apart.
    reference.parameters().forEach((p, i) => {
      const next = ort.parameters()[i]!.values;
      const want = p.dataSync();
      let far = 0;
      for (let k = 0; k < want.length; k++) {
        const gap = Math.abs(next[k]! - want[k]!);
        expect(gap).toBeLessThanOrEqual(2 * TORCH_ADAM.learningRate + 1e-6);
        if (gap > 1e-6) far++;
      }
      expect(far / want.length, `parameter ${i}`).toBeLessThan(0.01);
    });
    // Running statistics: unbiased batch variance, momentum 0.1.
    const stats = reference.runningStatistics();
    expect(relativeError(ort.runningStatistics().mean, stats.mean.dataSync())).toBeLessThan(1e-5);
    expect(relativeError(ort.runningStatistics().variance, stats.variance.dataSync())).toBeLessThan(1e-5);
    reference.dispose();
    adam.dispose();
    await ort.release();
  });

  it('follows the tfjs loss curve, predicts in inference mode, and gives the same numbers on 1 and 2 threads', async () => {
    // lr 1e-2 and gamma 1 ('last-layer-0.01'): the loss falls clearly within 30 steps.
    const options = { ...TORCH_ADAM, learningRate: 1e-2 };
    const config: BatchNormMlpConfig = { ...CONFIG, init: 'last-layer-0.01' };
    const reference = new BatchNormMlp(config, new Rng(9));
    const adam = new Adam(reference.parameters().map((p) => p.shape), options);
    const [one, two] = await Promise.all([1, 2].map((threads) => OrtBatchNormMlp.create(config, new Rng(9), options, threads)));
    // A learnable target: a fixed linear map of the inputs.
    const map = normals(new Rng(2), CONFIG.inputDim * CONFIG.outputDim, 0.1);
    const batches = Array.from({ length: 30 }, (_, b) => {
      const { z } = batchOf(100 + b);
      const y = new Float32Array(BATCH * CONFIG.outputDim);
      for (let r = 0; r < BATCH; r++) {
        for (let a = 0; a < CONFIG.outputDim; a++) {
          let sum = 0;
          for (let i = 0; i < CONFIG.inputDim; i++) sum += z[r * CONFIG.inputDim + i]! * map[i * CONFIG.outputDim + a]!;
          y[r * CONFIG.outputDim + a] = sum;
        }
      }
      return { z, y };
    });
    const curve: { tfjs: number[]; one: number[]; two: number[] } = { tfjs: [], one: [], two: [] };
    for (const { z, y } of batches) {
      curve.tfjs.push(tfjsStep(reference, adam, z, y, BATCH).loss);
      curve.one.push(await one!.trainStep(z, y, BATCH));
      curve.two.push(await two!.trainStep(z, y, BATCH));
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(curve.one.slice(-5))).toBeLessThan(0.8 * mean(curve.one.slice(0, 5)));
    // Adam amplifies rounding in near-zero gradients to lr-sized steps, so the curves drift apart slowly.
    expect(relativeError(curve.one, curve.tfjs)).toBeLessThan(2e-3);
    // MLAS never splits a reduction over threads: bit-identical.
    expect(curve.two).toEqual(curve.one);
    two!.parameters().forEach((p, i) => expect(differingValues(p.values, one!.parameters()[i]!.values)).toBe(0));

    const { z } = batchOf(7, 6);
    const expected = tf.tidy(() => reference.predict(tf.tensor2d(z, [6, CONFIG.inputDim])).dataSync().slice());
    const predicted = await one!.predict(z, 6);
    expect(relativeError(predicted, expected)).toBeLessThan(5e-3);
    expect(await two!.predict(z, 6)).toEqual(predicted);
    // Inference mode: a row alone gets what it gets within a batch (running statistics, not the batch's).
    const alone = await one!.predict(z.subarray(0, CONFIG.inputDim), 1);
    expect(relativeError(alone, predicted.subarray(0, CONFIG.outputDim))).toBeLessThan(1e-6);
    reference.dispose();
    adam.dispose();
    await Promise.all([one!.release(), two!.release()]);
  });

  for (const [name, features] of [['pixels', 768], ['vit-tiny-random', 192]] as const) {
    it(`gives bit-identical steps on 1 and 2 threads at ${name}'s size, where MLAS splits the work`, async () => {
      const config: BatchNormMlpConfig = { inputDim: 3 * features + 9, hidden: [256, 256, 256], outputDim: 4, init: 'mjrl' };
      const rng = new Rng(8);
      const z = normals(rng, 64 * config.inputDim);
      const y = normals(rng, 64 * 4);
      const [one, two] = await Promise.all([1, 2].map((threads) => OrtBatchNormMlp.create(config, new Rng(6), TORCH_ADAM, threads)));
      for (let step = 0; step < 3; step++) expect(await two!.trainStep(z, y, 64)).toBe(await one!.trainStep(z, y, 64));
      const state = (trunk: OrtBatchNormMlp): Float32Array[] => [
        ...trunk.parameters().map((p) => p.values),
        ...trunk.adamMoments().m,
        ...trunk.adamMoments().v,
        trunk.runningStatistics().mean,
        trunk.runningStatistics().variance,
      ];
      const reference = state(one!);
      state(two!).forEach((values, i) => expect(differingValues(values, reference[i]!), `state tensor ${i}`).toBe(0));
      expect(differingValues(await two!.predict(z, 64), await one!.predict(z, 64))).toBe(0);
      await Promise.all([one!.release(), two!.release()]);
    });
  }

  it('predicts each row as it predicts it among others, a single row too', async () => {
    const ort = await OrtBatchNormMlp.create(CONFIG, new Rng(2), TORCH_ADAM, 2);
    const { z, y } = batchOf(5);
    await ort.trainStep(z, y, BATCH);
    const all = await ort.predict(z, BATCH);
    for (const rows of [1, 2, 3, 5]) {
      for (let start = 0; start + rows <= BATCH; start += rows) {
        const part = await ort.predict(z.slice(start * CONFIG.inputDim, (start + rows) * CONFIG.inputDim), rows);
        expect(differingValues(part, all.subarray(start * CONFIG.outputDim, (start + rows) * CONFIG.outputDim)), `rows ${start}+${rows}`).toBe(0);
      }
    }
    await ort.release();
  });

  it('refuses bad input as the tfjs trunk does', async () => {
    const reference = new BatchNormMlp(CONFIG, new Rng(1));
    const ort = await OrtBatchNormMlp.create(CONFIG, new Rng(1), TORCH_ADAM, 1);
    const { z, y } = batchOf(3);
    const tfjsError = (rows: number, columns: number): string => {
      try {
        tf.tidy(() => reference.forwardTrain(tf.tensor2d(z.subarray(0, rows * columns), [rows, columns])).out);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('the tfjs trunk accepted the input');
    };
    await expect(ort.trainStep(z.subarray(0, BATCH * 39), y, BATCH)).rejects.toThrow(tfjsError(BATCH, 39));
    await expect(ort.trainStep(z.subarray(0, CONFIG.inputDim), y.subarray(0, CONFIG.outputDim), 1)).rejects.toThrow(tfjsError(1, CONFIG.inputDim));
    expect(tfjsError(1, CONFIG.inputDim)).toMatch(/at least 2 samples/);
    await expect(ort.trainStep(z, y.subarray(1), BATCH)).rejects.toThrow(/targets must hold \[24, 5\] values, got 119/);
    await expect(ort.predict(z.subarray(0, 2 * 39), 2)).rejects.toThrow(/input has 39 columns, expected 40/);
    await expect(OrtBatchNormMlp.create(CONFIG, new Rng(1), TORCH_ADAM, 0)).rejects.toThrow(/threads must be a positive integer, got 0/);
    await expect(OrtBatchNormMlp.create(CONFIG, new Rng(1), { ...TORCH_ADAM, beta1: 1 })).rejects.toThrow(/betas must be < 1/);
    reference.dispose();
    await ort.release();
  });
});

describe('policy engine', () => {
  const spec: PolicySpec = { head: 'mlp', featureDim: 9, proprioDim: 2, actionDim: 3 };
  const rng = new Rng(5);
  const data: BcDataset = { count: 40, features: normals(rng, 40 * 9), proprio: normals(rng, 40 * 2), actions: normals(rng, 40 * 3) };

  it("'auto' trains on ONNX Runtime without a native tfjs backend, 'wasm' on tfjs, and the rows say which", async () => {
    const auto = await selectTfBackend('auto');
    if (auto.provider !== '@tensorflow/tfjs-backend-wasm') return; // a native backend is installed: 'auto' is tfjs
    expect(auto.engine).toBe('onnxruntime');
    expect(auto.description).toMatch(/^onnxruntime \(MLAS\) \+ wasm \(simd, 1 thread\)$/);
    expect(await selectTfBackend('onnxruntime')).toEqual(auto);
    const wasm = await selectTfBackend('wasm');
    expect(wasm.engine).toBe('tfjs');
    expect(wasm.description).toMatch(/^wasm \(simd, 1 thread\)$/);
  });

  it('gives the same policy on either engine, to float rounding', async () => {
    const train = async (engine: 'onnxruntime' | 'tfjs'): Promise<{ losses: number[]; actions: Float32Array }> => {
      const policy = await createPolicy(spec, 3, { batchSize: 16, engine, threads: 1 });
      const losses = [await policy.trainEpoch(data, 0), await policy.trainEpoch(data, 1), await policy.trainEpoch(data, 2)];
      const actions = await policy.predict(data.features as Float32Array, data.proprio, data.count);
      await policy.dispose();
      return { losses, actions };
    };
    const ort = await train('onnxruntime');
    const reference = await train('tfjs');
    expect(relativeError(ort.losses, reference.losses)).toBeLessThan(1e-3);
    expect(relativeError(ort.actions, reference.actions)).toBeLessThan(1e-2);
  });

  it('dispose() waits for the sessions to be released and names the policy when that fails', async () => {
    const policy = await createPolicy(spec, 3, { batchSize: 16, engine: 'onnxruntime', threads: 1 });
    await policy.trainEpoch(data, 0);
    await expect(policy.dispose()).resolves.toBeUndefined();
    await expect(policy.dispose()).resolves.toBeUndefined(); // a second call does nothing
    expect(() => policy.predict(data.features as Float32Array, data.proprio, data.count)).toThrow(/used after dispose/);

    const failing: BcModel = {
      trainBatch: () => 0,
      predict: (_f, _p, n) => new Float32Array(n * spec.actionDim),
      weights: () => [],
      dispose: () => Promise.reject(new Error('session already released')),
    };
    await expect(new TfBcPolicy(spec, failing, DEFAULT_TRAINING).dispose()).rejects.toThrow(/BcPolicy \(mlp head, 9 features\): releasing its model failed: session already released/);
  });
});
