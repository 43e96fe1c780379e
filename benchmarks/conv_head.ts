/**
 * Conv-head training throughput: the first convolution on ONNX Runtime (the default) against the same head with
 * every layer on tfjs (the previous implementation, kept as the reference engine), at Theia-tiny's token grid
 * (14 x 14 x 192, proprio 4, action 6) and the protocol's batch of 256. The two engines alternate in one process
 * so that machine load hits both alike. On a shared machine the CPU-time ratio (samples per CPU-second, ORT's
 * threads included) is the steadier measure; the wall-time ratio is what a user sees on an idle machine.
 *
 *   npx tsx benchmarks/conv_head.ts [--batches 1] [--reps 3] [--threads N] [--grid 14] [--channels 192] [--out FILE.json]
 *
 * `--memory-frames N` measures memory instead: a training set of N demo frames of token grids held as a cell
 * holds them (FlareSamples: the frames once, fused per mini-batch), one epoch's first batches trained, and the
 * process's peak RSS against the bytes of the frames themselves (what one more frame costs).
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createPolicy, selectTfBackend } from '../src/policies/index.js';
import type { NeckEngine } from '../src/policies/index.js';
import { FlareSamples } from '../src/policies/flare.js';
import type { BcDataset, PolicySpec } from '../src/policies/policy.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { Rng } from '../src/util/rng.js';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '1' },
    reps: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(availableParallelism()) },
    grid: { type: 'string', default: '14' },
    channels: { type: 'string', default: '192' },
    out: { type: 'string' },
    'memory-frames': { type: 'string' },
  },
});

function positiveInt(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return value;
}

const BATCH = 256;
const batches = positiveInt('batches', args.batches);
const reps = positiveInt('reps', args.reps);
const threads = positiveInt('threads', args.threads);
const grid = positiveInt('grid', args.grid);
const channels = positiveInt('channels', args.channels);
const spec: PolicySpec = { head: 'conv', featureDim: 3 * grid * grid * channels, tokens: { grid, channels }, proprioDim: 4, actionDim: 6 };

function randomDataset(count: number, seed: number): BcDataset {
  const rng = new Rng(seed);
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
  return { count, features: fill(count * spec.featureDim), proprio: fill(count * spec.proprioDim), actions: fill(count * spec.actionDim) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Peak RSS of training on `frames` frames; the frames are one episode per 1000 steps, as DMC demos are. */
async function measureMemory(frames: number): Promise<void> {
  await selectTfBackend();
  const dim = grid * grid * channels;
  const rng = new Rng(4);
  const values = new Float32Array(frames * dim);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  const lengths = Array.from({ length: Math.ceil(frames / 1000) }, (_, i) => Math.min(1000, frames - i * 1000));
  const samples = FlareSamples.inMemory(values, dim, lengths);
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
  const policy = await createPolicy(spec, 3, { threads });
  // Two batches from the held set (a whole epoch would take hours at paper scale; memory does not grow with it).
  const n = Math.min(frames, 2 * BATCH);
  const firstBatches: BcDataset = { count: n, features: FlareSamples.inMemory(values.subarray(0, n * dim), dim, [n]), proprio: fill(n * spec.proprioDim), actions: fill(n * spec.actionDim) };
  const trained = await policy.trainEpoch(firstBatches, 0);
  policy.dispose();
  const peakBytes = process.resourceUsage().maxRSS * 1024;
  const frameBytes = values.byteLength;
  const result = { frames, grid, channels, frameGiB: frameBytes / 2 ** 30, peakRssGiB: peakBytes / 2 ** 30, loss: trained };
  console.log(
    `${frames} frames of ${grid}x${grid}x${channels} tokens: frames ${(frameBytes / 2 ** 30).toFixed(2)} GiB, peak RSS ${(peakBytes / 2 ** 30).toFixed(2)} GiB ` +
      `(a fused copy would add ${((3 * frameBytes) / 2 ** 30).toFixed(2)} GiB)`,
  );
  if (args.out) writeFileAtomic(args.out, `${JSON.stringify(result, null, 2)}\n`, 'benchmark results');
}

async function main(): Promise<void> {
  const backend = await selectTfBackend();
  console.log(`tfjs ${backend.description}; grid ${grid}x${grid}x${channels}, batch ${BATCH} x ${batches}, ${reps} reps, ORT threads ${threads}`);
  const data = randomDataset(BATCH * batches, 1);
  const warmUp = randomDataset(8, 2);
  const engines: NeckEngine[] = ['tfjs', 'onnxruntime'];
  const policies = await Promise.all(engines.map((neckEngine) => createPolicy(spec, 3, { neckEngine, threads })));
  for (const policy of policies) await policy.trainEpoch(warmUp, 0); // compiles kernels, creates ORT sessions
  const wall: number[][] = engines.map(() => []);
  const cpu: number[][] = engines.map(() => []);
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? [0, 1] : [1, 0];
    for (const e of order) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      await policies[e]!.trainEpoch(data, rep + 1);
      wall[e]!.push((performance.now() - start) / 1000);
      const used = process.cpuUsage(cpuStart);
      cpu[e]!.push((used.user + used.system) / 1e6);
    }
    const rate = (e: number): string => (data.count / wall[e]![rep]!).toFixed(1);
    console.log(`rep ${rep + 1}: tfjs ${rate(0)} samples/s, onnxruntime ${rate(1)} samples/s (load average ${loadavg()[0]!.toFixed(1)})`);
  }
  for (const policy of policies) policy.dispose();
  const summary = engines.map((engine, e) => ({
    engine,
    samplesPerSecond: Number((data.count / median(wall[e]!)).toFixed(1)),
    bestSamplesPerSecond: Number((data.count / Math.min(...wall[e]!)).toFixed(1)),
    samplesPerCpuSecond: Number((data.count / median(cpu[e]!)).toFixed(1)),
  }));
  const [before, after] = summary as [(typeof summary)[0], (typeof summary)[0]];
  const result = {
    backend: backend.description,
    grid,
    channels,
    batch: BATCH,
    samples: data.count,
    reps,
    ortThreads: threads,
    engines: summary,
    wallRatio: Number((after.samplesPerSecond / before.samplesPerSecond).toFixed(2)),
    bestWallRatio: Number((after.bestSamplesPerSecond / before.bestSamplesPerSecond).toFixed(2)),
    cpuRatio: Number((after.samplesPerCpuSecond / before.samplesPerCpuSecond).toFixed(2)),
    wallSpread: engines.map((_, e) => wall[e]!.map((s) => Number((data.count / s).toFixed(1)))),
    loadAverage: Number(loadavg()[0]!.toFixed(1)),
  };
  console.log(
    `median: tfjs ${before.samplesPerSecond} samples/s, onnxruntime ${after.samplesPerSecond} samples/s: ${result.wallRatio}x wall ` +
      `(best ${result.bestWallRatio}x), ${result.cpuRatio}x samples per CPU-second`,
  );
  if (args.out) writeFileAtomic(args.out, `${JSON.stringify(result, null, 2)}\n`, 'benchmark results');
}

(args['memory-frames'] ? measureMemory(positiveInt('memory-frames', args['memory-frames'])) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
