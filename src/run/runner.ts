/**
 * `bench run` and `bench sweep`: plans the cells of a benchmark (a sweep adds training factors to every cell and
 * evaluates each on several splits), runs the ones without a finished result, and after every cell rebuilds the
 * run's results from its per-cell files (results/run_dir.ts), so a killed run resumes exactly where it stopped
 * and a rerun of a finished run does no work. Each cell is claimed before it runs, so processes running
 * the same configuration in one directory share the cells instead of computing each twice. A cell that fails is
 * recorded (DIR/failed/) and the run goes on with the others; only an interruption or a file that cannot be
 * written stops it.
 */
import { join } from 'node:path';
import { SPLITS, type FactorName, type Split } from '../envs/factors/factor_table.js';
import { getTask, listBenchmarks, listTasks } from '../envs/registry.js';
import type { TaskDefinition } from '../envs/task.js';
import { entropyCacheKey, loadOrComputeEntropy, type EntropyProbe } from '../eval/entropy_cache.js';
import type { FrameBatch } from '../encoders/encoder.js';
import type { TfBackendRequest } from '../policies/backend.js';
import type { PolicyEngine } from '../policies/training.js';
import type { PolicyHead } from '../policies/policy.js';
import { RunDir, type CellKey } from '../results/run_dir.js';
import { RESULTS_SCHEMA_VERSION, type CellFailure, type CellResult, type RunPlan, type RunResults, type Timings } from '../results/schema.js';
import { formatStageTimes, formatSummary } from '../results/summary.js';
import { formatSweepSummary } from '../results/sweep_summary.js';
import { ensureDirectory } from '../util/atomic.js';
import { resolveCacheDir } from '../util/cache_dir.js';
import { FileSystemError } from '../util/fs_errors.js';
import { describeOwner, isHeldLock, type LockOwner } from '../util/lock_file.js';
import { estimateRemaining, formatDuration } from '../util/progress.js';
import { checkSeed } from '../util/rng.js';
import { runCell, type CellContext } from './cell.js';
import { configDigest, sweepConfig, type RunConfig } from './config.js';
import {
  estimateRun,
  formatEstimate,
  measureEncodeSeconds,
  measureEncoderCosts,
  measureRenderSeconds,
  measureTaskCosts,
  type EncoderCosts,
  type RunEstimate,
  type TaskCosts,
} from './estimate.js';
import { writeFrameStrip } from './frame_strip.js';
import { joinResults } from './join.js';
import type { RunDependencies } from './deps.js';
import { planCells, type CellSpec, type Shard } from './plan.js';
import { describeProfile, type Profile } from '../protocol/profiles.js';
import { frameOptions } from '../protocol/render_settings.js';
import { resolveFramePreprocessing, runEncoder, runTask, type ResolvedCell, type RunEncoder, type RunTask } from './resolved.js';
import { RunResources } from './resources.js';
import { defaultJobs, encoderLoad, runScheduled, type CellSchedule, type EncoderLoad } from './scheduler.js';
import { describeTraining, evaluationScenes, linkDemoPrefixes, trainingId, trainingScenes, type TrainingFactors } from './scenes.js';
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
  /** What trains the policies (policies/backend.ts: engine and tfjs backend); 'auto' when omitted. */
  backend?: TfBackendRequest;
  threads?: number;
  /** Worker threads that step and render the evaluation envs (0 or absent: the main thread). */
  envWorkers?: number;
  /** Cells at once (scheduler.ts); absent: decided from measured costs. */
  jobs?: number;
  shard?: Shard;
  cacheDir?: string;
  /** No progress bars. */
  quiet?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Called after each newly finished cell has been written. */
  onCellDone?: (cell: CellResult) => void;
  deps: RunDependencies;
  /** A factor sweep: every factor set x K trains its own cells, each evaluated on every split. */
  sweep?: SweepOptions;
}

export interface SweepOptions {
  /** Factor sets: one factor, or a pair of two different factors. */
  factorSets: FactorName[][];
  /** Distinct training values per factor set. */
  ks: number[];
  splits: Split[];
}

export interface EntropyFailure {
  encoder: string;
  error: string;
}

