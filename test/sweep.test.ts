/**
 * `bench sweep` end to end on a real task, demos, renderer and tfjs policies with tiny settings, with a small fake
 * encoder (mean colour per image quarter): per-split rows and summary, resume and shards, the feature cache keyed
 * by scene, and the errors for bad sweep input.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { loadOrComputeFeatures, featureCacheKey } from '../src/data/features.js';
import { loadOrGenerateDemos } from '../src/data/demos.js';
import type { Encoder, FrameBatch } from '../src/encoders/encoder.js';
import { Env } from '../src/envs/env.js';
import { LocalVectorEnv } from '../src/envs/vector_env.js';
import '../src/envs/index.js';
import type { FactorName } from '../src/envs/factors/factor_table.js';
import { trainingSet } from '../src/envs/factors/variant_sets.js';
import { getTask } from '../src/envs/registry.js';
import { observationLook } from '../src/protocol/render_settings.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import type { RunDependencies } from '../src/run/deps.js';
import { mergeRuns } from '../src/run/merge.js';
import { planCells } from '../src/run/plan.js';
import { runTask } from '../src/run/resolved.js';
import { linkDemoPrefixes, trainingScenes } from '../src/run/scenes.js';
import { runBenchmark } from '../src/run/runner.js';
import type { RunResults } from '../src/results/schema.js';
import { SWEEP_CSV_COLUMNS } from '../src/results/sweep_csv.js';
import { standardError, summariseSweep } from '../src/results/sweep_summary.js';
import { syntheticProbe } from './helpers/synthetic_probe.js';
import { valuesOf } from './helpers/frames.js';
import { runOptionsIn } from './helpers/run_options.js';
import { tinyProfile } from './helpers/tiny_profile.js';

const root = mkdtempSync(join(tmpdir(), 'bench-sweep-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cacheDir = join(root, 'cache');

/** Mean RGB of each image quarter: pooled [12]. */
function quarterEncoder(): Encoder & { frames: number } {
  const encoder = {
    frames: 0,
    info: { id: 'quarters', inputSize: 2, normalisation: null, pooledDim: 12, spatial: null, parameterCount: 0, digest: 'fake-quarters' },
    async encode(batch: FrameBatch) {
      encoder.frames += batch.n;
      const { n, height: H, width: W } = batch;
      const pooled = new Float32Array(n * 12);
      for (let i = 0; i < n; i++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const q = (y < H / 2 ? 0 : 2) + (x < W / 2 ? 0 : 1);
            for (let c = 0; c < 3; c++) pooled[i * 12 + q * 3 + c] += batch.data[((i * H + y) * W + x) * 3 + c]! / 255 / ((H * W) / 4);
          }
        }
      }
      return { pooled };
    },
    async dispose() {},
  };
  return encoder;
}

const fake = quarterEncoder();
const realDeps = defaultRunDependencies();
const deps: RunDependencies = {
  ...realDeps,
  parseEncoderSpec: (text) => (text === 'quarters' ? { ...realDeps.parseEncoderSpec('pixels'), text } : realDeps.parseEncoderSpec(text)),
  createEncoder: async (spec, options) => (spec.text === 'quarters' ? fake : realDeps.createEncoder(spec, options)),
  // The protocol's probe (expert rollouts of every cortexbench task) is not this file's subject.
  entropyProbe: () => syntheticProbe(),
};

const tiny = tinyProfile({ seeds: [1, 2] });

const options = runOptionsIn(root, {
  benchmark: 'factorworld',
  tasks: ['button-press-topdown'],
  encoders: ['quarters'],
  profile: tiny,
  cacheDir,
  deps,
  sweep: { factorSets: [['table-texture']], ks: [1, 2], splits: ['unseen', 'seen'] },
});

const readJson = (out: string): RunResults => JSON.parse(readFileSync(join(root, out, 'results.json'), 'utf8')) as RunResults;
const csvLines = (out: string, file = 'results.csv'): string[] => readFileSync(join(root, out, file), 'utf8').trim().split('\n');

