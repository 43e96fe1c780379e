/**
 * bench compare: the verdicts, intervals, notes and printed table on constructed runs, where the right answer is known
 * (the command end to end on real tiny runs is in compare_cli.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED, pairedTaskReplicates } from '../src/eval/bootstrap.js';
import { correlationInterval, normalQuantile, percentileInterval } from '../src/eval/statistics.js';
import { compareRuns, formatComparison, type Comparison, type ComparisonRow } from '../src/results/compare.js';
import type { ScoredCell, ScoredRun } from '../src/results/scored_cells.js';
import { Rng } from '../src/util/rng.js';

function cell(task: string, family: 'dmc' | 'metaworld', encoder: string, seed: number, episodeScores: number[], extra: Partial<ScoredCell> = {}): ScoredCell {
  return {
    benchmark: 'cortexbench',
    family,
    task,
    taskVersion: 1,
    encoder,
    encoderDigest: `digest-${encoder}`,
    seed,
    protocol: { profile: 'quick', metric: 'm', horizon: 50, demos: 10, evalEpisodes: episodeScores.length, evalSeedBase: 1000, epochs: 20, evalEvery: 20, imageSize: 96, batchSize: 64, camera: 'c' },
    head: 'mlp',
    shuffleActions: false,
    versions: 'bench 0.1.0',
    cpu: 'AMD EPYC (x64, avx512, 2 logical CPUs)',
    episodeScores,
    score: episodeScores.reduce((a, b) => a + b, 0) / episodeScores.length,
    ...extra,
  };
}

const run = (source: string, cells: ScoredCell[]): ScoredRun => ({ source, benchmark: 'cortexbench', cells });
const find = (c: Comparison, level: ComparisonRow['level'], encoder: string, name: string | null = null): ComparisonRow =>
  c.rows.find((r) => r.level === level && r.encoder === encoder && (level === 'task' ? r.task === name : level === 'family' ? r.family === name : true))!;

/** Ten episodes with seeded noise around `level`, clipped to [0, 100]. */
function episodes(level: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: 10 }, () => Math.min(100, Math.max(0, level + rng.normal(0, 10))));
}

const baseCells = [
  cell('reacher-easy', 'dmc', 'pixels', 100, episodes(60, 1)),
  cell('cheetah-run', 'dmc', 'pixels', 100, episodes(30, 2)),
  cell('button-press-topdown', 'metaworld', 'pixels', 100, [100, 100, 0, 100, 100, 100, 100, 0, 100, 100]),
];

