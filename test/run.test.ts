/**
 * End-to-end runs on real tasks, demos, renderer and tfjs policies with tiny settings. The encoders are small
 * fakes (area-averaged colour grids) so that the test does not spend minutes in ViT inference; the real encoder
 * registry is used where its errors are checked.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import '../src/envs/index.js';
import { encodedFrames, fakeEncoderDeps } from './helpers/fake_encoders.js';
import { runOptionsIn } from './helpers/run_options.js';
import { tinyProfile } from './helpers/tiny_profile.js';
import { listOption, seedListOption, shardOption } from '../src/cli/option_checks.js';
import { planCells } from '../src/run/plan.js';
import { evaluationEpochs, getProfile } from '../src/protocol/profiles.js';
import { frameOptions, observationLook } from '../src/protocol/render_settings.js';
import { runBenchmark } from '../src/run/runner.js';
import { CSV_COLUMNS } from '../src/results/csv.js';
import type { CellResult, EntropyRecord, RunResults } from '../src/results/schema.js';
import { entropyCorrelation, formatStageTimes, formatSummary, summarise } from '../src/results/summary.js';
import { bestEvaluation } from '../src/eval/metrics.js';
import { ExpertRollout } from '../src/envs/expert_rollout.js';
import { renderDemoFrames } from '../src/data/features.js';
import { Env } from '../src/envs/env.js';
import { getTask } from '../src/envs/registry.js';
import { parseCsv, withoutTimings } from './helpers/csv.js';

const root = mkdtempSync(join(tmpdir(), 'bench-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cacheDir = join(root, 'cache');

const deps = fakeEncoderDeps;

const tiny = tinyProfile();

const options = runOptionsIn(root, { benchmark: 'cortexbench', tasks: ['reacher-easy', 'button-press-topdown'], encoders: ['grid-2', 'grid-4'], profile: tiny, cacheDir, deps });

const readCsv = (out: string): Record<string, string>[] => parseCsv(readFileSync(join(root, out, 'results.csv'), 'utf8'));

describe('bench run', () => {
  let firstCsv: Record<string, string>[];
  const firstLog: string[] = [];

  beforeAll(async () => {
    const report = await runBenchmark(options('a', { log: (line) => firstLog.push(line) }));
    expect(report.ran).toBe(4);
    firstCsv = readCsv('a');
  });

  it('says where the time went, per cell and over the run', () => {
    const stages = /demos [\d.]+ s, features [\d.]+ s, train [\d.]+ s, eval [\d.]+ s, other [\d.]+ s; most: (demos|features|train|eval|other) \(\d+%\)/;
    const cellLines = firstLog.filter((line) => /^cell \d\/4: .*: best /.test(line));
    expect(cellLines).toHaveLength(4);
    for (const line of cellLines) expect(line).toMatch(stages);
    expect(firstLog.find((line) => line.startsWith('time by stage over the 4 cells run now: '))).toMatch(stages);
    const timings = { demosSeconds: 1, featuresSeconds: 2, trainSeconds: 6, evalSeconds: 0.5, totalSeconds: 10 };
    expect(formatStageTimes([timings, timings])).toBe('demos 2.0 s, features 4.0 s, train 12.0 s, eval 1.0 s, other 1.0 s; most: train (60%)');
  });

  it('writes results.json and results.csv with one row per task x encoder x seed', () => {
    expect(Object.keys(firstCsv[0]!)).toEqual([...CSV_COLUMNS]);
    expect(firstCsv.map((r) => `${r.task}/${r.encoder}/${r.seed}`)).toEqual([
      'reacher-easy/grid-2/1',
      'reacher-easy/grid-4/1',
      'button-press-topdown/grid-2/1',
      'button-press-topdown/grid-4/1',
    ]);
    for (const row of firstCsv) {
      expect(row.profile).toBe('smoke');
      expect(row.feature_dtype).toBe('float16');
      expect([row.policy_init, row.frame_preprocessing]).toEqual([tiny.policyInit, 'processor']);
      expect(row.entropy_probe).toMatch(/^test-random-frames/);
      expect(row.horizon).toBe('20');
      expect(row.tfjs_backend).toMatch(/wasm|tensorflow|cpu/);
      expect(Number(row.entropy)).toBeGreaterThan(0);
      expect(Number.isFinite(Number(row.score))).toBe(true);
      expect(row.evaluations.split(' ')).toHaveLength(2);
      expect(Number(row.best_epoch)).toBeGreaterThanOrEqual(1);
    }
    expect(firstCsv[0]!.metric).toMatch(/return\/10 scaled to 1000 steps \(horizon 20\)/);
    expect(firstCsv[2]!.metric).toMatch(/success at last step/);
    const json = JSON.parse(readFileSync(join(root, 'a', 'results.json'), 'utf8'));
    expect(json.cells).toHaveLength(4);
    expect(json.summary.map((s: { encoder: string }) => s.encoder)).toEqual(['grid-2', 'grid-4']);
    expect(json.entropy).toHaveLength(2);
    expect(json.entropyCorrelation).toBeNull();
    expect(readdirSync(join(root, 'a', 'cells'))).toHaveLength(4);
  });

  it('gives the same numbers with the evaluation envs on worker threads', async () => {
    const log: string[] = [];
    const report = await runBenchmark(options('workers', { envWorkers: 2, log: (line) => log.push(line) }));
    expect(report.ran).toBe(4);
    // With env workers the default schedule measures each encoder against a rendered frame.
    expect(log.find((l) => l.startsWith('cells: up to'))).toMatch(/grid-2 encodes one in [\d.]+ ms \((cheap|heavy)\)/);
    expect(withoutTimings(readCsv('workers'))).toEqual(withoutTimings(firstCsv));
  });

  it('gives the same numbers with cells of the two tasks running at the same time (--jobs 2)', async () => {
    const report = await runBenchmark(options('jobs', { jobs: 2 }));
    expect(report.ran).toBe(4);
    expect(withoutTimings(readCsv('jobs'))).toEqual(withoutTimings(firstCsv));
  });

  it('does no work when rerun on a finished directory', async () => {
    const before = encodedFrames();
    const report = await runBenchmark(options('a'));
    expect([report.ran, report.skipped]).toEqual([0, 4]);
    expect(encodedFrames()).toBe(before);
    expect(readCsv('a')).toEqual(firstCsv);
  });

  it('resumes an interrupted run and ends with the same CSV (timing columns aside): same command, same scores', async () => {
    const controller = new AbortController();
    await expect(
      runBenchmark(options('b', { signal: controller.signal, onCellDone: () => controller.abort(new Error('stop after one cell')) })),
    ).rejects.toThrow(/stop after one cell/);
    expect(readdirSync(join(root, 'b', 'cells'))).toHaveLength(1);
    expect(readCsv('b')).toHaveLength(1);
    const report = await runBenchmark(options('b'));
    expect([report.ran, report.skipped]).toEqual([3, 1]);
    expect(withoutTimings(readCsv('b'))).toEqual(withoutTimings(firstCsv));
  });

  it('exports the CSV', async () => {
    const file = join(root, 'export.csv');
    await main(['export', '--in', join(root, 'a'), '--format', 'csv', '--out', file]);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(join(root, 'a', 'results.csv'), 'utf8'));
    await expect(main(['export', '--in', join(root, 'nowhere')])).rejects.toThrow(/no results.json in/);
  });

  it('reads schema-1 results (the task family under `suite`): a rerun skips their cells, export writes the current schema', async () => {
    const dir = join(root, 'v1');
    cpSync(join(root, 'a'), dir, { recursive: true });
    const toV1 = ({ family, featurePrecision: _float16, ...cell }: CellResult): Record<string, unknown> => ({ ...cell, schema: 1, suite: family });
    for (const name of readdirSync(join(dir, 'cells'))) {
      const path = join(dir, 'cells', name);
      writeFileSync(path, JSON.stringify(toV1(JSON.parse(readFileSync(path, 'utf8')) as CellResult)));
    }
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    const { failures: _none, plan: _plan, ...withoutFailures } = results;
    const v1 = {
      ...withoutFailures,
      schema: 1,
      cells: results.cells.map(toV1),
      summary: results.summary.map(({ families, ...s }) => ({ ...s, suites: families })),
    };
    writeFileSync(join(dir, 'results.json'), JSON.stringify(v1));
    const exported = join(root, 'v1-export.json');
    await main(['export', '--in', dir, '--format', 'json', '--out', exported]);
    const upgraded = JSON.parse(readFileSync(exported, 'utf8')) as RunResults;
    expect(upgraded.schema).toBe(5);
    expect(upgraded.failures).toEqual([]);
    expect(upgraded.plan).toEqual(results.plan);
    expect(upgraded.cells.every((c) => c.featurePrecision === 'float16')).toBe(true);
    expect(upgraded.cells.map((c) => c.family)).toEqual(['dmc', 'dmc', 'metaworld', 'metaworld']);
    expect(upgraded.summary[0]!.families).toEqual(results.summary[0]!.families);
    await main(['export', '--in', dir, '--format', 'csv', '--out', join(root, 'v1-export.csv')]);
    expect(readFileSync(join(root, 'v1-export.csv'), 'utf8')).toBe(readFileSync(join(root, 'a', 'results.csv'), 'utf8'));

    const report = await runBenchmark(options('v1'));
    expect([report.ran, report.skipped]).toEqual([0, 4]);
    expect(readCsv('v1')).toEqual(firstCsv);
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).schema).toBe(5);
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ ...v1, schema: 7 }));
    await expect(main(['export', '--in', dir])).rejects.toThrow(/results of schema 7; this version reads schemas 1 to 5/);
  });

  it('reads schema-4 results: their cells get the init and preprocessing of that code, their entropy keeps its old probe', async () => {
    const dir = join(root, 'v4');
    cpSync(join(root, 'a'), dir, { recursive: true });
    const toV4 = ({ policyInit, framePreprocessing, ...cell }: CellResult): Record<string, unknown> => ({ ...cell, schema: 4 });
    const entropyV4 = ({ encoder, encoderDigest, result }: EntropyRecord): Record<string, unknown> => ({
      encoder,
      encoderDigest,
      configDigest: 'c0ffee',
      probeTasks: ['reacher-easy'],
      probeFrames: 256,
      probeSeed: 72024,
      imageSize: 64,
      result: { entropy: result.entropy + 1, entropyNormalised: (result.entropy + 1) / Math.log(100), bins: 100, norms: 256, min: 0, max: 1, source: 'pooled', histogram: null },
    });
    for (const name of readdirSync(join(dir, 'cells'))) {
      const path = join(dir, 'cells', name);
      writeFileSync(path, JSON.stringify(toV4(JSON.parse(readFileSync(path, 'utf8')) as CellResult)));
    }
    for (const name of readdirSync(join(dir, 'entropy'))) {
      const path = join(dir, 'entropy', name);
      writeFileSync(path, JSON.stringify(entropyV4(JSON.parse(readFileSync(path, 'utf8')) as EntropyRecord)));
    }
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ ...results, schema: 4, cells: results.cells.map(toV4), entropy: results.entropy.map(entropyV4) }));
    const exported = join(root, 'v4-export.json');
    await main(['export', '--in', dir, '--format', 'json', '--out', exported]);
    const upgraded = JSON.parse(readFileSync(exported, 'utf8')) as RunResults;
    expect(upgraded.schema).toBe(5);
    expect(new Set(upgraded.cells.map((c) => `${c.policyInit} ${c.framePreprocessing}`))).toEqual(new Set(['last-layer-0.01 processor']));
    expect(upgraded.entropy[0]!.probe.digest).toBe('schema-4:c0ffee');
    expect(upgraded.entropy[0]!.result.entropy).toBeCloseTo(results.entropy[0]!.result.entropy + 1, 12);

    // A rerun keeps the cells and measures entropy again on the protocol's probe: the old, run-dependent value goes.
    const report = await runBenchmark(options('v4'));
    expect([report.ran, report.skipped]).toEqual([0, 4]);
    const rerun = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    expect(rerun.entropy.map((e) => e.result.entropy)).toEqual(results.entropy.map((e) => e.result.entropy));
    expect(rerun.entropy.map((e) => [e.key, e.probe.digest])).toEqual(results.entropy.map((e) => [e.key, e.probe.digest]));
  });

  it('refuses to mix configurations in one output directory', async () => {
    await expect(runBenchmark(options('a', { shuffleActions: true }))).rejects.toThrow(/holds results of another configuration.*different --out/);
  });
});

describe('bad input', () => {
  it('names unknown encoders, tasks, benchmarks and profiles', async () => {
    await expect(runBenchmark(options('bad1', { encoders: ['grid-2', 'no-such-encoder'] }))).rejects.toThrow(/unknown encoder spec 'no-such-encoder'/);
    await expect(runBenchmark(options('bad2', { tasks: ['reacher-hard-typo'] }))).rejects.toThrow(/unknown task 'reacher-hard-typo'; known tasks: .*reacher-easy/);
    await expect(runBenchmark(options('bad3', { benchmark: 'nosuite' }))).rejects.toThrow(/unknown benchmark 'nosuite'/);
    await expect(main(['run', '--benchmark', 'nosuite', '--profile', 'smoke'])).rejects.toThrow(/unknown benchmark 'nosuite'; known benchmarks: cortexbench/);
    expect(() => getProfile('fast')).toThrow(/unknown profile 'fast'; expected one of: smoke, quick, paper/);
    await expect(main(['run', '--profile', 'fast'])).rejects.toThrow(/unknown profile 'fast'/);
  });

  it('rejects bad --seeds, --shard and --head', async () => {
    const seeds = seedListOption('seeds');
    expect(seeds('100, 200,300')).toEqual([100, 200, 300]);
    expect(() => seeds('100,x')).toThrow(/--seeds: 'x' is not a non-negative integer/);
    expect(() => seeds('1,,2')).toThrow(/--seeds: expected a comma-separated list/);
    expect(() => seeds('-3')).toThrow(/--seeds/);
    await expect(main(['run', '--seeds', '1.5', '--profile', 'smoke'])).rejects.toThrow(/--seeds: '1.5'/);
    expect(shardOption('shard')('2/4')).toEqual({ index: 1, count: 4 });
    expect(() => shardOption('shard')('0/2')).toThrow(/--shard: expected i\/n/);
    await expect(main(['run', '--shard', '3/2', '--profile', 'smoke'])).rejects.toThrow(/--shard: expected i\/n with 1 <= i <= n/);
    expect(listOption('tasks')(' a, b')).toEqual(['a', 'b']);
    await expect(main(['run', '--tasks', 'reacher-easy,,drawer-open', '--profile', 'smoke'])).rejects.toThrow(/--tasks: empty entry in/);
    await expect(main(['run', '--head', 'transformer'])).rejects.toThrow(/--head: expected mlp, conv or auto/);
    await expect(main(['run', '--profile', 'smoke', '--policy-init', 'xavier'])).rejects.toThrow(/--policy-init: expected one of mjrl, last-layer-0.01/);
    await expect(main(['run', '--profile', 'smoke', '--eval-episodes', '0'])).rejects.toThrow(/--eval-episodes must be an integer in \[1, 10000\]/);
    await expect(runBenchmark(options('bad4', { encoders: ['pixels'], head: 'conv' }))).rejects.toThrow(/--head conv needs spatial tokens.*'pixels'/);
  });

  it('splits cells into disjoint shards that cover the plan', () => {
    const all = planCells(['a', 'b', 'c'], ['x', 'y'], [1, 2]);
    const shards = [0, 1, 2].map((index) => planCells(['a', 'b', 'c'], ['x', 'y'], [1, 2], { index, count: 3 }));
    expect(shards.flat().length).toBe(all.length);
    expect(new Set(shards.flat().map((c) => JSON.stringify(c))).size).toBe(all.length);
    expect(() => planCells(['a', 'a'], ['x'], [1])).toThrow(/tasks: 'a' is listed twice/);
  });
});

describe('aggregation', () => {
  const cell = (task: string, family: 'dmc' | 'metaworld', encoder: string, seed: number, bestScore: number): CellResult =>
    ({ task, family, encoder, seed, bestScore }) as CellResult;
  const entropy = (encoder: string, h: number): EntropyRecord => ({ encoder, result: { entropy: h, entropyNormalised: h / Math.log(100) } }) as EntropyRecord;

  it('averages seeds per task, tasks per family and families per benchmark, and correlates entropy', () => {
    const cells = [
      cell('reacher-easy', 'dmc', 'a', 100, 10),
      cell('reacher-easy', 'dmc', 'a', 200, 30),
      cell('cheetah-run', 'dmc', 'a', 100, 40),
      cell('button-press-topdown', 'metaworld', 'a', 100, 60),
      cell('reacher-easy', 'dmc', 'b', 100, 0),
      cell('button-press-topdown', 'metaworld', 'b', 100, 20),
      cell('reacher-easy', 'dmc', 'c', 100, 50),
      cell('button-press-topdown', 'metaworld', 'c', 100, 100),
    ];
    const summary = summarise(cells, [entropy('a', 2), entropy('b', 1), entropy('c', 3)]);
    expect(summary[0]).toMatchObject({ encoder: 'a', tasks: { 'reacher-easy': 20, 'cheetah-run': 40 }, families: { dmc: 30, metaworld: 60 }, benchmarkMean: 45, entropy: 2 });
    expect(summary.map((s) => s.benchmarkMean)).toEqual([45, 10, 75]);
    const corr = entropyCorrelation(summary)!;
    expect(corr.encoders).toBe(3);
    expect(corr.spearman).toBeCloseTo(1, 12);
    expect(corr.pearson).toBeCloseTo(0.9990152631781919, 10);
    expect(entropyCorrelation(summary.slice(0, 2))).toBeNull();
    expect(formatSummary(summary, corr)).toMatch(/Pearson 0\.999 \(95% CI \[-1\.000, 1\.000\]\), Spearman 1\.000 \(95% CI \[-1\.000, 1\.000\]\)\nwarning: n = 3 encoders is too few/);
  });

  it('takes the best evaluation, the earliest on ties', () => {
    expect(bestEvaluation([{ epoch: 5, score: 3 }, { epoch: 10, score: 7 }, { epoch: 15, score: 7 }]).epoch).toBe(10);
  });

  it('evaluates every evalEvery epochs and at the last one', () => {
    expect(evaluationEpochs(100, 5)).toHaveLength(20);
    expect(evaluationEpochs(12, 5)).toEqual([5, 10, 12]);
    expect(evaluationEpochs(10, 5)).toEqual([5, 10]);
  });
});

describe('training frames', () => {
  // Evaluation renders the live env; training re-renders demo states. Both must show the same picture, including
  // per-episode values kept in the model (the button box position of MetaWorld tasks), or a policy learns a scene
  // it never sees.
  it('re-renders demo frames exactly as the live episode showed them', async () => {
    const task = getTask('button-press-topdown');
    const rollout = await ExpertRollout.create(task);
    const replay = await Env.make(task);
    try {
      const size = 64;
      const render = { imageSize: size, camera: task.defaultCamera, ...observationLook(size) };
      const live: Uint8Array[][] = [];
      const episodes = [11, 22].map((seed) => {
        const frames: Uint8Array[] = [];
        live.push(frames);
        return rollout.episode(seed, { maxSteps: 3, onState: () => frames.push(rollout.env.render(frameOptions(render)).rgb.slice()) });
      });
      const steps: [number, number][] = [];
      episodes.forEach((e, i) => {
        for (let t = 0; t < e.length; t++) steps.push([i, t]);
      });
      const batch = renderDemoFrames(replay, episodes, steps, render);
      const frameBytes = size * size * 3;
      steps.forEach(([i, t], k) => expect(Buffer.compare(Buffer.from(batch.data.subarray(k * frameBytes, (k + 1) * frameBytes)), Buffer.from(live[i]![t]!))).toBe(0));
      // The two episodes place the button box differently, so the check above could not pass with one layout.
      expect(Buffer.compare(Buffer.from(live[0]![0]!), Buffer.from(live[1]![0]!))).not.toBe(0);
    } finally {
      rollout.close();
      replay.close();
    }
  });
});
