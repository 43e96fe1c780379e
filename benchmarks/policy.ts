/**
 * Policy training throughput on the selected tfjs backend: the BatchNorm-MLP policy (hand-written backward,
 * src/policies) against a plain tf.layers `model.fit` of the same network as the baseline, on the same data,
 * interleaved in one process so that machine load affects both alike. The conv head has its own script
 * (conv_head.ts).
 *
 *   npx tsx benchmarks/policy.ts [--samples 10240] [--reps 3] [--input 580] [--out results/policy-bench.json]
 *
 * Prints samples/s per repetition, the median of each and their ratio.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectTfBackend } from '../src/policies/backend.js';
import { createPolicy } from '../src/policies/index.js';
import type { BcDataset, PolicySpec } from '../src/policies/policy.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { Rng } from '../src/util/rng.js';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '10240' },
    reps: { type: 'string', default: '3' },
    input: { type: 'string', default: '580' },
    proprio: { type: 'string', default: '4' },
    actions: { type: 'string', default: '4' },
    out: { type: 'string' },
  },
});

function positiveInt(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return value;
}

const samples = positiveInt('samples', args.samples);
const reps = positiveInt('reps', args.reps);
const inputDim = positiveInt('input', args.input);
const proprioDim = Number(args.proprio);
const actionDim = positiveInt('actions', args.actions);
if (!Number.isInteger(proprioDim) || proprioDim < 0 || proprioDim >= inputDim || (inputDim - proprioDim) % 3 !== 0) {
  throw new Error(`--proprio must be an integer in [0, input) leaving a multiple of 3 features, got ${args.proprio}`);
}
const BATCH = 256;

function randomDataset(spec: PolicySpec, count: number, seed: number): BcDataset & { features: Float32Array } {
  const rng = new Rng(seed);
  const fill = (n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = rng.normal();
    return out;
  };
  return { count, features: fill(count * spec.featureDim), proprio: fill(count * spec.proprioDim), actions: fill(count * spec.actionDim) };
}

/** The same network with tf.layers: BatchNormalization -> Dense 256 relu x3 -> Dense(action), Adam, MSE. */
function layersBaseline(inputs: number, outputs: number, seed: number): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.batchNormalization({ inputShape: [inputs], momentum: 0.9, epsilon: 1e-5 }));
  for (let i = 0; i < 3; i++) {
    model.add(tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }) }));
  }
  model.add(tf.layers.dense({ units: outputs, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }) }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  return model;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const backend = await selectTfBackend();
  console.log(`backend: ${backend.description}; samples ${samples}, batch ${BATCH}, input ${inputDim}, reps ${reps}`);
  const spec: PolicySpec = { head: 'mlp', featureDim: inputDim - proprioDim, proprioDim, actionDim };
  const data = randomDataset(spec, samples, 1);

  // Baseline inputs: [features ++ proprio] rows, pre-shuffled with our Rng (fit's own shuffle uses Math.random).
  const order = Array.from({ length: samples }, (_, i) => i);
  new Rng(2).shuffle(order);
  const xValues = new Float32Array(samples * inputDim);
  const yValues = new Float32Array(samples * actionDim);
  order.forEach((s, r) => {
    xValues.set(data.features.subarray(s * spec.featureDim, (s + 1) * spec.featureDim), r * inputDim);
    xValues.set(data.proprio.subarray(s * proprioDim, (s + 1) * proprioDim), r * inputDim + spec.featureDim);
    yValues.set(data.actions.subarray(s * actionDim, (s + 1) * actionDim), r * actionDim);
  });
  const x = tf.tensor2d(xValues, [samples, inputDim]);
  const y = tf.tensor2d(yValues, [samples, actionDim]);
  const baseline = layersBaseline(inputDim, actionDim, 3);
  const policy = await createPolicy(spec, 100);

  // Warm-up: first calls compile kernels and grow the wasm heap.
  await baseline.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
  await policy.trainEpoch(data, 0);

  const baselineRates: number[] = [];
  const policyRates: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    let start = performance.now();
    await baseline.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
    baselineRates.push(samples / ((performance.now() - start) / 1000));
    start = performance.now();
    await policy.trainEpoch(data, rep + 1);
    policyRates.push(samples / ((performance.now() - start) / 1000));
    console.log(
      `rep ${rep + 1}: tf.layers fit ${baselineRates[rep]!.toFixed(0)} samples/s, policy ${policyRates[rep]!.toFixed(0)} samples/s` +
        ` (load average ${loadavg()[0]!.toFixed(1)})`,
    );
  }
  const result = {
    backend: backend.description,
    samples,
    batch: BATCH,
    inputDim,
    actionDim,
    baselineSamplesPerSecond: Math.round(median(baselineRates)),
    policySamplesPerSecond: Math.round(median(policyRates)),
    ratio: Number((median(policyRates) / median(baselineRates)).toFixed(2)),
    loadAverage: Number(loadavg()[0]!.toFixed(1)),
  };
  console.log(
    `median: tf.layers fit ${result.baselineSamplesPerSecond} samples/s, policy ${result.policySamplesPerSecond} samples/s, ratio ${result.ratio}x`,
  );
  policy.dispose();
  baseline.dispose();
  x.dispose();
  y.dispose();

  if (args.out) writeFileAtomic(args.out, `${JSON.stringify(result, null, 2)}\n`, 'benchmark results');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
