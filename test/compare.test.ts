/**
 * bench compare: the verdicts and intervals on constructed runs (where the right answer is known), then the command
 * end to end on real tiny runs (identical reruns, another profile, CSV input) and its bad-input errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import '../src/envs/index.js';
import { pairedTaskReplicates } from '../src/eval/bootstrap.js';
import { correlationInterval, normalQuantile, percentileInterval } from '../src/eval/statistics.js';
import type { Profile } from '../src/protocol/profiles.js';
import { compareRuns, type Comparison, type ComparisonRow } from '../src/results/compare.js';
import type { ScoredCell, ScoredRun } from '../src/results/scored_cells.js';
import { runBenchmark } from '../src/run/runner.js';
import { Rng } from '../src/util/rng.js';
import { tinyProfile } from './helpers/tiny_profile.js';
import { fakeEncoderDeps } from './helpers/fake_encoders.js';

const root = mkdtempSync(join(tmpdir(), 'bench-compare-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

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

describe('bench compare on real runs', () => {
  const tiny = tinyProfile({ evalEpisodes: 3, evalEvery: 2 });
  const dir = (name: string): string => join(root, name);
  const runInto = (name: string, profile: Profile) =>
    runBenchmark({
      benchmark: 'cortexbench',
      tasks: ['reacher-easy', 'button-press-topdown'],
      encoders: ['grid-2'],
      profile,
      out: dir(name),
      cacheDir: join(root, 'cache'),
      quiet: true,
      log: () => {},
      deps: fakeEncoderDeps,
    });

  beforeAll(async () => {
    await runInto('a', tiny);
    await runInto('b', tiny);
    await runInto('other-profile', { ...tiny, name: 'quick' });
  });

  /** Runs `bench compare` in-process: its stdout and the exit code it set. */
  async function compare(...args: string[]): Promise<{ out: string; code: number }> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await main(['compare', ...args]);
    } finally {
      spy.mockRestore();
    }
    return { out, code: Number(process.exitCode ?? 0) };
  }

  async function compareError(...args: string[]): Promise<{ message: string; exitCode: unknown }> {
    const err = await compare(...args).then(
      () => null,
      (e: unknown) => e as Error & { exitCode?: number },
    );
    expect(err, `bench compare ${args.join(' ')} should fail`).toBeInstanceOf(Error);
    return { message: err!.message, exitCode: err!.exitCode };
  }

  it('says identical for two runs of the same command, from directories and from CSV (exit 0)', async () => {
    const text = await compare(dir('a'), dir('b'));
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/grid-2\s+MEAN\s+[\d.]+\s+[\d.]+\s+\+0\.00\s+\[\+0\.00, \+0\.00\]\s+identical/);
    expect(text.out).toMatch(/exit 0: identical: every score is equal/);
    const json = await compare(join(dir('a'), 'results.csv'), dir('b'), '--json');
    const parsed = JSON.parse(json.out) as Comparison;
    expect(parsed.rows.map((r) => r.verdict)).toEqual(parsed.rows.map(() => 'identical'));
    expect(parsed.exitCode).toBe(0);
  });

  it('says not comparable for runs of different profiles (exit 2)', async () => {
    const { out, code } = await compare(dir('a'), dir('other-profile'));
    expect(code).toBe(2);
    expect(out).toMatch(/reacher-easy .*not comparable: other profile \(smoke vs quick\)/);
    expect(out).toMatch(/exit 2: not comparable/);
  });

  it('fails with a clear error and exit code 2 on bad input', async () => {
    expect(await compareError(dir('a'), join(root, 'nowhere'))).toEqual({
      message: `NEW '${join(root, 'nowhere')}': no such file or directory (expected a run directory, a results.json or a results.csv)`,
      exitCode: 2,
    });
    expect((await compareError(dir('a'))).message).toMatch(/needs two inputs: BASE NEW/);
    expect((await compareError(dir('a'), dir('b'), '--alpha', '2')).message).toMatch(/--alpha must be a number in \(0, 1\), got '2'/);
    expect((await compareError(dir('a'), join(root, 'cache'))).message).toMatch(/NEW '.*cache': no results.json in/);

    // CSVs from before schema 4 (no schema and episode_scores columns): schema 3 (feature_dtype), schema 2 (without
    // it), and schema 1 (family under `suite`).
    const csv = readFileSync(join(dir('a'), 'results.csv'), 'utf8').split('\n').filter((l) => l !== '');
    const header = csv[0]!.split(',');
    const drop = (line: string, columns: string[]): string => line.split(',').filter((_, i) => !columns.includes(header[i]!)).join(',');
    const older = (columns: string[]): string => csv.map((l) => drop(l, columns)).join('\n');
    writeFileSync(join(root, 'v3.csv'), older(['schema', 'episode_scores']));
    expect(await compareError(join(root, 'v3.csv'), dir('b'))).toEqual({
      message: expect.stringMatching(/^BASE '.*v3\.csv': a results CSV of schema 3, which has no per-episode scores \(column 'episode_scores'\); export it again/),
      exitCode: 2,
    });
    const v2 = older(['schema', 'episode_scores', 'feature_dtype']);
    writeFileSync(join(root, 'v2.csv'), v2);
    expect((await compareError(join(root, 'v2.csv'), dir('b'))).message).toMatch(/a results CSV of schema 2/);
    writeFileSync(join(root, 'v1.csv'), v2.replace(/^benchmark,family,/, 'benchmark,suite,'));
    expect((await compareError(join(root, 'v1.csv'), dir('b'))).message).toMatch(/a results CSV of schema 1/);
    writeFileSync(join(root, 'notes.csv'), 'a,b\n1,2\n');
    expect((await compareError(join(root, 'notes.csv'), dir('b'))).message).toMatch(/not a bench results CSV/);

    // Mixed benchmarks in one input, and two inputs of different benchmarks.
    const mixed = [csv[0], csv[1], csv[2]!.replace(/^5,cortexbench,/, '5,factorworld,')].join('\n');
    writeFileSync(join(root, 'mixed.csv'), mixed);
    expect((await compareError(join(root, 'mixed.csv'), dir('b'))).message).toMatch(/BASE '.*mixed\.csv': mixes the benchmarks cortexbench, factorworld/);
    writeFileSync(join(root, 'fw.csv'), csv.map((l, i) => (i === 0 ? l : l.replace(/^5,cortexbench,/, '5,factorworld,'))).join('\n'));
    expect(await compareError(dir('a'), join(root, 'fw.csv'))).toEqual({ message: expect.stringMatching(/is benchmark 'cortexbench' but NEW .* is 'factorworld'/), exitCode: 2 });
  });
});
