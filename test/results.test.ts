/**
 * The results layer on hand-made inputs with hand-written expectations: one CSV row column by column, the summary
 * table as printed, schema upgrades of older files and the run directory's files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvRow, resultsToCsv } from '../src/results/csv.js';
import { encoderSlug, RunDir } from '../src/results/run_dir.js';
import { upgradeCellResult, upgradeRunResults, type CellResult, type EncoderSummary, type RunResults } from '../src/results/schema.js';
import { entropyCorrelation, formatSummary, summarise } from '../src/results/summary.js';
import { getProfile } from '../src/protocol/profiles.js';
import { parseCsv } from './helpers/csv.js';
import { cell, entropy, entropyV4 } from './helpers/result_fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'bench-results-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('results.csv', () => {
  it('writes every column of a cell, rounded as documented', () => {
    expect(csvRow(cell(), entropy('onnx:models/a,b.onnx', 2.123456))).toEqual({
      schema: 5,
      benchmark: 'cortexbench',
      family: 'metaworld',
      task: 'drawer-open',
      task_version: 3,
      encoder: 'onnx:models/a,b.onnx',
      encoder_digest: '0123456789abcdef',
      frame_preprocessing: 'processor',
      seed: 200,
      profile: 'quick',
      head: 'mlp',
      policy_init: 'last-layer-0.01',
      shuffle_actions: 1,
      metric: 'success at last step % (horizon 100)',
      horizon: 100,
      demos: 25,
      eval_episodes: 10,
      eval_seed_base: 1000,
      epochs: 20,
      eval_every: 10,
      image_size: 96,
      batch_size: 64,
      camera: 'top_cap2',
      feature_dtype: 'float32',
      score: '66.667',
      best_epoch: 20,
      final_score: '66.667',
      evaluations: '10:33.33 20:66.67',
      // The episodes of the scored evaluation (the best, at epoch 20).
      episode_scores: '100 100 0',
      final_train_loss: '0.012346',
      entropy: '2.1235',
      entropy_normalised: (2.123456 / Math.log(100)).toFixed(4),
      entropy_by_bins: '100:2.1235',
      entropy_source: 'pooled: 1 per frame x 256 frames',
      entropy_probe: "demo frames of the run's tasks (schema 1-4, probe seed 72024) schema-4:c0f",
      demos_s: '1.23',
      features_s: '2.35',
      train_s: '3.46',
      eval_s: '4.57',
      total_s: '11.60',
      tfjs_backend: 'wasm',
      bench_version: '0.1.0',
      mujoco_version: '3.14.0',
      onnxruntime_version: '1.30.0',
      tfjs_version: '4.22.0',
      cpu: 'AMD EPYC (x64, avx512, 2 logical CPUs)',
    });
  });

  it('leaves non-finite numbers and a missing entropy empty, and writes 0 for a normal (unshuffled) run', () => {
    const row = csvRow(cell({ bestScore: Number.NaN, finalScore: Infinity, shuffleActions: false }), undefined);
    expect([row.score, row.final_score, row.entropy, row.entropy_normalised, row.entropy_by_bins, row.entropy_source, row.entropy_probe, row.shuffle_actions]).toEqual(['', '', '', '', '', '', '', 0]);
  });

  it('writes the entropy at every bin count, space-separated', () => {
    const record = entropy('pixels', 2);
    const byBins = [
      { bins: 50, entropy: 1.23456, entropyNormalised: 0.3 },
      { bins: 100, entropy: 2, entropyNormalised: 0.4 },
    ];
    expect(csvRow(cell(), { ...record, result: { ...record.result, byBins } }).entropy_by_bins).toBe('50:1.2346 100:2.0000');
  });

  it('joins each cell with its own encoder\'s entropy and quotes fields that hold commas', () => {
    const text = resultsToCsv({ cells: [cell(), cell({ encoder: 'pixels', seed: 100 })], entropy: [entropy('pixels', 1.5), entropy('onnx:models/a,b.onnx', 2.5)] });
    expect(text.split('\n')[1]).toContain('"onnx:models/a,b.onnx"');
    const rows = parseCsv(text);
    expect(rows.map((r) => [r.encoder, r.seed, r.entropy])).toEqual([
      ['onnx:models/a,b.onnx', '200', '2.5000'],
      ['pixels', '100', '1.5000'],
    ]);
  });
});

describe('summary', () => {
  const cells = [
    cell({ task: 'reacher-easy', family: 'dmc', encoder: 'a', seed: 1, bestScore: 12.34 }),
    cell({ task: 'reacher-easy', family: 'dmc', encoder: 'a', seed: 2, bestScore: 7.66 }),
    cell({ task: 'drawer-open', family: 'metaworld', encoder: 'a', seed: 1, bestScore: 40 }),
    cell({ task: 'drawer-open', family: 'metaworld', encoder: 'b', seed: 1, bestScore: 90 }),
  ];

  it('means only what it has: a family without tasks is absent, an encoder without entropy has null', () => {
    const [a, b] = summarise(cells, [entropy('a', 3.25)]);
    expect(a).toEqual({ encoder: 'a', tasks: { 'reacher-easy': 10, 'drawer-open': 40 }, families: { dmc: 10, metaworld: 40 }, benchmarkMean: 25, entropy: 3.25, entropyNormalised: 3.25 / Math.log(100) });
    expect(b).toEqual({ encoder: 'b', tasks: { 'drawer-open': 90 }, families: { metaworld: 90 }, benchmarkMean: 90, entropy: null, entropyNormalised: null });
  });

  it('prints one row per encoder, tasks, families in the paper\'s order, the mean and entropy, and how the mean is formed', () => {
    const summary = summarise(cells, [entropy('a', 3.25)]);
    expect(formatSummary(summary, null)).toBe(
      [
        'encoder  reacher-easy  drawer-open  [dmc]  [metaworld]  MEAN  H (nats)  H/ln(bins)',
        '-------  ------------  -----------  -----  -----------  ----  --------  ----------',
        'a                10.0         40.0   10.0         40.0  25.0     3.250       0.706',
        'b                   -         90.0      -         90.0  90.0         -           -',
        'MEAN = mean over the families present (DMC, MetaWorld) of the mean over each family\'s tasks',
        'entropy vs benchmark mean: needs >= 3 encoders with an entropy and a score',
      ].join('\n'),
    );
    expect(formatSummary([], null)).toBe('(no finished cells)');
  });

  it('correlates entropy with the benchmark mean over the encoders that have both', () => {
    const s = (encoder: string, mean: number, h: number | null): EncoderSummary => ({ encoder, tasks: {}, families: {}, benchmarkMean: mean, entropy: h, entropyNormalised: null });
    const summary = [s('a', 10, 1), s('b', 30, 2), s('c', 20, 3), s('d', Number.NaN, 4), s('e', 50, null)];
    const correlation = entropyCorrelation(summary)!;
    // With 3 encoders a Fisher-z interval knows nothing: [-1, 1].
    expect(correlation).toEqual({ encoders: 3, pearson: expect.closeTo(0.5, 12), spearman: expect.closeTo(0.5, 12), alpha: 0.05, pearsonInterval: [-1, 1], spearmanInterval: [-1, 1] });
    expect(formatSummary([s('a', 10, 1)], correlation).split('\n').slice(-2)).toEqual([
      'entropy vs benchmark mean over 3 encoders: Pearson 0.500 (95% CI [-1.000, 1.000]), Spearman 0.500 (95% CI [-1.000, 1.000])',
      'warning: n = 3 encoders is too few for this correlation to mean anything (its 95% interval is [-1.000, 1.000]); read its sign only with >= 10 encoders',
    ]);
    expect(entropyCorrelation(summary.slice(0, 2).concat(summary.slice(3)))).toBeNull();
  });
});

describe('schema', () => {
  /** The same cell as an older schema wrote it (before 5: no policy init, which was last-layer-0.01, or frame path). */
  const asV4 = (c: CellResult): Record<string, unknown> => {
    const { policyInit: _init, framePreprocessing: _frames, ...rest } = c;
    return { ...rest, schema: 4 };
  };
  const asV2 = (c: CellResult): Record<string, unknown> => {
    const { featurePrecision: _, ...rest } = asV4(c);
    return { ...rest, schema: 2 };
  };
  const asV1 = (c: CellResult): Record<string, unknown> => {
    const { family, ...rest } = asV2(c);
    return { ...rest, schema: 1, suite: family };
  };
  // Older schemas stored float16 features only.
  const older = cell({ featurePrecision: 'float16' });

  it('reads schema-1 cells (family under `suite`), schema-2 cells (no feature precision), schema-3 and -4 cells as schema 5', () => {
    expect(upgradeCellResult(asV1(older) as never, 'x.json')).toEqual(older);
    expect(upgradeCellResult(asV2(older) as never, 'x.json')).toEqual(older);
    expect(upgradeCellResult({ ...asV4(cell()), schema: 3 } as never, 'x.json')).toEqual(cell());
    expect(upgradeCellResult(asV4(cell()) as never, 'x.json')).toEqual(cell());
    expect(upgradeCellResult(cell(), 'x.json')).toEqual(cell());
  });

  it('refuses cells of unknown schemas and what is not a cell, naming the source', () => {
    expect(() => upgradeCellResult({ ...cell(), schema: 6 }, 'cells/x.json')).toThrow('cells/x.json: cell result of schema 6; this version reads schemas 1 to 5');
    const { family: _, ...noFamily } = asV2(cell());
    expect(() => upgradeCellResult(noFamily as never, 'y.json')).toThrow('y.json: cell result of schema 2; this version reads schemas 1 to 5');
    const { suite: __, ...noSuite } = asV1(cell());
    expect(() => upgradeCellResult(noSuite as never, 'z.json')).toThrow('z.json: cell result of schema 1');
    expect(() => upgradeCellResult(null as never, 'n.json')).toThrow('n.json is not a cell result (a JSON object)');
    expect(() => upgradeCellResult(7 as never, 'n.json')).toThrow('n.json is not a cell result (a JSON object)');
  });

  it('reads schema-1 to -4 results.json as schema 5 (no failures recorded before 3; the plan as the cells show it, entropy without histograms, correlations with intervals before 4; the old probe and last-layer-0.01 before 5)', () => {
    const cells = [older, cell({ featurePrecision: 'float16', task: 'assembly', encoder: 'pixels', seed: 100 }), cell({ featurePrecision: 'float16', encoder: 'pixels', seed: 100 })];
    const records = ['a', 'b', 'c'].map((e, i) => entropy(e, i + 1));
    const summary = summarise(cells, records);
    const correlation = { encoders: 3, pearson: 0.25, spearman: 0.5 };
    const { policyInit: _init, encoderPreprocessing: _frames, ...profileV4 } = getProfile('smoke');
    const results: RunResults = {
      schema: 5,
      benchmark: 'cortexbench',
      profile: { ...profileV4, policyInit: 'last-layer-0.01', encoderPreprocessing: 'processor' },
      head: 'auto',
      shuffleActions: false,
      tfjsBackend: 'wasm',
      // Tasks and encoders in cell order, seeds ascending.
      plan: { tasks: ['drawer-open', 'assembly'], encoders: ['onnx:models/a,b.onnx', 'pixels'], seeds: [100, 200] },
      cells,
      failures: [],
      entropy: records,
      summary,
      entropyCorrelation: { ...correlation, alpha: 0.05, pearsonInterval: [-1, 1], spearmanInterval: [-1, 1] },
    };
    const recordsV4 = ['a', 'b', 'c'].map((e, i) => entropyV4(e, i + 1));
    const v4 = { ...results, schema: 4, profile: profileV4, cells: cells.map(asV4), entropy: recordsV4 };
    const { plan: _plan, ...withoutPlan } = v4;
    // Older entropy records have no histogram: upgraded, it is null.
    const v3 = { ...withoutPlan, schema: 3, entropy: recordsV4.map(({ result: { histogram: _h, ...result }, ...r }) => ({ ...r, result })), entropyCorrelation: correlation };
    const { failures: _, ...withoutFailures } = v3;
    const v2 = { ...withoutFailures, schema: 2, cells: cells.map(asV2) };
    const v1 = { ...v2, schema: 1, cells: cells.map(asV1), summary: results.summary.map(({ families, ...s }) => ({ ...s, suites: families })) };
    expect(upgradeRunResults(v4 as never, 'r.json')).toEqual(results);
    expect(upgradeRunResults(v3 as never, 'r.json')).toEqual(results);
    expect(upgradeRunResults(v2 as never, 'r.json')).toEqual(results);
    expect(upgradeRunResults(v1 as never, 'r.json')).toEqual(results);
    expect(upgradeRunResults(results, 'r.json')).toBe(results);
    expect(() => upgradeRunResults({ ...results, schema: 6 }, "'r.json'")).toThrow("'r.json': results of schema 6; this version reads schemas 1 to 5");
    expect(() => upgradeRunResults({ schema: 5 } as never, "'r.json'")).toThrow("'r.json' is not a bench results file (no cells)");
    expect(() => upgradeRunResults(null as never, "'r.json'")).toThrow("'r.json' is not a bench results file (no cells)");
  });
});

