/**
 * An expert that searches over whole episodes: at reset it plays the episode to its end on a copy of the
 * simulator with a stochastic inner expert (a sampling planner), checks the result by the task's own success
 * rule, and tries again with a fresh random stream when it failed, up to `attempts` times; then it replays the
 * actions of the first successful attempt (or of the one with the most successful steps). The simulator is
 * deterministic and the copy starts from the environment's exact state, so the replay reproduces that attempt.
 *
 * Why: a sampling planner on a contact-rich task (the pen) fails now and then by chance (it drops the pen); a
 * second try with other samples usually succeeds, which lifts the success rate at ~1.25x the planning cost.
 */
import type { Rng } from '../../util/rng.js';
import type { Physics } from '../mujoco.js';
import { advance } from '../stepping.js';
import { clipToActionBounds, type Expert, type Task } from '../task.js';
import { RolloutData } from './rollout_data.js';

export interface EpisodeSearchConfig {
  /** Expert name; demo caches key on it. */
  name: string;
  /** A fresh inner expert (planner); it is reset once per attempt with its own random stream. */
  createInner: () => Expert;
  /** The task logic the attempts run (a fresh Task of the same definition). */
  createTask: () => Task;
  /** Policy steps per episode. */
  horizon: number;
  /** The success rule: an attempt succeeds when the task's success test held on more than this many steps. */
  goalSteps: number;
  /** Attempts at most (>= 1). */
  attempts: number;
}

export class EpisodeSearchExpert implements Expert {
  readonly name: string;
  private readonly inner: Expert;
  private readonly task: Task;
  private rollout: RolloutData | null = null;
  /** [horizon, dim] actions of the chosen attempt, and how many steps it ran. */
  private plan = new Float64Array(0);
  private planSteps = 0;
  private scratch = new Float64Array(0);
  private readonly action: Float64Array;
  /** Attempts the last reset needed, and the success steps of the chosen one (for inspection and tests). */
  lastAttempts = 0;
  lastGoalSteps = 0;

  constructor(readonly config: EpisodeSearchConfig) {
    if (!Number.isInteger(config.attempts) || config.attempts < 1) throw new Error(`attempts must be an integer >= 1, got ${config.attempts}`);
    if (!Number.isInteger(config.horizon) || config.horizon < 1) throw new Error(`horizon must be an integer >= 1, got ${config.horizon}`);
    this.name = config.name;
    this.inner = config.createInner();
    this.task = config.createTask();
    this.action = new Float64Array(this.task.actionSpec.dim);
  }

  reset(physics: Physics, rng: Rng): void {
    if (this.rollout?.source !== physics) {
      this.rollout?.dispose();
      this.rollout = new RolloutData(physics);
    }
    const { horizon, goalSteps, attempts } = this.config;
    const dim = this.task.actionSpec.dim;
    if (this.plan.length !== horizon * dim) {
      this.plan = new Float64Array(horizon * dim);
      this.scratch = new Float64Array(horizon * dim);
    }
    let bestGoalSteps = -1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const { goal, steps } = this.attempt(rng.fork(attempt));
      this.lastAttempts = attempt + 1;
      if (goal > bestGoalSteps) {
        bestGoalSteps = goal;
        this.planSteps = steps;
        this.plan.set(this.scratch);
      }
      if (goal > goalSteps) break;
    }
    this.lastGoalSteps = bestGoalSteps;
  }

  act(_physics: Physics, _task: Task, step: number): Float64Array {
    if (this.planSteps === 0) throw new Error(`${this.name}: call reset(physics, rng) before act()`);
    const dim = this.action.length;
    // Past the planned attempt's end (it terminated early) hold its last action.
    const t = Math.min(step, this.planSteps - 1);
    this.action.set(this.plan.subarray(t * dim, (t + 1) * dim));
    return this.action;
  }

  dispose(): void {
    this.inner.dispose?.();
    this.rollout?.dispose();
    this.rollout = null;
  }

  /** One episode on the scratch copy, as Env.step plays it; records the clipped actions into `scratch`. */
  private attempt(rng: Rng): { goal: number; steps: number } {
    const rollout = this.rollout!;
    const sim = rollout.physics;
    const task = this.task;
    rollout.restoreFromSource();
    // The environment ran mj_forward after its reset; so does the copy, so that both continue identically.
    sim.mj.mj_forward(sim.model, sim.data);
    this.inner.reset(sim, rng);
    const dim = task.actionSpec.dim;
    let goal = 0;
    let steps = 0;
    for (let t = 0; t < this.config.horizon; t++) {
      const action = this.scratch.subarray(t * dim, (t + 1) * dim);
      action.set(this.inner.act(sim, task, t));
      clipToActionBounds(task.actionSpec, action);
      task.applyAction(sim, action);
      advance(sim, task);
      steps = t + 1;
      if (task.success(sim)) goal++;
      if (task.terminated?.(sim)) break;
    }
    return { goal, steps };
  }
}
