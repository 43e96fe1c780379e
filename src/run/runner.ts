/**
 * `bench run`: plans the cells of a benchmark, runs the ones without a finished result, and after every cell
 * rebuilds the run's results from its per-cell files (results/run_dir.ts), so a killed run resumes exactly where
 * it stopped and a rerun of a finished run does no work.
 */
import { getTask, listBenchmarks, listTasks } from '../envs/registry.js';
import type { TaskDefinition } from '../envs/task.js';
import { featureNormEntropy, ENTROPY_PROBE_SEED } from '../eval/entropy.js';
import type { FrameBatch } from '../encoders/encoder.js';
import type { PolicyHead } from '../policies/policy.js';
import { RunDir } from '../results/run_dir.js';
import { RESULTS_SCHEMA_VERSION, type CellResult, type EntropyRecord, type RunResults } from '../results/schema.js';
import { entropyCorrelation, formatSummary, summarise } from '../results/summary.js';
import { resolveCacheDir } from '../util/cache_dir.js';
import { runCell } from './cell.js';
import { configDigest, type RunConfig } from './config.js';
import type { RunDependencies } from './deps.js';
import { planCells, type CellSpec, type Shard } from './plan.js';
import { renderProbeFrames } from './probe.js';
import { describeProfile, type Profile } from '../protocol/profiles.js';
import { runEncoder, runTask, type ResolvedCell, type RunEncoder } from './resolved.js';
import { RunResources } from './resources.js';
import { collectVersions } from './versions.js';

export interface RunOptions {
  /** The benchmark to plan, a tag of the task registry, e.g. "cortexbench". */
  benchmark: string;
  /** Task names; all tasks of the benchmark when omitted. */
  tasks?: string[];
  encoders: string[];
  profile: Profile;
  /** Policy seeds; the profile's when omitted. */
  seeds?: number[];
  out: string;
  head?: PolicyHead | 'auto';
  shuffleActions?: boolean;
  threads?: number;
  shard?: Shard;
  cacheDir?: string;
  /** No progress bars. */
  quiet?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Called after each newly finished cell has been written. */
  onCellDone?: (cell: CellResult) => void;
  deps: RunDependencies;
}

export interface RunReport {
  results: RunResults;
  /** Cells run by this call, and cells skipped because a finished result existed. */
  ran: number;
  skipped: number;
  seconds: number;
}

export function resolveTasks(benchmark: string, names: readonly string[] | undefined): TaskDefinition[] {
  const inBenchmark = listTasks(benchmark);
  if (inBenchmark.length === 0) throw new Error(`unknown benchmark '${benchmark}'; known benchmarks: ${listBenchmarks().join(', ') || '(none)'}`);
  if (!names) return inBenchmark;
  return names.map((name) => {
    const task = getTask(name);
    if (!task.benchmarks.includes(benchmark)) {
      throw new Error(`task '${name}' is not part of benchmark '${benchmark}'; its tasks: ${inBenchmark.map((t) => t.name).join(', ')}`);
    }
    return task;
  });
}