describe('compareRuns on constructed runs', () => {
  it('says identical for identical inputs, with zero-width intervals, and exits 0', () => {
    const c = compareRuns(run('A', baseCells), run('B', structuredClone(baseCells)), { alpha: 0.05 });
    expect(new Set(c.rows.map((r) => r.verdict))).toEqual(new Set(['identical']));
    expect(c.rows.map((r) => r.level)).toEqual(['benchmark', 'family', 'task', 'cell', 'task', 'cell', 'family', 'task', 'cell']);
    expect(c.rows.every((r) => r.difference === 0 && r.interval![0] === 0 && r.interval![1] === 0)).toBe(true);
    expect(c.exitCode).toBe(0);
  });

  it('reports a large drop as worse with an interval below zero up to the benchmark mean, and exits 1', () => {
    const worse = [cell('reacher-easy', 'dmc', 'pixels', 100, episodes(5, 3)), ...structuredClone(baseCells.slice(1))];
    const c = compareRuns(run('A', baseCells), run('B', worse), { alpha: 0.05 });
    const task = find(c, 'task', 'pixels', 'reacher-easy');
    expect(task.verdict).toBe('worse');
    expect(task.difference).toBeCloseTo(worse[0]!.score - baseCells[0]!.score, 12);
    expect(task.interval![1]).toBeLessThan(-30);
    expect(find(c, 'family', 'pixels', 'dmc').verdict).toBe('worse');
    expect(find(c, 'benchmark', 'pixels').verdict).toBe('worse');
    // The family mean of two tasks halves the difference; the benchmark mean of two families halves it again.
    expect(find(c, 'benchmark', 'pixels').difference).toBeCloseTo(task.difference! / 4, 12);
    expect(find(c, 'task', 'pixels', 'cheetah-run').verdict).toBe('identical');
    expect(find(c, 'family', 'pixels', 'metaworld').verdict).toBe('identical');
    expect(c.exitCode).toBe(1);
    expect(compareRuns(run('B', worse), run('A', baseCells), { alpha: 0.05 }).rows[0]!.verdict).toBe('better');
  });

  it('says same for a change within the noise (exit 0), and fails it with failOnChange (exit 1)', () => {
    const flipped = [structuredClone(baseCells[0]!), structuredClone(baseCells[1]!), cell('button-press-topdown', 'metaworld', 'pixels', 100, [100, 100, 100, 0, 100, 100, 100, 100, 100, 0])];
    const c = compareRuns(run('A', baseCells), run('B', flipped), { alpha: 0.05 });
    const task = find(c, 'task', 'pixels', 'button-press-topdown');
    expect(task.verdict).toBe('same');
    expect(task.difference).toBe(0);
    expect(task.interval![0]).toBeLessThan(0);
    expect(task.interval![1]).toBeGreaterThan(0);
    expect(c.exitCode).toBe(0);
    expect(compareRuns(run('A', baseCells), run('B', flipped), { alpha: 0.05, failOnChange: true }).exitCode).toBe(1);
  });

  it('with a tolerance, calls float-rounding differences unchanged (even a consistent one) and fails anything larger', () => {
    // Every reacher-easy episode 1e-3 lower: a paired interval wholly below zero, 'worse' without a tolerance.
    const rounded = [cell('reacher-easy', 'dmc', 'pixels', 100, baseCells[0]!.episodeScores.map((v) => v - 1e-3)), ...structuredClone(baseCells.slice(1))];
    expect(compareRuns(run('A', baseCells), run('B', rounded), { alpha: 0.05 }).exitCode).toBe(1);
    const c = compareRuns(run('A', baseCells), run('B', rounded), { alpha: 0.05, failOnChange: true, tolerance: 0.01 });
    expect(find(c, 'task', 'pixels', 'reacher-easy').verdict).toBe('within tolerance');
    expect(find(c, 'benchmark', 'pixels').verdict).toBe('within tolerance');
    expect(find(c, 'task', 'pixels', 'cheetah-run').verdict).toBe('identical');
    expect(c.exitCode).toBe(0);
    expect(formatComparison(c)).toMatch(/exit 0: unchanged within tolerance: every episode score is within 0.01 of its pair$/);
    // One episode beyond the tolerance: a change again (exit 1 under failOnChange).
    const moved = structuredClone(rounded);
    moved[0]!.episodeScores[3] = moved[0]!.episodeScores[3]! + 0.05;
    const beyond = compareRuns(run('A', baseCells), run('B', moved), { alpha: 0.05, failOnChange: true, tolerance: 0.01 });
    expect(find(beyond, 'task', 'pixels', 'reacher-easy').verdict).not.toBe('within tolerance');
    expect(beyond.exitCode).toBe(1);
    expect(() => compareRuns(run('A', baseCells), run('B', rounded), { alpha: 0.05, tolerance: -1 })).toThrow(/tolerance must be a finite number >= 0/);
  });

  it('bootstraps paired episodes: two episodes differing by -100 and 0 give the exact interval [-100, 0]', () => {
    // Resampling 2 episodes of differences {-100, 0}: mean -100 (p 1/4), -50 (1/2), 0 (1/4).
    const c = compareRuns(run('A', [cell('reacher-easy', 'dmc', 'e', 1, [100, 50])]), run('B', [cell('reacher-easy', 'dmc', 'e', 1, [0, 50])]), { alpha: 0.05 });
    const task = find(c, 'task', 'e', 'reacher-easy');
    expect(task.difference).toBe(-50);
    expect(task.interval).toEqual([-100, 0]);
    expect(task.verdict).toBe('same');
  });

  it('resamples seeds too: replicates of a 3-seed task spread like the seed means', () => {
    const runs = [[[10], [20], [30]]];
    const [rep] = pairedTaskReplicates(runs, 20_000, new Rng(5));
    const m = rep!.reduce((a, b) => a + b, 0) / rep!.length;
    const sd = Math.sqrt(rep!.reduce((a, b) => a + (b - m) ** 2, 0) / rep!.length);
    // Mean of 3 draws from {10, 20, 30}: mean 20, sd sqrt(200/3) / sqrt(3) = 4.714.
    expect(m).toBeCloseTo(20, 0);
    expect(sd).toBeCloseTo(Math.sqrt(200 / 3 / 3), 1);
    expect(() => pairedTaskReplicates([[[1]], [[1], [2]]], 10, new Rng(1))).toThrow(/run 1 has 2 seeds, run 0 has 1/);
  });

  it('gives the same intervals on every call (seeded)', () => {
    const worse = [cell('reacher-easy', 'dmc', 'pixels', 100, episodes(50, 9)), ...baseCells.slice(1)];
    const a = compareRuns(run('A', baseCells), run('B', worse), { alpha: 0.05 });
    const b = compareRuns(run('A', baseCells), run('B', worse), { alpha: 0.05 });
    expect(a.rows).toEqual(b.rows);
  });

  it('says not comparable, with the reason, for another profile, task version, encoder digest or a missing cell (exit 2)', () => {
    const reasons = (next: ScoredCell[]): string[] => {
      const c = compareRuns(run('A', baseCells), run('B', next), { alpha: 0.05 });
      expect(c.exitCode).toBe(2);
      return c.rows.filter((r) => r.level === 'task' && r.verdict === 'not comparable').map((r) => `${r.task}: ${r.reason}`);
    };
    const [reacher, cheetah, button] = structuredClone(baseCells) as [ScoredCell, ScoredCell, ScoredCell];
    expect(reasons([{ ...reacher, protocol: { ...reacher.protocol, profile: 'smoke' } }, cheetah, button])).toEqual(['reacher-easy: other profile (quick vs smoke)']);
    expect(reasons([{ ...reacher, taskVersion: 2 }, cheetah, button])).toEqual(['reacher-easy: other task version (1 vs 2)']);
    expect(reasons([reacher, { ...cheetah, encoderDigest: 'other' }, button])).toEqual(['cheetah-run: other encoder digest (digest-pixels vs other)']);
    expect(reasons([reacher, cheetah, { ...button, protocol: { ...button.protocol, demos: 25 } }])).toEqual(['button-press-topdown: other protocol (demos 10 vs 25)']);
    expect(reasons([reacher, cheetah])).toEqual(['button-press-topdown: only in BASE']);
    const c = compareRuns(run('A', baseCells), run('B', [reacher, cheetah]), { alpha: 0.05 });
    expect(find(c, 'family', 'pixels', 'metaworld').reason).toBe('task button-press-topdown not comparable');
    expect(find(c, 'benchmark', 'pixels').verdict).toBe('not comparable');
    expect(find(c, 'family', 'pixels', 'dmc').verdict).toBe('identical');
  });

  it('notes a changed policy side (the shuffled-action control) without making runs incomparable', () => {
    const control = baseCells.map((c) => ({ ...c, shuffleActions: true }));
    const c = compareRuns(run('A', baseCells), run('B', control), { alpha: 0.05 });
    expect(c.notes).toEqual(['shuffled-action control differ: BASE off; NEW on']);
    expect(c.exitCode).toBe(0);
  });

  it('refuses runs of different benchmarks', () => {
    expect(() => compareRuns(run('A', baseCells), { ...run('B', baseCells), benchmark: 'factorworld' }, { alpha: 0.05 })).toThrow(
      /A is benchmark 'cortexbench' but B is 'factorworld'; compare runs of one benchmark/,
    );
  });
});

