/**
 * Expert demonstrations and their on-disk store.
 *
 * A demo set is (task, task version, expert, scene, base seed, N episodes). Episode i is played from the reset seed
 * `demoEpisodeSeed(base, i)`, so a set of 25 episodes is the first 25 of the set of 100 with the same base seed.
 * Each episode is one file under `<cacheDir>/demos/<task>/v<task version>-f<format>/<expert>/<scene>/seed-<seed>.bdemo`
 * (format: demo_file.ts), written atomically, so an interrupted run resumes with the episodes already on disk.
 * No pixels are stored: `restoreDemoState` puts an environment back in any recorded state to re-render its frame.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Env } from '../envs/env.js';
import type { Physics } from '../envs/mujoco.js';
import { getTask } from '../envs/registry.js';
import { FAMILIES, episodeScore, episodeSucceeded, type TaskFamily } from '../envs/families.js';
import { clipAction, type Expert, type SceneOptions, type TaskDefinition } from '../envs/task.js';
import { writeFileAtomic } from '../util/atomic.js';
import { resolveCacheDir } from '../util/cache_dir.js';
import { Rng } from '../util/rng.js';
import { DemoFileError, encodeDemoEpisode, readDemoEpisode, type DemoEpisode, type DemoIdentity } from './demo_file.js';

export type { DemoEpisode, DemoIdentity } from './demo_file.js';

/** Bump when the content of a recorded episode changes for the same inputs (it is part of every key). */
export const DEMO_FORMAT_VERSION = 1;

const MAX_SEED = 0xffffffff;

/** Demos per task in the CortexBench protocol (the family table: DMC 100, MetaWorld 25, Adroit 100). */
export function defaultDemoEpisodes(family: TaskFamily): number {
  return FAMILIES[family].paperDemos;
}

/** A bijective 32-bit integer hash (lowbias32): distinct inputs give distinct outputs. */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The reset seed of demo episode `index` of base seed `baseSeed`: mix32((mix32(base ^ 0x44454d4f) + index) mod 2^32).
 * Hashed rather than `base + index` so that demo episodes do not replay the small seeds evaluation uses; distinct
 * indices of one base seed always give distinct seeds because mix32 is a bijection.
 */
export function demoEpisodeSeed(baseSeed: number, index: number): number {
  checkSeed('base seed', baseSeed);
  if (!Number.isInteger(index) || index < 0) throw new Error(`episode index must be a non-negative integer, got ${index}`);
  return mix32((mix32((baseSeed ^ 0x44454d4f) >>> 0) + index) >>> 0);
}

/** Reset seeds of the first `episodes` demo episodes of `baseSeed`. */
export function demoEpisodeSeeds(baseSeed: number, episodes: number): number[] {
  checkEpisodeCount(episodes);
  return Array.from({ length: episodes }, (_, i) => demoEpisodeSeed(baseSeed, i));
}

/** The expert's random stream for an episode: independent of the task's reset stream `new Rng(seed)`. */
export function expertRng(episodeSeed: number): Rng {
  return new Rng(episodeSeed).fork(0x455850);
}

