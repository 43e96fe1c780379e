/**
 * The pen experts. The teacher is predictive sampling on the simulator (PEN_PLANNER): it reorients the pen in
 * about 20 steps and holds it, but costs ~6 CPU-seconds per episode. The demo expert is that planner distilled
 * into a state-feedback MLP by DAgger (benchmarks/distill_pen.ts), which acts in microseconds per step; its
 * weights (pen_policy.json) record how they were made and what they scored.
 */
import type { Physics } from '../../mujoco.js';
import type { Expert, Task } from '../../task.js';
import { PredictiveSamplingExpert, type PredictiveSamplingConfig } from '../../experts/predictive_sampling.js';
import { HAND_JOINT_COUNT } from './hand.js';
import { GOAL_COSINE, GOAL_DISTANCE, PEN_START, penHandles } from './pen.js';

/** Pen centre height below which the planner's objective penalises a pen that is falling out of the hand. */
const LOW_PEN_HEIGHT = 0.24;

/**
 * Planning objective per step: cosine to the target axis - 20 x distance to the goal position - 50 x how far the
 * pen's centre is below LOW_PEN_HEIGHT, + 1 while the goal is reached. The task reward's +10/+50 bonuses and its
 * weak position term (-1 x distance) let a 15-step planner trade the grasp for orientation and drop the pen; the
 * position and height terms keep the pen in the hand.
 */
export function penPlanningObjective(physics: Physics, _task: Task): number {
  const h = penHandles(physics);
  const distance = h.goalDistance();
  const cosine = h.orientationCosine();
  const height = h.penPos()[2];
  const reached = distance < GOAL_DISTANCE && cosine > GOAL_COSINE ? 1 : 0;
  return cosine - 20 * distance - 50 * Math.max(0, LOW_PEN_HEIGHT - height) + reached;
}

/**
 * The teacher: 15-step (0.15 s) rollouts of 3-knot splines, 24 per control step, noise 0.3, best rollout wins.
 * Measured over demo seeds 1-8 (8 episodes, shared 2-core machine): 6/8 successes at ~6 CPU-s per episode;
 * 25-step rollouts x 16 reached 7/8 at ~10 CPU-s.
 */
export const PEN_PLANNER: PredictiveSamplingConfig = {
  name: 'predictive-sampling-pen-v1',
  horizonSteps: 15,
  knots: 3,
  samples: 24,
  noiseStd: 0.3,
  objective: penPlanningObjective,
};

/** Length of the distilled policy's observation. */
export const PEN_OBSERVATION_DIM = 2 * HAND_JOINT_COUNT + 3 + 3 + 3 + 6;

/**
 * The distilled policy's privileged observation ([63]): hand joint angles [24] and velocities [24], pen centre
 * minus goal position [3], pen axis [3], target axis [3], pen linear and angular velocity [6].
 */
export function penObservation(physics: Physics, out: Float64Array): void {
  const h = penHandles(physics);
  const { qpos, qvel } = physics.views;
  let k = 0;
  for (let i = 0; i < HAND_JOINT_COUNT; i++) out[k++] = qpos[h.hand.qpos[i]!]!;
  for (let i = 0; i < HAND_JOINT_COUNT; i++) out[k++] = qvel[h.hand.qvel[i]!]!;
  const pos = h.penPos();
  for (let i = 0; i < 3; i++) out[k++] = pos[i]! - PEN_START[i]!;
  for (const v of [h.penAxis(), h.targetAxis()]) for (let i = 0; i < 3; i++) out[k++] = v[i]!;
  const velocity = h.penVelocity();
  for (let i = 0; i < 6; i++) out[k++] = velocity[i]!;
}

/** The pen's demo expert (for now the planner itself). */
export function createPenExpert(): Expert {
  return new PredictiveSamplingExpert(PEN_PLANNER);
}
