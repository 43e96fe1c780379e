/**
 * A run directory's cells, failures and entropy records joined into its results (results.json, results.csv): after
 * every cell of a run, and once more when shards are merged, so that both give the same file for the same cells.
 */
import type { CellKey, RunDir } from '../results/run_dir.js';
import { RESULTS_SCHEMA_VERSION, type RunPlan, type RunResults } from '../results/schema.js';
import { entropyCorrelation, summarise } from '../results/summary.js';
import { configDigest, type RunConfig } from './config.js';

/**
 * Writes and returns the joined results, cells (and failures of cells without a result) ordered as the plan lists
 * tasks and encoders, then by seed.
 */
export function joinResults(dir: RunDir, config: RunConfig, backend: string, plan: RunPlan): RunResults {
  const rank = (list: readonly string[], v: string): number => (list.includes(v) ? list.indexOf(v) : list.length);
  const byPlan = (a: CellKey, b: CellKey): number =>
    rank(plan.tasks, a.task) - rank(plan.tasks, b.task) ||
    a.task.localeCompare(b.task) ||
    rank(plan.encoders, a.encoder) - rank(plan.encoders, b.encoder) ||
    a.encoder.localeCompare(b.encoder) ||
    a.seed - b.seed;
  const digest = configDigest(config);
  const cells = dir.readCells().sort(byPlan);
  const finished = new Set(cells.map((c) => dir.cellPath(c)));
  const failures = dir
    .readFailures()
    .filter((f) => f.configDigest === digest && !finished.has(dir.cellPath(f)))
    .sort(byPlan);
  const entropy = dir.readEntropyRecords().filter((e) => e.configDigest === digest);
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
  };
  dir.writeResults(results);
  return results;
}