describe('bench sweep', () => {
  let first: RunResults;

  beforeAll(async () => {
    const report = await runBenchmark(options('a'));
    expect(report.ran).toBe(4);
    first = readJson('a');
  });

  it('writes one row per task x encoder x factor set x K x split x seed, each naming its split and scenes', () => {
    const lines = csvLines('a');
    expect(lines[0]).toBe(SWEEP_CSV_COLUMNS.join(','));
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [SWEEP_CSV_COLUMNS[i]!, v])));
    expect(rows.map((r) => `${r.factors}/k${r.k}/s${r.seed}/${r.split}`)).toEqual([
      'table-texture/k1/s1/seen',
      'table-texture/k1/s1/unseen',
      'table-texture/k1/s2/seen',
      'table-texture/k1/s2/unseen',
      'table-texture/k2/s1/seen',
      'table-texture/k2/s1/unseen',
      'table-texture/k2/s2/seen',
      'table-texture/k2/s2/unseen',
    ]);
    for (const r of rows) {
      expect(r.demos_per_value).toBe('1');
      expect(r.demos).toBe(r.k);
      expect(r.train_scenes).toMatch(/^[0-9a-f]{16}$/);
      expect(r.eval_scenes).toMatch(/^[0-9a-f]{16}$/);
      expect(r.eval_episodes).toBe('2');
      expect(r.episode_scores.split(' ')).toHaveLength(2);
    }
    // Seen evaluates in other scenes than unseen, and K = 2 trains in other scenes than K = 1.
    expect(rows[0]!.eval_scenes).not.toBe(rows[1]!.eval_scenes);
    expect(rows[0]!.train_scenes).not.toBe(rows[4]!.train_scenes);
    expect(rows[0]!.eval_scenes).toBe(rows[2]!.eval_scenes);
    const files = readdirSync(join(root, 'a', 'cells')).sort();
    expect(files).toHaveLength(4);
    ['k1__quarters-[0-9a-f]{8}__s1', 'k1__quarters-[0-9a-f]{8}__s2', 'k2__quarters-[0-9a-f]{8}__s1', 'k2__quarters-[0-9a-f]{8}__s2'].forEach((name, i) =>
      expect(files[i]).toMatch(new RegExp(`^button-press-topdown__table-texture-${name}\\.json$`)),
    );
  });

  it('summarises seen, unseen, gap and relative drop per factor set and K, mean +- SE over seeds', () => {
    const summary = first.sweep!.summary;
    expect(first.sweep!.splits).toEqual(['seen', 'unseen']);
    expect(summary.map((r) => `${r.task}/${r.factors}/${r.k}`)).toEqual(['button-press-topdown/table-texture/1', 'button-press-topdown/table-texture/2']);
    const k1 = first.cells.filter((c) => c.sweep!.k === 1);
    const seen = k1.map((c) => c.sweep!.splits.find((s) => s.split === 'seen')!.score);
    const unseen = k1.map((c) => c.sweep!.splits.find((s) => s.split === 'unseen')!.score);
    const gaps = seen.map((s, i) => s - unseen[i]!);
    expect(summary[0]!.splits.seen).toEqual({ mean: (seen[0]! + seen[1]!) / 2, se: standardError(seen), n: 2 });
    expect(summary[0]!.gap).toEqual({ mean: (gaps[0]! + gaps[1]!) / 2, se: standardError(gaps) });
    expect(csvLines('a', 'sweep_summary.csv')).toHaveLength(1 + 4);
    // The cell's best epoch is the seen split's; every split reports its score at that epoch.
    for (const c of first.cells) {
      for (const s of c.sweep!.splits) expect(s.score).toBe(s.evaluations.find((e) => e.epoch === c.bestEpoch)!.score);
      expect(c.bestScore).toBe(c.sweep!.splits[0]!.score);
    }
  });

  it('mean over tasks, and the standard error of one seed is 0', () => {
    const cell = (task: string, seed: number, seen: number, unseen: number) =>
      ({ task, encoder: 'e', seed, sweep: { factors: ['light'], k: 1, splits: [{ split: 'seen', score: seen }, { split: 'unseen', score: unseen }] } }) as unknown as RunResults['cells'][number];
    const rows = summariseSweep([cell('a', 1, 100, 50), cell('b', 1, 60, 60), cell('a', 2, 80, 40), cell('b', 2, 40, 20)], ['seen', 'unseen']);
    const all = rows.find((r) => r.task === '*')!;
    expect(all.splits.seen!.mean).toBe(70);
    expect(all.gap!.mean).toBe(27.5); // per seed: (80 - 55) and (60 - 30)
    expect(all.relativeDrop).toBeCloseTo(27.5 / 70, 12);
    expect(standardError([5])).toBe(0);
  });

  it('does no work when rerun; resumes; shards partition the sweep', async () => {
    const before = fake.frames;
    const again = await runBenchmark(options('a'));
    expect([again.ran, again.skipped]).toEqual([0, 4]);
    expect(fake.frames).toBe(before);
    const shards = [0, 1].map((index) => runBenchmark(options('sharded', { shard: { index, count: 2 } })));
    const reports = [];
    for (const s of shards) reports.push(await s);
    expect(reports.map((r) => r.ran)).toEqual([2, 2]);
    const merged = readJson('sharded');
    const strip = (r: RunResults) => r.cells.map((c) => ({ ...c, timings: null, versions: null }));
    expect(strip(merged)).toEqual(strip(first));
    const plan = planCells(['t'], ['e'], [1], undefined, [{ factors: ['light'], k: 1 }, { factors: ['light'], k: 5 }]);
    expect(plan.map((c) => c.training!.k)).toEqual([1, 5]);
  });

  it('bench merge joins sweep shards run into separate directories into the unsharded results', async () => {
    for (const index of [0, 1]) await runBenchmark(options(`shard-${index}`, { shard: { index, count: 2 } }));
    const report = mergeRuns([join(root, 'shard-0'), join(root, 'shard-1')], join(root, 'merged'));
    expect(report.missing).toEqual([]);
    const strip = (r: RunResults) => r.cells.map((c) => ({ ...c, timings: null, versions: null }));
    expect(strip(readJson('merged'))).toEqual(strip(first));
    expect(readJson('merged').sweep).toEqual(first.sweep);
    // A merge of one shard names the cells (with their factor set and K) the other would have run.
    const half = mergeRuns([join(root, 'shard-0')], join(root, 'half'));
    expect(half.missing.map((c) => `${c.training!.factors.join('+')}/k${c.training!.k}/s${c.seed}`)).toEqual(['table-texture/k1/s2', 'table-texture/k2/s2']);
  });

  it('K = 1 takes its features from K = 2 (its demos are their start) and evaluates all splits together, with the numbers of a run alone', async () => {
    // Only K = 2's features were rendered and encoded: K = 1's demos are its first episode.
    expect(readdirSync(join(cacheDir, 'features', 'button-press-topdown'))).toHaveLength(1);
    // K = 1 alone, seen alone, from a cold cache: its own features, its evaluation in smaller batches.
    const alone = await runBenchmark(options('k1-seen', { seeds: [2], cacheDir: join(root, 'cache-k1'), sweep: { factorSets: [['table-texture']], ks: [1], splits: ['seen'] } }));
    expect(alone.ran).toBe(1);
    const seenOf = (c: RunResults['cells'][number]) => c.sweep!.splits.find((s) => s.split === 'seen')!;
    const shared = first.cells.find((c) => c.sweep!.k === 1 && c.seed === 2)!;
    const own = alone.results.cells[0]!;
    expect([shared.featurePrecision, shared.bestEpoch, shared.scenes]).toEqual([own.featurePrecision, own.bestEpoch, own.scenes]);
    expect(seenOf(shared).evaluations).toEqual(seenOf(own).evaluations);
  });

  it('refuses to mix a sweep with other splits into one directory', async () => {
    await expect(runBenchmark(options('a', { sweep: { factorSets: [['table-texture']], ks: [1, 2], splits: ['seen', 'novel-assets'] } }))).rejects.toThrow(/holds results of another configuration/);
  });
});

