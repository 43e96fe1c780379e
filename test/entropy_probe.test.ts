/**
 * The protocol's entropy probe: one fixed set of frames, so an encoder's entropy is the same number in every run,
 * whatever its tasks and profile, and a run can never report or reuse a number measured on other frames.
 *
 * The runs measure on an expert probe set of two tasks: the same definition, rollouts, renders and caches as the
 * protocol's set of every cortexbench task, which the run dependencies hand out (checked below) but which takes a
 * minute to roll out and render.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { renderProbeFrames } from '../src/data/probe_frames.js';
import type { EncodeOptions, Encoder, FrameBatch } from '../src/encoders/encoder.js';
import type { EntropyProbe } from '../src/eval/entropy_cache.js';
import { createEncoder } from '../src/encoders/registry.js';
import '../src/envs/index.js';
import { getTask, listTasks } from '../src/envs/registry.js';
import { featureNormEntropy, type NormEntropy } from '../src/eval/entropy.js';
import { cortexbenchProbeSet, ENTROPY_PROBE_SEEDS, ENTROPY_PROBE_STEPS, expertProbeSet, probeSet } from '../src/protocol/entropy_probe.js';
import { observationLook } from '../src/protocol/render_settings.js';
import { getProfile, type Profile } from '../src/protocol/profiles.js';
import type { EntropyRecord, RunResults } from '../src/results/schema.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import type { RunDependencies } from '../src/run/deps.js';
import { runBenchmark } from '../src/run/runner.js';
import { syntheticProbe } from './helpers/synthetic_probe.js';

const root = mkdtempSync(join(tmpdir(), 'bench-probe-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cacheA = join(root, 'cache-a');

/** Mean colour of each 4x4 cell: spatial tokens [16, 3], pooled = their mean [3]. */
const cellColours: Encoder = {
  info: { id: 'cells-4', inputSize: 4, normalisation: null, pooledDim: 3, spatial: { tokens: 16, channels: 3, grid: 4 }, parameterCount: 0, digest: 'test-cell-colours-4' },
  async encode(frames: FrameBatch, options?: EncodeOptions) {
    const { n, height: H, width: W } = frames;
    const tokens = new Float32Array(n * 48);
    const pooled = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const cell = Math.floor((y * 4) / H) * 4 + Math.floor((x * 4) / W);
          for (let c = 0; c < 3; c++) {
            const v = frames.data[((i * H + y) * W + x) * 3 + c]! / 255;
            tokens[(i * 16 + cell) * 3 + c] += (v * 16) / (H * W);
            pooled[i * 3 + c] += v / (H * W);
          }
        }
      }
    }
    return { pooled, ...(options?.spatial ? { spatial: tokens } : {}) };
  },
  async dispose() {},
};

/** The probe of every run here: a DMC and a MetaWorld task with quick experts. */
const probeTasks = ['button-press-topdown', 'reacher-easy'];
const probe: EntropyProbe = (() => {
  const set = expertProbeSet(probeTasks.map((name) => getTask(name)));
  return { set, frames: (cacheDir, warn) => renderProbeFrames(set, cacheDir, warn) };
})();

const realDeps = defaultRunDependencies();
const deps: RunDependencies = {
  ...realDeps,
  parseEncoderSpec: (text) => (text === 'cells-4' ? { ...realDeps.parseEncoderSpec('pixels'), text } : realDeps.parseEncoderSpec(text)),
  createEncoder: async (spec, options) => (spec.text === 'cells-4' ? cellColours : realDeps.createEncoder(spec, options)),
  entropyProbe: () => probe,
};

const smoke = getProfile('smoke');
/** Another profile: other frame size, horizons, epochs, demos and policy init. */
const other: Profile = {
  ...smoke,
  families: { dmc: { demos: 3, evalEpisodes: 1, horizon: 12 }, metaworld: { demos: 2, evalEpisodes: 1, horizon: 12 }, adroit: { demos: 2, evalEpisodes: 1, horizon: 12 } },
  epochs: 2,
  evalEvery: 2,
  imageSize: 96,
  policyInit: smoke.policyInit === 'mjrl' ? 'last-layer-0.01' : 'mjrl',
};

