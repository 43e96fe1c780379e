/**
 * The pen expert: predictive sampling on the simulator (PEN_PLANNER) with a shaped objective, wrapped in an
 * episode search. The planner alone reorients the pen within ~20 steps and holds it in ~80% of episodes (it drops
 * the pen or stalls in the others, by chance of its samples); the search plays each episode to its end on a copy
 * of the simulator and tries again with fresh samples when the attempt fails the pen's success rule.
 */
import type { Physics } from '../../mujoco.js';
import type { Expert, Task } from '../../task.js';
import { EpisodeSearchExpert } from '../../experts/episode_search.js';
import { PredictiveSamplingExpert, type PredictiveSamplingConfig } from '../../experts/predictive_sampling.js';
import { GOAL_COSINE, GOAL_DISTANCE, PEN_HORIZON, PEN_SUCCESS_STEPS, PenTask, penHandles } from './pen.js';

/** Pen centre height below which the planner's objective penalises a pen that is falling out of the hand. */
const LOW_PEN_HEIGHT = 0.24;

/**
 * Planning objective per step: cosine to the target axis - 20 x distance to the goal position - 50 x how far the
 * pen's centre is below LOW_PEN_HEIGHT, + 5 while the goal is reached. With the task reward itself (+10/+50 bonuses
 * and a weak -1 x distance) a 15-step planner trades the grasp for orientation and drops the pen; the position
 * and height terms keep the pen in the hand.
 */
export function penPlanningObjective(physics: Physics, _task: Task): number {
  const h = penHandles(physics);
  const distance = h.goalDistance();
  const cosine = h.orientationCosine();
  const height = h.penPos()[2];
  const reached = distance < GOAL_DISTANCE && cosine > GOAL_COSINE ? 1 : 0;
  return cosine - 20 * distance - 50 * Math.max(0, LOW_PEN_HEIGHT - height) + 5 * reached;
}

/**
 * 15-step (0.15 s) rollouts of 3-knot splines over the 24 joint targets, 24 per control step (8 while the goal is
 * reached: holding the pen needs less search than turning it), noise 0.3, the best rollout wins. Chosen by sweeps
 * over seeds 1-8 (one episode each, goal reached on > 20 steps): these settings 7/8 at ~3.4 CPU-s per episode;
 * 24 rollouts throughout 7/8 at ~7 CPU-s, 4 while holding 7/8 at ~3.1; without the goal bonus 6/8; 25-step
 * rollouts x 16 7/8 at ~10 CPU-s; 20 x 20 4/8; MPPI averaging, a terminal pen-speed penalty, perturbing 8 random
 * joints per sample, or noise 0.5 no better (4-6/8). A pen-speed penalty on every step stops the flick that stands
 * the pen up (0/8).
 * The rollouts run on a copy of the model with 2 physics steps of 5 ms per control step (`planningSubsteps`; the
 * episode keeps 5 of 2 ms, and every search starts from its true state): with the episode search, 20 of the 20 demo
 * seeds succeed at ~0.3x the CPU time (4.8 against ~15 CPU-s per episode, measured side by side under load on the
 * AMD EPYC host, the full model 5 of 5 on the first five seeds); 1 planning step of 10 ms: 19 of 20 at ~0.2x.
 * The 100 paper demos: 96% for 365 CPU-s against version 1's 97% for 973 (2 demo threads, idle).
 */
export const PEN_PLANNER: PredictiveSamplingConfig = {
  name: 'predictive-sampling-pen',
  horizonSteps: 15,
  knots: 3,
  samples: 24,
  noiseStd: 0.3,
  holding: { samples: 8, reached: (physics, task) => task.success(physics) },
  planningSubsteps: 2,
  objective: penPlanningObjective,
};

/** Attempts per episode of the search. */
export const PEN_SEARCH_ATTEMPTS = 3;

export function createPenExpert(): Expert {
  return new EpisodeSearchExpert({
    name: 'predictive-sampling-search-pen-v2',
    createInner: () => new PredictiveSamplingExpert(PEN_PLANNER),
    createTask: () => new PenTask(),
    horizon: PEN_HORIZON,
    goalSteps: PEN_SUCCESS_STEPS,
    attempts: PEN_SEARCH_ATTEMPTS,
  });
}
