/**
 * A sweep's summary and CSV files (src/results/sweep_summary.ts, sweep_csv.ts) on hand-made sweep cells whose split
 * scores make every mean, standard error, gap and relative drop a number worked out by hand below.
 * (test/sweep.test.ts runs `bench sweep` end to end.)
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CellResult, SweepSummaryRow } from '../src/results/schema.js';
import { sweepResultsToCsv, sweepSummaryToCsv } from '../src/results/sweep_csv.js';
import { formatSweepSummary, standardError, summariseSweep } from '../src/results/sweep_summary.js';
import { parseCsv } from './helpers/csv.js';

const SPLITS = ['seen', 'unseen'];

/** A sweep cell of `task` and `seed` trained on light with `k` values, with the given split scores at its best epoch 4. */
function sweepCell(task: string, seed: number, k: number, scores: Record<string, number>): CellResult {
  const splits = Object.entries(scores).map(([split, score]) => ({
    split,
    scenes: `${split}-digest`,
    evalEpisodes: 2,
    evaluations: [
      { epoch: 2, score: score / 2, episodeScores: [0, score], trainLoss: 0.5 },
      { epoch: 4, score, episodeScores: [score, score], trainLoss: 0.25 },
    ],
    score,
  }));
  return {
    schema: 5,
    configDigest: 'c0ffee',
    benchmark: 'factorworld',
    family: 'metaworld',
    task,
    taskVersion: 2,
    encoder: 'pixels',
    encoderDigest: '0123456789abcdef0123456789abcdef',
    framePreprocessing: 'processor',
    seed,
    profile: 'smoke',
    head: 'mlp',
    policyInit: 'mjrl',
    shuffleActions: false,
    metric: 'success at the last step, %',
    horizon: 100,
    demos: 4,
    evalEpisodes: 2,
    evalSeedBase: 1000,
    epochs: 4,
    evalEvery: 2,
    imageSize: 64,
    batchSize: 32,
    camera: 'corner',
    featurePrecision: 'float16',
    scenes: 'train-digest',
    sweep: { factors: ['light'], k, demosPerValue: 2, splits },
    evaluations: splits[0]!.evaluations,
    bestScore: scores.seen ?? 0,
    bestEpoch: 4,
    finalScore: scores.seen ?? 0,
    versions: { bench: '0.1.0', mujoco: '3.14.0', onnxruntime: '1.30.0', tfjs: '4.22.0', tfjsBackend: 'wasm' },
    timings: { demosSeconds: 1, featuresSeconds: 2, trainSeconds: 3.14159, evalSeconds: 4, totalSeconds: 10.005 },
  };
}

// Tasks a and b, K = 2, seeds 1 and 2; task a also at K = 3 with seed 1 only; and one `bench run` cell (no sweep).
const cells: CellResult[] = [
  sweepCell('a', 1, 2, { seen: 80, unseen: 60 }),
  sweepCell('a', 1, 3, { seen: 90, unseen: 30 }),
  sweepCell('b', 1, 2, { seen: 40, unseen: 40 }),
  sweepCell('a', 2, 2, { seen: 60, unseen: 50 }),
  sweepCell('b', 2, 2, { seen: 20, unseen: 10 }),
  (() => {
    const { sweep: _sweep, ...plain } = sweepCell('a', 9, 2, { seen: 0 });
    return plain;
  })(),
];