const entropyOf = (results: RunResults, encoder: string): EntropyRecord => results.entropy.find((e) => e.encoder === encoder)!;

describe('the probe set', () => {
  it('holds every registered cortexbench task in name order with the fixed seeds, steps and size', () => {
    const set = cortexbenchProbeSet();
    expect(set.tasks.map((t) => t.name)).toEqual(listTasks('cortexbench').map((t) => t.name).sort());
    expect(set.tasks.map((t) => t.version)).toEqual(set.tasks.map((t) => getTask(t.name).version));
    expect(set.tasks.map((t) => t.camera)).toEqual(set.tasks.map((t) => getTask(t.name).defaultCamera));
    expect(set.episodeSeeds).toEqual([...ENTROPY_PROBE_SEEDS]);
    expect(set.frameSteps).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60, 66, 72, 78, 84, 90]);
    expect(set.frameSteps).toEqual([...ENTROPY_PROBE_STEPS]);
    expect(set.imageSize).toBe(256);
    expect(set.look).toEqual(observationLook(256));
  });

  it('has a digest that changes with the tasks, their versions and the look but not with the task order', () => {
    const tasks = listTasks('cortexbench');
    const digest = expertProbeSet(tasks).digest;
    expect(expertProbeSet([...tasks].reverse()).digest).toBe(digest);
    expect(expertProbeSet(tasks.slice(1)).digest).not.toBe(digest);
    const bumped = tasks.map((t, i) => (i === 0 ? { ...t, version: t.version + 1 } : t));
    expect(expertProbeSet(bumped).digest).not.toBe(digest);
    const { digest: _digest, ...definition } = expertProbeSet(tasks);
    expect(probeSet(definition).digest).toBe(digest);
    expect(probeSet({ ...definition, look: { supersample: 4, textureFilter: 'linear' } }).digest).not.toBe(digest);
    expect(() => expertProbeSet([])).toThrow(/at least one task/);
  });

  it('is what the real run dependencies measure on (the runs below are given a smaller one)', () => {
    expect(defaultRunDependencies().entropyProbe().set).toEqual(cortexbenchProbeSet());
    expect(probe.set.tasks.map((t) => t.name)).toEqual(probeTasks);
  });
});

