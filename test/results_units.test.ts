/**
 * The results layer's readers and printers on hand-made inputs, in-process and quick: results.csv read back (and
 * what it refuses), the scored cells `bench compare` reads from a run directory or a CSV, schema upgrades at their
 * edges, correlation lines and stage times. Expectations are hand-computed or follow the documented formulas.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalQuantile } from '../src/eval/statistics.js';
import { formatNumber } from '../src/results/cell_columns.js';
import { parseResultsCsv, resultsToCsv } from '../src/results/csv.js';
import { RunDir } from '../src/results/run_dir.js';
import { scoredEvaluation, upgradeCellResult, upgradeEntropyRecord, upgradeRunResults, withIntervals, type CellResult, type RunResults } from '../src/results/schema.js';
import { readScoredRun, scoredCell, type ScoredCell } from '../src/results/scored_cells.js';
import { formatCorrelation, formatStageTimes, summarise, entropyCorrelation } from '../src/results/summary.js';
import { parseCsv } from './helpers/csv.js';
import { cell, entropy, entropyV4 } from './helpers/result_fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'bench-results-units-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cells = [cell(), cell({ task: 'reacher-easy', family: 'dmc', encoder: 'pixels', seed: 100, encoderDigest: 'feedfacefeedfacefeedface' })];
const csvText = resultsToCsv({ cells, entropy: [] });
/** results.csv with its header's columns changed by `edit` (each data row keeps its fields). */
const withHeader = (edit: (columns: string[]) => string[]): string => {
  const [header, ...rest] = csvText.split('\n');
  return [edit(header!.split(',')).join(','), ...rest].join('\n');
};

/** The scored cell of `cell()` (drawer-open, seed 200), written by hand from the fixture's fields. */
const drawerOpen: ScoredCell = {
  benchmark: 'cortexbench',
  family: 'metaworld',
  task: 'drawer-open',
  taskVersion: 3,
  encoder: 'onnx:models/a,b.onnx',
  encoderDigest: '0123456789abcdef',
  seed: 200,
  protocol: { profile: 'quick', metric: 'success at last step % (horizon 100)', horizon: 100, demos: 25, evalEpisodes: 10, evalSeedBase: 1000, epochs: 20, evalEvery: 10, imageSize: 96, batchSize: 64, camera: 'top_cap2' },
  head: 'mlp',
  shuffleActions: true,
  versions: 'bench 0.1.0, mujoco 3.14.0, onnxruntime 1.30.0, tfjs 4.22.0 (wasm)',
  cpu: 'AMD EPYC (x64, avx512, 2 logical CPUs)',
  episodeScores: [100, 100, 0],
  score: 200 / 3,
};

