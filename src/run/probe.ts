/**
 * The entropy probe set (see eval/entropy.ts): ENTROPY_PROBE_FRAMES demo frames drawn without replacement with the
 * fixed seed ENTROPY_PROBE_SEED from all used demo steps of the run's tasks (in task order, then episode, then
 * step), rendered at the run's image size with each task's default camera.
 */
import { renderDemoFrames, usedLengths } from '../data/features.js';
import type { FrameBatch } from '../encoders/encoder.js';
import type { TaskDefinition } from '../envs/task.js';
import { ENTROPY_PROBE_FRAMES, ENTROPY_PROBE_SEED } from '../eval/entropy.js';
import { Rng } from '../util/rng.js';
import { profileHorizon, type RunResources } from './resources.js';
import type { Profile } from '../protocol/profiles.js';

/** Picks `n` of `total` indices without replacement (partial Fisher-Yates), returned in ascending order. */
export function sampleIndices(total: number, n: number, seed: number): number[] {
  const pool = Array.from({ length: total }, (_, i) => i);
  const rng = new Rng(seed);
  const k = Math.min(n, total);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(total - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k).sort((a, b) => a - b);
}

export async function renderProbeFrames(resources: RunResources, tasks: readonly TaskDefinition[], profile: Profile): Promise<FrameBatch> {
  const refs: [number, number, number][] = [];
  const sets = [];
  for (const [ti, task] of tasks.entries()) {
    const set = (await resources.demos(task)).set;
    sets.push(set);
    usedLengths(set.episodes, profileHorizon(profile, task.name)).forEach((len, ep) => {
      for (let t = 0; t < len; t++) refs.push([ti, ep, t]);
    });
  }
  const picked = sampleIndices(refs.length, ENTROPY_PROBE_FRAMES, ENTROPY_PROBE_SEED).map((i) => refs[i]!);
  const size = profile.imageSize;
  const frameBytes = size * size * 3;
  const data = new Uint8Array(picked.length * frameBytes);
  let offset = 0;
  for (const [ti, task] of tasks.entries()) {
    const steps = picked.filter((r) => r[0] === ti).map((r) => [r[1], r[2]] as const);
    if (steps.length === 0) continue;
    const batch = renderDemoFrames(await resources.replayEnv(task), sets[ti]!.episodes, steps, size, task.defaultCamera);
    data.set(batch.data, offset);
    offset += batch.data.length;
  }
  return { data, n: picked.length, height: size, width: size };
}
