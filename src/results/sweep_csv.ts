/**
 * A sweep's CSV files: results.csv with one row per task x encoder x factor set x K x split x seed, and
 * sweep_summary.csv with one row per task (or '*': all tasks) x encoder x factor set x K. The README's sweep
 * section says what every column means.
 */
import { stringify } from 'csv-stringify/sync';
import { CELL_IDENTITY_COLUMNS, cellIdentityColumns, formatNumber as round } from './cell_columns.js';
import type { CellResult, RunResults, SweepSummaryRow } from './schema.js';

export const SWEEP_CSV_COLUMNS = [
  ...CELL_IDENTITY_COLUMNS,
  'factors',
  'k',
  'demos_per_value',
  'train_scenes',
  'split',
  'eval_scenes',
  'seed',
  'profile',
  'head',
  'metric',
  'horizon',
  'demos',
  'eval_episodes',
  'eval_seed_base',
  'epochs',
  'image_size',
  'camera',
  'score',
  'epoch',
  'episode_scores',
  'train_s',
  'eval_s',
  'total_s',
  'bench_version',
  'mujoco_version',
  'cpu',
] as const;

export const SWEEP_SUMMARY_COLUMNS = ['task', 'encoder', 'factors', 'k', 'split', 'mean', 'se', 'seeds', 'gap', 'gap_se', 'relative_drop'] as const;


function splitRows(cell: CellResult): Record<(typeof SWEEP_CSV_COLUMNS)[number], string | number>[] {
  const sweep = cell.sweep!;
  return sweep.splits.map((split) => {
    const atBest = split.evaluations.find((e) => e.epoch === cell.bestEpoch)!;
    return {
      ...cellIdentityColumns(cell),
      factors: sweep.factors.join('+'),
      k: sweep.k,
      demos_per_value: sweep.demosPerValue,
      train_scenes: cell.scenes ?? '',
      split: split.split,
      eval_scenes: split.scenes,
      seed: cell.seed,
      profile: cell.profile,
      head: cell.head,
      metric: cell.metric,
      horizon: cell.horizon,
      demos: cell.demos,
      eval_episodes: split.evalEpisodes,
      eval_seed_base: cell.evalSeedBase,
      epochs: cell.epochs,
      image_size: cell.imageSize,
      camera: cell.camera,
      score: round(split.score, 3),
      epoch: cell.bestEpoch,
      episode_scores: atBest.episodeScores.map(String).join(' '),
      train_s: round(cell.timings.trainSeconds, 2),
      eval_s: round(cell.timings.evalSeconds, 2),
      total_s: round(cell.timings.totalSeconds, 2),
      bench_version: cell.versions.bench,
      mujoco_version: cell.versions.mujoco,
      cpu: cell.versions.cpu ?? '',
    };
  });
}

export function sweepResultsToCsv(results: Pick<RunResults, 'cells'>): string {
  return stringify(results.cells.filter((c) => c.sweep).flatMap(splitRows), { header: true, columns: [...SWEEP_CSV_COLUMNS] });
}

/** One row per summary row and split; the gap columns repeat on each of a row's splits. */
export function sweepSummaryToCsv(rows: readonly SweepSummaryRow[]): string {
  const out = rows.flatMap((r) =>
    Object.entries(r.splits).map(([split, s]) => ({
      task: r.task,
      encoder: r.encoder,
      factors: r.factors,
      k: r.k,
      split,
      mean: round(s.mean, 3),
      se: round(s.se, 3),
      seeds: s.n,
      gap: r.gap ? round(r.gap.mean, 3) : '',
      gap_se: r.gap ? round(r.gap.se, 3) : '',
      relative_drop: r.relativeDrop === null ? '' : round(r.relativeDrop, 4),
    })),
  );
  return stringify(out, { header: true, columns: [...SWEEP_SUMMARY_COLUMNS] });
}