describe('statistics behind the intervals', () => {
  it('normal quantiles, percentiles and Fisher-z correlation intervals match reference values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874040841, 8);
    expect(percentileInterval([1, 2, 3, 4, 5], 0.5)).toEqual([2, 4]);
    // r = 0.5, n = 28: atanh(0.5) +- 1.96 / 5 = [0.1573, 0.9413] -> tanh = [0.1560, 0.7355].
    const [lo, hi] = correlationInterval(0.5, 28, 0.05, 'pearson');
    expect(lo).toBeCloseTo(0.156, 3);
    expect(hi).toBeCloseTo(0.7355, 3);
    expect(correlationInterval(0.9, 3, 0.05, 'pearson')).toEqual([-1, 1]);
    expect(() => percentileInterval([1], 1.5)).toThrow(/alpha must be in \(0, 1\)/);
  });
});

describe('compareRuns: reasons, notes and aggregation', () => {
  const options = { alpha: 0.05, replicates: 200 };

  it('names every protocol field that differs, a different episode count, and a cell only one run has', () => {
    const [reacher, cheetah, button] = structuredClone(baseCells) as [ScoredCell, ScoredCell, ScoredCell];
    const reason = (next: ScoredCell[], task: string): string | null => find(compareRuns(run('A', baseCells), run('B', next), options), 'task', 'pixels', task).reason;
    const protocol = { ...reacher.protocol, horizon: 60, camera: 'd' };
    expect(reason([{ ...reacher, protocol }, cheetah, button], 'reacher-easy')).toBe('other protocol (horizon 50 vs 60, camera c vs d)');
    // Same protocol, one episode more: the scores are not means over the same episodes.
    const longer = { ...cheetah, episodeScores: [...cheetah.episodeScores, 50] };
    expect(reason([reacher, longer, button], 'cheetah-run')).toBe('other number of episodes (10 vs 11)');
    const extra = cell('reacher-easy', 'dmc', 'pixels', 101, episodes(60, 4));
    const c = compareRuns(run('A', baseCells), run('B', [reacher, cheetah, button, extra]), options);
    // With several seeds, each reason names its seed; the cell rows carry their own.
    expect(find(c, 'task', 'pixels', 'reacher-easy').reason).toBe('seed 101: only in NEW');
    expect(c.rows.filter((r) => r.level === 'cell' && r.task === 'reacher-easy').map((r) => [r.seed, r.verdict, r.reason])).toEqual([
      [100, 'identical', null],
      [101, 'not comparable', 'only in NEW'],
    ]);
    expect(find(c, 'family', 'pixels', 'dmc').reason).toBe('task reacher-easy not comparable');
    expect(find(c, 'benchmark', 'pixels').reason).toBe('family dmc not comparable');
    expect(find(c, 'benchmark', 'pixels')).toMatchObject({ base: null, new: null, difference: null, interval: null });
    expect(c.counts).toEqual({ identical: 6, 'within tolerance': 0, same: 0, better: 0, worse: 0, 'not comparable': 4 });
  });

  it('calls a task identical only when every seed is, and joins the reasons of several seeds', () => {
    const seeds = [cell('reacher-easy', 'dmc', 'e', 1, [50, 60]), cell('reacher-easy', 'dmc', 'e', 2, [70, 80])];
    const changed = [seeds[0]!, cell('reacher-easy', 'dmc', 'e', 2, [70, 90])];
    const c = compareRuns(run('A', seeds), run('B', changed), options);
    expect(c.rows.filter((r) => r.task === 'reacher-easy').map((r) => r.verdict)).toEqual(['same', 'identical', 'same']);
    const other = changed.map((x) => ({ ...x, taskVersion: 2 }));
    expect(find(compareRuns(run('A', seeds), run('B', other), options), 'task', 'e', 'reacher-easy').reason).toBe(
      'seed 1: other task version (1 vs 2); seed 2: other task version (1 vs 2)',
    );
  });

  it('draws each row\'s bootstrap from the fixed seed and the row\'s own name, so a comparison reads the same everywhere', () => {
    // Pinned: the task's interval, then each cell's, as printed since the bootstrap seed was fixed.
    const a = [cell('reacher-easy', 'dmc', 'e', 1, [0, 100, 50, 20, 35]), cell('reacher-easy', 'dmc', 'e', 2, [10, 90, 40, 30, 7])];
    const b = [cell('reacher-easy', 'dmc', 'e', 1, [23, 91, 38, 64, 36]), cell('reacher-easy', 'dmc', 'e', 2, [13, 79, 71, 30, 2])];
    const c = compareRuns(run('A', a), run('B', b), { alpha: 0.05, replicates: 500 });
    expect(c.rows.filter((r) => r.task === 'reacher-easy').map((r) => r.interval!.map((v) => v.toFixed(2)))).toEqual([
      ['-3.85', '19.30'],
      ['-6.20', '28.60'],
      ['-6.21', '17.00'],
    ]);
  });

  it('says not comparable (exit 2) before worse (exit 1) when a run has both', () => {
    const worse = cell('cheetah-run', 'dmc', 'pixels', 100, episodes(0, 5));
    const c = compareRuns(run('A', baseCells), run('B', [baseCells[0]!, worse]), options);
    expect(find(c, 'task', 'pixels', 'cheetah-run').verdict).toBe('worse');
    expect(c.exitCode).toBe(2);
  });

  it('counts an interval that touches zero as same, in both directions', () => {
    // Differences {0, +100} over two episodes: replicate means 0, 50 and 100, so the interval is [0, 100].
    const c = compareRuns(run('A', [cell('reacher-easy', 'dmc', 'e', 1, [0, 50])]), run('B', [cell('reacher-easy', 'dmc', 'e', 1, [100, 50])]), options);
    expect(find(c, 'task', 'e', 'reacher-easy')).toMatchObject({ base: 25, new: 75, difference: 50, interval: [0, 100], verdict: 'same' });
  });

  it('orders families as the paper does, tasks as they come, seeds ascending, encoders as they come', () => {
    const a = [
      cell('button-press-topdown', 'metaworld', 'z', 10, [1]),
      cell('reacher-easy', 'dmc', 'z', 10, [1]),
      cell('reacher-easy', 'dmc', 'z', 9, [1]),
      cell('cheetah-run', 'dmc', 'z', 9, [1]),
      cell('reacher-easy', 'dmc', 'y', 9, [1]),
    ];
    const c = compareRuns(run('A', a), run('B', structuredClone(a)), options);
    expect(c.rows.map((r) => [r.encoder, r.level, r.family, r.task, r.seed])).toEqual([
      ['z', 'benchmark', null, null, null],
      ['z', 'family', 'dmc', null, null],
      ['z', 'task', 'dmc', 'reacher-easy', null],
      ['z', 'cell', 'dmc', 'reacher-easy', 9],
      ['z', 'cell', 'dmc', 'reacher-easy', 10],
      ['z', 'task', 'dmc', 'cheetah-run', null],
      ['z', 'cell', 'dmc', 'cheetah-run', 9],
      ['z', 'family', 'metaworld', null, null],
      ['z', 'task', 'metaworld', 'button-press-topdown', null],
      ['z', 'cell', 'metaworld', 'button-press-topdown', 10],
      ['y', 'benchmark', null, null, null],
      ['y', 'family', 'dmc', null, null],
      ['y', 'task', 'dmc', 'reacher-easy', null],
      ['y', 'cell', 'dmc', 'reacher-easy', 9],
    ]);
  });

  it('notes every differing code version, head and control once, joining a run\'s values', () => {
    const next = [
      { ...baseCells[0]!, versions: 'bench 0.2.0', head: 'conv' as const },
      { ...baseCells[1]!, versions: 'bench 0.3.0', head: 'conv' as const },
      { ...baseCells[2]!, versions: 'bench 0.3.0', head: 'conv' as const, shuffleActions: true },
    ];
    const c = compareRuns(run('A', baseCells), run('B', next), options);
    expect(c.notes).toEqual([
      'versions differ: BASE bench 0.1.0; NEW bench 0.2.0 + bench 0.3.0',
      'policy head differ: BASE mlp; NEW conv',
      'shuffled-action control differ: BASE off; NEW off + on',
    ]);
    expect(compareRuns(run('A', baseCells), run('B', baseCells), options).notes).toEqual([]);
  });

  it('notes cells computed on another CPU kind, and why that can move their last bits', () => {
    const next = baseCells.map((c) => ({ ...c, cpu: 'AMD EPYC (x64, avx2, 2 logical CPUs)' }));
    const c = compareRuns(run('A', baseCells), run('B', next), options);
    expect(c.notes).toEqual([
      'CPU kinds differ: BASE AMD EPYC (x64, avx512, 2 logical CPUs); NEW AMD EPYC (x64, avx2, 2 logical CPUs). ' +
        'ONNX Runtime picks its kernels by instruction set, so what it encoded or trained may differ by float rounding (see --tolerance)',
    ]);
    // The CPU is a note, never a reason: every row is still compared (here: identical scores).
    expect(c.rows.every((r) => r.verdict === 'identical')).toBe(true);
  });

  it('records its inputs, level, replicates and seed, and defaults to the protocol\'s replicates without failOnChange', () => {
    const c = compareRuns(run('A', baseCells), run('B', baseCells), { alpha: 0.1 });
    expect([c.base, c.new, c.benchmark, c.alpha, c.replicates, c.bootstrapSeed, c.failOnChange, c.tolerance]).toEqual(['A', 'B', 'cortexbench', 0.1, BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED, false, 0]);
    expect(compareRuns(run('A', baseCells), run('B', baseCells), { ...options, failOnChange: true })).toMatchObject({ replicates: 200, failOnChange: true, exitCode: 0 });
  });
});