describe('run directory', () => {
  it('names cell files by task, a readable encoder slug with a hash, and seed', () => {
    const dir = new RunDir(join(root, 'names'));
    expect(dir.cellPath({ task: 'reacher-easy', encoder: 'pixels', seed: 100 })).toMatch(/names\/cells\/reacher-easy__pixels-[0-9a-f]{8}__s100\.json$/);
    expect(encoderSlug('onnx:/models/My Model.onnx')).toMatch(/^onnx_models_My_Model\.onnx-[0-9a-f]{8}$/);
    const long = `theia:${'x'.repeat(60)}/model`;
    expect(encoderSlug(long).split('-')[0]).toHaveLength(40);
    expect(encoderSlug('__a__')).toMatch(/^a-[0-9a-f]{8}$/);
    // Specs that read alike still get different files.
    expect(encoderSlug('onnx:a b')).not.toBe(encoderSlug('onnx:a_b'));
  });

  it('writes and reads cells, entropy records and results; absent files read as none', () => {
    const dir = new RunDir(join(root, 'rw'));
    expect(dir.readCells()).toEqual([]);
    expect(dir.readEntropyRecords()).toEqual([]);
    const key = { task: 'drawer-open', encoder: 'pixels', seed: 7 };
    expect(dir.readCell(key)).toBeNull();
    expect(dir.readEntropy('pixels')).toBeNull();
    dir.writeCell(cell({ ...key }));
    dir.writeCell(cell({ task: 'assembly', encoder: 'pixels', seed: 7 }));
    expect(dir.readCell(key)).toEqual(cell({ ...key }));
    expect(dir.readCells().map((c) => c.task)).toEqual(['assembly', 'drawer-open']);
    dir.writeEntropy(entropy('pixels', 1));
    expect(dir.readEntropy('pixels')).toEqual(entropy('pixels', 1));
    expect(dir.readEntropyRecords()).toEqual([entropy('pixels', 1)]);
    expect(() => dir.readResults()).toThrow(`no results.json in '${dir.path}' (expected the --out directory of a bench run)`);
    const results = { schema: 5, cells: dir.readCells(), failures: [], entropy: dir.readEntropyRecords() } as unknown as RunResults;
    dir.writeResults(results);
    expect(dir.readResults()).toEqual(results);
  });
});