describe('results.csv read back', () => {
  it('reads the rows it wrote, keyed by column, also with CRLF line ends and blank lines', () => {
    const rows = parseResultsCsv(csvText, 'r.csv');
    expect(rows).toEqual(parseCsv(csvText));
    expect(rows.map((r) => [r.schema, r.task, r.episode_scores])).toEqual([
      ['5', 'drawer-open', '100 100 0'],
      ['5', 'reacher-easy', '100 100 0'],
    ]);
    expect(parseResultsCsv(`${csvText.replaceAll('\n', '\r\n')}\r\n\r\n`, 'r.csv')).toEqual(rows);
  });

  it('writes a sweep\'s results as its per-split rows', () => {
    const sweep = { factors: ['light'], k: 2, demosPerValue: 1, splits: [{ split: 'seen', scenes: 'abc', evalEpisodes: 3, evaluations: cell().evaluations, score: 66.66666 }] };
    const text = resultsToCsv({ cells: [cell({ sweep })], entropy: [], sweep: { splits: ['seen'], summary: [] } });
    const [row] = parseCsv(text);
    expect([row!.factors, row!.k, row!.split, row!.eval_scenes]).toEqual(['light', '2', 'seen', 'abc']);
  });

  it('refuses what it cannot compare, naming the file and what to do', () => {
    const again = 'export it again with this version (bench export --in RUN_DIR --format csv) or pass the run directory';
    expect(() => parseResultsCsv('a,"b\n1,2\n', 'x.csv')).toThrow(/^x\.csv: not a readable CSV file \(.+\)$/);
    const old = (schema: number, edit: (columns: string[]) => string[]): void =>
      expect(() => parseResultsCsv(withHeader(edit), 'old.csv')).toThrow(`old.csv: a results CSV of schema ${schema}, which has no per-episode scores (column 'episode_scores'); ${again}`);
    const noSchema = (columns: string[]): string[] => columns.map((c) => (c === 'schema' ? 'sch' : c));
    old(3, noSchema);
    const rename = (from: string, to: string) => (columns: string[]): string[] => noSchema(columns).map((c) => (c === from ? to : c));
    old(2, rename('feature_dtype', 'dtype'));
    old(1, (columns) => rename('feature_dtype', 'dtype')(columns).map((c) => (c === 'family' ? 'suite' : c)));
    // A header with both (no schema written yet) is schema 2 or 3, which named the family `family`.
    old(2, rename('feature_dtype', 'suite'));
    expect(() => parseResultsCsv('task,score\nx,1\n', 'notes.csv')).toThrow("notes.csv: not a bench results CSV (no 'schema' column; expected the header of results.csv)");
    expect(() => parseResultsCsv(csvText.replace('\n5,', '\n4,'), 'v4.csv')).toThrow(`v4.csv: rows of results schema 4; this version compares CSVs of schema 5; ${again}`);
    expect(() => parseResultsCsv(withHeader((columns) => columns.map((c) => (c === 'seed' ? 'seeds' : c === 'camera' ? 'cam' : c))), 'cut.csv')).toThrow(
      'cut.csv: results CSV without the column(s) seed, camera',
    );
  });
});