describe('standardError', () => {
  it('is the sample standard deviation over sqrt(n), and 0 for fewer than two values', () => {
    // mean 5, squared deviations 32, sample variance 32 / 7.
    expect(standardError([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7 / 8), 12);
    expect(standardError([80, 60])).toBeCloseTo(10, 12);
    expect(standardError([3])).toBe(0);
    expect(standardError([])).toBe(0);
  });
});

describe('summariseSweep', () => {
  // Computed in each test (not at collection), so that mutation testing sees which tests reach the code.
  let rows: SweepSummaryRow[] = [];
  beforeEach(() => {
    rows = summariseSweep(cells, SPLITS);
  });
  const find = (task: string, k: number): SweepSummaryRow => rows.find((r) => r.task === task && r.k === k)!;

  it('has one row per task, encoder, factor set and K in the cells order, then the mean over tasks', () => {
    expect(rows.map((r) => [r.task, r.encoder, r.factors, r.k])).toEqual([
      ['a', 'pixels', 'light', 2],
      ['a', 'pixels', 'light', 3],
      ['b', 'pixels', 'light', 2],
      // K = 3 ran on task a only: no mean over tasks for it.
      ['*', 'pixels', 'light', 2],
    ]);
  });

  it('averages each split over seeds with its standard error, and the seen - unseen gap per seed', () => {
    const a = find('a', 2);
    expect(a.splits.seen!.mean).toBeCloseTo(70, 12);
    expect(a.splits.seen!.se).toBeCloseTo(10, 12);
    expect(a.splits.seen!.n).toBe(2);
    expect(a.splits.unseen!.mean).toBeCloseTo(55, 12);
    expect(a.splits.unseen!.se).toBeCloseTo(5, 12);
    expect(a.gap!.mean).toBeCloseTo(15, 12); // gaps 20 and 10
    expect(a.gap!.se).toBeCloseTo(5, 12);
    expect(a.relativeDrop).toBeCloseTo(15 / 70, 12);
    const b = find('b', 2);
    expect([b.splits.seen!.mean, b.splits.seen!.se, b.splits.unseen!.mean, b.splits.unseen!.se]).toEqual([30, 10, 25, 15].map((v) => expect.closeTo(v, 12)));
    expect([b.gap!.mean, b.gap!.se, b.relativeDrop]).toEqual([5, 5, 5 / 30].map((v) => expect.closeTo(v, 12)));
    const one = find('a', 3);
    expect(one.splits.seen).toEqual({ mean: 90, se: 0, n: 1 });
    expect(one.gap).toEqual({ mean: 60, se: 0 });
    expect(one.relativeDrop).toBeCloseTo(60 / 90, 12);
  });

  it('averages over tasks per seed first: task * is the mean, over seeds, of each seed mean over tasks', () => {
    const all = find('*', 2);
    // Seed 1: seen (80 + 40) / 2 = 60, unseen (60 + 40) / 2 = 50; seed 2: seen 40, unseen 30.
    expect(all.splits.seen).toEqual({ mean: 50, se: expect.closeTo(10, 12), n: 2 });
    expect(all.splits.unseen).toEqual({ mean: 40, se: expect.closeTo(10, 12), n: 2 });
    expect(all.gap).toEqual({ mean: 10, se: 0 });
    expect(all.relativeDrop).toBeCloseTo(0.2, 12);
  });

  it('leaves out a seed that did not run every task, and a split a task lacks', () => {
    const partial = [...cells.slice(0, 5), sweepCell('a', 3, 2, { seen: 10, unseen: 0 })];
    const all = summariseSweep(partial, SPLITS).find((r) => r.task === '*')!;
    expect(all.splits.seen!.n).toBe(2);
    const seenOnly = [sweepCell('a', 1, 2, { seen: 50 }), sweepCell('b', 1, 2, { seen: 30, unseen: 10 })];
    const rows = summariseSweep(seenOnly, SPLITS);
    expect(rows[0]!.splits.unseen).toBeUndefined();
    expect(rows[0]!.gap).toBeNull();
    expect(rows[0]!.relativeDrop).toBeNull();
    // Over tasks: the seed has no unseen score on a, so the mean over tasks has no unseen split either.
    expect(rows[2]!.splits).toEqual({ seen: { mean: 40, se: 0, n: 1 } });
    expect(rows[2]!.gap).toBeNull();
  });

  it('names a factor pair with +, and summarises cells without a seen split', () => {
    const pair = sweepCell('a', 1, 2, { seen: 50, unseen: 40 });
    pair.sweep!.factors = ['light', 'camera'];
    const unseenOnly = sweepCell('a', 1, 4, { unseen: 40 });
    const rows = summariseSweep([pair, unseenOnly], SPLITS);
    expect(rows.map((r) => r.factors)).toEqual(['light+camera', 'light']);
    expect(rows[1]!.splits).toEqual({ unseen: { mean: 40, se: 0, n: 1 } });
    expect([rows[1]!.gap, rows[1]!.relativeDrop]).toEqual([null, null]);
    expect(parseCsv(sweepResultsToCsv({ cells: [pair] }))[0]!.factors).toBe('light+camera');
  });

  it('gives no relative drop when the seen score is 0, and no mean over tasks for one task', () => {
    const rows = summariseSweep([sweepCell('a', 1, 2, { seen: 0, unseen: 0 })], SPLITS);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.gap).toEqual({ mean: 0, se: 0 });
    expect(rows[0]!.relativeDrop).toBeNull();
    expect(summariseSweep([], SPLITS)).toEqual([]);
  });

  it('prints the summary as a table', () => {
    expect(formatSweepSummary([], SPLITS)).toBe('(no finished sweep cells)');
    const table = formatSweepSummary(rows, SPLITS).split('\n');
    expect(table[0]).toBe('task  encoder  factors  K          seen        unseen    gap (pts)  rel. drop  seeds');
    expect(table[2]).toBe('a     pixels   light    2  70.0 +- 10.0   55.0 +- 5.0  15.0 +- 5.0        21%      2');
    expect(table[3]).toBe('a     pixels   light    3   90.0 +- 0.0   30.0 +- 0.0  60.0 +- 0.0        67%      1');
    expect(table[1]).toBe('----  -------  -------  -  ------------  ------------  -----------  ---------  -----');
    expect(table.at(-1)).toBe('success in % (mean +- standard error over policy seeds); gap = seen - unseen in points; rel. drop = gap / seen; task * = mean over tasks');
    expect(table[5]).toBe('*     pixels   light    2  50.0 +- 10.0  40.0 +- 10.0  10.0 +- 0.0        20%      2');
    expect(table).toHaveLength(rows.length + 3);
    expect(formatSweepSummary([{ ...rows[0]!, splits: {}, gap: null, relativeDrop: null }], SPLITS).split('\n')[2]).toMatch(/^a +pixels +light +2 +- +- +- +- +0$/);
  });
});

