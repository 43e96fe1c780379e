/**
 * The frames of an expert probe set (protocol/entropy_probe.ts), rendered from expert rollouts that stop after the
 * last probe step. Like demos, the rollouts are cached as states, never as pixels (the demo file format, under
 * <cacheDir>/probe/<task>/v<version>/<expert>/seed-<seed>-steps-<n>.bdemo), and every frame is re-rendered from them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameBatch } from '../encoders/encoder.js';
import { Env } from '../envs/env.js';
import { ExpertRollout, type DemoEpisode } from '../envs/expert_rollout.js';
import { canonicalVariant, variantDigest } from '../envs/factors/variant.js';
import { getTask, isBuiltInTask } from '../envs/registry.js';
import type { TaskDefinition } from '../envs/task.js';
import type { ProbeSet, ProbeTask } from '../protocol/entropy_probe.js';
import { yieldAndCheckAbort } from '../util/abort.js';
import { readCachedEpisode, writeEpisodeFile, type DemoIdentity } from './demo_file.js';
import { pathSegment } from './demos.js';
import { recordInWorkers } from './demo_workers.js';
import { renderDemoFrames } from './features.js';

/** How write errors name a probe episode's file. */
const PROBE_FILE_WHAT = 'an entropy probe episode';

/** The registered task a probe set names, refused when the registry holds another version of it. */
function probeTaskDefinition(task: ProbeTask, set: ProbeSet): TaskDefinition {
  const definition = getTask(task.name);
  if (definition.version !== task.version) {
    throw new Error(`probe set ${set.name} names task '${task.name}' version ${task.version}, but the registry has version ${definition.version}`);
  }
  return definition;
}

/**
 * The probe episodes of one task, read from the cache or rolled out (and cached), checking `signal` before each.
 * With `workers` > 1 the missing episodes of a built-in task are rolled out in that many threads first (the planner
 * tasks' rollouts are most of a cold probe's time); the files are the same either way.
 */
async function probeEpisodes(definition: TaskDefinition, set: ProbeSet, cacheDir: string, warn: (line: string) => void, workers: number, signal?: AbortSignal): Promise<DemoEpisode[]> {
  const steps = Math.max(...set.frameSteps) + 1;
  // Played in the task's canonical scene (no factor variant).
  const variant = canonicalVariant(definition);
  // Step-limited as the demo store's sets are (null when the probe plays the whole horizon).
  const maxSteps = steps < definition.horizon ? steps : null;
  const identity: DemoIdentity = { task: definition.name, taskVersion: definition.version, expert: definition.createExpert().name, scene: variantDigest(variant), maxSteps };
  const dir = join(cacheDir, 'probe', pathSegment(identity.task), `v${identity.taskVersion}`, pathSegment(identity.expert));
  const pathOf = (seed: number): string => join(dir, `seed-${seed}-steps-${steps}.bdemo`);
  const read = (seed: number): DemoEpisode | null =>
    readCachedEpisode(pathOf(seed), identity, seed, (err) => warn(`warning: ${err.message}; rolling the probe episode out again`));
  if (workers > 1 && isBuiltInTask(definition.name)) {
    const missing = set.episodeSeeds.filter((seed) => !existsSync(pathOf(seed)));
    if (missing.length > 1) {
      const job = { task: definition.name, expert: identity.expert, maxSteps: steps, cacheDir, what: PROBE_FILE_WHAT };
      await recordInWorkers(job, missing.map((seed) => ({ seed, variant, identity, path: pathOf(seed) })), workers, () => {}, signal);
    }
  }
  let rollout: ExpertRollout | null = null;
  try {
    const episodes: DemoEpisode[] = [];
    for (const seed of set.episodeSeeds) {
      await yieldAndCheckAbort(signal);
      let episode = read(seed);
      if (!episode) {
        rollout ??= await ExpertRollout.create(definition);
        episode = rollout.episode(seed, { maxSteps: steps });
        writeEpisodeFile(pathOf(seed), identity, episode, PROBE_FILE_WHAT);
      }
      episodes.push(episode);
    }
    return episodes;
  } finally {
    rollout?.close();
  }
}

/**
 * All frames of `set`, [N, S, S, 3]: task by task (in the set's order), episode by episode, step by step, the missing
 * rollouts in `workers` threads. An aborted
 * `signal` stops it before the next episode or task with the signal's reason; the episodes cached so far are whole.
 */
export async function renderProbeFrames(set: ProbeSet, cacheDir: string, warn: (line: string) => void, signal?: AbortSignal, workers = 1): Promise<FrameBatch> {
  const size = set.imageSize;
  const look = set.look;
  if (look === null) throw new Error(`probe set ${set.name} records no render look; it describes an older run's probe and cannot be rendered`);
  const parts: Uint8Array[] = [];
  let n = 0;
  for (const task of set.tasks) {
    const definition = probeTaskDefinition(task, set);
    const episodes = await probeEpisodes(definition, set, cacheDir, warn, workers, signal);
    await yieldAndCheckAbort(signal);
    const steps = episodes.flatMap((episode, ep) => set.frameSteps.filter((t) => t < episode.length).map((t) => [ep, t] as const));
    const env = await Env.make(definition);
    try {
      const batch = renderDemoFrames(env, episodes, steps, { imageSize: size, camera: task.camera, ...look });
      parts.push(batch.data);
      n += batch.n;
    } finally {
      env.close();
    }
  }
  const data = new Uint8Array(n * size * size * 3);
  let offset = 0;
  for (const part of parts) {
    data.set(part, offset);
    offset += part.length;
  }
  return { data, n, height: size, width: size };
}
