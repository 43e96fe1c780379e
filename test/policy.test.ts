import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../src/policies/adam.js';
import { selectTfBackend } from '../src/policies/backend.js';
import { BatchNormMlp } from '../src/policies/batchnorm_mlp.js';
import { Conv2d } from '../src/policies/conv2d.js';
import { convNeckSides } from '../src/policies/conv_head.js';
import { FlareHistory, FlareSamples, flareFuseEpisode, flareFuseTokenEpisode } from '../src/policies/flare.js';
import { createPolicy, type TrainingOverrides, validatePolicySpec } from '../src/policies/index.js';
import { JointLayerNorm } from '../src/policies/layernorm.js';
import { tokenTapColumns } from '../src/policies/token_columns.js';
import { convChannelsFirst, convForward, convInputDims, convInputGradient, convOutputSide, convWeightGradient, type ConvInput, torchWeight } from '../src/policies/conv_graph.js';
import { createPolicySession } from '../src/policies/ort_sessions.js';
import { GraphBuilder } from '../src/util/onnx_graph.js';
import * as ort from 'onnxruntime-node';
import { meanSquaredError } from '../src/policies/mse.js';
import type { BcDataset, PolicySpec } from '../src/policies/policy.js';
import { epochBatches } from '../src/policies/training.js';
import { Rng } from '../src/util/rng.js';

function normals(rng: Rng, count: number, std = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal(0, std);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]!));
  return worst;
}

/** Expects `actual` to match `expected` to `tol` relative to the largest magnitude in `expected`. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  const scale = Math.max(maxAbs(expected), 1e-6);
  expect(maxAbsDiff(actual, expected) / scale).toBeLessThan(tol);
}

/** A dataset whose actions are a fixed linear map (drawn from `mapSeed`) of [features ++ proprio]. */
function linearDataset(spec: PolicySpec, count: number, dataSeed: number, mapSeed = 0): BcDataset & { features: Float32Array } {
  const inputDim = spec.featureDim + spec.proprioDim;
  const map = normals(new Rng(mapSeed), inputDim * spec.actionDim, 1 / Math.sqrt(inputDim));
  const rng = new Rng(dataSeed);
  const features = normals(rng, count * spec.featureDim);
  const proprio = normals(rng, count * spec.proprioDim);
  const actions = new Float32Array(count * spec.actionDim);
  for (let s = 0; s < count; s++) {
    for (let a = 0; a < spec.actionDim; a++) {
      let sum = 0;
      for (let i = 0; i < spec.featureDim; i++) sum += features[s * spec.featureDim + i]! * map[i * spec.actionDim + a]!;
      for (let i = 0; i < spec.proprioDim; i++) {
        sum += proprio[s * spec.proprioDim + i]! * map[(spec.featureDim + i) * spec.actionDim + a]!;
      }
      actions[s * spec.actionDim + a] = sum;
    }
  }
  return { count, features, proprio, actions };
}

const MLP_SPEC: PolicySpec = { head: 'mlp', featureDim: 12, proprioDim: 2, actionDim: 3 };

