/**
 * The spring-loaded button both button tasks press: a box fixture with a cap that slides BUTTON_TRAVEL into it.
 * In the button's own frame the cap sticks out along +z and is pressed along -z; `button-press-topdown` mounts it
 * facing up, `button-press` (front) facing the robot (-y). Success is the button at its end stop, as upstream
 * (whose threshold lies past the joint range, reached only by pushing into the stop).
 *
 * The scripted expert closes the gripper, moves in front of the cap (5 cm out along the face normal), then aims
 * 1.5 cm past the fully pressed position and keeps pushing to the end of the episode: the gap between target and
 * hand is the force that holds the button in its stop.
 */
import { tolerance } from '../../rewards.js';
import { el, resolveObjectScale, type Quat, type Vec3 } from '../../scene.js';
import type { Physics } from '../../mujoco.js';
import { jointQposAddress, objectId, perPhysics } from '../../named.js';
import type { Rng } from '../../../util/rng.js';
import type { Expert, SceneOptions, Task } from '../../task.js';
import { armHandles, type Workspace } from './arm.js';
import { ArmTask, type ArmLayout } from './arm_task.js';
import { near, reachAction } from './expert_control.js';
import { bodyAxis, distance, sitePos } from '../../positions.js';
import { fixtureReward } from './shaping.js';
import { tabletopScene } from './tabletop.js';

/** How far the cap slides into its box, metres. */
export const BUTTON_TRAVEL = 0.05;
/**
 * Success: travel left to the end stop, metres. A hand pushing with the scripted expert's force holds the cap
 * 0.6 mm past the stop (the stop is a soft constraint); released, the spring returns it to the rest position. 1 mm
 * accepts any push that reaches the stop and nothing that stops short of it.
 */
export const PRESS_END_TOLERANCE = 0.001;
const CAP_RADIUS = 0.025;
const CAP_HALF_LENGTH = 0.03;
/** Gap between the box face and the cap at rest. */
const CAP_CLEARANCE = 0.01;

export interface ButtonMount {
  /** Model name of the scene. */
  name: string;
  /** Orientation of the button frame (its +z is the face normal). */
  quat: Quat;
  /** The box geom in the button frame: centre and half extents at object scale 1 (x is scaled). */
  box: { pos: Vec3; half: Vec3 };
  /** Where the box face centre goes at reset: x and y ranges and a fixed z. */
  placement: { x: [number, number]; y: [number, number]; z: number };
  /** Hand start (mocap), world. */
  hand: Vec3;
  workspace?: Workspace;
}

/** The box and the button. `scale` widens the box and the cap; lengths stay, so the travel keeps its meaning. */
function buttonElements(mount: ButtonMount, scale: number) {
  const capCentre = CAP_CLEARANCE + CAP_HALF_LENGTH;
  const [hx, hy, hz] = mount.box.half;
  return el('body', { name: 'button_box', pos: [0, 0.85, mount.placement.z], quat: mount.quat }, [
    el('geom', { name: 'button_box', type: 'box', pos: mount.box.pos, size: [hx * scale, hy, hz], material: 'fixture' }),
    // Constraint forces scale with the inertia they act on: the armature makes the end stop hold against the hand.
    el('body', { name: 'button', pos: [0, 0, 0] }, [
      el('joint', { name: 'button', type: 'slide', axis: [0, 0, 1], range: [-BUTTON_TRAVEL, 0], stiffness: 30, springref: 0, damping: 2, armature: 0.5 }),
      el('geom', { name: 'button_cap', type: 'cylinder', pos: [0, 0, capCentre], size: [CAP_RADIUS * scale, CAP_HALF_LENGTH], material: 'object', mass: 0.05 }),
      el('site', { name: 'button_top', pos: [0, 0, capCentre + CAP_HALF_LENGTH], size: [0.005], rgba: [0, 1, 0, 0], group: 4 }),
    ]),
  ]);
}

export function buildButtonScene(mount: ButtonMount, options: SceneOptions = {}): string {
  const scene = tabletopScene(mount.name, mount.workspace);
  scene.world(buttonElements(mount, resolveObjectScale(options)));
  // The cap sinks into the box when pressed; the joint limits its travel, not a contact.
  scene.contact(el('exclude', { body1: 'button_box', body2: 'button' }));
  return scene.build(options);
}

/** Ids the task and the expert read. */
class ButtonHandles {
  readonly buttonQpos: number;
  readonly buttonTop: number;
  readonly box: number;
  constructor(readonly physics: Physics) {
    this.buttonQpos = jointQposAddress(physics, 'button');
    this.buttonTop = objectId(physics, 'site', 'button_top');
    this.box = objectId(physics, 'body', 'button_box');
  }
  /** Travel left to the end stop, metres (BUTTON_TRAVEL at rest, 0 fully pressed; negative past the stop). */
  remainingTravel(): number {
    return this.physics.views.qpos[this.buttonQpos]! + BUTTON_TRAVEL;
  }
  top(): Vec3 {
    return sitePos(this.physics, this.buttonTop);
  }
  /** The face normal in world coordinates (the direction the cap sticks out). */
  normal(): Vec3 {
    return bodyAxis(this.physics, this.box, 2);
  }
}

/** Looked up once per physics. */
const buttonHandles = perPhysics((physics) => new ButtonHandles(physics));

export class ButtonTask extends ArmTask {
  constructor(private readonly mount: ButtonMount) {
    super(mount.workspace);
  }

  sampleLayout(rng: Rng, _physics: Physics): ArmLayout {
    const { x, y, z } = this.mount.placement;
    return { hand: this.mount.hand, fixtures: { button_box: [rng.uniform(x[0], x[1]), rng.uniform(y[0], y[1]), z] }, objects: {} };
  }

  /**
   * fixtureReward: reach to the cap's face centre, and
   *   progress = tolerance(travel left, bounds [-inf, PRESS_END_TOLERANCE], margin BUTTON_TRAVEL, long_tail).
   */
  reward(physics: Physics): number {
    const button = buttonHandles(physics);
    const press = tolerance(button.remainingTravel(), { bounds: [-Infinity, PRESS_END_TOLERANCE], margin: BUTTON_TRAVEL, sigmoid: 'long_tail' });
    return fixtureReward(distance(armHandles(physics).tcpPos(), button.top()), press);
  }

  success(physics: Physics): boolean {
    return buttonHandles(physics).remainingTravel() <= PRESS_END_TOLERANCE;
  }
}

/** Closed gripper; in front of the cap (aligned within 8 mm); then push through to the stop and keep pushing. */
export class ButtonExpert implements Expert {
  readonly name = 'scripted';
  private phase: 'approach' | 'press' = 'approach';
  private restTop: Vec3 = [0, 0, 0];
  private normal: Vec3 = [0, 0, 1];

  reset(physics: Physics, _rng: Rng): void {
    this.phase = 'approach';
    const button = buttonHandles(physics);
    this.restTop = button.top();
    this.normal = button.normal();
  }

  act(physics: Physics, _task: Task, _step: number): Float64Array {
    const arm = armHandles(physics);
    const along = (d: number): Vec3 => this.restTop.map((v, i) => v + d * this.normal[i]!) as Vec3;
    if (this.phase === 'approach') {
      const front = along(0.05);
      if (near(arm.tcpPos(), front, 0.008, 0.02, this.normal)) this.phase = 'press';
      else return reachAction(arm, front, 1);
    }
    return reachAction(arm, along(-BUTTON_TRAVEL - 0.015), 1);
  }
}
