/** Shaped rewards shared by the MetaWorld-style tasks that grasp an object (MetaWorld-v2-like, in [0, 10]). */
import { tolerance } from '../../rewards.js';

/** Reach term: 1 within 2 cm of the point, 0.1 at 32 cm (long tail). */
export function reachTerm(distance: number): number {
  return tolerance(distance, { bounds: [0, 0.02], margin: 0.3, sigmoid: 'long_tail' });
}

/**
 * A grasp task's reward:
 *   10 on success, else 2 * reach + 3 * held + 5 * held * place,
 *   place = tolerance(distance to the goal, bounds [0, placeTolerance], margin placeMargin, long_tail).
 * `held` is 0/1 (the fingers pinch the object at the tool centre). Carrying pays only while held, so knocking the
 * object towards the goal is worth less than bringing it there.
 */
export function graspReward(parts: { reachDistance: number; held: boolean; placeDistance: number; placeTolerance: number; placeMargin: number; success: boolean }): number {
  if (parts.success) return 10;
  const reach = reachTerm(parts.reachDistance);
  if (!parts.held) return 2 * reach;
  const place = tolerance(parts.placeDistance, { bounds: [0, parts.placeTolerance], margin: parts.placeMargin, sigmoid: 'long_tail' });
  return 2 * reach + 3 + 5 * place;
}
