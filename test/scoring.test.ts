/**
 * What a run records, pinned by numbers computed by hand or in a few lines here: a stub policy whose evaluations
 * score known values (the test task rewards the action itself), so the best score, its epoch, the final score,
 * every evaluation and the task, family and benchmark means are known in advance; the evaluation episodes' reset
 * seeds (the task's proprio reveals them); and the feature-norm entropy recomputed from the probe frames with the
 * documented recipe.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEpisodeSeeds } from '../src/data/demos.js';
import { renderDemoFrames } from '../src/data/features.js';
import { renderProbeFrames } from '../src/data/probe_frames.js';
import { ExpertRollout } from '../src/envs/expert_rollout.js';
import { expertProbeSet } from '../src/protocol/entropy_probe.js';
import { Env } from '../src/envs/env.js';
import { registerTask } from '../src/envs/registry.js';
import type { TaskDefinition } from '../src/envs/task.js';
import type { BcDataset, BcPolicy, PolicySpec } from '../src/policies/policy.js';
import { getProfile, type Profile } from '../src/protocol/profiles.js';
import type { RunResults } from '../src/results/schema.js';
import { runCell } from '../src/run/cell.js';
import { configDigest, type RunConfig } from '../src/run/config.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import type { RunDependencies } from '../src/run/deps.js';
import { runEncoder, runTask, type ResolvedCell, type RunEncoder, type RunTask } from '../src/run/resolved.js';
import { RunResources } from '../src/run/resources.js';
import { runBenchmark } from '../src/run/runner.js';
import { evaluationScenes, trainingScenes } from '../src/run/scenes.js';
import { collectVersions } from '../src/run/versions.js';
import { Rng } from '../src/util/rng.js';
import { parseCsv } from './helpers/csv.js';
import { cellEncoder, cellIntensities, leftHalfRed, leftRedEncoder, type RecordingEncoder } from './helpers/fake_encoders.js';
import { scoreTask } from './fixtures/score_task.js';

/** A `bench run` cell: demos and evaluation in the task's canonical scene. */
function plainCell(task: RunTask, encoder: RunEncoder, seed: number): ResolvedCell {
  const { definition, protocol } = task;
  return { task, encoder, seed, training: trainingScenes(definition, protocol, null, null), evaluation: evaluationScenes(definition, protocol, null, [], null) };
}