describe('scored cells', () => {
  it('takes a cell\'s identity, protocol, versions and the episodes of its scored evaluation', () => {
    expect(scoredCell(cell())).toEqual(drawerOpen);
  });

  it('reads the same cells from a run directory, its results.json and its results.csv', () => {
    const dir = new RunDir(join(root, 'run'));
    dir.writeResults({ schema: 5, cells, entropy: [], failures: [] } as unknown as RunResults);
    const fromDir = readScoredRun(dir.path, 'BASE');
    expect(fromDir).toEqual({ source: `BASE '${dir.path}'`, benchmark: 'cortexbench', cells: cells.map(scoredCell) });
    expect(fromDir.cells[0]).toEqual(drawerOpen);
    expect(readScoredRun(join(dir.path, 'results.json'), 'NEW').cells).toEqual(fromDir.cells);
    expect(readScoredRun(join(dir.path, 'results.csv'), 'NEW').cells).toEqual(fromDir.cells);
  });

  it('reads an unshuffled conv-head cell from CSV and keeps episode scores at full precision', () => {
    const path = join(root, 'conv.csv');
    const thirds = cell({ head: 'conv', shuffleActions: false, evaluations: [{ epoch: 20, score: 1 / 3, episodeScores: [1 / 3, 2 / 3, 0], trainLoss: 1 }] });
    writeFileSync(path, resultsToCsv({ cells: [thirds], entropy: [] }));
    const [read] = readScoredRun(path, 'NEW').cells;
    expect(read).toMatchObject({ head: 'conv', shuffleActions: false, episodeScores: [1 / 3, 2 / 3, 0], score: 1 / 3 });
    // A CSV holding a whole digest is compared on the first 16 hex digits, as a run directory is.
    writeFileSync(path, resultsToCsv({ cells: [thirds], entropy: [] }).replace(',0123456789abcdef,', `,${'0123456789abcdef'.repeat(4)},`));
    expect(readScoredRun(path, 'NEW').cells[0]!.encoderDigest).toBe('0123456789abcdef');
  });

  it('refuses bad CSV fields, naming the file, row and column', () => {
    const rows = parseCsv(csvText);
    const header = Object.keys(rows[0]!);
    const quote = (v: string): string => (/[",]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
    const refused = (column: string, value: string): string => {
      const path = join(root, `bad-${column}.csv`);
      const edited = rows.map((r, i) => (i === 1 ? { ...r, [column]: value } : r));
      writeFileSync(path, [header.join(','), ...edited.map((r) => header.map((h) => quote(r[h]!)).join(','))].join('\n'));
      const error = (() => {
        try {
          readScoredRun(path, 'BASE');
        } catch (e) {
          return (e as Error).message;
        }
        return 'accepted';
      })();
      return error.replace(`BASE '${path}' `, '');
    };
    expect(refused('seed', '1.5')).toBe("row 3: column seed must be an integer, got '1.5'");
    expect(refused('horizon', '100x')).toBe("row 3: column horizon must be an integer, got '100x'");
    expect(refused('task_version', 'x3')).toBe("row 3: column task_version must be an integer, got 'x3'");
    expect(refused('seed', '-3')).toBe('accepted');
    expect(refused('family', 'atari')).toBe("row 3: column family must be one of dmc, metaworld, adroit, got 'atari'");
    expect(refused('head', 'rnn')).toBe("row 3: column head must be one of mlp, conv, got 'rnn'");
    expect(refused('episode_scores', '')).toBe("row 3: column episode_scores must hold space-separated numbers, got ''");
    expect(refused('episode_scores', '1 x')).toBe("row 3: column episode_scores must hold space-separated numbers, got '1 x'");
    expect(refused('episode_scores', '1 Infinity')).toBe("row 3: column episode_scores must hold space-separated numbers, got '1 Infinity'");
    expect(refused('episode_scores', ' 10  20 ')).toBe('accepted');
  });

  it('refuses a missing path, another kind of file, an empty run and a run directory without results', () => {
    const missing = join(root, 'nowhere');
    expect(() => readScoredRun(missing, 'NEW')).toThrow(`NEW '${missing}': no such file or directory (expected a run directory, a results.json or a results.csv)`);
    const notes = join(root, 'notes.txt');
    writeFileSync(notes, 'x');
    expect(() => readScoredRun(notes, 'NEW')).toThrow(`NEW '${notes}': expected a run directory, a results.json or a .csv file`);
    const empty = new RunDir(join(root, 'empty'));
    empty.writeResults({ schema: 5, cells: [], entropy: [], failures: [] } as unknown as RunResults);
    expect(() => readScoredRun(empty.path, 'BASE')).toThrow(`BASE '${empty.path}': holds no finished cells`);
    const bare = join(root, 'bare');
    mkdirSync(bare);
    expect(() => readScoredRun(bare, 'BASE')).toThrow(`BASE '${bare}': no results.json in '${bare}' (expected the --out directory of a bench run)`);
    const mixed = new RunDir(join(root, 'mixed'));
    mixed.writeResults({ schema: 5, cells: [cell(), cell({ benchmark: 'factorworld', seed: 1 })], entropy: [], failures: [] } as unknown as RunResults);
    expect(() => readScoredRun(mixed.path, 'BASE')).toThrow(`BASE '${mixed.path}': mixes the benchmarks cortexbench, factorworld; compare one benchmark at a time`);
  });
});

describe('schema edges', () => {
  it('finds the scored evaluation at the best epoch, or names the cell that has none', () => {
    expect(scoredEvaluation(cell()).episodeScores).toEqual([100, 100, 0]);
    expect(scoredEvaluation(cell({ bestEpoch: 10 })).episodeScores).toEqual([0, 100, 0]);
    expect(() => scoredEvaluation(cell({ bestEpoch: 15 }))).toThrow('cell drawer-open x onnx:models/a,b.onnx x seed 200: no evaluation at its best epoch 15');
  });

  it('refuses schema-3 to -5 cells without a feature precision or family (they always had both)', () => {
    const { featurePrecision: _, ...noPrecision } = cell();
    expect(() => upgradeCellResult(noPrecision as never, 'a.json')).toThrow('a.json: cell result of schema 5; this version reads schemas 1 to 5');
    expect(() => upgradeCellResult({ ...noPrecision, schema: 4 } as never, 'a.json')).toThrow('a.json: cell result of schema 4');
    expect(() => upgradeCellResult({ ...noPrecision, schema: 3 } as never, 'a.json')).toThrow('a.json: cell result of schema 3');
    const { family: __, ...noFamily } = cell();
    expect(() => upgradeCellResult(noFamily as never, 'b.json')).toThrow('b.json: cell result of schema 5');
    expect(() => upgradeCellResult({ ...noFamily, schema: 4 } as never, 'b.json')).toThrow('b.json: cell result of schema 4');
    // Only schema 1 named the family `suite`.
    const { family, ...rest } = cell();
    expect(() => upgradeCellResult({ ...rest, suite: family, schema: 6 } as never, 'd.json')).toThrow('d.json: cell result of schema 6');
    // A schema-4 cell keeps a policy init and frame path it has.
    const v4 = { ...cell({ policyInit: 'mjrl', framePreprocessing: 'bicubic-resize' }), schema: 4 };
    expect(upgradeCellResult(v4 as never, 'c.json')).toEqual(cell({ policyInit: 'mjrl', framePreprocessing: 'bicubic-resize' }));
  });

  it('keeps a schema-4 histogram, leaves current entropy records alone', () => {
    const histogram = { edges: [0, 1], counts: [3] };
    const upgraded = upgradeEntropyRecord({ ...entropyV4('a', 2), result: { ...entropyV4('a', 2).result, histogram } } as never);
    expect(upgraded.result.histogram).toEqual(histogram);
    expect(upgraded).toEqual({ ...entropy('a', 2), result: { ...entropy('a', 2).result, histogram } });
    const current = entropy('b', 1);
    expect(upgradeEntropyRecord(current)).toBe(current);
  });

  it('plans an older run\'s seeds in numeric order and keeps a missing correlation missing', () => {
    const v3 = {
      schema: 3,
      benchmark: 'cortexbench',
      profile: {},
      cells: [cell({ seed: 10 }), cell({ seed: 9 }), cell({ seed: 10, task: 'assembly' })].map(({ policyInit: _p, framePreprocessing: _f, ...c }) => ({ ...c, schema: 3 })),
      failures: [],
      entropy: [],
      summary: [],
      entropyCorrelation: null,
    };
    const upgraded = upgradeRunResults(v3 as never, 'r.json');
    expect(upgraded.plan).toEqual({ tasks: ['drawer-open', 'assembly'], encoders: ['onnx:models/a,b.onnx'], seeds: [9, 10] });
    expect(upgraded.entropyCorrelation).toBeNull();
    expect(upgraded.cells.map((c) => c.policyInit)).toEqual(['last-layer-0.01', 'last-layer-0.01', 'last-layer-0.01']);
    // Schema 3 recorded failed cells; they stay.
    const failed = { task: 'assembly', error: 'out of memory' };
    expect(upgradeRunResults({ ...v3, failures: [failed] } as never, 'r.json').failures).toEqual([failed]);
  });

  it('gives Fisher-z intervals with standard error 1/sqrt(n-3) for Pearson and sqrt(1.06/(n-3)) for Spearman', () => {
    const corr = withIntervals({ encoders: 12, pearson: 0.6, spearman: -0.3 }, 0.1);
    const z = normalQuantile(0.95);
    const interval = (r: number, se: number): number[] => [Math.tanh(Math.atanh(r) - z * se), Math.tanh(Math.atanh(r) + z * se)];
    expect(corr).toMatchObject({ encoders: 12, pearson: 0.6, spearman: -0.3, alpha: 0.1 });
    corr.pearsonInterval.forEach((v, i) => expect(v).toBeCloseTo(interval(0.6, 1 / 3)[i]!, 12));
    corr.spearmanInterval.forEach((v, i) => expect(v).toBeCloseTo(interval(-0.3, Math.sqrt(1.06 / 9))[i]!, 12));
  });

  it('formats numbers with fixed decimals, non-finite ones empty', () => {
    expect([formatNumber(2.5, 0), formatNumber(-1.23456, 3), formatNumber(Number.NaN, 2), formatNumber(-Infinity, 2)]).toEqual(['3', '-1.235', '', '']);
  });
});

describe('summary lines', () => {
  it('means a family over its tasks before the benchmark mean over families', () => {
    const [s] = summarise(
      [
        cell({ task: 'reacher-easy', family: 'dmc', bestScore: 10 }),
        cell({ task: 'cheetah-run', family: 'dmc', bestScore: 20 }),
        cell({ task: 'drawer-open', family: 'metaworld', bestScore: 60 }),
      ] as CellResult[],
      [],
    );
    // (mean(10, 20) + 60) / 2, not the mean of the three tasks (30).
    expect(s!.families).toEqual({ dmc: 15, metaworld: 60 });
    expect(s!.benchmarkMean).toBe(37.5);
  });

  it('passes its alpha to the correlation intervals', () => {
    const s = (encoder: string, mean: number, h: number) => ({ encoder, tasks: {}, families: {}, benchmarkMean: mean, entropy: h, entropyNormalised: null });
    const summary = [s('a', 10, 1), s('b', 30, 2), s('c', 20, 3), s('d', 50, 5)];
    const correlation = entropyCorrelation(summary, 0.2)!;
    expect(correlation.alpha).toBe(0.2);
    // r = 31/35 over 4 encoders: tanh(atanh(r) +- 1.2816 / sqrt(4 - 3)) = [0.1196, 0.9907].
    expect(correlation.pearson).toBeCloseTo(31 / 35, 12);
    expect(correlation.pearsonInterval[0]).toBeCloseTo(0.1196, 3);
    expect(correlation.pearsonInterval[1]).toBeCloseTo(0.9907, 3);
  });

  it('prints r with its interval, warns below 10 encoders, and says when r is undefined', () => {
    const corr = (encoders: number, r: number) => withIntervals({ encoders, pearson: r, spearman: r }, 0.1);
    const [line, warning] = formatCorrelation(corr(9, 0.5));
    expect(line).toMatch(/^entropy vs benchmark mean over 9 encoders: Pearson 0\.500 \(90% CI \[-?\d\.\d{3}, \d\.\d{3}\]\), Spearman 0\.500 \(90% CI \[/);
    expect(warning).toMatch(/^warning: n = 9 encoders is too few for this correlation to mean anything \(its 90% interval is \[.*\]\); read its sign only with >= 10 encoders$/);
    expect(formatCorrelation(corr(10, 0.5))).toHaveLength(1);
    expect(formatCorrelation(corr(10, Number.NaN))).toEqual([
      'entropy vs benchmark mean over 10 encoders: Pearson undefined (90% CI [undefined]), Spearman undefined (90% CI [undefined])',
      'warning: the correlation is undefined because the entropies or the benchmark means are all equal',
    ]);
    expect(formatCorrelation({ ...corr(12, 0.5), alpha: 0.005 })[0]).toContain('(100% CI');
  });

  it('sums stage times over cells, with the rest of the total as other, and names the largest', () => {
    const t = (demosSeconds: number, featuresSeconds: number, trainSeconds: number, evalSeconds: number, totalSeconds: number) => ({ demosSeconds, featuresSeconds, trainSeconds, evalSeconds, totalSeconds });
    expect(formatStageTimes([t(1, 2, 3, 0.5, 7), t(0, 1, 4, 0.5, 8)])).toBe('demos 1.0 s, features 3.0 s, train 7.0 s, eval 1.0 s, other 3.0 s; most: train (47%)');
    // Rounding can make the stages exceed the total: other is then 0, not negative.
    expect(formatStageTimes([t(2, 0, 0, 0, 1.5)])).toBe('demos 2.0 s, features 0.0 s, train 0.0 s, eval 0.0 s, other 0.0 s; most: demos (133%)');
    expect(formatStageTimes([t(0, 0, 0, 0, 4)])).toBe('demos 0.0 s, features 0.0 s, train 0.0 s, eval 0.0 s, other 4.0 s; most: other (100%)');
    expect(formatStageTimes([])).toBe('demos 0.0 s, features 0.0 s, train 0.0 s, eval 0.0 s, other 0.0 s; most: demos');
    // Ties go to the first stage.
    expect(formatStageTimes([t(1, 1, 0, 0, 2)])).toBe('demos 1.0 s, features 1.0 s, train 0.0 s, eval 0.0 s, other 0.0 s; most: demos (50%)');
  });
});