let workDir = '';
beforeAll(async () => {
  // The wasm binaries must load no matter which directory the process runs in.
  const cwd = process.cwd();
  workDir = mkdtempSync(join(tmpdir(), 'policy-test-'));
  process.chdir(workDir);
  try {
    await selectTfBackend();
  } finally {
    process.chdir(cwd);
  }
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('tfjs backend', () => {
  it('falls back to wasm when no native backend is installed, and refuses to switch once chosen', async () => {
    const info = await selectTfBackend();
    expect(tf.getBackend()).toBe(info.backend);
    if (info.notes.length === 0) {
      // Neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (the default setup).
      expect(info.backend).toBe('wasm');
      expect(info.description).toMatch(/^onnxruntime \(MLAS\) \+ wasm \(simd, 1 thread\)/);
      expect(info.threads).toBe(1);
    }
    await expect(selectTfBackend('cpu')).rejects.toThrow(/already initialised as .*cannot switch to "cpu"/);
    await expect(selectTfBackend('gpu' as never)).rejects.toThrow(/must be one of/);
  });
});

describe('FLARE fusion', () => {
  const dim = 3;
  const episode = new Float32Array([1, 2, 3, 2, 4, 7, 5, 5, 5, 0, 1, 0]); // 4 steps of [3]

  it('fuses [e(t-1)-e(t-2), e(t)-e(t-1), e(t)] with the history filled by e(0)', () => {
    const fused = flareFuseEpisode(episode, 4, dim);
    expect(Array.from(fused.subarray(0, 9))).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 3]);
    expect(Array.from(fused.subarray(9, 18))).toEqual([0, 0, 0, 1, 2, 4, 2, 4, 7]);
    expect(Array.from(fused.subarray(18, 27))).toEqual([1, 2, 4, 3, 1, -2, 5, 5, 5]);
    expect(Array.from(fused.subarray(27, 36))).toEqual([3, 1, -2, -5, -4, -5, 0, 1, 0]);
  });

  it('fuses token grids [steps, T, C] into [steps, 3, T, C]', () => {
    // 2 tokens of 2 channels = the flattened 4-vector rule, blocks ordered (history slot, token, channel).
    const tokens = new Float32Array([1, 2, 3, 4, 2, 2, 2, 2, 0, 0, 1, 1]);
    const fused = flareFuseTokenEpisode(tokens, 3, 2, 2);
    expect(fused.length).toBe(3 * 3 * 2 * 2);
    expect(Array.from(fused.subarray(0, 12))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    expect(Array.from(fused.subarray(12, 24))).toEqual([0, 0, 0, 0, 1, 0, -1, -2, 2, 2, 2, 2]);
    expect(Array.from(fused.subarray(24, 36))).toEqual([1, 0, -1, -2, -2, -2, -1, -1, 0, 0, 1, 1]);
  });

  it('fuses training samples on demand exactly as whole episodes are fused', () => {
    // Episodes of 4 and 2 steps back to back; the second one's history restarts at its own first frame.
    const frames = new Float32Array([...episode, 6, 6, 6, 1, 2, 1]);
    const samples = FlareSamples.inMemory(frames, dim, [4, 2]);
    expect([samples.count, samples.width]).toEqual([6, 9]);
    const expected = new Float32Array([...flareFuseEpisode(episode, 4, dim), ...flareFuseEpisode(frames.subarray(12), 2, dim)]);
    const order = new Int32Array([5, 0, 3, 4, 1, 2]);
    const rows = samples.rows(order);
    order.forEach((s, r) => expect(Array.from(rows.subarray(r * 9, (r + 1) * 9))).toEqual(Array.from(expected.subarray(s * 9, (s + 1) * 9))));
    expect(() => FlareSamples.inMemory(frames, dim, [4, 3])).toThrow(/expected \[7, 3\] = 21 values, got 18/);
  });

  it('online history matches the offline fusion per environment and restarts on reset', () => {
    const offline = flareFuseEpisode(episode, 4, dim);
    const history = new FlareHistory(2, dim);
    const other = new Float32Array([9, 9, 9]);
    for (let t = 0; t < 4; t++) {
      const batch = new Float32Array(2 * dim);
      batch.set(episode.subarray(t * dim, (t + 1) * dim), 0);
      batch.set(other.map((v) => v + t), dim);
      const fused = history.pushAll(batch);
      expect(Array.from(fused.subarray(0, 3 * dim))).toEqual(Array.from(offline.subarray(t * 3 * dim, (t + 1) * 3 * dim)));
      if (t === 0) expect(Array.from(fused.subarray(3 * dim))).toEqual([0, 0, 0, 0, 0, 0, 9, 9, 9]);
      if (t === 1) expect(Array.from(fused.subarray(3 * dim))).toEqual([0, 0, 0, 1, 1, 1, 10, 10, 10]);
    }
    history.reset(0);
    const restarted = history.push(0, new Float32Array([4, 4, 4]));
    expect(Array.from(restarted)).toEqual([0, 0, 0, 0, 0, 0, 4, 4, 4]);
  });

  it('rejects inconsistent sizes with a message naming the input', () => {
    expect(() => flareFuseEpisode(new Float32Array(5), 2, 3)).toThrow(/expected \[2, 3\] = 6 values, got 5/);
    expect(() => new FlareHistory(0, 3)).toThrow(/envCount/);
    expect(() => new FlareHistory(1, 3).push(1, new Float32Array(3))).toThrow(/env must be an integer in \[0, 1\)/);
    expect(() => new FlareHistory(2, 3).pushAll(new Float32Array(3))).toThrow(/expected \[2, 3\]/);
  });
});

describe('training loop pieces', () => {
  it('shuffles every sample exactly once per epoch, deterministically from the seed', () => {
    const a = epochBatches(1000, 256, 7);
    const b = epochBatches(1000, 256, 7);
    const c = epochBatches(1000, 256, 8);
    expect(a.map((x) => x.length)).toEqual([256, 256, 256, 232]);
    const all = a.flatMap((x) => Array.from(x)).sort((p, q) => p - q);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    expect(Array.from(a[0]!)).not.toEqual(Array.from(c[0]!));
    // A trailing single sample joins the previous batch (BatchNorm needs 2).
    expect(epochBatches(513, 256, 1).map((x) => x.length)).toEqual([256, 257]);
  });

  it('Adam follows the PyTorch update rule', () => {
    const adam = new Adam([[2]], { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    let param: tf.Tensor = tf.tensor1d([1, -2]);
    let m = [0, 0];
    let v = [0, 0];
    let p = [1, -2];
    const grads = [
      [0.5, -1],
      [0.25, 2],
      [-3, 0.1],
    ];
    for (let t = 1; t <= grads.length; t++) {
      const g = grads[t - 1]!;
      const next = adam.apply([param], [tf.tensor1d(g)])[0]!;
      param.dispose();
      param = next;
      m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
      v = v.map((vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
      p = p.map((pi, i) => pi - (0.1 / (1 - 0.9 ** t)) * (m[i]! / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8)));
      expectClose(param.dataSync(), p, 1e-5);
    }
    param.dispose();
    adam.dispose();
  });
});

/** Reference BatchNorm-MLP forward with plain tf ops (torch semantics), for autodiff. */
function referenceMlpLoss(z: tf.Tensor2D, params: tf.Tensor[], target: tf.Tensor2D): tf.Scalar {
  const [gamma, beta, ...layers] = params;
  const { mean, variance } = tf.moments(z, 0);
  let h: tf.Tensor = tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma!), beta!);
  for (let i = 0; i < layers.length; i += 2) {
    h = tf.add(tf.matMul(h as tf.Tensor2D, layers[i] as tf.Tensor2D), layers[i + 1]!);
    if (i + 2 < layers.length) h = tf.relu(h);
  }
  return tf.mean(tf.square(tf.sub(h, target)));
}

describe('BatchNorm-MLP hand-written backward', () => {
  for (const needInputGradient of [false, true]) {
    it(`matches tf autodiff (input gradient ${needInputGradient ? 'on' : 'off'})`, () => {
      const rng = new Rng(11);
      const batch = 9;
      const inputDim = 7;
      const mlp = new BatchNormMlp({ inputDim, hidden: [6, 5], outputDim: 3, init: 'mjrl' }, rng);
      // Non-trivial gamma and beta so that every term of the BatchNorm backward matters.
      const params = mlp.parameters();
      mlp.setParameters([tf.tensor1d(normals(rng, inputDim, 0.5).map((x) => 1 + x)), tf.tensor1d(normals(rng, inputDim)), ...params.slice(2)]);
      const z = tf.tensor2d(normals(rng, batch * inputDim, 2), [batch, inputDim]);
      const target = tf.tensor2d(normals(rng, batch * 3), [batch, 3]);
      const ours = tf.tidy(() => {
        const { out, cache } = mlp.forwardTrain(z);
        const { dOut } = meanSquaredError(out, target);
        const g = mlp.backward(cache, dOut, needInputGradient);
        return [...g.params, ...(g.input ? [g.input] : [])].map((t) => t.dataSync().slice());
      });
      const reference = tf.tidy(() => {
        const all = [...mlp.parameters(), z];
        const grads = tf.grads((...xs: tf.Tensor[]) => referenceMlpLoss(xs[xs.length - 1] as tf.Tensor2D, xs.slice(0, -1), target))(all);
        return grads.map((t) => t.dataSync().slice());
      });
      const count = needInputGradient ? reference.length : reference.length - 1;
      expect(ours.length).toBe(count);
      for (let i = 0; i < count; i++) expectClose(ours[i]!, reference[i]!, 2e-4);
      mlp.dispose();
      z.dispose();
      target.dispose();
    });
  }

  it('updates running statistics like torch and uses them in inference', () => {
    const rng = new Rng(3);
    const mlp = new BatchNormMlp({ inputDim: 4, hidden: [8], outputDim: 2, init: 'mjrl' }, rng);
    const values = normals(rng, 6 * 4, 3);
    const z = tf.tensor2d(values, [6, 4]);
    tf.tidy(() => mlp.updateRunningStatistics(mlp.forwardTrain(z).cache));
    const { mean, variance } = mlp.runningStatistics();
    const col = (j: number): number[] => [0, 1, 2, 3, 4, 5].map((r) => values[r * 4 + j]!);
    const expectedMean = [0, 1, 2, 3].map((j) => 0.1 * (col(j).reduce((s, x) => s + x, 0) / 6));
    const expectedVar = [0, 1, 2, 3].map((j) => {
      const m = col(j).reduce((s, x) => s + x, 0) / 6;
      return 0.9 + 0.1 * (col(j).reduce((s, x) => s + (x - m) ** 2, 0) / 5);
    });
    expectClose(mean.dataSync(), expectedMean, 1e-5);
    expectClose(variance.dataSync(), expectedVar, 1e-5);
    // Inference normalises with those statistics: one row alone gives the same output as within a batch.
    const all = tf.tidy(() => mlp.predict(z).dataSync().slice());
    const first = tf.tidy(() => mlp.predict(tf.slice(z, [0, 0], [1, 4])).dataSync().slice());
    expectClose(first, all.slice(0, 2), 1e-6);
    z.dispose();
    mlp.dispose();
  });
});

describe('LayerNorm and Conv2d hand-written backward', () => {
  it('joint LayerNorm matches tf autodiff', () => {
    const rng = new Rng(5);
    const norm = new JointLayerNorm(12);
    norm.setParameters([tf.tensor1d(normals(rng, 12).map((x) => 1 + 0.3 * x)), tf.tensor1d(normals(rng, 12))]);
    const x = tf.tensor2d(normals(rng, 4 * 12, 2), [4, 12]);
    const w = tf.tensor2d(normals(rng, 4 * 12), [4, 12]);
    const ours = tf.tidy(() => {
      const { cache } = norm.forward(x);
      const g = norm.backward(cache, w); // loss = sum(w * y)
      return [g.dx, ...g.grads].map((t) => t.dataSync().slice());
    });
    const reference = tf.tidy(() =>
      tf
        .grads((xi: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
          const { mean, variance } = tf.moments(xi, 1, true);
          const y = tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
          return tf.sum(tf.mul(y, w));
        })([x, ...norm.parameters()])
        .map((t) => t.dataSync().slice()),
    );
    for (let i = 0; i < 3; i++) expectClose(ours[i]!, reference[i]!, 1e-4);
    norm.dispose();
  });

  // tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so the reference gradients run on the cpu backend.
  for (const config of [
    { inChannels: 3, outChannels: 4, kernel: 4, stride: 2, padding: 1, size: 6 },
    { inChannels: 4, outChannels: 3, kernel: 3, stride: 2, padding: 0, size: 8 },
    { inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: 0, size: 3 },
  ]) {
    it(`Conv2d k${config.kernel} s${config.stride} p${config.padding} on ${config.size}x${config.size} matches tf autodiff`, async () => {
      const rng = new Rng(17);
      const conv = new Conv2d(config, rng);
      const [outH] = conv.outputSize(config.size, config.size);
      const xValues = normals(rng, 2 * config.size * config.size * config.inChannels);
      const wValues = normals(rng, 2 * outH * outH * config.outChannels);
      const x = tf.tensor4d(xValues, [2, config.size, config.size, config.inChannels]);
      const dy = tf.tensor4d(wValues, [2, outH, outH, config.outChannels]);
      const ours = tf.tidy(() => {
        const { y, cache } = conv.forward(x);
        const g = conv.backward(cache, dy, true);
        return [y, g.dx!, ...g.grads].map((t) => t.dataSync().slice());
      });
      const weight = conv.weight.dataSync().slice();
      const bias = conv.bias.dataSync().slice();
      const active = tf.getBackend();
      await tf.setBackend('cpu');
      try {
        const reference = tf.tidy(() => {
          const w = tf.tensor4d(weight, conv.weight.shape);
          const b = tf.tensor1d(bias);
          const xi = tf.tensor4d(xValues, x.shape);
          const up = tf.tensor4d(wValues, dy.shape);
          const pad = config.padding;
          const forward = (xx: tf.Tensor4D, ww: tf.Tensor4D, bb: tf.Tensor1D): tf.Tensor4D =>
            tf.add(
              tf.conv2d(xx, ww, config.stride, [
                [0, 0],
                [pad, pad],
                [pad, pad],
                [0, 0],
              ]),
              bb,
            );
          const y = forward(xi, w, b);
          const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
            tf.sum(tf.mul(forward(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D), up)),
          )([xi, w, b]);
          return [y, ...grads].map((t) => t.dataSync().slice());
        });
        for (let i = 0; i < 4; i++) expectClose(ours[i]!, reference[i]!, 1e-4);
      } finally {
        await tf.setBackend(active);
      }
      x.dispose();
      dy.dispose();
      conv.dispose();
    });
  }
});

describe('first-convolution columns from host memory', () => {
  it('give the same weight gradient as columns gathered from the padded input', () => {
    const rng = new Rng(21);
    const [batch, grid, channels] = [2, 6, 2];
    const conv = new Conv2d({ inChannels: 3 * channels, outChannels: 5, kernel: 4, stride: 2, padding: 1 }, rng);
    const features = normals(rng, batch * 3 * grid * grid * channels);
    const [outSide] = conv.outputSize(grid, grid);
    const dy = tf.tensor4d(normals(rng, batch * outSide * outSide * 5), [batch, outSide, outSide, 5]);
    const [gathered, host] = tf.tidy(() => {
      // The conv head's layout: [B, 3, T, C] -> [B, g, g, 3C] with channel k*C + c.
      const tokens = tf.tensor4d(features, [batch, 3, grid * grid, channels]);
      const x = tf.reshape(tf.transpose(tokens, [0, 2, 1, 3]), [batch, grid, grid, 3 * channels]) as tf.Tensor4D;
      const { cache } = conv.forward(x);
      const columns = tokenTapColumns(features, { batch, grid, channels }, { stride: 2, padding: 1, outSide });
      return [conv.backward(cache, dy, false).grads[0]!, conv.backward(cache, dy, false, columns).grads[0]!].map((t) =>
        t.dataSync().slice(),
      );
    });
    expectClose(host!, gathered!, 1e-6);
    expect(() => tokenTapColumns(features.subarray(1), { batch, grid, channels }, { stride: 2, padding: 1, outSide })).toThrow(
      /features must hold \[2, 3, 36, 2\]/,
    );
    dy.dispose();
    conv.dispose();
  });
});

describe('MLP policy', () => {
  it('fits a linear map of its inputs', async () => {
    const data = linearDataset(MLP_SPEC, 1024, 1);
    const policy = await createPolicy(MLP_SPEC, 100, { batchSize: 64 });
    const losses: number[] = [];
    for (let epoch = 0; epoch < 8; epoch++) losses.push(await policy.trainEpoch(data, epoch));
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 10);
    // Predictions on fresh inputs of the same map are close too (BatchNorm in inference mode).
    const test = linearDataset(MLP_SPEC, 64, 99);
    const predicted = await policy.predict(test.features, test.proprio, 64);
    let mse = 0;
    let variance = 0;
    for (let i = 0; i < predicted.length; i++) {
      mse += (predicted[i]! - test.actions[i]!) ** 2;
      variance += test.actions[i]! ** 2;
    }
    expect(mse / variance).toBeLessThan(0.1);
    await policy.dispose();
  });

  it("starts as mjrl's BatchNormMLP does: BatchNorm gamma 0.01, beta 0, every Linear default-initialised", async () => {
    const policy = await createPolicy(MLP_SPEC, 100, { init: 'mjrl' });
    const [gamma, beta, ...linear] = policy.weights();
    expect(new Set(gamma!.values)).toEqual(new Set([Math.fround(0.01)]));
    expect(new Set(beta!.values)).toEqual(new Set([0]));
    const lastWeight = linear[linear.length - 2]!;
    expect(lastWeight.shape).toEqual([256, 3]);
    // Default U(+-1/sqrt(256)) in the last layer, and in the first U(+-1/sqrt(14)).
    expect(maxAbs(lastWeight.values)).toBeGreaterThan(0.5 / 16);
    expect(maxAbs(lastWeight.values)).toBeLessThanOrEqual(1 / 16);
    expect(maxAbs(linear[0]!.values)).toBeGreaterThan(0.5 / Math.sqrt(14));
    await policy.dispose();
  });

  it("'last-layer-0.01' differs from 'mjrl' only in gamma = 1 and the last layer x 0.01, and starts with tiny actions", async () => {
    const mjrl = await createPolicy(MLP_SPEC, 100, { init: 'mjrl' });
    const scaled = await createPolicy(MLP_SPEC, 100, { init: 'last-layer-0.01' });
    const a = mjrl.weights();
    const b = scaled.weights();
    expect(new Set(b[0]!.values)).toEqual(new Set([1]));
    expect(Array.from(b[1]!.values)).toEqual(Array.from(a[1]!.values));
    for (let i = 2; i < a.length - 2; i++) expect(Array.from(b[i]!.values)).toEqual(Array.from(a[i]!.values));
    for (const i of [a.length - 2, a.length - 1]) expectClose(b[i]!.values, a[i]!.values.map((v) => 0.01 * v), 1e-6);
    const data = linearDataset(MLP_SPEC, 32, 2);
    expect(maxAbs(await scaled.predict(data.features, data.proprio, 32))).toBeLessThan(0.02);
    await mjrl.dispose();
    await scaled.dispose();
    await expect(createPolicy(MLP_SPEC, 1, { init: 'xavier' as never })).rejects.toThrow(/policy init must be one of mjrl, last-layer-0.01, got "xavier"/);
  });

  it('is reproducible from its seeds and deterministic in inference', async () => {
    const data = linearDataset(MLP_SPEC, 300, 3);
    const run = async (seed: number): Promise<{ weights: Float32Array[]; actions: Float32Array; again: Float32Array }> => {
      const policy = await createPolicy(MLP_SPEC, seed, { batchSize: 64 });
      await policy.trainEpoch(data, 1);
      await policy.trainEpoch(data, 2);
      const actions = await policy.predict(data.features, data.proprio, data.count);
      const again = await policy.predict(data.features, data.proprio, data.count);
      const weights = policy.weights().map((w) => w.values);
      await policy.dispose();
      return { weights, actions, again };
    };
    const a = await run(100);
    const b = await run(100);
    const c = await run(200);
    expect(Array.from(a.actions)).toEqual(Array.from(a.again));
    expect(a.weights.length).toBe(b.weights.length);
    a.weights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(b.weights[i]!)));
    expect(Array.from(a.actions)).toEqual(Array.from(b.actions));
    expect(maxAbsDiff(a.weights[2]!, c.weights[2]!)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(a.actions, c.actions)).toBeGreaterThan(1e-4);
  });

  it('does not leak tensors across epochs and predictions', async () => {
    const data = linearDataset(MLP_SPEC, 200, 4);
    const policy = await createPolicy(MLP_SPEC, 1, { batchSize: 64 });
    await policy.trainEpoch(data, 0);
    await policy.predict(data.features, data.proprio, data.count);
    const before = tf.memory().numTensors;
    await policy.trainEpoch(data, 1);
    await policy.predict(data.features, data.proprio, data.count);
    expect(tf.memory().numTensors).toBe(before);
    await policy.dispose();
    expect(() => policy.predict(data.features, data.proprio, data.count)).toThrow(/after dispose/);
  });
});

