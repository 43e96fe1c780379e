/**
 * Expert demonstrations and their on-disk store.
 *
 * A demo set is (task, task version, expert, variant set, steps per episode, base seed, N episodes). Episode i is
 * played from the reset seed `demoEpisodeSeed(base, i)` in the scene variant the variant set gives episode i
 * (envs/factors/variant_sets.ts; the canonical scene by default), so a set of 25 episodes is the first 25 of the set
 * of 100 with the same base seed and variants. Each episode is one file under
 * `<cacheDir>/demos/<task>/v<task version>-f<format>/<expert>/<variant digest>[-steps<T>]/seed-<seed>.bdemo`
 * (format: demo_file.ts), written atomically, so an interrupted run resumes with the episodes already on disk, and
 * sets that share an episode (same seed, same variant, same step limit: a sweep's K = 1 set and the first block of
 * its K = 5 set) share its file.
 * No pixels are stored: `restoreDemoState` (envs/expert_rollout.ts) puts an environment back in any recorded state
 * to re-render its frame.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ExpertRollout, type DemoEpisode } from '../envs/expert_rollout.js';
import { variantDigest } from '../envs/factors/variant.js';
import { canonicalSet, variantForEpisode, type VariantSet } from '../envs/factors/variant_sets.js';
import { FAMILIES, episodeScore, episodeSucceeded, type TaskFamily } from '../envs/families.js';
import { resolveDemoExpert, type DemoExpert, type DemoExpertOptions } from '../distill/index.js';
import { isBuiltInTask } from '../envs/registry.js';
import type { DemoExperts } from '../protocol/profiles.js';
import type { Expert, TaskDefinition } from '../envs/task.js';
import { yieldAndCheckAbort } from '../util/abort.js';
import { removeStaleTemporaries } from '../util/atomic.js';
import { resolveCacheDir } from '../util/cache_dir.js';
import { canonicalJson } from '../util/canonical_json.js';
import { demoEpisodeSeed, demoEpisodeSeeds } from '../util/demo_seeds.js';
import { readCachedEpisode, writeEpisodeFile, type DemoIdentity } from './demo_file.js';
import { recordInWorkers, type WorkerEpisode } from './demo_workers.js';

/**
 * Bump when the content of a recorded episode changes for the same inputs (it is part of every key). 2: episode
 * files carry a content hash. 3: each episode records its scene variant.
 */
export const DEMO_FORMAT_VERSION = 3;

/** Demos per task in the CortexBench protocol (the family table: DMC 100, MetaWorld 25, Adroit 100). */
export function defaultDemoEpisodes(family: TaskFamily): number {
  return FAMILIES[family].paperDemos;
}

export { demoEpisodeSeed, demoEpisodeSeeds };

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A set's steps per episode as identities record it: null for the task's full horizon. */
function stepLimit(task: TaskDefinition, maxSteps: number | undefined): number | null {
  if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps >= 1)) {
    throw new Error(`maxSteps must be a positive integer, got ${maxSteps}`);
  }
  return maxSteps === undefined || maxSteps >= task.horizon ? null : maxSteps;
}

function demoIdentity(task: TaskDefinition, expertName: string, variantDigestText: string, maxSteps: number | null): DemoIdentity {
  return { task: task.name, taskVersion: task.version, expert: expertName, scene: variantDigestText, maxSteps };
}

/** The expert that records a demo set: its name (sets key on it) and a factory. */
export interface DemoExpertSource {
  name: string;
  create: () => Expert;
}

/** The task's own expert. */
export function taskExpert(task: TaskDefinition): DemoExpertSource {
  return { name: task.createExpert().name, create: () => task.createExpert() };
}

export interface DemoSetSpec {
  episodes: number;
  /** Base seed the episode seeds derive from (see demoEpisodeSeed). */
  seed: number;
  /** The scene of every episode (factor values and cadence); the canonical scene when omitted. */
  variants?: VariantSet;
  /**
   * Record only the first `maxSteps` policy steps of each episode (a profile's shorter horizon); the task's full
   * horizon when omitted. A shorter set is a set of its own: planners are costly per step, so a run records only
   * the steps it trains on.
   */
  maxSteps?: number;
}

