import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Env } from '../src/envs/env.js';
import { CacheFileError } from '../src/data/cache_file.js';
import { encodeDemoEpisode, readDemoEpisode } from '../src/data/demo_file.js';
import { demoEpisodePath, demoEpisodeSeed, demoEpisodeSeeds, demoExpertFor, demoSetKey, loadOrGenerateDemos, summarizeEpisodes } from '../src/data/demos.js';
import { ExpertRollout, restoreDemoState, type DemoEpisode } from '../src/envs/expert_rollout.js';
import { canonicalVariant, sceneVariant, variantDigest } from '../src/envs/factors/variant.js';
import { trainingSet } from '../src/envs/factors/variant_sets.js';
import { listTasks } from '../src/envs/registry.js';
import { pointMassTask } from './fixtures/point_mass_task.js';

const task = pointMassTask();
const canonicalScene = variantDigest(canonicalVariant(task));
const dirs: string[] = [];
function tempCache(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-demos-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function expectSameEpisode(a: DemoEpisode, b: DemoEpisode): void {
  expect(a.seed).toBe(b.seed);
  expect(a.length).toBe(b.length);
  expect(a.episodeReturn).toBe(b.episodeReturn);
  expect(a.success).toBe(b.success);
  for (const key of ['states', 'proprio', 'actions', 'rewards', 'successes'] as const) {
    expect(a[key].constructor).toBe(b[key].constructor);
    expect(Buffer.from(a[key].buffer, a[key].byteOffset, a[key].byteLength).equals(Buffer.from(b[key].buffer, b[key].byteOffset, b[key].byteLength))).toBe(true);
  }
}

describe('demo seeds', () => {
  it('derives distinct, prefix-stable episode seeds from a base seed', () => {
    const seeds = demoEpisodeSeeds(7, 200);
    expect(new Set(seeds).size).toBe(200);
    expect(demoEpisodeSeeds(7, 25)).toEqual(seeds.slice(0, 25));
    expect(demoEpisodeSeeds(8, 5)).not.toEqual(seeds.slice(0, 5));
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
    expect(demoEpisodeSeed(7, 3)).toBe(seeds[3]);
  });

  it('rejects bad seeds and counts with a message naming the input', () => {
    expect(() => demoEpisodeSeeds(-1, 3)).toThrow(/base seed must be an integer/);
    expect(() => demoEpisodeSeeds(1.5, 3)).toThrow(/base seed/);
    expect(() => demoEpisodeSeeds(1, 0)).toThrow(/episodes must be a positive integer, got 0/);
    expect(() => demoEpisodeSeeds(1, Number.NaN)).toThrow(/episodes must be a positive integer, got NaN/);
  });
});

describe('demo store', () => {
  it('stores states before each action, clipped actions and per-step results', async () => {
    const rollout = await ExpertRollout.create(task);
    try {
      const episode = rollout.episode(demoEpisodeSeed(0, 0));
      expect(episode.length).toBe(task.horizon);
      expect(episode.states.length).toBe(task.horizon * episode.stateSize);
      expect(episode.actions.length).toBe(task.horizon);
      expect(Math.max(...episode.actions)).toBeLessThanOrEqual(1);
      expect(Math.min(...episode.actions)).toBeGreaterThanOrEqual(-1);
      // The expert's raw actions saturate, so clipping must have happened and be what is stored.
      expect(episode.actions.some((a) => Math.abs(a) === 1)).toBe(true);
      expect(episode.episodeReturn).toBeCloseTo(episode.rewards.reduce((a, b) => a + b, 0), 12);
      expect(episode.success).toBe(episode.successes[episode.length - 1] === 1);
      // State 0 is the reset state: proprio (x) matches qpos, which follows time in mjSTATE_FULLPHYSICS.
      expect(episode.states[1]).toBeCloseTo(episode.proprio[0]!, 6);
      // Restoring a recorded state reproduces it exactly, which is what re-rendering relies on.
      const env = await Env.make(task);
      try {
        const t = 17;
        const state = episode.states.slice(t * episode.stateSize, (t + 1) * episode.stateSize);
        env.physics.setState(state);
        expect(env.physics.getState()).toEqual(state);
        expect(env.task.proprio(env.physics)[0]).toBe(episode.proprio[t]);
      } finally {
        env.close();
      }
    } finally {
      rollout.close();
    }
  });

  it('loads exactly what it generated, and generation is deterministic', async () => {
    const cacheDir = tempCache();
    const generated = await loadOrGenerateDemos(task, { episodes: 4, seed: 3, cacheDir });
    expect(generated.loaded).toBe(0);
    expect(generated.episodes.map((e) => e.seed)).toEqual(demoEpisodeSeeds(3, 4));
    expect(readdirSync(generated.dir).sort()).toEqual(demoEpisodeSeeds(3, 4).map((s) => `seed-${s}.bdemo`).sort());

    const progress: number[] = [];
    const loaded = await loadOrGenerateDemos(task, { episodes: 4, seed: 3, cacheDir, onProgress: (p) => progress.push(p.loaded) });
    expect(loaded.loaded).toBe(4);
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(loaded.key).toBe(generated.key);
    for (let i = 0; i < 4; i++) expectSameEpisode(loaded.episodes[i]!, generated.episodes[i]!);

    const elsewhere = await loadOrGenerateDemos(task, { episodes: 2, seed: 3, cacheDir: tempCache() });
    for (let i = 0; i < 2; i++) expectSameEpisode(elsewhere.episodes[i]!, generated.episodes[i]!);
  });

  it('resumes: only a deleted episode is generated again, other files are left untouched', async () => {
    const cacheDir = tempCache();
    const first = await loadOrGenerateDemos(task, { episodes: 5, seed: 11, cacheDir });
    const identity = { task: task.name, taskVersion: task.version, expert: 'pd', scene: canonicalScene, maxSteps: null };
    const paths = first.episodes.map((e) => demoEpisodePath(cacheDir, identity, e.seed));
    // Make the kept files look old so that a rewrite would show in their mtime.
    const old = new Date(2020, 0, 1);
    for (const p of paths) utimesSync(p, old, old);
    unlinkSync(paths[2]!);

    const second = await loadOrGenerateDemos(task, { episodes: 5, seed: 11, cacheDir });
    expect(second.loaded).toBe(4);
    paths.forEach((p, i) => expect(statSync(p).mtime.getTime() === old.getTime()).toBe(i !== 2));
    expectSameEpisode(second.episodes[2]!, first.episodes[2]!);
  });

  it('shards partition a set: separate calls fill one cache that a full call then reads', async () => {
    const cacheDir = tempCache();
    const a = await loadOrGenerateDemos(task, { episodes: 5, seed: 2, cacheDir, shard: { index: 0, count: 2 } });
    const b = await loadOrGenerateDemos(task, { episodes: 5, seed: 2, cacheDir, shard: { index: 1, count: 2 } });
    const seeds = demoEpisodeSeeds(2, 5);
    expect(a.episodes.map((e) => e.seed)).toEqual([seeds[0], seeds[2], seeds[4]]);
    expect(b.episodes.map((e) => e.seed)).toEqual([seeds[1], seeds[3]]);
    expect(a.key).toBe(b.key);
    const full = await loadOrGenerateDemos(task, { episodes: 5, seed: 2, cacheDir });
    expect(full.loaded).toBe(5);
    expect(full.key).toBe(a.key);
    await expect(loadOrGenerateDemos(task, { episodes: 5, seed: 2, cacheDir, shard: { index: 2, count: 2 } })).rejects.toThrow(/shard must have/);
  });

  it('regenerates a corrupt or foreign episode file instead of using it', async () => {
    const cacheDir = tempCache();
    const first = await loadOrGenerateDemos(task, { episodes: 2, seed: 5, cacheDir });
    const identity = { task: task.name, taskVersion: task.version, expert: 'pd', scene: canonicalScene, maxSteps: null };
    const [a, b] = first.episodes.map((e) => demoEpisodePath(cacheDir, identity, e.seed));
    writeFileSync(a!, 'not a demo');
    // A valid file of another seed under this seed's name must be rejected by its header.
    writeFileSync(b!, Buffer.concat(encodeDemoEpisode(identity, { ...first.episodes[0]! })));
    expect(() => readDemoEpisode(b!, identity, first.episodes[1]!.seed)).toThrow(CacheFileError);
    const again = await loadOrGenerateDemos(task, { episodes: 2, seed: 5, cacheDir });
    expect(again.loaded).toBe(0);
    expectSameEpisode(again.episodes[1]!, first.episodes[1]!);
    expect(readDemoEpisode(b!, identity, first.episodes[1]!.seed).seed).toBe(first.episodes[1]!.seed);
  });

  it('regenerates an episode whose stored arrays were changed (content hash), warning with the file name', async () => {
    const cacheDir = tempCache();
    const first = await loadOrGenerateDemos(task, { episodes: 2, seed: 6, cacheDir });
    const identity = { task: task.name, taskVersion: task.version, expert: 'pd', scene: canonicalScene, maxSteps: null };
    const path = demoEpisodePath(cacheDir, identity, first.episodes[0]!.seed);
    const good = readFileSync(path);
    // Actions 37x out of bounds, written over the stored ones: a well-formed file with wrong numbers.
    const actions = first.episodes[0]!.actions;
    const at = good.indexOf(Buffer.from(actions.buffer, actions.byteOffset, actions.byteLength));
    expect(at).toBeGreaterThan(0);
    const edited = Buffer.from(good);
    Buffer.from(new Float32Array(actions.map((a) => a * 37)).buffer).copy(edited, at);
    writeFileSync(path, edited);
    const warnings: string[] = [];
    const again = await loadOrGenerateDemos(task, { episodes: 2, seed: 6, cacheDir, warn: (line) => warnings.push(line) });
    expect(again.loaded).toBe(1);
    expectSameEpisode(again.episodes[0]!, first.episodes[0]!);
    expect(warnings).toEqual([`warning: demo file ${path}: content hash mismatch: the file was changed or damaged after it was written; generating the episode again`]);
    expect(readFileSync(path).equals(good)).toBe(true);
  });

  it('keys a demo set by task version, expert, every episode\'s scene, base seed and episode count', () => {
    const spec = { episodes: 10, seed: 1 };
    const base = demoSetKey(task, spec);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(demoSetKey(pointMassTask(), { ...spec })).toBe(base);
    expect(demoSetKey(pointMassTask({ version: 2 }), spec)).not.toBe(base);
    expect(demoSetKey(pointMassTask({ expertName: 'pd-v2' }), spec)).not.toBe(base);
    expect(demoSetKey(task, spec, 'other')).not.toBe(base);
    expect(demoSetKey(task, { ...spec, seed: 2 })).not.toBe(base);
    expect(demoSetKey(task, { ...spec, episodes: 11 })).not.toBe(base);
    // A step limit at or past the horizon is the full-horizon set; a shorter one is a set of its own.
    expect(demoSetKey(task, { ...spec, maxSteps: task.horizon })).toBe(base);
    expect(demoSetKey(task, { ...spec, maxSteps: 10 })).not.toBe(base);
    const lit = trainingSet(task, ['light'], 2, 5);
    expect(demoSetKey(task, { ...spec, variants: lit })).not.toBe(base);
    // Values in another key order are the same scene; another cadence gives other episodes other scenes.
    const shuffled = { ...lit, variants: lit.variants.map((v) => sceneVariant(task, JSON.parse(JSON.stringify(v.values, Object.keys(v.values).reverse())))) };
    expect(demoSetKey(task, { ...spec, variants: shuffled })).toBe(demoSetKey(task, { ...spec, variants: lit }));
    expect(demoSetKey(task, { ...spec, variants: trainingSet(task, ['light'], 2, 4) })).not.toBe(demoSetKey(task, { ...spec, variants: lit }));
  });

  it('records step-limited sets with the expert it is given, apart from the full-horizon set', async () => {
    const cacheDir = tempCache();
    const full = await loadOrGenerateDemos(task, { episodes: 2, seed: 4, cacheDir });
    let created = 0;
    const expert = {
      name: 'pd-copy',
      create: () => {
        created++;
        return pointMassTask({ expertName: 'pd-copy' }).createExpert();
      },
    };
    const short = await loadOrGenerateDemos(task, { episodes: 2, seed: 4, cacheDir, maxSteps: 10, expert });
    expect(created).toBe(1);
    expect(short.expert).toBe('pd-copy');
    expect(short.loaded).toBe(0);
    expect(short.dir).not.toBe(full.dir);
    expect(short.dir.endsWith(`${canonicalScene}-steps10`)).toBe(true);
    expect(short.key).not.toBe(full.key);
    // The same expert and seeds: a short episode is the start of the full one.
    short.episodes.forEach((e, i) => {
      expect(e.length).toBe(10);
      expect(Array.from(e.actions)).toEqual(Array.from(full.episodes[i]!.actions.subarray(0, 10 * e.actionDim)));
    });
    const again = await loadOrGenerateDemos(task, { episodes: 2, seed: 4, cacheDir, maxSteps: 10, expert });
    expect(again.loaded).toBe(2);
    expect(created).toBe(1);
    await expect(loadOrGenerateDemos(task, { episodes: 2, seed: 4, cacheDir, maxSteps: 0 })).rejects.toThrow(/maxSteps must be a positive integer/);
  });

  it('records in worker threads exactly what one thread records, each episode in its variant, and reads it back in seed order', async () => {
    await import('../src/envs/domains/index.js');
    const reacher = listTasks().find((t) => t.name === 'reacher-easy')!;
    // Two light values (3 and 2 episodes): workers are handed each episode's scene with its seed.
    const spec = { episodes: 5, seed: 9, maxSteps: 20, variants: trainingSet(reacher, ['light'], 2, 3) };
    const single = await loadOrGenerateDemos(reacher, { ...spec, cacheDir: tempCache() });
    const progress: number[] = [];
    const cacheDir = tempCache();
    const parallel = await loadOrGenerateDemos(reacher, { ...spec, cacheDir, workers: 2, onProgress: (p) => progress.push(p.done) });
    expect(parallel.loaded).toBe(0);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(parallel.key).toBe(single.key);
    parallel.episodes.forEach((e, i) => {
      expectSameEpisode(e, single.episodes[i]!);
      expect(variantDigest(e.variant)).toBe(variantDigest(single.episodes[i]!.variant));
    });
    expect(new Set(parallel.episodes.map((e) => variantDigest(e.variant))).size).toBe(2);
    expect((await loadOrGenerateDemos(reacher, { ...spec, cacheDir, workers: 2 })).loaded).toBe(5);
    // Workers rebuild the expert by name: one they cannot find is an error that says so.
    const stranger = { name: 'no-such-expert', create: () => reacher.createExpert() };
    await expect(loadOrGenerateDemos(reacher, { ...spec, cacheDir: tempCache(), workers: 2, expert: stranger })).rejects.toThrow(
      /demo worker \(task 'reacher-easy'\): .*no demo expert named 'no-such-expert'/,
    );
  }, 60_000);

  it('records a task added at run time in this thread even when workers are asked for (workers cannot rebuild it)', async () => {
    const spec = { episodes: 3, seed: 12 };
    const single = await loadOrGenerateDemos(task, { ...spec, cacheDir: tempCache() });
    const asked = await loadOrGenerateDemos(task, { ...spec, cacheDir: tempCache(), workers: 2 });
    asked.episodes.forEach((e, i) => expectSameEpisode(e, single.episodes[i]!));
  });

  it('keeps sets of different task versions apart on disk', async () => {
    const cacheDir = tempCache();
    const v1 = await loadOrGenerateDemos(task, { episodes: 1, seed: 0, cacheDir });
    const v2 = await loadOrGenerateDemos(pointMassTask({ version: 2 }), { episodes: 1, seed: 0, cacheDir });
    expect(v2.loaded).toBe(0);
    expect(v2.dir).not.toBe(v1.dir);
  });

  it("records with the task's own expert under 'task', and under 'distilled' where the task has no distillation", async () => {
    const cacheDir = tempCache();
    expect(await demoExpertFor(task, 'task', { cacheDir })).toBeUndefined();
    const distilled = await demoExpertFor(task, 'distilled', { cacheDir });
    expect(distilled?.name).toBe(task.createExpert().name);
    expect(distilled?.seconds).toBe(0);
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});

describe('summarizeEpisodes', () => {
  it('scores DMC by return / 10, MetaWorld by success at the last step and Adroit by goal steps', () => {
    // The first episode ends solved after 3 successful steps; the second reaches the goal on 5 steps, not at the end.
    const episodes = [
      { episodeReturn: 900, success: true, successes: Uint8Array.of(0, 0, 1, 1, 1) },
      { episodeReturn: 500, success: false, successes: Uint8Array.of(1, 1, 1, 1, 1, 0) },
    ];
    expect(summarizeEpisodes(pointMassTask(), episodes)).toEqual({
      task: 'test-point-mass',
      episodes: 2,
      mean_return: 700,
      min_return: 500,
      success_rate: 0.5,
      mean_score: 70,
    });
    expect(summarizeEpisodes(pointMassTask({ family: 'metaworld' }), episodes).mean_score).toBe(50);
    const adroit = summarizeEpisodes(pointMassTask({ family: 'adroit', goalSteps: 4 }), episodes);
    expect([adroit.success_rate, adroit.mean_score]).toEqual([0.5, 50]);
    expect(() => summarizeEpisodes(task, [])).toThrow(/no episodes/);
  });
});

describe('recorded states of every registered task', () => {
  it('re-create the body poses of the rollout in a fresh environment (what re-rendering frames relies on)', async () => {
    await import('../src/envs/index.js');
    const tasks = listTasks().filter((t) => !t.benchmarks.includes('test'));
    expect(tasks.length).toBeGreaterThan(0);
    const geomPoses = (env: Env): Float64Array => Float64Array.from(env.physics.data.geom_xpos as Float64Array);
    for (const definition of tasks) {
      const rollout = await ExpertRollout.create(definition);
      const fresh = await Env.make(definition);
      try {
        const steps = 12;
        const episode = rollout.episode(demoEpisodeSeed(0, 0), { maxSteps: steps });
        expect(episode.length, definition.name).toBe(steps);
        // The fresh env starts in another episode, so any per-episode model edits differ until restored.
        fresh.reset({ seed: demoEpisodeSeed(0, 1) });
        for (const t of [0, 5, steps - 1]) {
          // Reference: the rollout's own simulator with the state set back (setState recomputes the poses).
          rollout.env.physics.setState(episode.states.slice(t * episode.stateSize, (t + 1) * episode.stateSize));
          restoreDemoState(fresh, episode, t);
          expect(geomPoses(fresh), `${definition.name} step ${t}`).toEqual(geomPoses(rollout.env));
        }
      } finally {
        fresh.close();
        rollout.close();
      }
    }
  });
});
