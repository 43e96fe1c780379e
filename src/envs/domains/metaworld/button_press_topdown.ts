/**
 * button-press-topdown: press a spring-loaded button down from above.
 *
 * The button box (origin at its top face) is placed at (U(-0.1, 0.1), U(0.8, 0.9), 0.115); the button slides down
 * BUTTON_TRAVEL into it. Success: the button is within 2 cm of fully pressed. The scripted expert closes the
 * gripper, moves above the button and pushes down until the end of the episode, so it stays pressed.
 */
import { registerTask } from '../../registry.js';
import { tolerance } from '../../rewards.js';
import { el, resolveObjectScale, type Vec3 } from '../../scene.js';
import type { Physics } from '../../mujoco.js';
import { jointQposAddress, objectId, perPhysics } from '../../named.js';
import type { Rng } from '../../../util/rng.js';
import type { Expert, SceneOptions, Task, TaskDefinition } from '../../task.js';
import { armHandles } from './arm.js';
import { ArmTask, metaworldTask } from './arm_task.js';
import { horizontalDistance, reachAction } from './expert_control.js';
import { distance, placeStaticBody, sitePos } from './lookup.js';
import { tabletopScene } from './tabletop.js';

/** How far the button slides into its box, metres. */
export const BUTTON_TRAVEL = 0.05;
/** Success threshold: remaining travel to fully pressed, metres. */
export const PRESS_SUCCESS_TOLERANCE = 0.02;
const BOX_TOP_Z = 0.115;
const BOX_HALF_XY = 0.05;
const CAP_RADIUS = 0.025;
const CAP_HALF_HEIGHT = 0.03;
/** Gap between the box top and the cap's underside at rest. */
const CAP_CLEARANCE = 0.01;
const HAND_START: Vec3 = [0, 0.4, 0.3];

/**
 * The button box and button. `scale` widens or narrows the box and the cap; heights stay, so the travel and the
 * success threshold keep their meaning.
 */
function buttonElements(scale: number) {
  const capCentreZ = CAP_CLEARANCE + CAP_HALF_HEIGHT;
  return el('body', { name: 'button_box', pos: [0, 0.85, BOX_TOP_Z] }, [
    el('geom', { name: 'button_box', type: 'box', pos: [0, 0, -BOX_TOP_Z / 2], size: [BOX_HALF_XY * scale, BOX_HALF_XY * scale, BOX_TOP_Z / 2], material: 'fixture' }),
    // Constraint forces scale with the inertia they act on: the armature makes the end stop hold against the hand.
    el('body', { name: 'button', pos: [0, 0, 0] }, [
      el('joint', { name: 'button', type: 'slide', axis: [0, 0, 1], range: [-BUTTON_TRAVEL, 0], stiffness: 30, springref: 0, damping: 2, armature: 0.5 }),
      el('geom', { name: 'button_cap', type: 'cylinder', pos: [0, 0, capCentreZ], size: [CAP_RADIUS * scale, CAP_HALF_HEIGHT], material: 'object', mass: 0.05 }),
      el('site', { name: 'button_top', pos: [0, 0, capCentreZ + CAP_HALF_HEIGHT], size: [0.005], rgba: [0, 1, 0, 0], group: 4 }),
    ]),
  ]);
}

export function buildButtonPressTopdownScene(options: SceneOptions = {}): string {
  const scene = tabletopScene('button-press-topdown');
  scene.world(buttonElements(resolveObjectScale(options)));
  // The cap sinks into the box when pressed; the joint limits its travel, not a contact.
  scene.contact(el('exclude', { body1: 'button_box', body2: 'button' }));
  return scene.build(options);
}

/** Ids the task and the expert read. */
class ButtonHandles {
  readonly buttonQpos: number;
  readonly buttonTop: number;
  constructor(readonly physics: Physics) {
    this.buttonQpos = jointQposAddress(physics, 'button');
    this.buttonTop = objectId(physics, 'site', 'button_top');
  }
  /** Travel left to fully pressed, metres (BUTTON_TRAVEL at rest, 0 fully pressed). */
  remainingTravel(): number {
    return Math.max(0, this.physics.views.qpos[this.buttonQpos]! + BUTTON_TRAVEL);
  }
  top(): Vec3 {
    return sitePos(this.physics, this.buttonTop);
  }
}

/** Looked up once per physics. */
const buttonHandles = perPhysics((physics) => new ButtonHandles(physics));

class ButtonPressTopdownTask extends ArmTask {
  initializeEpisode(physics: Physics, rng: Rng): void {
    const x = rng.uniform(-0.1, 0.1);
    const y = rng.uniform(0.8, 0.9);
    placeStaticBody(physics, 'button_box', [x, y, BOX_TOP_Z]);
    armHandles(physics).reset(HAND_START);
  }

  /**
   * Shaped reward in [0, 10], MetaWorld-v2-like:
   *   reach = tolerance(|tcp - button top|, bounds [0, 2 cm], margin 0.3 m, long_tail)
   *   press = tolerance(remaining travel, bounds [0, 2 cm], margin BUTTON_TRAVEL, long_tail)
   *   reward = 2 * reach + 8 * reach * press
   * Pressing only pays while the hand is on the button, so knocking it is not rewarded as much as holding it.
   */
  reward(physics: Physics): number {
    const button = buttonHandles(physics);
    const reach = tolerance(distance(armHandles(physics).tcpPos(), button.top()), { bounds: [0, 0.02], margin: 0.3, sigmoid: 'long_tail' });
    const press = tolerance(button.remainingTravel(), { bounds: [0, PRESS_SUCCESS_TOLERANCE], margin: BUTTON_TRAVEL, sigmoid: 'long_tail' });
    return 2 * reach + 8 * reach * press;
  }

  success(physics: Physics): boolean {
    return buttonHandles(physics).remainingTravel() <= PRESS_SUCCESS_TOLERANCE;
  }
}

/** Closed gripper; above the button (aligned within 8 mm); then push down and keep pushing. */
class ButtonPressTopdownExpert implements Expert {
  readonly name = 'scripted';
  private phase: 'above' | 'press' = 'above';
  private restTop: Vec3 = [0, 0, 0];

  reset(physics: Physics, _rng: Rng): void {
    this.phase = 'above';
    this.restTop = buttonHandles(physics).top();
  }

  act(physics: Physics, _task: Task, _step: number): Float64Array {
    const arm = armHandles(physics);
    const tcp = arm.tcpPos();
    const top = this.restTop;
    if (this.phase === 'above') {
      const above: Vec3 = [top[0], top[1], top[2] + 0.05];
      if (horizontalDistance(tcp, above) < 0.008 && Math.abs(tcp[2] - above[2]) < 0.02) this.phase = 'press';
      else return reachAction(arm, above, 1);
    }
    // Aim 1.5 cm below the fully pressed position: the gap becomes the force that holds the button down.
    return reachAction(arm, [top[0], top[1], top[2] - BUTTON_TRAVEL - 0.015], 1);
  }
}

export const buttonPressTopdown: TaskDefinition = metaworldTask({
  name: 'button-press-topdown',
  version: 2,
  buildScene: buildButtonPressTopdownScene,
  createTask: () => new ButtonPressTopdownTask(),
  createExpert: () => new ButtonPressTopdownExpert(),
});

registerTask(buttonPressTopdown);