describe('conv head', () => {
  const convSpec = (grid: number, channels = 2): PolicySpec => ({
    head: 'conv',
    featureDim: 3 * grid * grid * channels,
    tokens: { grid, channels },
    proprioDim: 3,
    actionDim: 2,
  });

  it('maps 14 and 16 token grids to a 1x1 map and rejects grids that are too small', async () => {
    expect(convNeckSides(14)).toEqual([7, 3, 1]);
    expect(convNeckSides(16)).toEqual([8, 3, 1]);
    for (const grid of [14, 16]) {
      const policy = await createPolicy(convSpec(grid), 1);
      const data = linearDataset(convSpec(grid), 5, 1);
      const actions = await policy.predict(data.features, data.proprio, 5);
      expect(actions.length).toBe(5 * 2);
      expect(maxAbs(actions)).toBeLessThan(0.05);
      await policy.dispose();
    }
    await expect(createPolicy(convSpec(13), 1)).rejects.toThrow(/13x13 token grid is too small/);
  });

  for (const init of ['mjrl', 'last-layer-0.01'] as const) {
    it(`fits a small dataset (loss falls) and is reproducible (init ${init})`, async () => {
      const spec = convSpec(14);
      const data = linearDataset(spec, 32, 2);
      // Full-batch steps at lr 3e-3 so that a few steps show steady learning through the whole neck.
      const train = async (epochs: number): Promise<{ losses: number[]; actions: Float32Array }> => {
        const policy = await createPolicy(spec, 7, { batchSize: 32, adam: { learningRate: 3e-3 }, init });
        const losses: number[] = [];
        for (let epoch = 0; epoch < epochs; epoch++) losses.push(await policy.trainEpoch(data, epoch));
        const actions = await policy.predict(data.features, data.proprio, data.count);
        await policy.dispose();
        return { losses, actions };
      };
      // mjrl's gamma = 0.01 shrinks the trunk's input and so every gradient behind it: that init starts slower.
      const a = await train(10);
      expect(a.losses[9]!).toBeLessThan(a.losses[0]! * 0.65);
      // Identical losses over two epochs (each depends on all weights so far) show the run is reproducible.
      const b = await train(2);
      expect(b.losses).toEqual(a.losses.slice(0, 2));
    });
  }

  it('trains on ONNX Runtime as on tfjs, independently of the thread count', async () => {
    const spec = convSpec(16, 3);
    const data = linearDataset(spec, 12, 3);
    const trained = async (overrides: TrainingOverrides) => {
      const policy = await createPolicy(spec, 5, { batchSize: 6, ...overrides });
      const losses = [await policy.trainEpoch(data, 0), await policy.trainEpoch(data, 1)];
      const weights = policy.weights();
      await policy.dispose();
      return { losses, weights };
    };
    const reference = await trained({ engine: 'tfjs' });
    const oneThread = await trained({ engine: 'onnxruntime', threads: 1 });
    const twoThreads = await trained({ engine: 'onnxruntime', threads: 2 });
    // Four Adam steps follow the tfjs reference. Loosely: Adam's first steps are nearly lr * sign(gradient),
    // which turns 1e-7 rounding differences in small gradients into lr-sized ones (the layer itself agrees to
    // 1e-5, tested below).
    expectClose(oneThread.losses, reference.losses, 5e-3);
    // The thread count changes no number.
    expect(twoThreads.losses).toEqual(oneThread.losses);
    twoThreads.weights.forEach((w, i) => expect(w.values).toEqual(oneThread.weights[i]!.values));
  });
});

