/**
 * The entropy probe set (see eval/entropy.ts): ENTROPY_PROBE_FRAMES demo frames drawn without replacement with the
 * fixed seed ENTROPY_PROBE_SEED from all used demo steps of the run's tasks (in task order, then episode, then
 * step), rendered with each task's render settings (those of its training frames).
 */
import { renderDemoFrames, usedLengths } from '../data/features.js';
import type { FrameBatch } from '../encoders/encoder.js';
import { ENTROPY_PROBE_FRAMES, ENTROPY_PROBE_SEED } from '../eval/entropy.js';
import { Rng } from '../util/rng.js';
import type { RunTask } from './resolved.js';
import type { RunResources } from './resources.js';

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

export async function renderProbeFrames(resources: RunResources, tasks: readonly RunTask[]): Promise<FrameBatch> {
  // One frame batch holds frames of one size.
  const size = tasks[0]?.protocol.render.imageSize ?? 0;
  if (tasks.some((t) => t.protocol.render.imageSize !== size)) throw new Error('renderProbeFrames: the tasks of one probe must share an image size');
  const refs: [number, number, number][] = [];
  const sets = [];
  for (const [ti, task] of tasks.entries()) {
    const set = await resources.demos(task);
    sets.push(set);
    usedLengths(set.episodes, task.protocol.horizon).forEach((len, ep) => {
      for (let t = 0; t < len; t++) refs.push([ti, ep, t]);
    });
  }
  const picked = sampleIndices(refs.length, ENTROPY_PROBE_FRAMES, ENTROPY_PROBE_SEED).map((i) => refs[i]!);
  const frameBytes = size * size * 3;
  const data = new Uint8Array(picked.length * frameBytes);
  let offset = 0;
  for (const [ti, { definition, protocol }] of tasks.entries()) {
    const steps = picked.filter((r) => r[0] === ti).map((r) => [r[1], r[2]] as const);
    if (steps.length === 0) continue;
    const batch = renderDemoFrames(await resources.replayEnv(definition), sets[ti]!.episodes, steps, protocol.render);
    data.set(batch.data, offset);
    offset += batch.data.length;
  }
  return { data, n: picked.length, height: size, width: size };
}