describe('feature-norm entropy on the probe', () => {
  let frames: FrameBatch;
  let reference: { pixels: NormEntropy; cells: NormEntropy };
  let first: RunResults;

  beforeAll(async () => {
    frames = await probe.frames(cacheA, () => {});
    const pixels = await createEncoder('pixels');
    reference = { pixels: await featureNormEntropy(pixels, frames), cells: await featureNormEntropy(cellColours, frames) };
    // Run 1: one task, the smoke profile; its entropy is computed from scratch (the cache holds only probe states).
    first = (
      await runBenchmark({
        benchmark: 'cortexbench', tasks: ['reacher-easy'], encoders: ['pixels', 'cells-4'], profile: smoke,
        out: join(root, 'one-task'), cacheDir: cacheA, quiet: true, log: () => {}, deps,
      })
    ).results;
  });

  it('renders 16 frames of each of 4 episodes of every task at 256 px, identically from the cached rollouts', async () => {
    expect([frames.n, frames.height, frames.width]).toEqual([probeTasks.length * 4 * 16, 256, 256]);
    const again = await probe.frames(cacheA, () => {});
    expect(Buffer.compare(Buffer.from(again.data), Buffer.from(frames.data))).toBe(0);
    // Frames differ between tasks, episodes and steps (the probe is not one picture repeated).
    const frame = (i: number): Buffer => Buffer.from(frames.data.subarray(i * 256 * 256 * 3, (i + 1) * 256 * 256 * 3));
    expect(new Set([0, 1, 16, 48, 64, 65, 80, 127].map((i) => frame(i).toString('base64'))).size).toBe(8);
  });

  it('rolls the probe out in worker threads into the same files and frames as in this thread', async () => {
    const cacheWorkers = join(root, 'cache-workers');
    const viaWorkers = await renderProbeFrames(probe.set, cacheWorkers, () => {}, undefined, 2);
    expect(Buffer.compare(Buffer.from(viaWorkers.data), Buffer.from(frames.data))).toBe(0);
    const files = (cache: string): Map<string, string> =>
      new Map(
        (readdirSync(join(cache, 'probe'), { recursive: true }) as string[])
          .filter((name) => name.endsWith('.bdemo'))
          .map((name) => [name, createHash('sha256').update(readFileSync(join(cache, 'probe', name))).digest('hex')]),
      );
    const inThread = files(cacheA);
    expect(inThread.size).toBe(probeTasks.length * ENTROPY_PROBE_SEEDS.length);
    expect(files(cacheWorkers)).toEqual(inThread);
  });

  it('is the full-probe value in a one-task run, with the sensitivity to the bin count and the source recorded', () => {
    const pixels = entropyOf(first, 'pixels');
    expect(pixels.result).toEqual(reference.pixels);
    expect(pixels.probe).toEqual(probe.set);
    expect(pixels.result.byBins.map((b) => b.bins)).toEqual([50, 100, 200]);
    expect(pixels.result.byBins[1]!.entropy).toBe(pixels.result.entropy);
    expect([pixels.result.source, pixels.result.norms]).toEqual(['pooled', frames.n]);
    const cells = entropyOf(first, 'cells-4');
    expect(cells.result).toEqual(reference.cells);
    expect([cells.result.source, cells.result.norms]).toEqual(['spatial', frames.n * 16]);
    const csv = readFileSync(join(root, 'one-task', 'results.csv'), 'utf8');
    expect(csv).toContain(`spatial: 16 per frame x ${frames.n} frames`);
    expect(csv).toContain(`pooled: 1 per frame x ${frames.n} frames`);
  });

  it('is identical in a run with other tasks, another profile and a fresh entropy cache', async () => {
    const cacheB = join(root, 'cache-b');
    // Only the probe's expert rollouts are copied: the entropy is measured again on frames rendered again.
    cpSync(join(cacheA, 'probe'), join(cacheB, 'probe'), { recursive: true });
    const second = (
      await runBenchmark({
        benchmark: 'cortexbench', tasks: ['button-press-topdown', 'reacher-easy'], encoders: ['pixels', 'cells-4'], profile: other,
        out: join(root, 'two-tasks'), cacheDir: cacheB, quiet: true, log: () => {}, deps,
      })
    ).results;
    expect(second.cells.map((c) => c.imageSize)).toEqual([96, 96, 96, 96]);
    for (const encoder of ['pixels', 'cells-4']) expect(entropyOf(second, encoder)).toEqual(entropyOf(first, encoder));
  });

  it('is not taken from a record or cache entry of another probe set', async () => {
    const random = syntheticProbe(6, 32, 9);
    const report = await runBenchmark({
      benchmark: 'cortexbench', tasks: ['reacher-easy'], encoders: ['pixels'], profile: smoke,
      out: join(root, 'one-task'), cacheDir: cacheA, quiet: true, log: () => {}, deps: { ...deps, entropyProbe: () => random },
    });
    const record = entropyOf(report.results, 'pixels');
    expect(record.probe.digest).toBe(random.set.digest);
    expect(record.result).toEqual(await featureNormEntropy(await createEncoder('pixels'), await random.frames(root, () => {})));
    expect(record.result.entropy).not.toBe(reference.pixels.entropy);
  });

  it("gives the full-probe value in issue 8's reproduction: a one-task run, then more tasks in the same --out", async () => {
    const out = join(root, 'cli');
    const run = (tasks: string): Promise<void> =>
      main(['run', '--profile', 'smoke', '--tasks', tasks, '--encoders', 'pixels', '--out', out, '--cache-dir', cacheA, '--quiet'], deps);
    await run('reacher-easy');
    const one = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    await run('reacher-easy,button-press-topdown');
    const two = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(two.cells).toHaveLength(2);
    expect(entropyOf(one, 'pixels').result).toEqual(reference.pixels);
    expect(entropyOf(two, 'pixels').result).toEqual(reference.pixels);
  });
});
