/**
 * The scripted grasp-lift-carry-place sequence that bin-picking, assembly and pick-place share. A task describes
 * its object by three live points (where the fingers close, the point of the object that must reach the goal, and
 * the goal) and a few heights; the expert then runs:
 *
 *   above   tool centre 8 cm above the grasp point, gripper opened to `approachGrip`
 *   descend onto the grasp point (following it, so a nudged object is still met)
 *   close   gripper closed for CLOSE_STEPS steps
 *   lift    straight up until the object point is at `carryHeight`; if the object stays behind (a missed
 *           grasp), back to `above`
 *   carry   object point to the approach point (by default `carryHeight` above the goal), steering by the object
 *           point itself (its offset from the tool centre is measured live, so a swinging or slipping object is
 *           still aimed right)
 *   place   object point onto the goal at `placeSpeed`, still steering by it (down into a bin, over a peg, or
 *           a hammer head through a nail)
 *   release open the gripper, then withdraw 10 cm up and wait (or `hold`: keep the object at the goal)
 */
import type { Vec3 } from '../../scene.js';
import type { Physics } from '../../mujoco.js';
import type { Rng } from '../../../util/rng.js';
import type { Expert, Task } from '../../task.js';
import { armHandles } from './arm.js';
import { near, reachAction } from './expert_control.js';
import { distance } from '../../positions.js';

export interface PickPlan {
  /** Where the tool centre point closes on the object, world (read live). */
  graspPoint(physics: Physics): Vec3;
  /** The point of the object that must reach the goal, world (read live). */
  objectPoint(physics: Physics): Vec3;
  /** Where the object point must end up, world. */
  goal(physics: Physics): Vec3;
  /** Grip command while approaching and after release (-1 = fully open). */
  approachGrip: number;
  /** Height the object point is lifted to before carrying, world z. */
  carryHeight: number;
  /** Where the carry ends, world; `carryHeight` above the goal when omitted. */
  approachPoint?(physics: Physics): Vec3;
  /** How close the object point must be to the approach point before placing, metres. */
  alignTolerance: number;
  /** Speed of the final move onto the goal (1 = 1 cm per step). */
  placeSpeed: number;
  /** Keep holding the object at the goal instead of releasing it. */
  hold: boolean;
}

/** Steps the gripper is given to close on the object. */
const CLOSE_STEPS = 6;
/** Steps the gripper is given to open before the hand withdraws. */
const RELEASE_STEPS = 8;

type Phase = 'above' | 'descend' | 'close' | 'lift' | 'carry' | 'place' | 'release' | 'withdraw';

export class PickAndPlaceExpert implements Expert {
  readonly name = 'scripted';
  private phase: Phase = 'above';
  private phaseSteps = 0;
  /** Object point minus tool centre when the grasp closed: a grasp that slips much further has failed. */
  private graspOffset: Vec3 = [0, 0, 0];
  private withdrawTarget: Vec3 = [0, 0, 0];

  constructor(private readonly plan: PickPlan) {}

  reset(_physics: Physics, _rng: Rng): void {
    this.enter('above');
  }

  act(physics: Physics, _task: Task, _step: number): Float64Array {
    const arm = armHandles(physics);
    const plan = this.plan;
    const tcp = arm.tcpPos();
    this.phaseSteps++;
    const open = plan.approachGrip;
    // Steers so that the object point moves to `target`: the tool centre goes where it must be for that.
    const steer = (target: Vec3, speed = 1): Float64Array => {
      const object = plan.objectPoint(physics);
      return reachAction(arm, [tcp[0] + target[0] - object[0], tcp[1] + target[1] - object[1], tcp[2] + target[2] - object[2]], 1, speed);
    };
    switch (this.phase) {
      case 'above': {
        const grasp = plan.graspPoint(physics);
        const above: Vec3 = [grasp[0], grasp[1], grasp[2] + 0.08];
        if (near(tcp, above, 0.006, 0.02)) return this.enter('descend', reachAction(arm, grasp, open));
        return reachAction(arm, above, open);
      }
      case 'descend': {
        const grasp = plan.graspPoint(physics);
        if (near(tcp, grasp, 0.006, 0.004)) return this.enter('close', reachAction(arm, grasp, 1));
        return reachAction(arm, grasp, open);
      }
      case 'close': {
        const grasp = plan.graspPoint(physics);
        if (this.phaseSteps >= CLOSE_STEPS) {
          const object = plan.objectPoint(physics);
          this.graspOffset = [object[0] - tcp[0], object[1] - tcp[1], object[2] - tcp[2]];
          this.enter('lift');
        }
        return reachAction(arm, grasp, 1);
      }
      case 'lift': {
        const object = plan.objectPoint(physics);
        if (this.slipped(object, tcp)) return this.enter('above', reachAction(arm, tcp, open));
        if (object[2] >= plan.carryHeight - 0.01) return this.enter('carry', steer([object[0], object[1], plan.carryHeight]));
        return reachAction(arm, [tcp[0], tcp[1], tcp[2] + (plan.carryHeight - object[2])], 1);
      }
      case 'carry': {
        const object = plan.objectPoint(physics);
        if (this.slipped(object, tcp)) return this.enter('above', reachAction(arm, tcp, open));
        const approach = this.approachPoint(physics);
        if (distance(object, approach) < plan.alignTolerance) this.enter('place');
        return steer(approach);
      }
      case 'place': {
        const goal = plan.goal(physics);
        const object = plan.objectPoint(physics);
        if (!plan.hold && distance(object, goal) < 0.01) {
          this.withdrawTarget = [tcp[0], tcp[1], tcp[2] + 0.1];
          return this.enter('release', reachAction(arm, tcp, open));
        }
        return steer(goal, plan.placeSpeed);
      }
      case 'release':
        // Still, while the fingers open.
        if (this.phaseSteps >= RELEASE_STEPS) this.enter('withdraw');
        return Float64Array.of(0, 0, 0, open);
      case 'withdraw':
        return reachAction(arm, this.withdrawTarget, open);
    }
  }

  private approachPoint(physics: Physics): Vec3 {
    if (this.plan.approachPoint) return this.plan.approachPoint(physics);
    const goal = this.plan.goal(physics);
    return [goal[0], goal[1], this.plan.carryHeight];
  }

  /** Whether the object has moved more than 3 cm away from where the grasp held it (a missed or lost grasp). */
  private slipped(object: Vec3, tcp: Vec3): boolean {
    const now: Vec3 = [object[0] - tcp[0], object[1] - tcp[1], object[2] - tcp[2]];
    return distance(now, this.graspOffset) > 0.03;
  }

  private enter(phase: Phase, action?: Float64Array): Float64Array {
    this.phase = phase;
    this.phaseSteps = 0;
    return action ?? new Float64Array(4);
  }
}
