/** Shaped rewards shared by the MetaWorld-style tasks (MetaWorld-v2-like, in [0, 10]). */
import type { Physics } from '../../mujoco.js';
import { tolerance } from '../../rewards.js';
import type { Vec3 } from '../../scene.js';
import { armHandles } from './arm.js';
import { distance } from '../../positions.js';

/** Reach term: 1 within 2 cm of the point, 0.1 at 32 cm (long tail). */
export function reachTerm(distance: number): number {
  return tolerance(distance, { bounds: [0, 0.02], margin: 0.3, sigmoid: 'long_tail' });
}

/**
 * A grasp task's reward:
 *   10 on success, else 2 * reach + 3 * held + 5 * held * place,
 *   reach = reachTerm(|tcp - grasp|),
 *   held  = 0/1: the fingers pinch something with the tool centre within 3 cm of the grasp point,
 *   place = tolerance(|object - goal|, bounds [0, placeTolerance], margin 0.3 m, long_tail).
 * Carrying pays only while held, so knocking the object towards the goal is worth less than bringing it there.
 */
export function graspReward(physics: Physics, parts: { grasp: Vec3; object: Vec3; goal: Vec3; placeTolerance: number; success: boolean }): number {
  if (parts.success) return 10;
  const arm = armHandles(physics);
  const reachDistance = distance(arm.tcpPos(), parts.grasp);
  const reach = reachTerm(reachDistance);
  if (!(arm.pinching() && reachDistance < 0.03)) return 2 * reach;
  const place = tolerance(distance(parts.object, parts.goal), { bounds: [0, parts.placeTolerance], margin: 0.3, sigmoid: 'long_tail' });
  return 2 * reach + 3 + 5 * place;
}

/**
 * An articulated fixture's reward (button, drawer, door): 2 * reach + 8 * reach * progress, with progress in [0, 1]
 * (1 at the success state). Progress only pays while the hand is at its handle, so knocking a fixture is worth less
 * than holding it there.
 */
export function fixtureReward(reachDistance: number, progress: number): number {
  const reach = reachTerm(reachDistance);
  return 2 * reach + 8 * reach * progress;
}