function checkSeed(name: string, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new Error(`${name} must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  }
}

function checkEpisodeCount(episodes: number): void {
  if (!Number.isInteger(episodes) || episodes < 1) throw new Error(`episodes must be a positive integer, got ${episodes}`);
}

/** JSON with object keys sorted, so equal scene options always give the same digest. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Digest of scene options (16 hex digits), or null for the canonical scene (no options or an empty object). */
export function sceneDigest(scene: SceneOptions | undefined): string | null {
  if (!scene || canonicalJson(scene) === '{}') return null;
  return sha256(canonicalJson(scene)).slice(0, 16);
}

const resolveTask = (task: TaskDefinition | string): TaskDefinition => (typeof task === 'string' ? getTask(task) : task);

function demoIdentity(task: TaskDefinition, expertName: string, scene: SceneOptions | undefined): DemoIdentity {
  return { task: task.name, taskVersion: task.version, expert: expertName, scene: sceneDigest(scene) };
}

export interface DemoSetSpec {
  episodes: number;
  /** Base seed the episode seeds derive from (see demoEpisodeSeed). */
  seed: number;
  /** Scene variation the demos were recorded in; the canonical scene when omitted. */
  scene?: SceneOptions;
}

/**
 * A sha256 digest (hex) identifying a demo set: task name and version, expert name, scene, episode seeds and the
 * demo format. Feature caches key on it. `expertName` defaults to the task's expert.
 */
export function demoSetKey(task: TaskDefinition | string, spec: DemoSetSpec, expertName?: string): string {
  const definition = resolveTask(task);
  const identity = demoIdentity(definition, expertName ?? definition.createExpert().name, spec.scene);
  return sha256(canonicalJson({ format: DEMO_FORMAT_VERSION, ...identity, seeds: demoEpisodeSeeds(spec.seed, spec.episodes) }));
}

/** Keeps path segments to safe characters (expert and task names are chosen by code, but never trust a path). */
const pathSegment = (name: string): string => encodeURIComponent(name).replace(/%/g, '_');

/** The directory holding a demo set's episode files. */
export function demoSetDir(cacheDir: string, identity: DemoIdentity): string {
  const version = `v${identity.taskVersion}-f${DEMO_FORMAT_VERSION}`;
  return join(cacheDir, 'demos', pathSegment(identity.task), version, pathSegment(identity.expert), identity.scene ?? 'default');
}

/** Where one episode lives in the cache. */
export function demoEpisodePath(cacheDir: string, identity: DemoIdentity, seed: number): string {
  return join(demoSetDir(cacheDir, identity), `seed-${seed}.bdemo`);
}

/** Rolls a task's expert in one environment, episode after episode. Call `close()` when done. */
export class ExpertRollout {
  private constructor(
    readonly env: Env,
    readonly expert: Expert,
  ) {}

  static async create(task: TaskDefinition | string, scene?: SceneOptions): Promise<ExpertRollout> {
    const definition = resolveTask(task);
    const env = await Env.make(definition, scene ? { scene } : {});
    try {
      return new ExpertRollout(env, definition.createExpert());
    } catch (err) {
      env.close();
      throw err;
    }
  }

  /**
   * Plays one episode from `seed` to termination or the horizon (or `maxSteps`, when smaller). `onState(t)` sees
   * the live physics after the reset (t = 0) and after every step t, e.g. to render a rollout.
   */
  episode(seed: number, options: { maxSteps?: number; onState?: (t: number, physics: Physics) => void } = {}): DemoEpisode {
    checkSeed('episode seed', seed);
    const { env, expert } = this;
    const physics = env.physics;
    const { maxSteps, onState } = options;
    const limit = Math.min(env.horizon, maxSteps ?? env.horizon);
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`maxSteps must be a positive integer, got ${maxSteps}`);
    const S = physics.stateSize;
    const A = env.actionSpec.dim;
    const P = env.observationSpec.proprioDim;
    const states = new Float64Array(limit * S);
    const proprio = new Float32Array(limit * P);
    const actions = new Float32Array(limit * A);
    const rewards = new Float64Array(limit);
    const successes = new Uint8Array(limit);
    const clipped = new Float64Array(A);
    const context = `expert of task '${env.definition.name}'`;

    let { obs } = env.reset({ seed });
    expert.reset(physics, expertRng(seed));
    onState?.(0, physics);
    let length = 0;
    let episodeReturn = 0;
    for (let t = 0; t < limit; t++) {
      physics.getState(states.subarray(t * S, (t + 1) * S));
      proprio.set(obs.proprio, t * P);
      const action = expert.act(physics, env.task, t);
      // Stored as the env applies it.
      actions.set(clipAction(env.actionSpec, action, clipped, context), t * A);
      const result = env.step(action);
      rewards[t] = result.reward;
      successes[t] = result.info.success ? 1 : 0;
      episodeReturn += result.reward;
      length = t + 1;
      obs = result.obs;
      onState?.(length, physics);
      if (result.terminated || result.truncated) break;
    }
    return {
      seed,
      length,
      stateSize: S,
      actionDim: A,
      proprioDim: P,
      states: states.slice(0, length * S),
      proprio: proprio.slice(0, length * P),
      actions: actions.slice(0, length * A),
      rewards: rewards.slice(0, length),
      successes: successes.slice(0, length),
      episodeReturn,
      success: successes[length - 1] === 1,
    };
  }

  close(): void {
    this.env.close();
  }
}

/**
 * Puts `env` in the state before action `t` of `episode`, so that `env.render` shows that frame. The env is first
 * reset with the episode's seed when its current episode has another seed: some tasks draw per-episode values that
 * live in the model rather than the physics state (e.g. MetaWorld fixture positions), which only reset restores.
 */
export function restoreDemoState(env: Env, episode: DemoEpisode, t: number): void {
  if (!Number.isInteger(t) || t < 0 || t >= episode.length) {
    throw new Error(`restoreDemoState: step must be an integer in [0, ${episode.length - 1}], got ${t}`);
  }
  if (env.physics.stateSize !== episode.stateSize) {
    throw new Error(`restoreDemoState: the episode's states have ${episode.stateSize} values, task '${env.definition.name}' has ${env.physics.stateSize}`);
  }
  if (env.seed !== episode.seed) env.reset({ seed: episode.seed });
  env.physics.setState(episode.states.subarray(t * episode.stateSize, (t + 1) * episode.stateSize));
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
}