describe('formatComparison', () => {
  // Every NEW episode scores 10 more on reacher-easy (two seeds), so each interval is the point +10; button-press is equal.
  const base = [cell('reacher-easy', 'dmc', 'e', 2, [70, 80]), cell('reacher-easy', 'dmc', 'e', 1, [50, 60]), cell('button-press-topdown', 'metaworld', 'e', 1, [100, 0])];
  const better = base.map((c) => (c.task === 'reacher-easy' ? { ...c, episodeScores: c.episodeScores.map((v) => v + 10), score: c.score + 10 } : c));
  const options = { alpha: 0.05, replicates: 200 };

  it('prints one block per encoder with cell rows only for tasks of several seeds, the counts and what the exit code means', () => {
    const c = compareRuns(run('A', base), run('B', better), options);
    expect(formatComparison(c)).toBe(
      [
        'compare cortexbench: A vs B',
        `NEW - BASE per row, 95% intervals from 200 paired bootstrap replicates over policy seeds and evaluation episodes (seed ${BOOTSTRAP_SEED})`,
        '',
        'encoder  row                      BASE    NEW  NEW-BASE      95% interval  verdict',
        '-------  ----------------------  -----  -----  --------  ----------------  ---------',
        'e        MEAN                    57.50  62.50     +5.00    [+5.00, +5.00]  better',
        'e        [dmc]                   65.00  75.00    +10.00  [+10.00, +10.00]  better',
        'e          reacher-easy          65.00  75.00    +10.00  [+10.00, +10.00]  better',
        'e            seed 1              55.00  65.00    +10.00  [+10.00, +10.00]  better',
        'e            seed 2              75.00  85.00    +10.00  [+10.00, +10.00]  better',
        'e        [metaworld]             50.00  50.00     +0.00    [+0.00, +0.00]  identical',
        'e          button-press-topdown  50.00  50.00     +0.00    [+0.00, +0.00]  identical',
        '',
        'rows (cells included): 3 identical, 5 better',
        'exit 0: no regression',
      ].join('\n'),
    );
  });

  it('explains each exit code and level, with the notes and not-comparable reasons', () => {
    const last = (c: Comparison): string => formatComparison(c).split('\n').at(-1)!;
    expect(last(compareRuns(run('A', base), run('B', base), options))).toBe('exit 0: identical: every score is equal');
    expect(last(compareRuns(run('A', base), run('B', better), { ...options, failOnChange: true }))).toBe(
      'exit 1: scores changed (--fail-on-change): update the baseline on purpose if the change is intended',
    );
    const worse = compareRuns(run('B', better), run('A', base), options);
    expect(last(worse)).toBe('exit 1: regression: NEW is worse beyond the interval');
    expect(formatComparison(worse).split('\n')[7]).toBe('e          reacher-easy          75.00  65.00    -10.00  [-10.00, -10.00]  worse');
    const text = formatComparison(compareRuns(run('A', base), run('B', [{ ...better[0]!, head: 'conv' }, better[2]!]), { ...options, alpha: 0.005 }));
    expect(text).toContain('99.5% intervals from 200');
    expect(text).toContain('e            seed 1                  -      -         -                 -  not comparable: only in BASE');
    expect(text).toContain('e          reacher-easy              -      -         -                 -  not comparable: seed 1: only in BASE');
    expect(text.split('\n').slice(-4)).toEqual([
      '',
      'note: policy head differ: BASE mlp; NEW conv + mlp',
      'rows (cells included): 3 identical, 1 better, 4 not comparable',
      'exit 2: not comparable (see the reasons above)',
    ]);
  });
});