export interface RunReport {
  results: RunResults;
  /** Cells run by this call, and cells skipped because a finished result existed. */
  ran: number;
  skipped: number;
  /** Cells whose attempt in this call failed (also in results.failures); the run went on with the others. */
  failed: CellFailure[];
  /** Encoders whose feature-norm entropy could not be measured in this call (a rerun tries again). */
  entropyFailures: EntropyFailure[];
  /** Cells left to other live processes that were running them in the same directory. */
  leftToOthers: number;
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
  for (const seed of seeds) checkSeed('--seeds: a policy seed', seed);
  const sweep = options.sweep && checkSweep(options.sweep);
  const config: RunConfig = {
    benchmark: options.benchmark,
    profile: options.profile,
    head: options.head ?? 'auto',
    shuffleActions: options.shuffleActions ?? false,
    ...(sweep ? { sweep: sweepConfig(sweep.splits, options.profile) } : {}),
  };
  const digest = configDigest(config);
  const encoderSpecs = options.encoders.map((spec) => options.deps.parseEncoderSpec(spec));
  const trainings: (TrainingFactors | null)[] = sweep ? sweep.factorSets.flatMap((factors) => sweep.ks.map((k) => ({ factors, k }))) : [null];
  const cells = planCells(tasks.map((t) => t.name), options.encoders, seeds, options.shard, trainings);
  // Every cell's scenes are resolved before any work, so a factor that does not apply to a task, a split a factor
  // lacks or a K beyond a pool fails fast.
  const scenes = resolveScenes(tasks, trainings, cells, options.profile, config);

  // Outputs are checked before any expensive stage: a bad --out or --cache-dir fails now, not after the demos.
  const dir = new RunDir(options.out, { warn: log });
  dir.prepare();
  const cacheDir = resolveCacheDir(options.cacheDir);
  ensureDirectory(cacheDir, '--cache-dir');
  const session = dir.beginRun({ configDigest: digest, profile: config.profile.name, head: config.head, shuffleActions: config.shuffleActions });