/** The variant digest of each episode of a set. */
function episodeVariantDigests(task: TaskDefinition, spec: DemoSetSpec): string[] {
  const set = spec.variants ?? canonicalSet(task);
  return Array.from({ length: spec.episodes }, (_, i) => variantDigest(variantForEpisode(set, i)));
}

/**
 * A sha256 digest (hex) identifying a demo set: task name and version, expert name, steps per episode, episode
 * seeds, each episode's scene variant and the demo format. Feature caches key on it. `expertName` defaults to the
 * task's expert.
 */
export function demoSetKey(task: TaskDefinition, spec: DemoSetSpec, expertName?: string): string {
  const expert = expertName ?? task.createExpert().name;
  const identity = {
    format: DEMO_FORMAT_VERSION,
    task: task.name,
    taskVersion: task.version,
    expert,
    maxSteps: stepLimit(task, spec.maxSteps),
    seeds: demoEpisodeSeeds(spec.seed, spec.episodes),
    variants: episodeVariantDigests(task, spec),
  };
  return sha256(canonicalJson(identity));
}

/** Keeps path segments to safe characters (expert and task names are chosen by code, but never trust a path). */
export const pathSegment = (name: string): string => encodeURIComponent(name).replace(/%/g, '_');

/** The directory holding the episode files of one task, expert, scene variant and step limit. */
export function demoSetDir(cacheDir: string, identity: DemoIdentity): string {
  const version = `v${identity.taskVersion}-f${DEMO_FORMAT_VERSION}`;
  const scene = identity.maxSteps === null ? identity.scene : `${identity.scene}-steps${identity.maxSteps}`;
  return join(cacheDir, 'demos', pathSegment(identity.task), version, pathSegment(identity.expert), pathSegment(scene));
}

/** How write errors name a demo episode's file. */
const DEMO_FILE_WHAT = 'demo episode';

/** Where one episode lives in the cache. */
export function demoEpisodePath(cacheDir: string, identity: DemoIdentity, seed: number): string {
  return join(demoSetDir(cacheDir, identity), `seed-${seed}.bdemo`);
}

/** Writes one episode of the set `identity` into the cache (atomically, at demoEpisodePath). */
export function writeDemoEpisode(cacheDir: string, identity: DemoIdentity, episode: DemoEpisode): void {
  writeEpisodeFile(demoEpisodePath(cacheDir, identity, episode.seed), identity, episode, DEMO_FILE_WHAT);
}

export interface DemoProgress {
  /** Episodes available so far (loaded or generated). */
  done: number;
  total: number;
  /** Of `done`, how many were read from the cache. */
  loaded: number;
  /** The episode that just became available. */
  seed: number;
}

export interface LoadDemosOptions extends DemoSetSpec {
  /** Cache root; resolveCacheDir() (--cache-dir, $BENCH_CACHE_DIR, .cache/bench) when omitted. */
  cacheDir?: string;
  /**
   * Only episodes whose index modulo `count` equals `index` (0-based): separate processes fill one cache with
   * disjoint shards of a set, and a later call without a shard reads them all.
   */
  shard?: { index: number; count: number };
  onProgress?: (progress: DemoProgress) => void;
  /** Where warnings go (a damaged cache file that is regenerated); default stderr. */
  warn?: (line: string) => void;
  /** Stops between episodes (and stops the workers) when aborted. */
  signal?: AbortSignal;
  /** Who records missing episodes; the task's own expert when omitted. */
  expert?: DemoExpertSource;
  /**
   * Worker threads that record missing episodes in parallel (each its own MuJoCo instance); 1 (default) records
   * in this thread. Workers rebuild the task and expert by name, so only built-in tasks and their own or distilled
   * experts can use them.
   */
  workers?: number;
}

export interface DemoSet {
  /** demoSetKey of this set. */
  key: string;
  task: string;
  taskVersion: number;
  expert: string;
  baseSeed: number;
  /** Directory holding the episode files of the first episode's variant (the only one for a single-scene set). */
  dir: string;
  /** In seed order: episodes[i].seed === demoEpisodeSeed(baseSeed, i) (with a shard: the shard's episodes only). */
  episodes: DemoEpisode[];
  /** How many episodes were read from the cache rather than generated. */
  loaded: number;
}