describe('sweep CSV files', () => {
  it('writes one results row per sweep cell and split, scored at the best epoch', () => {
    const rows = parseCsv(sweepResultsToCsv({ cells }));
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual({
      schema: '5',
      benchmark: 'factorworld',
      family: 'metaworld',
      task: 'a',
      task_version: '2',
      encoder: 'pixels',
      encoder_digest: '0123456789abcdef',
      factors: 'light',
      k: '2',
      demos_per_value: '2',
      train_scenes: 'train-digest',
      split: 'seen',
      eval_scenes: 'seen-digest',
      seed: '1',
      profile: 'smoke',
      head: 'mlp',
      metric: 'success at the last step, %',
      horizon: '100',
      demos: '4',
      eval_episodes: '2',
      eval_seed_base: '1000',
      epochs: '4',
      image_size: '64',
      camera: 'corner',
      score: '80.000',
      epoch: '4',
      episode_scores: '80 80',
      train_s: '3.14',
      eval_s: '4.00',
      total_s: '10.01',
      bench_version: '0.1.0',
      mujoco_version: '3.14.0',
      // A cell written before the CPU kind was recorded: the column is empty.
      cpu: '',
    });
    expect(rows[1]).toMatchObject({ task: 'a', split: 'unseen', eval_scenes: 'unseen-digest', score: '60.000', episode_scores: '60 60' });
    const { scenes: _scenes, ...withoutScenes } = cells[0]!;
    expect(parseCsv(sweepResultsToCsv({ cells: [withoutScenes] }))[0]!.train_scenes).toBe('');
    expect(rows.map((r) => `${r.task}/${r.k}/${r.seed}/${r.split}`).slice(2, 4)).toEqual(['a/3/1/seen', 'a/3/1/unseen']);
  });

  it('writes one summary row per summary row and split, the gap repeated on each', () => {
    const rows = parseCsv(sweepSummaryToCsv(summariseSweep(cells, SPLITS)));
    expect(rows).toHaveLength(8);
    expect(rows[0]).toEqual({ task: 'a', encoder: 'pixels', factors: 'light', k: '2', split: 'seen', mean: '70.000', se: '10.000', seeds: '2', gap: '15.000', gap_se: '5.000', relative_drop: '0.2143' });
    expect(rows[1]).toMatchObject({ split: 'unseen', mean: '55.000', se: '5.000', gap: '15.000', gap_se: '5.000', relative_drop: '0.2143' });
    const noGap = parseCsv(sweepSummaryToCsv([{ task: 'a', encoder: 'e', factors: 'light', k: 1, splits: { seen: { mean: 1, se: 0, n: 1 } }, gap: null, relativeDrop: null }]));
    expect(noGap[0]).toMatchObject({ gap: '', gap_se: '', relative_drop: '' });
  });
});
