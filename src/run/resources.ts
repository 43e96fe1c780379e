/**
 * Things a run builds once and shares between cells: encoders, demo sets, replay and evaluation environments,
 * and the features of the most recent (task, encoder) pair (cells are ordered so that pairs run back to back).
 */
import { demoExpertFor, loadOrGenerateDemos, type DemoSet } from '../data/demos.js';
import { featureCacheKey, loadOrComputeFeatures, type DemoFeatures } from '../data/features.js';
import { fitsHalf, roundToHalf } from '../data/float16.js';
import type { Encoder, FramePreprocessing } from '../encoders/encoder.js';
import type { EncoderSpec } from '../encoders/registry.js';
import { Env } from '../envs/env.js';
import { variantDigest } from '../envs/factors/variant.js';
import { isBuiltInTask } from '../envs/registry.js';
import type { TaskDefinition } from '../envs/task.js';
import { LocalVectorEnv, type VectorEnv } from '../envs/vector_env.js';
import { WorkerVectorEnv } from '../envs/vector_env_workers.js';
import { MemoryFrames } from '../policies/flare.js';
import { DEMO_BASE_SEED } from '../protocol/seeds.js';
import { createProgress } from '../util/progress.js';
import type { RunDependencies } from './deps.js';
import type { ResolvedCell, RunTask } from './resolved.js';
import { describeTraining, trainingScenes, type TrainingScenes } from './scenes.js';

export class RunResources {
  private readonly encoders = new Map<string, Encoder>();
  private readonly demoSets = new Map<string, DemoSet>();
  /** Seconds spent loading or generating each task's demos that no cell has reported yet. */
  private readonly unclaimedDemoSeconds = new Map<string, number>();
  private readonly replayEnvs = new Map<string, Env>();
  private readonly evalEnvs = new Map<string, Env[]>();
  /**
   * Worker pools (with `envWorkers`), each lent to one cell's stage at a time and retasked when idle: a run holds as
   * many as it has stages in flight (at most --jobs), not one per task (each ~200-300 MB of threads and MuJoCo heaps;
   * one per task took a 12-task run past 2 GiB).
   */
  private readonly pools: { pool: WorkerVectorEnv; lent: boolean }[] = [];
  private lastFeatures: { id: string; features: DemoFeatures } | null = null;

  constructor(
    private readonly deps: RunDependencies,
    private readonly cacheDir: string,
    private readonly options: {
      threads?: number;
      /** Worker threads for evaluation envs (0 or absent: this thread). */
      envWorkers?: number;
      quiet: boolean;
      /** Warnings about damaged cache files that are regenerated. */
      warn: (line: string) => void;
      signal?: AbortSignal;
    },
  ) {}

  async encoder(spec: EncoderSpec, framePreprocessing: FramePreprocessing): Promise<Encoder> {
    const id = `${spec.text}\n${framePreprocessing}`;
    let encoder = this.encoders.get(id);
    if (!encoder) {
      encoder = await this.deps.createEncoder(spec, { framePreprocessing, ...(this.options.threads === undefined ? {} : { threads: this.options.threads }) });
      this.encoders.set(id, encoder);
    }
    return encoder;
  }