describe('feature cache and scenes', () => {
  it('features of two scene variants never share an entry, even from the same seeds through one replay env', async () => {
    const task = getTask('button-press-topdown');
    const cache = join(root, 'variant-cache');
    const [a, b] = trainingSet(task, ['table-texture'], 2, 1).variants;
    const set = (variant: typeof a) => ({ factors: ['table-texture' as const], split: 'train' as const, variants: [variant!], cadence: 1 });
    const demosA = await loadOrGenerateDemos(task, { episodes: 1, seed: 4, variants: set(a), cacheDir: cache });
    const demosB = await loadOrGenerateDemos(task, { episodes: 1, seed: 4, variants: set(b), cacheDir: cache });
    // Same seed and expert in visually different scenes: the same states, but different demo sets.
    expect(Buffer.from(demosA.episodes[0]!.states.buffer).equals(Buffer.from(demosB.episodes[0]!.states.buffer))).toBe(true);
    expect(demosA.key).not.toBe(demosB.key);
    const env = await Env.make(task);
    try {
      const request = (demos: typeof demosA) => ({ task, demos, encoder: quarterEncoder(), envs: new LocalVectorEnv([env]), kind: 'pooled' as const, render: { imageSize: 64, camera: task.defaultCamera, ...observationLook(64) }, maxSteps: 4, cacheDir: cache, quiet: true });
      const fa = await loadOrComputeFeatures(request(demosA));
      const fb = await loadOrComputeFeatures(request(demosB));
      expect(fb.cached).toBe(false);
      expect(featureCacheKey(request(demosA))).not.toBe(featureCacheKey(request(demosB)));
      expect(Array.from(valuesOf(fa))).not.toEqual(Array.from(valuesOf(fb)));
      // Even a demo set whose key is forged to match keeps its own entry: the key names every episode's scene.
      const forged = { ...demosA, episodes: demosB.episodes };
      expect(featureCacheKey(request(forged))).not.toBe(featureCacheKey(request(demosA)));
      expect(readdirSync(join(cache, 'features', task.name))).toHaveLength(2);
      // Reading back gives each scene its own features.
      expect(Array.from(valuesOf(await loadOrComputeFeatures(request(demosA))))).toEqual(Array.from(valuesOf(fa)));
    } finally {
      env.close();
    }
  });
});