describe('convolutions as ONNX graph pieces', () => {
  /** One session running a convolution's forward pass, weight gradient and input gradient (map input) on its inputs. */
  async function convSession(input: ConvInput, config: Conv2d['config']): Promise<ort.InferenceSession> {
    const { kernel, inChannels, outChannels } = config;
    const g = new GraphBuilder('conv_pieces');
    const x = g.input('x', convInputDims(input, config, 'B'));
    const weight = g.input('weight', [kernel, kernel, inChannels, outChannels]);
    const dy = g.input('dy', ['B', convOutputSide(input, config), convOutputSide(input, config), outChannels]);
    const coutFirst = torchWeight(g, weight);
    const xChannelsFirst = convChannelsFirst(g, input, x);
    g.output('y', convForward(g, config, xChannelsFirst, coutFirst, g.input('bias', [outChannels])), ['B', 'Ho', 'Ho', outChannels]);
    g.output('dweight', convWeightGradient(g, input, config, xChannelsFirst, dy), [kernel, kernel, inChannels, outChannels]);
    if (input.layout === 'nhwc') g.output('dx', convInputGradient(g, input.side, config, dy, coutFirst), ['B', input.side, input.side, inChannels]);
    return createPolicySession(g.toBytes(), 1, 'conv pieces');
  }

  const cases = [
    // The first convolution on token grids: at 14 and 16 the weight-gradient convolution reaches exactly the 4
    // taps, at 15 it reaches 5 and is cut.
    ...[14, 15, 16].map((grid) => ({ name: `token grid ${grid}`, side: grid, input: { layout: 'tokens', grid, channels: 3 } as const, kernel: 4, stride: 2, padding: 1 })),
    // The later ones on maps (7 and 8: the floor rule drops a row, which the input gradient restores).
    ...[7, 8].map((side) => ({ name: `map ${side}, k3 s2`, side, input: { layout: 'nhwc', side } as const, kernel: 3, stride: 2, padding: 0 })),
    { name: 'map 3, k3 s1', side: 3, input: { layout: 'nhwc', side: 3 } as const, kernel: 3, stride: 1, padding: 0 },
  ];
  for (const { name, side, input, kernel, stride, padding } of cases) {
    it(`match Conv2d's forward pass and gradients (${name})`, async () => {
      const batch = 2;
      const inChannels = input.layout === 'tokens' ? 3 * input.channels : 4;
      const rng = new Rng(side * 10 + kernel);
      const conv = new Conv2d({ inChannels, outChannels: 5, kernel, stride, padding }, rng);
      const x = normals(rng, batch * side * side * inChannels);
      const session = await convSession(input, conv.config);
      const [outSide] = conv.outputSize(side, side);
      expect(convOutputSide(input, conv.config)).toBe(outSide);
      const dyValues = normals(rng, batch * outSide! * outSide! * 5);
      const expected = tf.tidy(() => {
        // Token grids [B, 3, T, C] as the conv head lays them out: [B, g, g, 3C] with channel k*C + c.
        const nhwc =
          input.layout === 'tokens'
            ? tf.reshape(tf.transpose(tf.tensor4d(x, [batch, 3, side * side, input.channels]), [0, 2, 1, 3]), [batch, side, side, inChannels])
            : tf.tensor4d(x, [batch, side, side, inChannels]);
        const { y, cache } = conv.forward(nhwc as tf.Tensor4D);
        const { grads, dx } = conv.backward(cache, tf.tensor4d(dyValues, y.shape), true);
        return [y, grads[0]!, dx!].map((t) => t.dataSync().slice());
      });
      const out = await session.run({
        x: new ort.Tensor('float32', x, convInputDims(input, conv.config, batch) as number[]),
        weight: new ort.Tensor('float32', conv.weight.dataSync() as Float32Array, conv.weight.shape),
        bias: new ort.Tensor('float32', conv.bias.dataSync() as Float32Array, [5]),
        dy: new ort.Tensor('float32', dyValues, [batch, outSide!, outSide!, 5]),
      });
      expectClose(out.y!.data as Float32Array, expected[0]!, 1e-5);
      expectClose(out.dweight!.data as Float32Array, expected[1]!, 1e-5);
      if (input.layout === 'nhwc') expectClose(out.dx!.data as Float32Array, expected[2]!, 1e-5);
      await session.release();
      conv.dispose();
    });
  }

  it('refuses a token grid whose channels do not fit the convolution', () => {
    expect(() => convOutputSide({ layout: 'tokens', grid: 14, channels: 3 }, { inChannels: 8, outChannels: 5, kernel: 4, stride: 2, padding: 1 })).toThrow(/takes 8 channels, a fused grid of 3 gives 9/);
  });
});