  /**
   * The task's demo set in `training`'s scenes (the canonical scene at the profile's size by default), loaded or
   * generated on first use.
   */
  async demos(task: RunTask, training: TrainingScenes = trainingScenes(task.definition, task.protocol, null, null)): Promise<DemoSet> {
    const { definition, protocol } = task;
    const id = demoSetId(definition, training);
    const known = this.demoSets.get(id);
    if (known) return known;
    const started = performance.now();
    // Distilling (once per task version and expert, cached) is part of what the demos cost.
    const expert = await demoExpertFor(definition, protocol.demoExperts, {
      cacheDir: this.cacheDir,
      workers: this.deps.demoWorkers,
      onProgress: this.options.quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
    });
    const progress = createProgress({ label: `demos ${definition.name}`, total: training.demos, quiet: this.options.quiet });
    let set: DemoSet;
    try {
      set = await loadOrGenerateDemos(definition, {
        episodes: training.demos,
        seed: DEMO_BASE_SEED,
        variants: training.set,
        cacheDir: this.cacheDir,
        // Only the steps the profile trains on: planner demos cost per step.
        maxSteps: protocol.horizon,
        expert,
        workers: this.deps.demoWorkers,
        onProgress: (p) => progress.update(p.done, p.loaded ? `${p.loaded} cached` : ''),
        warn: this.options.warn,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
    } finally {
      progress.stop();
    }
    this.demoSets.set(id, set);
    this.unclaimedDemoSeconds.set(id, (performance.now() - started) / 1000);
    return set;
  }

  /**
   * The seconds spent on a demo set in this process that no cell has claimed yet, then 0: the first cell of a set
   * reports the cost of its demos, later cells report none.
   */
  claimDemoSeconds(task: TaskDefinition, training: TrainingScenes): number {
    const id = demoSetId(task, training);
    const seconds = this.unclaimedDemoSeconds.get(id) ?? 0;
    this.unclaimedDemoSeconds.set(id, 0);
    return seconds;
  }

  async replayEnv(task: TaskDefinition): Promise<Env> {
    let env = this.replayEnvs.get(task.name);
    if (!env) {
      env = await Env.make(task);
      this.replayEnvs.set(task.name, env);
    }
    return env;
  }

  /**
   * Env worker threads for the task's envs: `envWorkers`, or 0 for a task registered at run time (a test's, a
   * plug-in's), which a fresh thread cannot rebuild (it knows the built-in tasks only); its envs stay on this thread.
   */
  private envWorkersFor(task: TaskDefinition): number {
    return isBuiltInTask(task.name) ? (this.options.envWorkers ?? 0) : 0;
  }

  /**
   * `count` environments of the task for parallel evaluation, lent until `release()`: on this thread (kept for the
   * task's later cells), or with `envWorkers` > 0 on that many worker threads (the same numbers either way). A pool
   * may hold more envs than asked for (an evaluation then runs on the first ones).
   */
  async evalEnvsFor(task: TaskDefinition, count: number): Promise<LentEnvs> {
    const workers = this.envWorkersFor(task);
    if (workers === 0) {
      let envs = this.evalEnvs.get(task.name);
      // Registered before they are made: when a make fails, the ones made before it are still closed by `releaseTask`/`dispose`.
      if (!envs) this.evalEnvs.set(task.name, (envs = []));
      while (envs.length < count) envs.push(await Env.make(task));
      return { envs: new LocalVectorEnv(envs.slice(0, count)), release: () => undefined };
    }
    const fits = (pool: WorkerVectorEnv): boolean => pool.task === task.name && pool.size >= count;
    const idle = this.pools.filter((p) => !p.lent);
    let entry = idle.find((p) => fits(p.pool)) ?? idle[0];
    if (!entry) {
      entry = { pool: await WorkerVectorEnv.create(task.name, count, workers), lent: true };
      this.pools.push(entry);
    }
    entry.lent = true; // before any await: no other request may take it
    if (!fits(entry.pool)) {
      try {
        await entry.pool.retask(task.name, count);
      } catch (error) {
        // A pool that failed is closed and forgotten; the next request starts a new one.
        this.pools.splice(this.pools.indexOf(entry), 1);
        await entry.pool.close();
        throw error;
      }
    }
    const lent = entry;
    return { envs: lent.pool, release: () => void (lent.lent = false) };
  }

  /**
   * Demo features of the cell's (task, training scenes, encoder, kind), from memory, the disk cache or computed;
   * with the seconds spent. A training that is the start of a larger one (`demoPrefixOf`) takes the first frames
   * of the larger one's features instead of rendering and encoding them again: the same numbers, because every
   * frame is rendered from its own demo state and encoders encode each frame of a batch on its own.
   */
  async features(cell: ResolvedCell): Promise<{ features: DemoFeatures; seconds: number }> {
    const source = cell.training.demoPrefixOf ?? cell.training;
    const started = performance.now();
    const all = await this.featuresOf(cell, source);
    if (source === cell.training) return { features: all, seconds: (performance.now() - started) / 1000 };
    // Demos of the larger training recorded just now are part of these features' cost, not again of its own cells.
    this.claimDemoSeconds(cell.task.definition, source);
    // A larger set too big to hold streams from its file (src/data/features.ts): the cell computes its own instead
    // of reading a prefix of it into memory.
    const features = all.frames instanceof MemoryFrames ? await this.prefixFeatures(cell, all, all.frames) : await this.featuresOf(cell, cell.training);
    return { features, seconds: (performance.now() - started) / 1000 };
  }

  /** The features of `training`'s demos for the cell's task and encoder (the most recent ones are kept in memory). */
  private async featuresOf(cell: ResolvedCell, training: TrainingScenes): Promise<DemoFeatures> {
    const { definition, protocol } = cell.task;
    const { spec, encoder, kind } = cell.encoder;
    const id = `${demoSetId(definition, training)}\n${spec.text}\n${kind}`;
    if (this.lastFeatures?.id === id) return this.lastFeatures.features;
    this.lastFeatures = null; // let the previous pair's arrays go before computing the next
    const demos = await this.demos(cell.task, training);
    // On the worker threads of the cell's evaluation envs when there are some (they sit idle until it evaluates).
    const lent = this.envWorkersFor(definition) > 0 ? await this.evalEnvsFor(definition, evalEnvCount(cell)) : { envs: new LocalVectorEnv([await this.replayEnv(definition)]), release: () => undefined };
    let features: DemoFeatures;
    try {
      features = await loadOrComputeFeatures({
        task: definition,
        demos,
        encoder,
        envs: lent.envs,
        kind,
        render: protocol.render,
        maxSteps: protocol.horizon,
        cacheDir: this.cacheDir,
        quiet: this.options.quiet,
        warn: this.options.warn,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
    } finally {
      lent.release();
    }
    this.lastFeatures = { id, features };
    return features;
  }

  /**
   * The cell's features as the first frames of `all`, the features of the larger training its demos start with,
   * stored as loadOrComputeFeatures would store the cell's own (float16 when they fit it) under the cell's own key.
   */
  private async prefixFeatures(cell: ResolvedCell, all: DemoFeatures, frames: MemoryFrames): Promise<DemoFeatures> {
    const { definition, protocol } = cell.task;
    const demos = await this.demos(cell.task, cell.training);
    const source = await this.demos(cell.task, cell.training.demoPrefixOf!);
    demos.episodes.forEach((episode, i) => {
      const other = source.episodes[i]!;
      if (episode.seed !== other.seed || episode.length !== other.length || variantDigest(episode.variant) !== variantDigest(other.variant)) {
        throw new Error(`task '${definition.name}': demo episode ${i} of ${describeTraining(cell.training.factors)} differs from the larger training's it was planned to share`);
      }
    });
    const lengths = all.lengths.slice(0, demos.episodes.length);
    let values = frames.values.subarray(0, lengths.reduce((a, b) => a + b, 0) * all.width);
    let { precision } = all;
    // float32 storage means some frame of the larger set is beyond float16; this set's frames may all fit it.
    if (precision === 'float32' && fitsHalf(values)) {
      values = roundToHalf(values.slice());
      precision = 'float16';
    }
    const { encoder, kind } = cell.encoder;
    const key = featureCacheKey({ task: definition, demos, encoder, kind, render: protocol.render, maxSteps: protocol.horizon });
    return { ...all, lengths, offsets: all.offsets.slice(0, lengths.length), frames: new MemoryFrames(values, all.width), precision, key };
  }

  /**
   * Frees what the run holds for one task: its replay and evaluation envs (each ~15-20 MB of MuJoCo's WASM heap,
   * which stops at 2 GiB, so a 12-task run cannot keep every task's envs to its end), its demo sets and its features.
   * Called once the task's last cell has finished; anything asked for later is built again. Worker pools stay: the
   * next task's cells retask them.
   */
  async releaseTask(task: TaskDefinition): Promise<void> {
    const name = task.name;
    this.replayEnvs.get(name)?.close();
    this.replayEnvs.delete(name);
    for (const env of this.evalEnvs.get(name) ?? []) env.close();
    this.evalEnvs.delete(name);
    const prefix = `${name}\n`;
    for (const id of [...this.demoSets.keys()]) if (id.startsWith(prefix)) this.demoSets.delete(id);
    for (const id of [...this.unclaimedDemoSeconds.keys()]) if (id.startsWith(prefix)) this.unclaimedDemoSeconds.delete(id);
    if (this.lastFeatures?.id.startsWith(prefix)) this.lastFeatures = null;
  }

  async dispose(): Promise<void> {
    for (const env of this.replayEnvs.values()) env.close();
    for (const envs of this.evalEnvs.values()) for (const env of envs) env.close();
    await Promise.all(this.pools.map((p) => p.pool.close()));
    this.pools.length = 0;
    for (const encoder of this.encoders.values()) await encoder.dispose();
    this.replayEnvs.clear();
    this.evalEnvs.clear();
    this.encoders.clear();
    this.demoSets.clear();
    this.unclaimedDemoSeconds.clear();
    this.lastFeatures = null;
  }
}

/** Evaluation envs lent to a cell's stage: `release()` once it is done with them (worker pools are then lent on). */
export interface LentEnvs {
  envs: VectorEnv;
  release(): void;
}

/** Evaluation seeds of a cell: as many as its largest split's episodes (every split plays the same seeds). */
export function evalEpisodes(cell: ResolvedCell): number {
  return Math.max(...cell.evaluation.map((e) => e.episodes));
}

/** Evaluation envs of a cell: one per episode of every split (the splits' episodes run together). */
export function evalEnvCount(cell: ResolvedCell): number {
  return cell.evaluation.reduce((n, e) => n + e.episodes, 0);
}

/** What identifies a demo set within a run: task, training scenes and episodes. */
function demoSetId(task: TaskDefinition, training: TrainingScenes): string {
  return `${task.name}\n${training.digest}\n${training.demos}`;
}