  const tally: Tally = { ran: 0, skipped: 0, failed: [], entropyFailures: [], leftTo: new Map(), timings: [] };
  // The ETA assumes the remaining cells cost as much on average as the ones this call ran.
  const progress = (remaining: number): string =>
    `[run ${formatDuration((performance.now() - started) / 1000)} elapsed, eta ${formatDuration(estimateRemaining(sumSeconds(tally.timings), tally.ran, tally.ran + remaining))}]`;
  let resources: RunResources | null = null;
  let backend = '';
  let engine: PolicyEngine = 'onnxruntime';
  const plan: RunPlan = {
    tasks: tasks.map((t) => t.name),
    encoders: options.encoders,
    seeds,
    ...(sweep ? { trainings: trainings.filter((t): t is TrainingFactors => t !== null).map((t) => ({ factors: [...t.factors], k: t.k })) } : {}),
  };
  const probe = options.deps.entropyProbe();
  try {
    const info = await options.deps.policyBackend(options.backend ?? 'auto');
    backend = info.description;
    engine = info.engine;
    log(describeProfile({ ...options.profile, seeds }));
    log(
      `run: ${cells.length} cells (${tasks.length} tasks x ${sweep ? `${sweep.factorSets.length} factor sets x ${sweep.ks.length} K x ` : ''}${options.encoders.length} encoders x ${seeds.length} seeds` +
        `${sweep ? `, splits ${sweep.splits.join(',')}, ${config.sweep!.demosPerValue} demos per value` : ''}` +
        `${options.shard ? `, shard ${options.shard.index + 1}/${options.shard.count}` : ''})` +
        `${config.shuffleActions ? ', SHUFFLED-ACTION CONTROL' : ''}; policy backend ${backend}; out ${options.out}`,
    );
    for (const note of info.notes) log(`policy backend: ${note}`);
    resources = new RunResources(options.deps, cacheDir, {
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.envWorkers !== undefined ? { envWorkers: options.envWorkers } : {}),
      quiet: options.quiet ?? false,
      warn: log,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // Every encoder is built (and every conv head checked) before any work, so bad specs fail fast.
    const encoders = new Map<string, RunEncoder>();
    for (const spec of encoderSpecs) {
      encoders.set(spec.text, runEncoder(config, spec, await resources.encoder(spec, resolveFramePreprocessing(config, spec))));
    }
    const runTasks = new Map(tasks.map((t) => [t.name, runTask(options.profile, t)]));
    await measureEntropy(dir, [...encoders.values()], probe, cacheDir, options.signal, tally, log);
    await writeFrameStrips(dir, resources, runTasks.values(), options.signal, log);
    joinResults(dir, config, backend, plan, probe.set);

    const context: CellContext = { config, configDigest: digest, deps: options.deps, resources, versions: collectVersions(backend), engine, log, ...(options.signal ? { signal: options.signal } : {}) };
    const resolvedCells = cells.map((cell): ResolvedCell => {
      const cellScenes = scenes.get(sceneId(cell.task, cell.training ?? null))!;
      return { task: runTasks.get(cell.task)!, encoder: encoders.get(cell.encoder)!, seed: cell.seed, ...cellScenes };
    });
    let finished = 0;
    const schedule = await cellSchedule(options, resources, [...runTasks.values()], [...encoders.values()], log);
    const cellsLeft = countCellsByTask(resolvedCells);
    await runScheduled(resolvedCells, schedule, async (resolved, i) => {
      let result: CellResult | null;
      try {
        options.signal?.throwIfAborted();
        result = await attemptCell(dir, context, resolved, `cell ${i + 1}/${cells.length}: ${describeCell(cells[i]!)}`, tally, () => progress(cells.length - 1 - finished));
      } finally {
        // A task's envs, demos and features are freed after its last cell: MuJoCo's heap cannot hold every task's.
        if (countDown(cellsLeft, resolved.task.definition.name) === 0) await context.resources.releaseTask(resolved.task.definition);
      }
      finished++;
      if (!result) return;
      joinResults(dir, config, backend, plan, probe.set);
      options.onCellDone?.(result);
    });
  } catch (error) {
    if (options.signal?.aborted) {
      const kept = joinResults(dir, config, backend, plan, probe.set).cells.length;
      log(
        `interrupted: ${tally.ran} cells finished in this run; all ${kept} finished cells are kept in ${dir.cellsDir} and listed in ` +
          `${join(dir.path, 'results.json')}; the cell in progress was discarded. Rerun the same command to resume.`,
      );
    }
    throw error;
  } finally {
    await resources?.dispose();
    session.release();
  }
  const results = joinResults(dir, config, backend, plan, probe.set);
  if (tally.timings.length > 0) log(`time by stage over the ${tally.timings.length} cells run now: ${formatStageTimes(tally.timings)}`);
  if (tally.skipped > 0) log(`skipped ${tally.skipped} finished cells (results in ${dir.cellsDir})`);
  if (tally.leftTo.size > 0) {
    const owners = [...new Set([...tally.leftTo.values()].map((o) => `pid ${o.pid} on ${o.host}`))].join(', ');
    log(`${tally.leftTo.size} cells were being run by other processes (${owners}); their results join results.json when they finish`);
  }
  if (tally.failed.length > 0) {
    log(`${tally.failed.length} of ${cells.length} cells FAILED; their errors are in ${dir.failedDir} and results.json ('failures'); a rerun retries them`);
  }
  log('');
  log(results.sweep ? formatSweepSummary(results.sweep.summary, results.sweep.splits) : formatSummary(results.summary, results.entropyCorrelation));
  const { ran, skipped, failed, entropyFailures } = tally;
  return { results, ran, skipped, failed, entropyFailures, leftToOthers: tally.leftTo.size, seconds: (performance.now() - started) / 1000 };
}

/**
 * `bench run --dry-run`: measures each stage's cost here on a few units of work (estimate.ts), multiplies it out
 * over the options' whole plan (every shard) and prints the estimate. Writes nothing; reads no cache.
 */
export async function estimateBenchmark(options: RunOptions): Promise<RunEstimate> {
  const log = options.log ?? ((line: string) => console.log(line));
  const tasks = resolveTasks(options.benchmark, options.tasks).map((t) => runTask(options.profile, t));
  const seeds = options.seeds ?? options.profile.seeds;
  for (const seed of seeds) checkSeed('--seeds: a policy seed', seed);
  const config: RunConfig = { benchmark: options.benchmark, profile: options.profile, head: options.head ?? 'auto', shuffleActions: options.shuffleActions ?? false };
  const encoderSpecs = options.encoders.map((spec) => options.deps.parseEncoderSpec(spec));
  const backend = await options.deps.policyBackend(options.backend ?? 'auto');
  log(`${describeProfile({ ...options.profile, seeds })}; policy backend ${backend.description}`);
  const resources = new RunResources(options.deps, resolveCacheDir(options.cacheDir), {
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    quiet: true,
    warn: log,
  });
  try {
    const taskCosts: TaskCosts[] = [];
    for (const task of tasks) {
      options.signal?.throwIfAborted();
      taskCosts.push(await measureTaskCosts(task));
    }
    const encoderCosts: EncoderCosts[] = [];
    for (const spec of encoderSpecs) {
      options.signal?.throwIfAborted();
      const encoder = runEncoder(config, spec, await resources.encoder(spec, resolveFramePreprocessing(config, spec)));
      encoderCosts.push(await measureEncoderCosts(encoder, options.profile.imageSize, { batchSize: options.profile.batchSize, init: options.profile.policyInit, engine: backend.engine }, options.deps.createPolicy));
    }
    const estimate = estimateRun(options.profile, tasks, seeds.length, taskCosts, encoderCosts);
    log(formatEstimate(estimate, taskCosts, encoderCosts));
    return estimate;
  } finally {
    await resources.dispose();
  }
}

/**
 * The run's schedule (scheduler.ts): `--jobs` when given; else the default number of jobs, with the cells of heavy
 * encoders alone, from each encoder's measured encode cost per frame against a rendered frame of the first task.
 */
async function cellSchedule(
  options: RunOptions,
  resources: RunResources,
  tasks: readonly RunTask[],
  encoders: readonly RunEncoder[],
  log: (line: string) => void,
): Promise<CellSchedule<ResolvedCell>> {
  const taskOf = (cell: ResolvedCell): string => cell.task.definition.name;
  if (options.jobs !== undefined) return { jobs: options.jobs, taskOf, alone: () => false };
  const jobs = defaultJobs(options.envWorkers ?? 0);
  if (jobs === 1) return { jobs, taskOf, alone: () => false };
  const { definition, protocol } = tasks[0]!;
  const renderSeconds = measureRenderSeconds(await resources.replayEnv(definition), frameOptions(protocol.render));
  const loads = new Map<string, EncoderLoad>();
  for (const { spec, encoder, kind } of encoders) {
    loads.set(spec.text, encoderLoad(spec.text, await measureEncodeSeconds(encoder, protocol.render.imageSize, kind), renderSeconds));
  }
  const ms = (seconds: number): string => `${(seconds * 1000).toFixed(2)} ms`;
  log(
    `cells: up to ${jobs} at once (never two of one task), cells of heavy encoders alone; a ${definition.name} frame renders in ${ms(renderSeconds)}; ` +
      [...loads.values()].map((l) => `${l.encoder} encodes one in ${ms(l.encodeSecondsPerFrame)} (${l.cheap ? 'cheap' : 'heavy'})`).join(', '),
  );
  return { jobs, taskOf, alone: (cell) => !loads.get(cell.encoder.spec.text)!.cheap };
}

/** Seconds the cells of `timings` took in all. */
const sumSeconds = (timings: readonly Timings[]): number => timings.reduce((sum, t) => sum + t.totalSeconds, 0);

/** What became of the cells (and entropy measurements) of one call. */
interface Tally {
  ran: number;
  skipped: number;
  failed: CellFailure[];
  entropyFailures: EntropyFailure[];
  /** Cells left to other processes that hold their claims, by description. */
  leftTo: Map<string, LockOwner>;
  /** Stage timings of the cells run by this call. */
  timings: Timings[];
}

/**
 * Writes DIR/entropy/ for every encoder without a record of its current key (encoder digest, probe digest, entropy
 * definition): from the entropy cache when any run measured it before, else measured (the probe is rendered once,
 * on the first miss). An encoder whose entropy cannot be measured (the probe's rollouts fail, or its features are
 * not finite) is reported in `tally.entropyFailures` and gets no record; the cells still run.
 */
async function measureEntropy(
  dir: RunDir,
  encoders: readonly RunEncoder[],
  probe: EntropyProbe,
  cacheDir: string,
  signal: AbortSignal | undefined,
  tally: Tally,
  log: (line: string) => void,
): Promise<void> {
  let frames: Promise<FrameBatch> | null = null;
  for (const { spec, encoder } of encoders) {
    const key = entropyCacheKey(encoder.info.digest, probe.set);
    if (dir.readEntropy(spec.text)?.key === key) continue;
    const entropyStarted = performance.now();
    let measured: Awaited<ReturnType<typeof loadOrComputeEntropy>>;
    try {
      measured = await loadOrComputeEntropy(encoder, probe, cacheDir, () => (frames ??= probe.frames(cacheDir, log, signal)), log);
    } catch (error) {
      if (stopsTheRun(error, signal)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      tally.entropyFailures.push({ encoder: spec.text, error: message });
      log(`entropy ${spec.text}: FAILED: ${message} (the cells run without it)`);
      continue;
    }
    const { result, cached } = measured;
    dir.writeEntropy({ encoder: spec.text, encoderDigest: encoder.info.digest, key, probe: probe.set, result });
    const perFrame = result.source === 'spatial' ? `${result.norms / result.frames} spatial vectors` : 'the pooled vector';
    const byBins = result.byBins.map((b) => `${b.bins}: ${b.entropy.toFixed(3)}`).join(', ');
    log(
      `entropy ${spec.text}: H = ${result.entropy.toFixed(4)} nats (${result.entropyNormalised.toFixed(4)} of ln ${result.bins}; bins ${byBins}) ` +
        `over ${result.frames} probe frames (${probe.set.name}) x ${perFrame}${cached ? ', cached' : ''}, ${formatDuration((performance.now() - entropyStarted) / 1000)}`,
    );
  }
}

/**
 * One cell of the plan: skipped when a current result exists, left alone when another process has claimed it,
 * else claimed, run and written, or recorded as failed. Returns the new result, or null when none was made.
 */
async function attemptCell(
  dir: RunDir,
  context: CellContext,
  cell: ResolvedCell,
  label: string,
  tally: Tally,
  progress: () => string,
): Promise<CellResult | null> {
  const key = cellKey(cell);
  const isCurrent = (result: CellResult | null): boolean =>
    result !== null && result.encoderDigest === cell.encoder.encoder.info.digest && result.taskVersion === cell.task.definition.version && sameScenes(result, cell);
  const existing = dir.readCell(key);
  if (isCurrent(existing)) {
    tally.skipped++;
    return null;
  }
  const claim = dir.claimCell(key, `bench run, config ${context.configDigest}`);
  if (!isHeldLock(claim)) {
    context.log(`${label}: being run by ${describeOwner(claim)}; leaving it to that process`);
    tally.leftTo.set(label, claim);
    return null;
  }
  try {
    // Another process may have finished it between the check above and the claim.
    if (isCurrent(dir.readCell(key))) {
      tally.skipped++;
      return null;
    }
    if (existing) context.log(`${label}: encoder weights, task version or scenes changed since it ran; running it again`);
    context.log(label);
    let result: CellResult;
    try {
      result = await runCell(context, cell);
    } catch (error) {
      if (stopsTheRun(error, context.signal)) throw error;
      const failure = cellFailure(context.configDigest, cell, error);
      dir.writeFailure(failure);
      tally.failed.push(failure);
      context.log(`${label}: FAILED: ${failure.error} (recorded in ${dir.failurePath(key)}; going on with the other cells)`);
      return null;
    }
    dir.writeCell(result);
    tally.ran++;
    tally.timings.push(result.timings);
    context.log(
      `${label}: best ${result.bestScore.toFixed(1)} (epoch ${result.bestEpoch}), final ${result.finalScore.toFixed(1)}, ${result.timings.totalSeconds.toFixed(1)} s: ` +
        `${formatStageTimes([result.timings])} ${progress()}`,
    );
    return result;
  } finally {
    claim.release();
  }
}

/**
 * A strip of demo frames per task for the report, once per task version. A task whose strip cannot be made (its
 * demos fail) is reported and left without one: its cells then record the failure themselves.
 */
async function writeFrameStrips(dir: RunDir, resources: RunResources, runTasks: Iterable<RunTask>, signal: AbortSignal | undefined, log: (line: string) => void): Promise<void> {
  for (const task of runTasks) {
    try {
      await writeFrameStrip(dir, resources, task);
    } catch (error) {
      if (stopsTheRun(error, signal)) throw error;
      log(`frame strip ${task.definition.name}: FAILED: ${error instanceof Error ? error.message : String(error)} (the report shows no frames for it)`);
    }
  }
}

/** Cells per task, to count down as they finish. */
function countCellsByTask(cells: readonly ResolvedCell[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const cell of cells) counts.set(cell.task.definition.name, (counts.get(cell.task.definition.name) ?? 0) + 1);
  return counts;
}

/** One cell of `task` finished: the number of its cells still to run. */
function countDown(counts: Map<string, number>, task: string): number {
  const left = counts.get(task)! - 1;
  counts.set(task, left);
  return left;
}

function describeCell(cell: CellSpec): string {
  return `${cell.task}${cell.training ? ` x ${describeTraining(cell.training)}` : ''} x ${cell.encoder} x seed ${cell.seed}`;
}

/** The run-directory key of a resolved cell. */
function cellKey(cell: ResolvedCell): CellKey {
  const { factors } = cell.training;
  const key = { task: cell.task.definition.name, encoder: cell.encoder.spec.text, seed: cell.seed };
  return factors ? { ...key, training: { factors: [...factors.factors], k: factors.k } } : key;
}

/**
 * The sweep with its splits in the table's order. The seen split must be among them: it picks each cell's best
 * epoch (the training scenes, never a test split) and is the minuend of the gap.
 */
function checkSweep(sweep: SweepOptions): SweepOptions {
  if (sweep.factorSets.length === 0) throw new Error('sweep: no factor sets given');
  if (sweep.ks.length === 0) throw new Error('sweep: no K given');
  for (const split of sweep.splits) if (!(SPLITS as readonly string[]).includes(split)) throw new Error(`unknown split '${split}'; splits: ${SPLITS.join(', ')}`);
  const twice = sweep.splits.find((s, i) => sweep.splits.indexOf(s) !== i);
  if (twice) throw new Error(`split '${twice}' is listed twice`);
  if (!sweep.splits.includes('seen')) throw new Error(`the splits must include 'seen' (it selects each cell's epoch and is the gap's reference), got ${sweep.splits.join(', ')}`);
  return { ...sweep, splits: SPLITS.filter((s) => sweep.splits.includes(s)) };
}

const sceneId = (task: string, training: TrainingFactors | null): string => `${task}\n${trainingId(training)}`;

type CellScenes = Pick<ResolvedCell, 'training' | 'evaluation'>;

/** The training and evaluation scenes of every (task, training factors) pair of the run; `cells` are the ones this process plans. */
function resolveScenes(
  tasks: readonly TaskDefinition[],
  trainings: readonly (TrainingFactors | null)[],
  cells: readonly CellSpec[],
  profile: Profile,
  config: RunConfig,
): Map<string, CellScenes> {
  const resolved = new Map<string, CellScenes>();
  const protocol = config.sweep ?? null;
  for (const definition of tasks) {
    const { protocol: taskProtocol } = runTask(profile, definition);
    // Demo features are shared only between trainings this process runs (a shard computes no frames for another's).
    const planned = new Set(cells.filter((c) => c.task === definition.name).map((c) => trainingId(c.training)));
    const scenesOfTask = trainings.map((training) => trainingScenes(definition, taskProtocol, training, protocol));
    const trainingsOfTask = linkDemoPrefixes(scenesOfTask, scenesOfTask.filter((_, i) => planned.has(trainingId(trainings[i]))));
    trainings.forEach((training, i) => {
      resolved.set(sceneId(definition.name, training), {
        training: trainingsOfTask[i]!,
        evaluation: evaluationScenes(definition, taskProtocol, training, config.sweep?.splits ?? [], protocol),
      });
    });
  }
  return resolved;
}

/** Whether a finished cell ran in these scenes (cells from before scene digests ran in the canonical scene). */
function sameScenes(existing: CellResult, scenes: CellScenes): boolean {
  const training = existing.scenes ?? (scenes.training.factors ? null : scenes.training.digest);
  if (training !== scenes.training.digest) return false;
  if (!scenes.training.factors) return existing.sweep === undefined;
  const splits = existing.sweep?.splits ?? [];
  return splits.length === scenes.evaluation.length && scenes.evaluation.every((e, i) => splits[i]!.split === e.split && splits[i]!.scenes === e.digest);
}

/**
 * Errors that stop the whole run instead of failing one cell: an interruption, or a file that cannot be written
 * (a full disk or a file-size limit would fail every later cell alike, and their results could not be kept).
 */
function stopsTheRun(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || error instanceof FileSystemError;
}

function cellFailure(digest: string, cell: ResolvedCell, error: unknown): CellFailure {
  return {
    schema: RESULTS_SCHEMA_VERSION,
    configDigest: digest,
    task: cell.task.definition.name,
    taskVersion: cell.task.definition.version,
    encoder: cell.encoder.spec.text,
    encoderDigest: cell.encoder.encoder.info.digest,
    seed: cell.seed,
    ...(cellKey(cell).training ? { training: cellKey(cell).training as { factors: string[]; k: number } } : {}),
    error: error instanceof Error ? error.message : String(error),
    failedAt: new Date().toISOString(),
  };
}