describe('bad input', () => {
  it('names the offending spec field', async () => {
    const bad = (spec: unknown): (() => void) => () => validatePolicySpec(spec as PolicySpec);
    expect(bad({ ...MLP_SPEC, head: 'rnn' })).toThrow(/head must be 'mlp' or 'conv'/);
    expect(bad({ ...MLP_SPEC, featureDim: 10 })).toThrow(/3 \* D values, got featureDim 10/);
    expect(bad({ ...MLP_SPEC, actionDim: 0 })).toThrow(/actionDim must be a positive integer/);
    expect(bad({ ...MLP_SPEC, proprioDim: -1 })).toThrow(/proprioDim must be an integer >= 0/);
    expect(bad({ head: 'conv', featureDim: 30, proprioDim: 0, actionDim: 2 })).toThrow(/needs tokens/);
    expect(bad({ head: 'conv', featureDim: 30, tokens: { grid: 14, channels: 2 }, proprioDim: 0, actionDim: 2 })).toThrow(
      /featureDim must be 3 \* grid\^2 \* channels = 1176/,
    );
    await expect(createPolicy(MLP_SPEC, Number.NaN)).rejects.toThrow(/seed must be a finite number/);
    await expect(createPolicy(MLP_SPEC, 1, { batchSize: 1 })).rejects.toThrow(/batchSize must be an integer >= 2/);
  });

  it('names the offending dataset or predict input', async () => {
    const policy = await createPolicy(MLP_SPEC, 1);
    const data = linearDataset(MLP_SPEC, 10, 1);
    await expect(policy.trainEpoch({ ...data, actions: new Float32Array(7) }, 0)).rejects.toThrow(
      /actions must hold \[10, 3\] = 30 values, got 7/,
    );
    await expect(policy.trainEpoch({ ...data, count: 1 }, 0)).rejects.toThrow(/count must be an integer >= 2/);
    const poisoned = data.features.slice();
    poisoned[5] = Number.NaN;
    await expect(policy.trainEpoch({ ...data, features: poisoned }, 0)).rejects.toThrow(
      /features holds a non-finite value \(NaN\) at index 5/,
    );
    expect(() => policy.predict(poisoned.subarray(0, 12), data.proprio.subarray(0, 2), 1)).toThrow(/predict: features holds a non-finite/);
    expect(() => policy.predict(data.features, data.proprio, 11)).toThrow(/features must hold \[11, 12\]/);
    await policy.dispose();
  });
});
