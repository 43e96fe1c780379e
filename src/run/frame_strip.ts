/**
 * One picture per task for the report: STRIP_FRAMES frames of the first demo episode, evenly spaced over its used
 * steps and rendered with the run's render settings (what the encoder sees), side by side in one PNG
 * [S, STRIP_FRAMES * S, 3]. Written once per task version; cheap (a few renders of cached demo states).
 */
import { renderDemoFrames, usedLengths } from '../data/features.js';
import { encodePng } from '../envs/render/image_io.js';
import type { RunDir } from '../results/run_dir.js';
import type { RunTask } from './resolved.js';
import type { RunResources } from './resources.js';

export const STRIP_FRAMES = 8;

/** `count` step indices spread evenly over [0, length - 1] (fewer when the episode is shorter). */
export function stripSteps(length: number, count: number): number[] {
  if (length <= count) return Array.from({ length }, (_, t) => t);
  return Array.from({ length: count }, (_, i) => Math.round((i * (length - 1)) / (count - 1)));
}

/** Writes the task's strip unless the directory has it for this task version. */
export async function writeFrameStrip(dir: RunDir, resources: RunResources, task: RunTask): Promise<void> {
  const { definition, protocol } = task;
  const key = { task: definition.name, version: definition.version };
  if (dir.hasFrameStrip(key)) return;
  const { episodes } = await resources.demos(task);
  const steps = stripSteps(usedLengths(episodes.slice(0, 1), protocol.horizon)[0]!, STRIP_FRAMES);
  const frames = renderDemoFrames(await resources.replayEnv(definition), episodes, steps.map((t) => [0, t] as const), protocol.render);
  const S = protocol.render.imageSize;
  const strip = new Uint8Array(S * S * 3 * frames.n);
  for (let f = 0; f < frames.n; f++) {
    for (let y = 0; y < S; y++) {
      const row = frames.data.subarray(((f * S + y) * S) * 3, ((f * S + y + 1) * S) * 3);
      strip.set(row, (y * frames.n * S + f * S) * 3);
    }
  }
  dir.writeFrameStrip(key, encodePng(strip, frames.n * S, S));
}