export async function runBenchmark(options: RunOptions): Promise<RunReport> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => console.log(line));
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new Error(`--threads: expected a positive integer, got ${options.threads}`);
  }
  const tasks = resolveTasks(options.benchmark, options.tasks);
  const seeds = options.seeds ?? options.profile.seeds;
  const config: RunConfig = {
    benchmark: options.benchmark,
    profile: options.profile,
    head: options.head ?? 'auto',
    shuffleActions: options.shuffleActions ?? false,
  };
  const digest = configDigest(config);
  const encoderSpecs = options.encoders.map((spec) => options.deps.parseEncoderSpec(spec));
  const cells = planCells(tasks.map((t) => t.name), options.encoders, seeds, options.shard);
  const dir = new RunDir(options.out);
  checkSameConfig(dir, digest);

  const backend = await options.deps.policyBackend();
  log(describeProfile({ ...options.profile, seeds }));
  log(
    `run: ${cells.length} cells (${tasks.length} tasks x ${options.encoders.length} encoders x ${seeds.length} seeds` +
      `${options.shard ? `, shard ${options.shard.index + 1}/${options.shard.count}` : ''})` +
      `${config.shuffleActions ? ', SHUFFLED-ACTION CONTROL' : ''}; tfjs backend ${backend}; out ${options.out}`,
  );
  const resources = new RunResources(options.deps, resolveCacheDir(options.cacheDir), options.threads, options.quiet ?? false);
  const versions = collectVersions(backend);
  const order = { tasks: tasks.map((t) => t.name), encoders: options.encoders };
  let ran = 0;
  let skipped = 0;
  try {
    // Every encoder is built (and every conv head checked) before any work, so bad specs fail fast.
    const encoders = new Map<string, RunEncoder>();
    for (const spec of encoderSpecs) encoders.set(spec.text, runEncoder(config, spec, await resources.encoder(spec)));
    const runTasks = new Map(tasks.map((t) => [t.name, runTask(options.profile, t)]));

    let probe: FrameBatch | null = null;
    for (const { spec, encoder } of encoders.values()) {
      const existing = dir.readEntropy(spec.text);
      if (existing && existing.configDigest === digest && existing.encoderDigest === encoder.info.digest) continue;
      probe ??= await renderProbeFrames(resources, [...runTasks.values()]);
      const result = await featureNormEntropy(encoder, probe);
      const record: EntropyRecord = {
        encoder: spec.text,
        encoderDigest: encoder.info.digest,
        configDigest: digest,
        probeTasks: tasks.map((t) => t.name),
        probeFrames: probe.n,
        probeSeed: ENTROPY_PROBE_SEED,
        imageSize: probe.height,
        result,
      };
      dir.writeEntropy(record);
      log(`entropy ${spec.text}: H = ${result.entropy.toFixed(4)} nats (${result.entropyNormalised.toFixed(4)} of ln ${result.bins}), ${result.norms} ${result.source} norms`);
    }
    rebuildResults(dir, config, backend, order);

    for (const [i, cell] of cells.entries()) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      const resolved: ResolvedCell = { task: runTasks.get(cell.task)!, encoder: encoders.get(cell.encoder)!, seed: cell.seed };
      const existing = dir.readCell(cell);
      if (existing && existing.encoderDigest === resolved.encoder.encoder.info.digest && existing.taskVersion === resolved.task.definition.version) {
        skipped++;
        continue;
      }
      if (existing) log(`cell ${describeCell(cell)}: encoder weights or task version changed since it ran; running it again`);
      log(`cell ${i + 1}/${cells.length}: ${describeCell(cell)}`);
      const result = await runCell({ config, configDigest: digest, deps: options.deps, resources, versions, log, ...(options.signal ? { signal: options.signal } : {}) }, resolved);
      dir.writeCell(result);
      ran++;
      log(
        `cell ${i + 1}/${cells.length}: ${describeCell(cell)}: best ${result.bestScore.toFixed(1)} (epoch ${result.bestEpoch}), final ${result.finalScore.toFixed(1)}, ${result.timings.totalSeconds.toFixed(1)} s`,
      );
      rebuildResults(dir, config, backend, order);
      options.onCellDone?.(result);
    }
  } finally {
    await resources.dispose();
  }
  const results = rebuildResults(dir, config, backend, order);
  if (skipped > 0) log(`skipped ${skipped} finished cells (results in ${dir.cellsDir})`);
  log('');
  log(formatSummary(results.summary, results.entropyCorrelation));
  return { results, ran, skipped, seconds: (performance.now() - started) / 1000 };
}

function describeCell(cell: CellSpec): string {
  return `${cell.task} x ${cell.encoder} x seed ${cell.seed}`;
}

/** Refuses to mix the cells of two configurations (profile, head, control) in one output directory. */
function checkSameConfig(dir: RunDir, digest: string): void {
  const other = dir.readCells().find((c) => c.configDigest !== digest);
  if (other) {
    throw new Error(
      `--out ${dir.path} holds results of another configuration (profile '${other.profile}', head ${other.head}, ` +
        `shuffled actions ${other.shuffleActions}); use a different --out directory`,
    );
  }
}

/** Joins the run's cells and entropy records into its results, cells ordered by task, encoder, seed. */
function rebuildResults(dir: RunDir, config: RunConfig, backend: string, order: { tasks: string[]; encoders: string[] }): RunResults {
  const rank = (list: string[], v: string): number => (list.includes(v) ? list.indexOf(v) : list.length);
  const cells = dir.readCells().sort(
    (a, b) =>
      rank(order.tasks, a.task) - rank(order.tasks, b.task) ||
      a.task.localeCompare(b.task) ||
      rank(order.encoders, a.encoder) - rank(order.encoders, b.encoder) ||
      a.encoder.localeCompare(b.encoder) ||
      a.seed - b.seed,
  );
  const entropy = dir.readEntropyRecords().filter((e) => e.configDigest === configDigest(config));
  const summary = summarise(cells, entropy);
  const results: RunResults = {
    schema: RESULTS_SCHEMA_VERSION,
    benchmark: config.benchmark,
    profile: config.profile,
    head: config.head,
    shuffleActions: config.shuffleActions,
    tfjsBackend: backend,
    cells,
    entropy,
    summary,
    entropyCorrelation: entropyCorrelation(summary),
  };
  dir.writeResults(results);
  return results;
}