describe('shared demo prefixes', () => {
  it('links a training to the largest one whose demo episodes start with its own, and to no other', () => {
    const task = getTask('button-press-topdown');
    const protocol = { ...runTask(tiny, task).protocol };
    const scenes = (factors: FactorName[], k: number, demosPerValue: number) =>
      trainingScenes(task, protocol, { factors, k }, { demosPerValue, evalEpisodes: 2 });
    const [k1, k2, k5, camera1] = [scenes(['table-texture'], 1, 3), scenes(['table-texture'], 2, 3), scenes(['table-texture'], 5, 3), scenes(['camera'], 1, 3)];
    const linked = linkDemoPrefixes([k1, k2, k5, camera1]);
    expect(linked.map((t) => t.demoPrefixOf?.digest)).toEqual([k5.digest, k5.digest, undefined, undefined]);
    // Fewer demos per value: K = 5's episodes 1 and 2 are in its second value, not K = 1's.
    expect(linkDemoPrefixes([k1, scenes(['table-texture'], 5, 1)])[0]!.demoPrefixOf).toBeUndefined();
    // Only among the given sources (the trainings a process plans).
    expect(linkDemoPrefixes([k1, k5], [k1])[0]!.demoPrefixOf).toBeUndefined();
  });
});

describe('bad sweep input names what is wrong and what is valid', () => {
  const sweep = (...args: string[]) => main(['sweep', '--profile', 'smoke', '--tasks', 'button-press-topdown', '--out', join(root, 'bad'), ...args]);

  it('unknown factor or split', async () => {
    await expect(sweep('--factors', 'table-colour')).rejects.toThrow(/unknown factor 'table-colour' in 'table-colour'; factors: camera, light, table-texture/);
    await expect(sweep('--factors', 'camera', '--splits', 'seen,held-out')).rejects.toThrow(/unknown split 'held-out'; splits: seen, unseen, out-of-range, novel-assets/);
    await expect(sweep('--factors', 'camera', '--splits', 'seen,novel-assets')).rejects.toThrow(/factor 'camera' has no 'novel-assets' split; its splits: seen, unseen, out-of-range/);
    await expect(runBenchmark(options('bad-split', { sweep: { factorSets: [['camera']], ks: [1], splits: ['unseen'] } }))).rejects.toThrow(/the splits must include 'seen'/);
  });

  it('K larger than the pool, a bad K list', async () => {
    await expect(sweep('--factors', 'table-texture', '--k', '1,90')).rejects.toThrow(/K = 90 is too large for factor 'table-texture': its training pool has 81 values/);
    await expect(sweep('--factors', 'camera', '--k', '1,1')).rejects.toThrow(/--k: 1 is listed twice/);
    await expect(sweep('--factors', 'camera', '--k', '0')).rejects.toThrow(/--k: '0' is not an integer >= 1/);
  });

  it('a pair naming the same factor twice, or one factor set twice', async () => {
    await expect(sweep('--factors', 'camera+camera')).rejects.toThrow(/factor set 'camera\+camera' names factor 'camera' twice/);
    await expect(sweep('--factors', 'light+camera,camera+light')).rejects.toThrow(/--factors: 'camera\+light' is the same factor set as 'light\+camera'/);
  });

  it('a factor that does not apply to a task', async () => {
    await expect(main(['sweep', '--suite', 'cortexbench', '--tasks', 'reacher-easy', '--factors', 'object-texture', '--profile', 'smoke', '--out', join(root, 'bad')])).rejects.toThrow(
      /factor 'object-texture' does not apply to task 'reacher-easy': it has no object material/,
    );
  });
});