/**
 * Returns the demo set, reading episodes already in the cache and generating (and storing) the missing ones.
 * A cached file that is unreadable, damaged (content hash) or of another set is regenerated and replaced, with a
 * warning naming it.
 */
export async function loadOrGenerateDemos(definition: TaskDefinition, options: LoadDemosOptions): Promise<DemoSet> {
  const { shard } = options;
  if (shard && !(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 0 && shard.index < shard.count)) {
    throw new Error(`shard must have integers 0 <= index < count, got ${JSON.stringify(shard)}`);
  }
  const set = options.variants ?? canonicalSet(definition);
  const indices = Array.from({ length: options.episodes }, (_, i) => i).filter((i) => !shard || i % shard.count === shard.index);
  const allSeeds = demoEpisodeSeeds(options.seed, options.episodes);
  const seeds = indices.map((i) => allSeeds[i]!);
  const cacheDir = resolveCacheDir(options.cacheDir);
  const expert = options.expert ?? taskExpert(definition);
  const expertName = expert.name;
  const maxSteps = stepLimit(definition, options.maxSteps);
  const warn = options.warn ?? ((line: string) => console.warn(line));
  /** Episode i of the set: its seed, scene variant and the identity its file is keyed on. */
  const episodeAt = (n: number): WorkerEpisode => {
    const variant = variantForEpisode(set, indices[n]!);
    const identity = demoIdentity(definition, expertName, variantDigest(variant), maxSteps);
    return { seed: seeds[n]!, variant, identity, path: demoEpisodePath(cacheDir, identity, seeds[n]!) };
  };
  const read = ({ seed, identity, path }: WorkerEpisode): DemoEpisode | null =>
    readCachedEpisode(path, identity, seed, (err) => warn(`warning: ${err.message}; generating the episode again`));
  /** Directories whose stale temporary files were removed before writing into them. */
  const cleaned = new Set<string>();
  const clean = (identity: DemoIdentity): void => {
    const dir = demoSetDir(cacheDir, identity);
    if (!cleaned.has(dir)) removeStaleTemporaries(dir);
    cleaned.add(dir);
  };
  const episodes: DemoEpisode[] = [];
  let loaded = 0;
  let done = 0;
  const report = (seed: number): void => options.onProgress?.({ done: ++done, total: seeds.length, loaded, seed });
  // Workers rebuild the task by name from the built-in registry: tasks added at run time record in this thread.
  const workers = isBuiltInTask(definition.name) ? (options.workers ?? 1) : 1;
  // Seeds recorded by workers (into the cache, reported as they land) before the loop below reads them back.
  const recorded = new Set<number>();
  if (workers > 1) {
    const missing = seeds.map((_, n) => episodeAt(n)).filter((episode) => read(episode) === null);
    if (missing.length > 1) {
      for (const { identity } of missing) clean(identity);
      const job = { task: definition.name, expert: expertName, maxSteps: options.maxSteps, cacheDir, what: DEMO_FILE_WHAT };
      await recordInWorkers(job, missing, workers, (seed) => {
        recorded.add(seed);
        report(seed);
      }, options.signal);
    }
  }
  // The environment is built only when an episode is missing, so a fully cached set needs no simulator.
  let rollout: ExpertRollout | null = null;
  try {
    for (const n of indices.keys()) {
      await yieldAndCheckAbort(options.signal);
      const at = episodeAt(n);
      let episode = read(at);
      if (episode && !recorded.has(at.seed)) loaded++;
      if (!episode) {
        clean(at.identity);
        rollout ??= await ExpertRollout.create(definition, at.variant, expert.create);
        if (rollout.expert.name !== expertName) {
          throw new Error(`task '${definition.name}': the demo expert is named '${expertName}' but created '${rollout.expert.name}'`);
        }
        episode = rollout.episode(at.seed, { variant: at.variant, maxSteps: options.maxSteps });
        writeDemoEpisode(cacheDir, at.identity, episode);
      }
      episodes.push(episode);
      if (!recorded.has(at.seed)) report(at.seed);
    }
  } finally {
    rollout?.close();
  }
  return {
    key: demoSetKey(definition, options, expertName),
    task: definition.name,
    taskVersion: definition.version,
    expert: expertName,
    baseSeed: options.seed,
    dir: demoSetDir(cacheDir, demoIdentity(definition, expertName, variantDigest(variantForEpisode(set, indices[0] ?? 0)), maxSteps)),
    episodes,
    loaded,
  };
}

