/**
 * A run directory's cells, failures and entropy records joined into its results (results.json, results.csv): after
 * every cell of a run, and once more when shards are merged, so that both give the same file for the same cells.
 */
import { entropyCacheKey } from '../eval/entropy_cache.js';
import type { ProbeSet } from '../protocol/entropy_probe.js';
import { cellKeyOf, type CellKey, type RunDir } from '../results/run_dir.js';
import { RESULTS_SCHEMA_VERSION, type EntropyRecord, type RunPlan, type RunResults } from '../results/schema.js';
import { entropyCorrelation, summarise } from '../results/summary.js';
import { summariseSweep } from '../results/sweep_summary.js';
import { configDigest, type RunConfig } from './config.js';
import { trainingId } from './scenes.js';

/** Whether an entropy record holds the current definition's value for `probe`: its key is that pair's cache key. */
export function isCurrentEntropy(record: EntropyRecord, probe: ProbeSet): boolean {
  return record.key === entropyCacheKey(record.encoderDigest, probe);
}

/**
 * Writes and returns the joined results, cells (and failures of cells without a result) ordered as the plan lists
 * tasks, a sweep's trainings and encoders, then by seed; a sweep's results carry its summary. Entropy records count
 * when their key is current for `probe` (the run's probe set; null when merging: each record's own probe, so records
 * of older definitions or schemas are left out).
 */
export function joinResults(dir: RunDir, config: RunConfig, backend: string, plan: RunPlan, probe: ProbeSet | null): RunResults {
  const rank = (list: readonly string[], v: string): number => (list.includes(v) ? list.indexOf(v) : list.length);
  const trainings = (plan.trainings ?? []).map(trainingId);
  const byPlan = (a: CellKey, b: CellKey): number =>
    rank(plan.tasks, a.task) - rank(plan.tasks, b.task) ||
    a.task.localeCompare(b.task) ||
    rank(trainings, trainingId(a.training)) - rank(trainings, trainingId(b.training)) ||
    trainingId(a.training).localeCompare(trainingId(b.training)) ||
    rank(plan.encoders, a.encoder) - rank(plan.encoders, b.encoder) ||
    a.encoder.localeCompare(b.encoder) ||
    a.seed - b.seed;
  const digest = configDigest(config);
  const cells = dir.readCells().sort((a, b) => byPlan(cellKeyOf(a), cellKeyOf(b)));
  const finished = new Set(cells.map((c) => dir.cellPath(cellKeyOf(c))));
  const failures = dir
    .readFailures()
    .filter((f) => f.configDigest === digest && !finished.has(dir.cellPath(f)))
    .sort(byPlan);
  const entropy = dir.readEntropyRecords().filter((e) => isCurrentEntropy(e, probe ?? e.probe));
  const summary = summarise(cells, entropy);
  const results: RunResults = {
    schema: RESULTS_SCHEMA_VERSION,
    benchmark: config.benchmark,
    profile: config.profile,
    head: config.head,
    shuffleActions: config.shuffleActions,
    tfjsBackend: backend,
    plan,
    cells,
    failures,
    entropy,
    summary,
    entropyCorrelation: entropyCorrelation(summary),
    ...(config.sweep ? { sweep: { splits: config.sweep.splits, summary: summariseSweep(cells, config.sweep.splits) } } : {}),
  };
  dir.writeResults(results);
  return results;
}
