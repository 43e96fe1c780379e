/**
 * The entropy probe set: the ONE set of frames on which every encoder's feature-norm entropy is measured, the same
 * whatever a run's tasks, profile or image size (so no run can report, reuse or overwrite another run's number):
 *
 *   tasks     every task of the cortexbench benchmark in the registry, in name order, at its current version;
 *   episodes  reset seeds ENTROPY_PROBE_SEEDS, the same for every task, each played by the task's expert;
 *   frames    the states before steps 0, 6, 12, ..., 90 of each episode (16 per episode; an episode that ends
 *             earlier gives the frames it has), rendered at 256 x 256 with the task's default camera and the
 *             observation look of 256-px frames (render_settings.ts: one sample per pixel, linear textures).
 *
 * With the nine cortexbench tasks registered when this was written: 9 x 4 x 16 = 576 frames. Every part of that
 * definition goes into `digest`, which keys every cached entropy: a task added or changed gives a new probe set
 * and new numbers.
 */
import { createHash } from 'node:crypto';
import { listTasks } from '../envs/registry.js';
import type { TaskDefinition } from '../envs/task.js';
import { observationLook, type RenderSettings } from './render_settings.js';

/** Reset seeds of the probe episodes: fixed, and apart from the evaluation seeds (1000 upwards, seeds.ts). */
export const ENTROPY_PROBE_SEEDS: readonly number[] = [5000, 5001, 5002, 5003];
/** Policy steps whose states are rendered: every 6th of the first 91, spanning the experts' reach (MetaWorld 55-70 steps). */
export const ENTROPY_PROBE_STEPS: readonly number[] = Array.from({ length: 16 }, (_, i) => 6 * i);
/** The paper's frame size (cortexbench.md), whatever a run renders. */
export const ENTROPY_PROBE_IMAGE_SIZE = 256;
/** The benchmark whose tasks form the probe. */
export const ENTROPY_PROBE_BENCHMARK = 'cortexbench';

export interface ProbeTask {
  name: string;
  version: number;
  camera: string;
}

/** A probe set: what its frames are, and a digest of all of it. */
export interface ProbeSet {
  /** A readable name, e.g. "cortexbench-experts-256". */
  name: string;
  tasks: ProbeTask[];
  /** Reset seeds of every task's probe episodes. */
  episodeSeeds: number[];
  /** Steps of each episode whose states are rendered (the state before the action of that step). */
  frameSteps: number[];
  imageSize: number;
  /** Samples per pixel and texture filter; null for frames not rendered here (records upgraded from results schema 1-3, test probes). */
  look: Pick<RenderSettings, 'supersample' | 'textureFilter'> | null;
  /** sha256 (hex) of everything above. */
  digest: string;
}

/** A probe set over `definition` with its digest. */
export function probeSet(definition: Omit<ProbeSet, 'digest'>): ProbeSet {
  const { name, tasks, episodeSeeds, frameSteps, imageSize, look } = definition;
  const identity = { name, tasks: tasks.map((t) => ({ name: t.name, version: t.version, camera: t.camera })), episodeSeeds, frameSteps, imageSize, look };
  return { ...identity, digest: createHash('sha256').update(JSON.stringify(identity)).digest('hex') };
}

/** The probe over `tasks` (sorted by name) with the fixed seeds, steps and size above. */
export function expertProbeSet(tasks: readonly TaskDefinition[]): ProbeSet {
  if (tasks.length === 0) throw new Error('the entropy probe needs at least one task');
  return probeSet({
    name: `${ENTROPY_PROBE_BENCHMARK}-experts-${ENTROPY_PROBE_IMAGE_SIZE}`,
    tasks: [...tasks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((t) => ({ name: t.name, version: t.version, camera: t.defaultCamera })),
    episodeSeeds: [...ENTROPY_PROBE_SEEDS],
    frameSteps: [...ENTROPY_PROBE_STEPS],
    imageSize: ENTROPY_PROBE_IMAGE_SIZE,
    look: observationLook(ENTROPY_PROBE_IMAGE_SIZE),
  });
}

/** The protocol's probe set: every registered cortexbench task (import envs/index.js first to register them). */
export function cortexbenchProbeSet(): ProbeSet {
  return expertProbeSet(listTasks(ENTROPY_PROBE_BENCHMARK));
}
