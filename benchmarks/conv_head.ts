/**
 * Conv-head training throughput: the engine 'onnxruntime' (the default: one ONNX Runtime graph per training step)
 * against the same head with every layer on tfjs (the reference engine), at Theia-tiny's token grid (14 x 14 x 192,
 * proprio 4, action 6) and the protocol's batch of 256; with `--baseline-src DIR` also the default engine of another
 * checkout of this project (e.g. the previous commit's, to measure a change). All alternate in one process so that
 * machine load hits them alike. On a shared machine the CPU-time ratio (samples per CPU-second, ORT's threads
 * included) is the steadier measure; the wall-time ratio is what a user sees on an idle machine.
 *
 *   npx tsx benchmarks/conv_head.ts [--batches 1] [--reps 3] [--threads N] [--grid 14] [--channels 192] [--baseline-src DIR] [--out FILE.json]
 *
 * FLOP bound (Theia-tiny, per training sample): conv 1 (576 -> 256, 4x4, 14 -> 7) forward 231 MFLOP and weight
 * gradient 231 MFLOP (its input is data: no input gradient); conv 2 (256 -> 256, 3x3, 7 -> 3) 10.6 MFLOP for each
 * of forward, weight and input gradient; conv 3 (3 -> 1) 1.2 MFLOP each; LayerNorms and the trunk ~1.5 MFLOP:
 * ~0.50 GFLOP per sample. Two Zen 4 cores at 2.6 GHz (AVX-512 as 2 x 256-bit FMA: 32 FP32 FLOP per cycle) peak
 * at ~166 GFLOP/s, so no implementation on this machine exceeds ~330 samples/s; 10x the issue's idle-machine
 * ~41 samples/s (410) lies beyond that peak. Measured (load average 1.2-1.5, 7 reps): the one-graph step 186.9
 * samples/s (~94 GFLOP/s, 57% of the bound), 5.2x tfjs, 1.24x the previous engine (convolutions alone on ONNX
 * Runtime, the rest on tfjs: 150.2) in wall time, 1.15x per CPU-second. ORT's profiler puts 74% of the graph's
 * 1.28 s at 256 samples in the first convolution's forward pass and weight gradient (~120 GFLOP/s each, the same
 * MLAS kernels the previous engine ran), 11% in layout transposes, 6% in the second input gradient.
 *
 * `--memory-frames N` measures memory instead: a cell's feature stage and first training batches at N demo frames
 * (see `measureMemory`), the process's peak RSS after each phase, and with `--compare-in-memory` the samples/s of
 * the streamed entry against the same entry loaded into memory (`--scratch DIR` keeps the cache there; by default
 * a temporary folder, removed at the end):
 *
 *   npx tsx benchmarks/conv_head.ts --memory-frames 100000 [--memory-batches 2] [--compare-in-memory] [--scratch DIR]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadOrComputeFeatures, type DemoFeatures, type FeatureRequest } from '../src/data/features.js';
import { StreamedFrames } from '../src/data/streamed_frames.js';
import type { Encoder, FrameBatch } from '../src/encoders/encoder.js';
import type { Env } from '../src/envs/env.js';
import type { DemoEpisode } from '../src/envs/expert_rollout.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { createPolicy, selectTfBackend } from '../src/policies/index.js';
import type { PolicyEngine } from '../src/policies/index.js';
import { FlareSamples, type FrameSource } from '../src/policies/flare.js';
import { observationLook } from '../src/protocol/render_settings.js';
import { buildDataset } from '../src/run/dataset.js';
import type { BcDataset, BcPolicy, PolicySpec } from '../src/policies/policy.js';
import { LocalVectorEnv } from '../src/envs/vector_env.js';
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
    'memory-batches': { type: 'string', default: '2' },
    'compare-in-memory': { type: 'boolean', default: false },
    scratch: { type: 'string' },
    'baseline-src': { type: 'string' },
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

/** Two cores' FP32 peak over ~0.5 GFLOP per Theia-tiny training sample (see above). */
const FLOP_BOUND_SAMPLES_PER_SECOND = 330;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A cell's feature stage and first training batches at `frames` demo frames (episodes of 1000 steps, as DMC
 * demos are), through the real path: `loadOrComputeFeatures` (fake replay env and encoder, so that only the
 * features' size is real) writes the cache entry under the scratch folder, reads it back as a cached run does, and
 * `buildDataset` + the conv policy train on it. Training covers `--memory-batches` batches of 256 whose frames lie
 * spread over the whole file (a whole epoch at paper scale is hours; memory does not grow with it).
 * `--compare-in-memory` also trains the same batches with the entry loaded into memory and reports both rates.
 */
async function measureMemory(frames: number): Promise<void> {
  await selectTfBackend();
  const scratch = args.scratch ?? mkdtempSync(join(tmpdir(), 'bench-conv-head-'));
  const syntheticTask = { name: 'synthetic-dmc', version: 1, defaultCamera: 'main' } as unknown as TaskDefinition;
  const episodes = Array.from({ length: Math.ceil(frames / 1000) }, (_, ep) => syntheticEpisode(ep, Math.min(1000, frames - ep * 1000)));
  const request = (streamAboveBytes?: number): FeatureRequest => ({
    task: syntheticTask,
    demos: { key: `synthetic-${frames}`, episodes },
    encoder: syntheticTokenEncoder(grid, channels),
    envs: new LocalVectorEnv([syntheticReplayEnv()]),
    kind: 'spatial',
    render: { imageSize: 8, camera: 'main', ...observationLook(8) },
    cacheDir: scratch,
    quiet: true,
    batchSize: 64,
    ...(streamAboveBytes === undefined ? {} : { streamAboveBytes }),
  });
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    console.log(`${name}: ${((performance.now() - start) / 1000).toFixed(1)} s, peak RSS so far ${(peakRss() / 2 ** 30).toFixed(2)} GiB`);
    return result;
  };
  const batchesToTrain = positiveInt('memory-batches', args['memory-batches']);
  try {
    await phase('features computed (cold cell)', () => loadOrComputeFeatures(request()));
    const features = await phase('features opened from the cache (warm cell)', () => loadOrComputeFeatures(request()));
    const trainOn = async (source: DemoFeatures, label: string): Promise<{ loss: number; samplesPerSecond: number }> => {
      const dataset = spreadBatches(buildDataset(episodes, source), batchesToTrain * BATCH);
      const policy = await createPolicy(spec, 3, { threads });
      try {
        const start = performance.now();
        const loss = await phase(`${label}: ${dataset.count} samples trained`, () => policy.trainEpoch(dataset, 0));
        return { loss, samplesPerSecond: dataset.count / ((performance.now() - start) / 1000) };
      } finally {
        await policy.dispose();
      }
    };
    const streamed = await trainOn(features, `${features.frames instanceof StreamedFrames ? 'streamed' : 'in memory'}`);
    const streamedPeak = peakRss();
    let inMemory: { loss: number; samplesPerSecond: number } | null = null;
    if (args['compare-in-memory']) inMemory = await trainOn(await loadOrComputeFeatures(request(Infinity)), 'in memory');
    const frameBytes = frames * grid * grid * channels * 4;
    const result = {
      frames,
      grid,
      channels,
      streamed: features.frames instanceof StreamedFrames,
      float32FramesGiB: frameBytes / 2 ** 30,
      cacheFileGiB: frameBytes / 2 / 2 ** 30,
      peakRssGiB: streamedPeak / 2 ** 30,
      streamedSamplesPerSecond: Number(streamed.samplesPerSecond.toFixed(1)),
      ...(inMemory
        ? { inMemorySamplesPerSecond: Number(inMemory.samplesPerSecond.toFixed(1)), sameLoss: inMemory.loss === streamed.loss, peakRssWithInMemoryGiB: peakRss() / 2 ** 30 }
        : {}),
      loadAverage: Number(loadavg()[0]!.toFixed(1)),
    };
    console.log(
      `${frames} frames of ${grid}x${grid}x${channels} tokens (${(frameBytes / 2 ** 30).toFixed(2)} GiB as float32): peak RSS ${(streamedPeak / 2 ** 30).toFixed(2)} GiB ` +
        `through features and training, ${result.streamedSamplesPerSecond} samples/s` +
        (inMemory ? `; in memory ${result.inMemorySamplesPerSecond} samples/s, same loss: ${result.sameLoss}` : '') +
        ` (load average ${result.loadAverage})`,
    );
    if (args.out) writeFileAtomic(args.out, `${JSON.stringify(result, null, 2)}\n`, 'benchmark results');
  } finally {
    if (!args.scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

/** One demo episode whose state is its global frame index (so every frame renders, and encodes, differently). */
function syntheticEpisode(ep: number, length: number): DemoEpisode {
  const states = new Float64Array(length);
  for (let t = 0; t < length; t++) states[t] = ep * 1000 + t;
  const variant = { task: 'synthetic-dmc', taskVersion: 1, values: {}, assets: {} };
  return { seed: ep, variant, length, stateSize: 1, actionDim: spec.actionDim, proprioDim: spec.proprioDim, states, proprio: new Float32Array(length * spec.proprioDim).fill(0.5), actions: new Float32Array(length * spec.actionDim).fill(0.1), rewards: new Float64Array(length), successes: new Uint8Array(length), episodeReturn: 0, success: false };
}

/** A replay env that "renders" its state (the frame index) into the first three bytes of the frame. */
function syntheticReplayEnv(): Env {
  let frame = 0;
  const env = {
    seed: null as number | null,
    variant: null as unknown,
    definition: { name: 'synthetic-dmc' },
    reset({ seed, variant }: { seed: number; variant: unknown }) {
      env.seed = seed;
      env.variant = variant;
    },
    physics: { stateSize: 1, setState: (state: Float64Array) => (frame = state[0]!) },
    render(options: { width: number; height: number }) {
      const rgb = new Uint8Array(options.width * options.height * 3);
      rgb.set([frame & 0xff, (frame >> 8) & 0xff, (frame >> 16) & 0xff]);
      return { width: options.width, height: options.height, rgb };
    },
  };
  return env as unknown as Env;
}

/**
 * Token grids [n, T, C]: windows of a fixed pool of uniform values in [-2, 2), at an offset given by the frame
 * index (cheap, so that the benchmark measures the feature path, not a fake encoder).
 */
function syntheticTokenEncoder(tokenGrid: number, tokenChannels: number): Encoder {
  const tokens = tokenGrid * tokenGrid;
  const width = tokens * tokenChannels;
  const rng = new Rng(11);
  const pool = Float32Array.from({ length: 2 * width }, () => rng.uniform(-2, 2));
  return {
    info: { id: 'synthetic-tokens', inputSize: 8, normalisation: null, pooledDim: 1, spatial: { tokens, channels: tokenChannels, grid: tokenGrid }, parameterCount: 0, digest: `synthetic-${tokenGrid}-${tokenChannels}` },
    async encode(batch: FrameBatch) {
      const spatial = new Float32Array(batch.n * width);
      const frameBytes = batch.height * batch.width * 3;
      for (let i = 0; i < batch.n; i++) {
        const d = batch.data;
        const frame = d[i * frameBytes]! | (d[i * frameBytes + 1]! << 8) | (d[i * frameBytes + 2]! << 16);
        const offset = (frame * 7919) % width;
        spatial.set(pool.subarray(offset, offset + width), i * width);
      }
      return { pooled: new Float32Array(batch.n), spatial };
    },
    async dispose() {},
  };
}

/**
 * About `count` samples of `data` spread evenly over all of its frames: short episodes of 3 steps, each the last
 * three frames (t-2, t-1, t) of one picked sample, read through `data`'s own frame source (memory or file).
 */
function spreadBatches(data: BcDataset, count: number): BcDataset {
  const samples = data.features as FlareSamples;
  const picks = Math.ceil(count / 3);
  const total = samples.frames.frameCount;
  if (total < 3 * picks) throw new Error(`--memory-frames must be at least ${3 * picks} for ${count} spread samples`);
  // Frame t of a picked episode step >= 2 of its 1000-step demo, so its history lies in one episode.
  const last = Int32Array.from({ length: picks }, (_, i) => {
    const frame = Math.floor((i * total) / picks);
    return frame % 1000 < 2 ? frame + 2 : frame;
  });
  const underlying = (j: number): number => last[Math.floor(j / 3)]! - 2 + (j % 3);
  const source: FrameSource = {
    frameCount: 3 * picks,
    dim: samples.dim,
    gather: (frames) => samples.frames.gather(frames.map(underlying)),
    checkFinite: (name) => samples.frames.checkFinite(name),
  };
  const n = 3 * picks;
  return { count: n, features: new FlareSamples(source, new Array<number>(picks).fill(3)), proprio: data.proprio.subarray(0, n * spec.proprioDim), actions: data.actions.subarray(0, n * spec.actionDim) };
}

/** A conv policy to time: a name and how to make one (this tree's engines, or a baseline checkout's default). */
interface Contender {
  name: string;
  create: () => Promise<Pick<BcPolicy, 'trainEpoch' | 'dispose'>>;
}

async function main(): Promise<void> {
  const backend = await selectTfBackend();
  console.log(`tfjs ${backend.description}; grid ${grid}x${grid}x${channels}, batch ${BATCH} x ${batches}, ${reps} reps, ORT threads ${threads}`);
  const data = randomDataset(BATCH * batches, 1);
  const warmUp = randomDataset(8, 2);
  const engines: PolicyEngine[] = ['tfjs', 'onnxruntime'];
  const contenders: Contender[] = engines.map((engine) => ({ name: engine, create: () => createPolicy(spec, 3, { engine, threads }) }));
  if (args['baseline-src']) {
    // Another checkout's policies (e.g. the previous commit's): its default engine, in this process, so that load hits it alike.
    const entry = pathToFileURL(resolve(args['baseline-src'], 'src/policies/index.ts')).href;
    const baseline = (await import(entry)) as { createPolicy: typeof createPolicy };
    contenders.push({ name: 'baseline onnxruntime', create: () => baseline.createPolicy(spec, 3, { engine: 'onnxruntime', threads }) });
  }
  const policies = await Promise.all(contenders.map((c) => c.create()));
  for (const policy of policies) await policy.trainEpoch(warmUp, 0); // compiles kernels, creates ORT sessions
  const wall: number[][] = contenders.map(() => []);
  const cpu: number[][] = contenders.map(() => []);
  for (let rep = 0; rep < reps; rep++) {
    // Each rep runs every contender once, in a rotated order.
    const order = contenders.map((_, i) => (i + rep) % contenders.length);
    for (const e of order) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      await policies[e]!.trainEpoch(data, rep + 1);
      wall[e]!.push((performance.now() - start) / 1000);
      const used = process.cpuUsage(cpuStart);
      cpu[e]!.push((used.user + used.system) / 1e6);
    }
    const rates = contenders.map((c, e) => `${c.name} ${(data.count / wall[e]![rep]!).toFixed(1)}`).join(', ');
    console.log(`rep ${rep + 1} (samples/s): ${rates} (load average ${loadavg()[0]!.toFixed(1)})`);
  }
  for (const policy of policies) await policy.dispose();
  const summary = contenders.map(({ name }, e) => ({
    engine: name,
    samplesPerSecond: Number((data.count / median(wall[e]!)).toFixed(1)),
    bestSamplesPerSecond: Number((data.count / Math.min(...wall[e]!)).toFixed(1)),
    samplesPerCpuSecond: Number((data.count / median(cpu[e]!)).toFixed(1)),
  }));
  const ratios = (after: (typeof summary)[0], before: (typeof summary)[0]) => ({
    wall: Number((after.samplesPerSecond / before.samplesPerSecond).toFixed(2)),
    bestWall: Number((after.bestSamplesPerSecond / before.bestSamplesPerSecond).toFixed(2)),
    cpu: Number((after.samplesPerCpuSecond / before.samplesPerCpuSecond).toFixed(2)),
  });
  const atTheiaTiny = grid === 14 && channels === 192;
  const [reference, ort, baseline] = summary as [(typeof summary)[0], (typeof summary)[0], (typeof summary)[0] | undefined];
  const result = {
    backend: backend.description,
    grid,
    channels,
    batch: BATCH,
    samples: data.count,
    reps,
    ortThreads: threads,
    engines: summary,
    againstTfjs: ratios(ort, reference),
    ...(baseline ? { againstBaseline: ratios(ort, baseline) } : {}),
    ...(atTheiaTiny ? { flopBoundFraction: Number((ort.samplesPerSecond / FLOP_BOUND_SAMPLES_PER_SECOND).toFixed(2)) } : {}),
    wallSpread: contenders.map((_, e) => wall[e]!.map((t) => Number((data.count / t).toFixed(1)))),
    loadAverage: Number(loadavg()[0]!.toFixed(1)),
    peakRssGiB: Number((peakRss() / 2 ** 30).toFixed(2)),
  };
  const line = (name: string, r: ReturnType<typeof ratios>): string => `${r.wall}x ${name} wall (best ${r.bestWall}x), ${r.cpu}x per CPU-second`;
  console.log(
    `median samples/s: ${summary.map((c) => `${c.engine} ${c.samplesPerSecond}`).join(', ')}; onnxruntime: ${line('tfjs', result.againstTfjs)}` +
      (result.againstBaseline ? `; ${line('baseline', result.againstBaseline)}` : '') +
      (result.flopBoundFraction === undefined ? '' : `; ${Math.round(100 * result.flopBoundFraction)}% of the FLOP bound`) +
      `; peak RSS ${result.peakRssGiB} GiB (load average ${result.loadAverage})`,
  );
  if (args.out) writeFileAtomic(args.out, `${JSON.stringify(result, null, 2)}\n`, 'benchmark results');
}

(args['memory-frames'] ? measureMemory(positiveInt('memory-frames', args['memory-frames'])) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