export interface DemoSet {
  /** demoSetKey of this set. */
  key: string;
  task: string;
  taskVersion: number;
  expert: string;
  baseSeed: number;
  /** Directory holding the episode files. */
  dir: string;
  /** In seed order: episodes[i].seed === demoEpisodeSeed(baseSeed, i) (with a shard: the shard's episodes only). */
  episodes: DemoEpisode[];
  /** How many episodes were read from the cache rather than generated. */
  loaded: number;
}

/**
 * Returns the demo set, reading episodes already in the cache and generating (and storing) the missing ones.
 * A cached file that is unreadable or belongs to another set is regenerated and replaced.
 */
export async function loadOrGenerateDemos(task: TaskDefinition | string, options: LoadDemosOptions): Promise<DemoSet> {
  const definition = resolveTask(task);
  const { shard } = options;
  if (shard && !(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 0 && shard.index < shard.count)) {
    throw new Error(`shard must have integers 0 <= index < count, got ${JSON.stringify(shard)}`);
  }
  const seeds = demoEpisodeSeeds(options.seed, options.episodes).filter((_, i) => !shard || i % shard.count === shard.index);
  const cacheDir = resolveCacheDir(options.cacheDir);
  const expertName = definition.createExpert().name;
  const identity = demoIdentity(definition, expertName, options.scene);
  const episodes: DemoEpisode[] = [];
  let loaded = 0;
  // The environment is built only when an episode is missing, so a fully cached set needs no simulator.
  let rollout: ExpertRollout | null = null;
  try {
    for (const seed of seeds) {
      const path = demoEpisodePath(cacheDir, identity, seed);
      let episode: DemoEpisode | null = null;
      if (existsSync(path)) {
        try {
          episode = readDemoEpisode(path, identity, seed);
          loaded++;
        } catch (err) {
          if (!(err instanceof DemoFileError)) throw err;
        }
      }
      if (!episode) {
        rollout ??= await ExpertRollout.create(definition, options.scene);
        if (rollout.expert.name !== expertName) {
          throw new Error(`task '${definition.name}': createExpert() returned experts named '${expertName}' and '${rollout.expert.name}'`);
        }
        episode = rollout.episode(seed);
        writeFileAtomic(path, encodeDemoEpisode(identity, episode));
      }
      episodes.push(episode);
      options.onProgress?.({ done: episodes.length, total: seeds.length, loaded, seed });
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
    dir: demoSetDir(cacheDir, identity),
    episodes,
    loaded,
  };
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
