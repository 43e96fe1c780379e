/**
 * 'mlp' policy training throughput: the BatchNorm-MLP trunk on ONNX Runtime (the engine 'onnxruntime', the
 * default) against the same trunk on tfjs (the engine 'tfjs', hand-written backward on the selected tfjs backend)
 * and a plain tf.layers `model.fit` of the same network, on the same data, interleaved in one process so that
 * machine load affects all alike. Two input sizes, the default encoders' quick-profile trunks: pixels'
 * (3 x 768 FLARE-fused features + proprio) and vit-tiny-random's (3 x 192 + proprio), batch 64 (the quick
 * profile's). The conv head has its own script (conv_head.ts).
 *
 *   npx tsx benchmarks/policy.ts [--samples 6400] [--reps 3] [--batch 64] [--proprio 4] [--actions 4]
 *     [--threads N] [--out results/policy-bench.json]
 *
 * Prints samples/s per repetition, the median of each, the ratios and the process's peak RSS after each size.
 * Measured (2 cores shared with other work, load 2.9-3.6; --samples 3200): pixels' trunk (input 2308) onnxruntime
 * 4,056 samples/s against tfjs-wasm 2,259 (1.8x) and tf.layers 436; vit-tiny-random's (580) 14,552 against 5,930
 * (2.45x) and 1,025; peak RSS 462 MB. One ONNX Runtime thread under that load: 1.86x and 2.9x. One training step
 * at pixels' size in isolation (load 0.65): 7.0 ms on 2 threads, 9.4 ms on 1, 23.3 ms on tfjs-wasm (3.3x).
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
    samples: { type: 'string', default: '6400' },
    reps: { type: 'string', default: '3' },
    batch: { type: 'string', default: '64' },
    proprio: { type: 'string', default: '4' },
    actions: { type: 'string', default: '4' },
    threads: { type: 'string' },
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
const batch = positiveInt('batch', args.batch);
const proprioDim = Number(args.proprio);
const actionDim = positiveInt('actions', args.actions);
const threads = args.threads === undefined ? undefined : positiveInt('threads', args.threads);
if (!Number.isInteger(proprioDim) || proprioDim < 0) throw new Error(`--proprio must be an integer >= 0, got ${args.proprio}`);
if (batch < 2) throw new Error(`--batch must be at least 2, got ${batch}`);

/** Pooled feature widths of the default encoders whose trunks are timed. */
const SIZES = [
  { name: 'pixels', pooled: 768 },
  { name: 'vit-tiny-random', pooled: 192 },
] as const;

function randomDataset(spec: PolicySpec, count: number, seed: number): BcDataset & { features: Float32Array } {
  const rng = new Rng(seed);
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
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

/** Peak resident set of this process so far, in MB. */
function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

interface SizeResult {
  size: string;
  inputDim: number;
  layersSamplesPerSecond: number;
  tfjsSamplesPerSecond: number;
  onnxruntimeSamplesPerSecond: number;
  onnxruntimeOverTfjs: number;
  onnxruntimeOverLayers: number;
  peakRssMb: number;
}

async function measureSize(name: string, pooled: number): Promise<SizeResult> {
  const spec: PolicySpec = { head: 'mlp', featureDim: 3 * pooled, proprioDim, actionDim };
  const inputDim = spec.featureDim + proprioDim;
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
  const training = { batchSize: batch, ...(threads !== undefined ? { threads } : {}) };
  const engines = {
    tfjs: await createPolicy(spec, 100, { ...training, engine: 'tfjs' }),
    onnxruntime: await createPolicy(spec, 100, { ...training, engine: 'onnxruntime' }),
  };

  // Warm-up: first calls compile kernels, grow the wasm heap and plan ONNX Runtime's buffers.
  await baseline.fit(x, y, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
  await engines.tfjs.trainEpoch(data, 0);
  await engines.onnxruntime.trainEpoch(data, 0);

  const rates = { layers: [] as number[], tfjs: [] as number[], onnxruntime: [] as number[] };
  const timed = async (run: () => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    await run();
    return samples / ((performance.now() - start) / 1000);
  };
  for (let rep = 0; rep < reps; rep++) {
    rates.layers.push(await timed(() => baseline.fit(x, y, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 })));
    rates.tfjs.push(await timed(() => engines.tfjs.trainEpoch(data, rep + 1)));
    rates.onnxruntime.push(await timed(() => engines.onnxruntime.trainEpoch(data, rep + 1)));
    console.log(
      `${name} rep ${rep + 1}: tf.layers fit ${rates.layers[rep]!.toFixed(0)}, tfjs trunk ${rates.tfjs[rep]!.toFixed(0)}, ` +
        `onnxruntime trunk ${rates.onnxruntime[rep]!.toFixed(0)} samples/s (load average ${loadavg()[0]!.toFixed(1)})`,
    );
  }
  engines.tfjs.dispose();
  engines.onnxruntime.dispose();
  baseline.dispose();
  x.dispose();
  y.dispose();
  const [layers, tfjs, onnxruntime] = [median(rates.layers), median(rates.tfjs), median(rates.onnxruntime)];
  const result: SizeResult = {
    size: name,
    inputDim,
    layersSamplesPerSecond: Math.round(layers),
    tfjsSamplesPerSecond: Math.round(tfjs),
    onnxruntimeSamplesPerSecond: Math.round(onnxruntime),
    onnxruntimeOverTfjs: Number((onnxruntime / tfjs).toFixed(2)),
    onnxruntimeOverLayers: Number((onnxruntime / layers).toFixed(2)),
    peakRssMb: peakRssMb(),
  };
  console.log(
    `${name} (input ${inputDim}) median: tf.layers fit ${result.layersSamplesPerSecond}, tfjs trunk ${result.tfjsSamplesPerSecond}, ` +
      `onnxruntime trunk ${result.onnxruntimeSamplesPerSecond} samples/s; onnxruntime / tfjs ${result.onnxruntimeOverTfjs}x, ` +
      `/ tf.layers ${result.onnxruntimeOverLayers}x; peak RSS so far ${result.peakRssMb} MB`,
  );
  return result;
}

async function main(): Promise<void> {
  const backend = await selectTfBackend('wasm');
  console.log(
    `tfjs backend: ${backend.description}; ONNX Runtime threads ${threads ?? 'all cores'}; samples ${samples}, batch ${batch}, ` +
      `proprio ${proprioDim}, actions ${actionDim}, reps ${reps}; load average ${loadavg()[0]!.toFixed(1)}`,
  );
  const results: SizeResult[] = [];
  for (const { name, pooled } of SIZES) results.push(await measureSize(name, pooled));
  if (args.out) {
    const report = { tfjsBackend: backend.description, samples, batch, proprioDim, actionDim, threads: threads ?? null, results, loadAverage: Number(loadavg()[0]!.toFixed(1)) };
    writeFileAtomic(args.out, `${JSON.stringify(report, null, 2)}\n`, 'benchmark results');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