/**
 * What a distillation of `task`'s expert needs from the demo store (`resolveDemoExpert`'s options):
 *   teacherDemos:           the task's own expert's first demos at the full horizon (base seed 0), from the cache
 *                           or recorded, which the distillation starts from;
 *   keepEvaluationEpisodes: stores the student's evaluation episodes as demos of the distilled expert (full horizon,
 *                           canonical scene, the demo seeds they were played from), so a set of its demos that
 *                           holds those seeds loads them instead of recording them again.
 */
export function distillationDemoStore(
  task: TaskDefinition,
  cacheDir?: string,
  workers = 1,
): Required<Pick<DemoExpertOptions, 'teacherDemos' | 'keepEvaluationEpisodes'>> {
  const root = resolveCacheDir(cacheDir);
  return {
    teacherDemos: async (episodes) => (await loadOrGenerateDemos(task, { episodes, seed: 0, cacheDir: root, workers })).episodes,
    keepEvaluationEpisodes: (expertName, episodes) => {
      const scene = variantDigest(variantForEpisode(canonicalSet(task), 0));
      const identity = demoIdentity(task, expertName, scene, null);
      for (const episode of episodes) {
        if (variantDigest(episode.variant) !== scene) {
          throw new Error(`task '${task.name}': an evaluation episode (seed ${episode.seed}) is not of the canonical scene`);
        }
        writeDemoEpisode(root, identity, episode);
      }
    },
  };
}

/**
 * The expert that records `task`'s demos when `experts` says who does: undefined for 'task' (loadOrGenerateDemos
 * then records with the task's own expert); for 'distilled', resolveDemoExpert's choice, whose distillation (run on
 * first use, then cached) starts from and stores into the demo store at `cacheDir` (distillationDemoStore).
 */
export async function demoExpertFor(
  task: TaskDefinition,
  experts: DemoExperts,
  options: { cacheDir?: string; workers?: number; onProgress?: (message: string) => void } = {},
): Promise<DemoExpert | undefined> {
  if (experts === 'task') return undefined;
  const { cacheDir, workers, onProgress } = options;
  return resolveDemoExpert(task, { cacheDir, ...distillationDemoStore(task, cacheDir, workers), onProgress });
}

/** Expert quality over a set of episodes, in the family's metric. */
export interface ExpertSummary {
  task: string;
  episodes: number;
  mean_return: number;
  min_return: number;
  /** Fraction of episodes solved by the family's success rule (at the last step; Adroit: goal steps), in [0, 1]. */
  success_rate: number;
  /** Mean episodeScore in the family's metric (DMC: return / 10; MetaWorld, Adroit: success %). */
  mean_score: number;
}

export function summarizeEpisodes(task: TaskDefinition, episodes: readonly Pick<DemoEpisode, 'episodeReturn' | 'success' | 'successes'>[]): ExpertSummary {
  if (episodes.length === 0) throw new Error(`summarizeEpisodes: no episodes for task '${task.name}'`);
  const n = episodes.length;
  const returns = episodes.map((e) => e.episodeReturn);
  const tallies = episodes.map((e) => ({
    episodeReturn: e.episodeReturn,
    successAtLastStep: e.success,
    successSteps: e.successes.reduce((sum, s) => sum + s, 0),
  }));
  return {
    task: task.name,
    episodes: n,
    mean_return: returns.reduce((a, b) => a + b, 0) / n,
    min_return: Math.min(...returns),
    success_rate: tallies.filter((t) => episodeSucceeded(task, t)).length / n,
    mean_score: tallies.reduce((sum, t) => sum + episodeScore(task, t), 0) / n,
  };
}