const root = mkdtempSync(join(tmpdir(), 'bench-scoring-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cacheDir = join(root, 'cache');
const out = join(root, 'run');

// Two DMC-family tasks (the second rewards half the action) and a MetaWorld-family one (success when 0.8 a >= 0.35).
const TASKS: TaskDefinition[] = [
  scoreTask({ name: 'score-a', family: 'dmc', scale: 1 }),
  scoreTask({ name: 'score-b', family: 'dmc', scale: 0.5 }),
  scoreTask({ name: 'score-c', family: 'metaworld', scale: 0.8 }),
];
TASKS.forEach(registerTask);

/** The action each policy seed holds at its 1st, 2nd and 3rd evaluation. */
const SCHEDULES: Record<number, number[]> = { 1: [0.3, 0.7, 0.5], 2: [0.4, 0.2, 0.1] };
/** The training loss the stub reports for epoch e. */
const lossOf = (epoch: number): number => 0.125 * epoch;

/** Holds the scheduled action; records the proprio of each evaluation's first step (one value per episode). */
class StubPolicy implements BcPolicy {
  epochs = 0;
  readonly firstProprio: number[][] = [];
  private evaluating = -1;

  constructor(
    readonly spec: PolicySpec,
    private readonly schedule: number[],
  ) {}

  async trainEpoch(data: BcDataset): Promise<number> {
    expect(data.count).toBeGreaterThan(1);
    this.epochs++;
    return lossOf(this.epochs);
  }

  predict(_features: Float32Array, proprio: Float32Array, n: number): Float32Array {
    if (this.evaluating !== this.epochs) {
      this.evaluating = this.epochs;
      this.firstProprio.push(Array.from(proprio));
    }
    return new Float32Array(n * this.spec.actionDim).fill(this.schedule[this.epochs - 1]!);
  }

  async dispose(): Promise<void> {}
}

const fakes: Record<string, RecordingEncoder> = { cells: cellEncoder(4), 'left-red': leftRedEncoder() };
const policies: StubPolicy[] = [];
const realDeps = defaultRunDependencies();
const deps: RunDependencies = {
  ...realDeps,
  // The protocol's probe definition over this file's tasks (the cortexbench tasks are not registered here).
  entropyProbe: () => {
    const set = expertProbeSet(TASKS);
    return { set, frames: (cacheDir, warn) => renderProbeFrames(set, cacheDir, warn) };
  },
  parseEncoderSpec: (text) => ({ ...realDeps.parseEncoderSpec('pixels'), text }),
  createEncoder: async (spec) => fakes[spec.text]!,
  createPolicy: async (spec, seed) => {
    const policy = new StubPolicy(spec, SCHEDULES[seed]!);
    policies.push(policy);
    return policy;
  },
};

// 4 demos of 30 steps per task: 360 candidate probe frames, more than the probe's 256.
const profile: Profile = {
  ...getProfile('smoke'),
  families: {
    dmc: { demos: 4, evalEpisodes: 2, horizon: 30 },
    metaworld: { demos: 4, evalEpisodes: 2, horizon: 30 },
    adroit: { demos: 4, evalEpisodes: 2, horizon: 30 },
  },
  tasks: {},
  epochs: 3,
  evalEvery: 1,
  imageSize: 64,
  seeds: [1, 2],
};

let results: RunResults;
let csv: Record<string, string>[];
beforeAll(async () => {
  const report = await runBenchmark({
    benchmark: 'test-scores',
    encoders: ['cells', 'left-red'],
    profile,
    out,
    cacheDir,
    quiet: true,
    log: () => {},
    deps,
  });
  expect(report.ran).toBe(12);
  results = report.results;
  csv = parseCsv(readFileSync(join(out, 'results.csv'), 'utf8'));
});

describe('scores', () => {
  const row = (task: string, encoder: string, seed: number): Record<string, string> =>
    csv.find((r) => r.task === task && r.encoder === encoder && r.seed === String(seed))!;

  it('records the best evaluation as the score, its epoch, the final score and every evaluation', () => {
    for (const encoder of ['cells', 'left-red']) {
      expect(row('score-a', encoder, 1)).toMatchObject({ score: '70.000', best_epoch: '2', final_score: '50.000', evaluations: '1:30.00 2:70.00 3:50.00' });
      expect(row('score-a', encoder, 2)).toMatchObject({ score: '40.000', best_epoch: '1', final_score: '10.000', evaluations: '1:40.00 2:20.00 3:10.00' });
      expect(row('score-b', encoder, 1)).toMatchObject({ score: '35.000', best_epoch: '2', final_score: '25.000', evaluations: '1:15.00 2:35.00 3:25.00' });
      // Success rates: the earliest of equal evaluations is the best.
      expect(row('score-c', encoder, 1)).toMatchObject({ score: '100.000', best_epoch: '2', final_score: '100.000', evaluations: '1:0.00 2:100.00 3:100.00' });
      expect(row('score-c', encoder, 2)).toMatchObject({ score: '0.000', best_epoch: '1', final_score: '0.000', evaluations: '1:0.00 2:0.00 3:0.00' });
      expect(row('score-a', encoder, 1).final_train_loss).toBe(lossOf(3).toFixed(6));
    }
    const cell = results.cells.find((c) => c.task === 'score-a' && c.seed === 1)!;
    expect(cell.evaluations.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(cell.evaluations.map((e) => e.trainLoss)).toEqual([1, 2, 3].map(lossOf));
    // Per-episode scores: 100 x the mean per-step reward of a held action (float32 actions).
    expect(cell.evaluations[1]!.episodeScores).toEqual([expect.closeTo(70, 4), expect.closeTo(70, 4)]);
    expect(cell.bestScore).toBeCloseTo(70, 4);
  });

  it('averages seeds per task, tasks per family and families for the benchmark mean', () => {
    // score-a: (70 + 40) / 2; score-b: (35 + 20) / 2; score-c: (100 + 0) / 2. DMC: (55 + 27.5) / 2 = 41.25.
    for (const summary of results.summary) {
      expect(summary.tasks).toEqual({ 'score-a': expect.closeTo(55, 4), 'score-b': expect.closeTo(27.5, 4), 'score-c': 50 });
      expect(summary.families).toEqual({ dmc: expect.closeTo(41.25, 4), metaworld: 50 });
      expect(summary.benchmarkMean).toBeCloseTo(45.625, 4);
    }
    expect(results.summary.map((s) => s.encoder)).toEqual(['cells', 'left-red']);
  });
});

describe('evaluation seeds', () => {
  /** The proprio u of an episode reset with `seed`: the first U(0, 1) draw of its Rng, as float32. */
  const uOf = (seed: number): number => Math.fround(new Rng(seed).uniform(0, 1));

  it('are 1000, 1001, ... for every evaluation of every cell (no demo seed among them), recorded as eval_seed_base', () => {
    const demoSeeds = demoEpisodeSeeds(0, 4);
    expect(demoSeeds.some((s) => s >= 1000 && s < 1010)).toBe(false);
    expect(policies).toHaveLength(12);
    for (const policy of policies) expect(policy.firstProprio).toEqual([[uOf(1000), uOf(1001)], [uOf(1000), uOf(1001)], [uOf(1000), uOf(1001)]]);
    for (const r of csv) expect([r.eval_seed_base, r.eval_episodes]).toEqual(['1000', '2']);
  });

  it('skip the seeds of the demos: with demo seeds 1000, 1002 and 1003 the episodes are 1001 and 1004', async () => {
    // The demo store hashes its seeds, so demos from these seeds only arise here: the cell gets them from its resources.
    class Resources extends RunResources {
      override async demos(task: Parameters<RunResources['demos']>[0]) {
        const set = await super.demos(task);
        return { ...set, episodes: set.episodes.map((e, i) => ({ ...e, seed: [1000, 1002, 1003, 77][i]! })) };
      }
    }
    const resources = new Resources(deps, cacheDir, { quiet: true, warn: () => {} });
    const config: RunConfig = { benchmark: 'test-scores', profile, head: 'mlp', shuffleActions: false };
    try {
      const encoder = runEncoder(config, deps.parseEncoderSpec('left-red'), await resources.encoder(deps.parseEncoderSpec('left-red'), 'processor'));
      const result = await runCell(
        { config, configDigest: configDigest(config), deps, resources, versions: collectVersions('test'), engine: 'tfjs', log: () => {} },
        plainCell(runTask(profile, TASKS[0]!), encoder, 1),
      );
      expect(policies.at(-1)!.firstProprio[0]).toEqual([uOf(1001), uOf(1004)]);
      expect(result.evalSeedBase).toBe(1001);
      expect(result.evalEpisodes).toBe(2);
    } finally {
      await resources.dispose();
    }
  });
});

describe('feature-norm entropy', () => {
  const BINS = 100;

  /** H in nats of a histogram with BINS equal bins over [min, max] (the max in the last bin). */
  function entropyOf(values: number[]): number {
    const min = Math.min(...values);
    const max = Math.max(...values);
    const counts = new Array<number>(BINS).fill(0);
    for (const v of values) counts[Math.min(BINS - 1, Math.floor(((v - min) / (max - min)) * BINS))]!++;
    return -counts.filter((c) => c > 0).reduce((h, c) => h + (c / values.length) * Math.log(c / values.length), 0);
  }

  let probe: Uint8Array[];
  beforeAll(async () => {
    // The documented probe over these tasks, in name order: expert episodes from reset seeds 5000-5003, the states
    // before steps 0, 6, ..., 90 that the episodes reach, at 256 px with one sample per pixel and linear textures.
    probe = [];
    for (const task of [...TASKS].sort((x, y) => x.name.localeCompare(y.name))) {
      const rollout = await ExpertRollout.create(task);
      const episodes = [5000, 5001, 5002, 5003].map((seed) => rollout.episode(seed, { maxSteps: 91 }));
      rollout.close();
      const steps = episodes.flatMap((e, episode) => Array.from({ length: 16 }, (_, i) => 6 * i).filter((t) => t < e.length).map((t) => [episode, t] as const));
      const env = await Env.make(task);
      const batch = renderDemoFrames(env, episodes, steps, { imageSize: 256, camera: task.defaultCamera, supersample: 1, textureFilter: 'linear' });
      for (let k = 0; k < batch.n; k++) probe.push(batch.data.slice(k * 256 * 256 * 3, (k + 1) * 256 * 256 * 3));
      env.close();
    }
  });

  it('is measured on the documented probe frames', () => {
    expect(probe.length).toBeGreaterThan(0);
    for (const encoder of Object.values(fakes)) {
      const first = encoder.seen.slice(0, probe.length);
      expect(first).toHaveLength(Math.min(256, probe.length));
      first.forEach((frame, i) => expect(Buffer.compare(Buffer.from(frame), Buffer.from(probe[i]!)), `probe frame ${i}`).toBe(0));
    }
    for (const record of results.entropy) expect(record.result.frames).toBe(probe.length);
    for (const record of results.entropy) expect(record.probe).toMatchObject({ tasks: [{ name: 'score-a' }, { name: 'score-b' }, { name: 'score-c' }], episodeSeeds: [5000, 5001, 5002, 5003], imageSize: 256 });
  });

  it('is the histogram entropy of every token norm (16 per frame) in 100 bins, in nats, and H / ln 100', () => {
    const norms = probe.flatMap((frame) => Array.from(cellIntensities(frame, 256, 256, 4), Math.fround));
    const expected = entropyOf(norms);
    const record = results.entropy.find((e) => e.encoder === 'cells')!.result;
    expect(record).toMatchObject({ bins: BINS, norms: probe.length * 16, source: 'spatial' });
    expect(record.entropy).toBeGreaterThan(1);
    expect(Math.abs(record.entropy - expected)).toBeLessThan(1e-9);
    expect(Math.abs(record.entropyNormalised - expected / Math.log(BINS))).toBeLessThan(1e-9);
    expect(csv.filter((r) => r.encoder === 'cells').map((r) => r.entropy)).toEqual(new Array(6).fill(expected.toFixed(4)));
  });

  it('uses the pooled vector\'s norm, one per frame, for an encoder without tokens', () => {
    const norms = probe.map((frame) => Math.fround(leftHalfRed(frame, 256, 256)));
    const expected = entropyOf(norms);
    const record = results.entropy.find((e) => e.encoder === 'left-red')!.result;
    expect(record).toMatchObject({ bins: BINS, norms: probe.length, source: 'pooled' });
    expect(record.entropy).toBeGreaterThan(1);
    expect(Math.abs(record.entropy - expected)).toBeLessThan(1e-9);
    expect(Math.abs(record.entropyNormalised - expected / Math.log(BINS))).toBeLessThan(1e-9);
    expect(results.summary.find((s) => s.encoder === 'left-red')!.entropy).toBe(record.entropy);
  });
});

it('results follow the documented schema: the CSV header and results.json schema version written in the README', () => {
  const readme = readFileSync('README.md', 'utf8');
  const header = /```csv\n(.+)\n```/.exec(readme)?.[1];
  expect(header, 'README: a ```csv block with the results.csv header').toBeDefined();
  expect(readFileSync(join(out, 'results.csv'), 'utf8').split('\n')[0]).toBe(header);
  const schema = /`DIR\/results\.json` \(schema (\d+)\)/.exec(readme)?.[1];
  expect(schema, 'README: "`DIR/results.json` (schema N)"').toBeDefined();
  expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).schema).toBe(Number(schema));
  expect(results.cells.every((c) => c.schema === Number(schema))).toBe(true);
});
