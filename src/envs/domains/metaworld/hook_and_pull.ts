/**
 * The scripted expert of the tasks that pull a handle (drawer-open, door-open): gripper closed, tool centre 10 cm
 * above the gap behind the handle, down into it, then pulled along the task's path (each step aiming at the
 * task's next target) to the end of the episode. With `backOff`, a hand that starts below that approach height
 * first backs away from the fixture (towards the robot, -y) so that its way up passes in front of the handle.
 */
import type { Vec3 } from '../../scene.js';
import type { Physics } from '../../mujoco.js';
import type { Rng } from '../../../util/rng.js';
import type { Expert, Task } from '../../task.js';
import { armHandles } from './arm.js';
import { near, reachAction } from './expert_control.js';

export interface PullPlan {
  /** The middle of the gap behind the handle, world (read live). */
  gripPoint(physics: Physics): Vec3;
  /** Where the tool centre heads next while pulling, world. */
  pullTarget(physics: Physics): Vec3;
  /** Pulling speed (1 = 1 cm per step). */
  pullSpeed: number;
  /**
   * How far in front of the grip point (metres, -y) a hand starting below the approach height backs away before it
   * rises (door-open: a hand moved close to the door would otherwise rise into the handle); none when absent.
   */
  backOff?: number;
}

/** The approach height above the grip point, and the tolerance within which a hand counts as up there. */
const APPROACH_HEIGHT = 0.1;
const APPROACH_TOLERANCE = 0.03;

export class HookAndPullExpert implements Expert {
  readonly name = 'scripted';
  private phase: 'back-off' | 'above' | 'descend' | 'pull' = 'above';

  constructor(private readonly plan: PullPlan) {}

  reset(_physics: Physics, _rng: Rng): void {
    this.phase = this.plan.backOff === undefined ? 'above' : 'back-off';
  }

  act(physics: Physics, _task: Task, _step: number): Float64Array {
    const arm = armHandles(physics);
    const tcp = arm.tcpPos();
    const grip = this.plan.gripPoint(physics);
    if (this.phase === 'back-off') {
      const clearY = grip[1] - this.plan.backOff!;
      if (tcp[2] >= grip[2] + APPROACH_HEIGHT - APPROACH_TOLERANCE || tcp[1] <= clearY + 0.01) this.phase = 'above';
      else return reachAction(arm, [tcp[0], clearY, tcp[2]], 1);
    }
    if (this.phase === 'above') {
      const above: Vec3 = [grip[0], grip[1], grip[2] + APPROACH_HEIGHT];
      if (near(tcp, above, 0.006, APPROACH_TOLERANCE)) this.phase = 'descend';
      else return reachAction(arm, above, 1);
    }
    if (this.phase === 'descend') {
      if (near(tcp, grip, 0.008, 0.01)) this.phase = 'pull';
      else return reachAction(arm, grip, 1);
    }
    return reachAction(arm, this.plan.pullTarget(physics), 1, this.plan.pullSpeed);
  }
}
