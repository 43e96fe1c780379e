/** results.csv: one row per cell, the columns a spreadsheet needs (results.json keeps everything). */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { CELL_IDENTITY_COLUMNS, cellIdentityColumns, formatNumber as round } from './cell_columns.js';
import { RESULTS_SCHEMA_VERSION, scoredEvaluation, type CellResult, type EntropyRecord, type RunResults } from './schema.js';
import { sweepResultsToCsv } from './sweep_csv.js';

/**
 * CSV columns, in order. Columns ending in `_s` are timings and differ between otherwise identical runs.
 * `episode_scores` holds the per-episode scores of the scored (best) evaluation at full precision, space-separated,
 * so that `bench compare` can bootstrap a CSV like a run directory.
 */
export const CSV_COLUMNS = [
  ...CELL_IDENTITY_COLUMNS,
  'frame_preprocessing',
  'seed',
  'profile',
  'head',
  'policy_init',
  'shuffle_actions',
  'metric',
  'horizon',
  'demos',
  'eval_episodes',
  'eval_seed_base',
  'epochs',
  'eval_every',
  'image_size',
  'batch_size',
  'camera',
  'feature_dtype',
  'score',
  'best_epoch',
  'final_score',
  'evaluations',
  'episode_scores',
  'final_train_loss',
  'entropy',
  'entropy_normalised',
  'entropy_by_bins',
  'entropy_source',
  'entropy_probe',
  'demos_s',
  'features_s',
  'train_s',
  'eval_s',
  'total_s',
  'tfjs_backend',
  'bench_version',
  'mujoco_version',
  'onnxruntime_version',
  'tfjs_version',
  'cpu',
] as const;

export const TIMING_COLUMNS: readonly string[] = CSV_COLUMNS.filter((c) => c.endsWith('_s'));

/** Columns added within schema 5, absent from its earlier CSVs: `cpu` (the CPU kind; read as not recorded). */
const OPTIONAL_COLUMNS: ReadonlySet<string> = new Set(['cpu']);


/** What the norms were taken of, e.g. "spatial: 196 per frame x 448 frames" or "pooled: 1 per frame x 448 frames". */
function entropySource({ result }: EntropyRecord): string {
  return `${result.source}: ${result.norms / result.frames} per frame x ${result.frames} frames`;
}

export function csvRow(cell: CellResult, entropy: EntropyRecord | undefined): Record<(typeof CSV_COLUMNS)[number], string | number> {
  return {
    ...cellIdentityColumns(cell),
    frame_preprocessing: cell.framePreprocessing,
    seed: cell.seed,
    profile: cell.profile,
    head: cell.head,
    policy_init: cell.policyInit,
    shuffle_actions: cell.shuffleActions ? 1 : 0,
    metric: cell.metric,
    horizon: cell.horizon,
    demos: cell.demos,
    eval_episodes: cell.evalEpisodes,
    eval_seed_base: cell.evalSeedBase,
    epochs: cell.epochs,
    eval_every: cell.evalEvery,
    image_size: cell.imageSize,
    batch_size: cell.batchSize,
    camera: cell.camera,
    feature_dtype: cell.featurePrecision,
    score: round(cell.bestScore, 3),
    best_epoch: cell.bestEpoch,
    final_score: round(cell.finalScore, 3),
    evaluations: cell.evaluations.map((e) => `${e.epoch}:${round(e.score, 2)}`).join(' '),
    episode_scores: scoredEvaluation(cell).episodeScores.map(String).join(' '),
    final_train_loss: round(cell.evaluations[cell.evaluations.length - 1]!.trainLoss, 6),
    entropy: entropy ? round(entropy.result.entropy, 4) : '',
    entropy_normalised: entropy ? round(entropy.result.entropyNormalised, 4) : '',
    entropy_by_bins: entropy ? entropy.result.byBins.map((b) => `${b.bins}:${round(b.entropy, 4)}`).join(' ') : '',
    entropy_source: entropy ? entropySource(entropy) : '',
    entropy_probe: entropy ? `${entropy.probe.name} ${entropy.probe.digest.slice(0, 12)}` : '',
    demos_s: round(cell.timings.demosSeconds, 2),
    features_s: round(cell.timings.featuresSeconds, 2),
    train_s: round(cell.timings.trainSeconds, 2),
    eval_s: round(cell.timings.evalSeconds, 2),
    total_s: round(cell.timings.totalSeconds, 2),
    tfjs_backend: cell.versions.tfjsBackend,
    bench_version: cell.versions.bench,
    mujoco_version: cell.versions.mujoco,
    onnxruntime_version: cell.versions.onnxruntime,
    tfjs_version: cell.versions.tfjs,
    cpu: cell.versions.cpu ?? '',
  };
}

/** results.csv: a sweep's per-split rows (sweep_csv.ts), or one row per cell of a `bench run`. */
export function resultsToCsv(results: Pick<RunResults, 'cells' | 'entropy' | 'sweep'>): string {
  if (results.sweep) return sweepResultsToCsv(results);
  const rows = results.cells.map((c) => csvRow(c, results.entropy.find((e) => e.encoder === c.encoder)));
  return stringify(rows, { header: true, columns: [...CSV_COLUMNS] });
}

/**
 * Reads a results.csv into rows keyed by column, refusing what this version cannot compare: a CSV of results
 * schema 1 (its task family column is `suite`), of schemas 2 and 3 (no `schema` and `episode_scores` columns), a later
 * schema, or a file that is not a results CSV. `source` names the file in errors.
 */
export function parseResultsCsv(text: string, source: string): Record<string, string>[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  } catch (err) {
    throw new Error(`${source}: not a readable CSV file (${err instanceof Error ? err.message : String(err)})`);
  }
  const header = text.split(/\r?\n/, 1)[0]!.split(',');
  const reexport = 'export it again with this version (bench export --in RUN_DIR --format csv) or pass the run directory';
  if (!header.includes('schema')) {
    const old = header.includes('suite') && !header.includes('family') ? 1 : header.includes('feature_dtype') ? 3 : header.includes('family') ? 2 : null;
    if (old === null) throw new Error(`${source}: not a bench results CSV (no 'schema' column; expected the header of results.csv)`);
    throw new Error(`${source}: a results CSV of schema ${old}, which has no per-episode scores (column 'episode_scores'); ${reexport}`);
  }
  const missing = CSV_COLUMNS.filter((c) => !header.includes(c) && !OPTIONAL_COLUMNS.has(c));
  const schemas = [...new Set(rows.map((r) => r.schema))];
  const other = schemas.find((s) => s !== String(RESULTS_SCHEMA_VERSION));
  if (other !== undefined) throw new Error(`${source}: rows of results schema ${other}; this version compares CSVs of schema ${RESULTS_SCHEMA_VERSION}; ${reexport}`);
  if (missing.length > 0) throw new Error(`${source}: results CSV without the column(s) ${missing.join(', ')}`);
  return rows;
}
