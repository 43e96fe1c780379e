/**
 * The one stepping function: what a control step does to the physics once the task has applied its action.
 * `Env.step` and every planner rollout call it, so a planner plans the system the episode runs (exactly, unless its
 * config names coarser planning substeps: predictive_sampling.ts `planningSubsteps`).
 */
import type { Physics } from './mujoco.js';
import type { Task } from './task.js';

/**
 * Advances `physics` by one control step (`physics.substeps` physics steps) in dm_control's order: mj_step2
 * integrates from the positions and velocities that mj_step1 (or mj_forward at reset) already computed, then
 * mj_step1 brings body poses, cameras and sensors up to date with the new state. It costs the same as mj_step,
 * but observations, rewards and rendered frames then describe the state after the step, exactly as a demo frame
 * re-rendered from that state does. A task whose action moves mocap bodies invalidates the kinematics, so they
 * are recomputed once first.
 */
export function advance(physics: Physics, task: Pick<Task, 'actionMovesMocap'>): void {
  const { mj, model, data, substeps } = physics;
  if (task.actionMovesMocap) mj.mj_step1(model, data);
  for (let i = 0; i < substeps; i++) {
    mj.mj_step2(model, data);
    mj.mj_step1(model, data);
  }
}
