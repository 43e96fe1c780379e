/**
 * relocate (Adroit-style): pick up a ball from the table with the hand and carry it to a target in the air.
 *
 * The forearm hangs palm down at (0, -0.7, 0.2) on an arm of three slides and three hinges (all about world axes
 * through the forearm's origin), each driven by a position actuator whose control range is its joint range. The
 * ball (sphere r 0.035, 0.18 kg, free joint) starts on the table at x U(-0.15, 0.15), y U(-0.15, 0.3); the target
 * is at x, y U(-0.2, 0.2), z U(0.15, 0.35), shown as a translucent sphere. The goal is reached when the ball's
 * centre is within 0.1 m of the target. Horizon 200; an episode succeeds when the goal is reached on more than
 * 25 steps.
 *
 * Action (30): arm joint targets (6) then hand joint targets (24), each in [-1, 1] mapped onto the actuator's
 * control range. Proprio (30): the arm joint positions, then the hand joint angles.
 */
import type { Rng } from '../../../util/rng.js';
import type { Physics } from '../../mujoco.js';
import { jointDofAddress, jointQposAddress, mocapIndex, objectId, perPhysics } from '../../named.js';
import { el, type Vec3, type XmlElement } from '../../scene.js';
import { unitActionSpec, type ActionSpec, type SceneOptions, type Task } from '../../task.js';
import { HAND_JOINT_COUNT, HandHandles, actionToControl } from './hand.js';
import { bodyPos, distance, placeFreeBody, sitePos } from '../../positions.js';
import { adroitScene } from './scene.js';

export const BALL_RADIUS = 0.035;
const BALL_MASS = 0.18;
export const BALL_X_RANGE: [number, number] = [-0.15, 0.15];
export const BALL_Y_RANGE: [number, number] = [-0.15, 0.3];
export const TARGET_XY_RANGE: [number, number] = [-0.2, 0.2];
export const TARGET_Z_RANGE: [number, number] = [0.15, 0.35];
export const GOAL_DISTANCE = 0.1;
export const RELOCATE_HORIZON = 200;
/** Success: the goal is reached on more than this many steps. */
export const RELOCATE_SUCCESS_STEPS = 25;
/** Visual radius of the target sphere (Adroit's). */
const TARGET_RADIUS = 0.07;

export interface ArmJoint {
  name: string;
  type: 'slide' | 'hinge';
  /** Axis in world coordinates. */
  axis: Vec3;
  /** Joint range = actuator control range (metres or radians). */
  range: [number, number];
  kp: number;
  damping: number;
}

/**
 * The arm: world-frame slides (x sideways, y forward, z up) and hinges about the same axes through the forearm's
 * origin. Adroit's ranges for x, y (forward: -0.3..0.5) and the hinges (+-0.75); the vertical slide reaches down
 * 0.12 m as well, since our palm sits higher above the table than Adroit's. Gains make the hand follow its
 * targets within a few control steps; the forearm is gravity-compensated.
 */
export const ARM_JOINTS: readonly ArmJoint[] = [
  { name: 'ARTx', type: 'slide', axis: [1, 0, 0], range: [-0.25, 0.25], kp: 1500, damping: 120 },
  { name: 'ARTy', type: 'slide', axis: [0, 1, 0], range: [-0.3, 0.5], kp: 1500, damping: 120 },
  { name: 'ARTz', type: 'slide', axis: [0, 0, 1], range: [-0.12, 0.2], kp: 1500, damping: 120 },
  { name: 'ARRx', type: 'hinge', axis: [1, 0, 0], range: [-0.75, 0.75], kp: 300, damping: 30 },
  { name: 'ARRy', type: 'hinge', axis: [0, 1, 0], range: [-0.75, 0.75], kp: 300, damping: 30 },
  { name: 'ARRz', type: 'hinge', axis: [0, 0, 1], range: [-0.75, 0.75], kp: 300, damping: 30 },
];
export const ARM_JOINT_COUNT = ARM_JOINTS.length;
export const RELOCATE_ACTION_DIM = ARM_JOINT_COUNT + HAND_JOINT_COUNT;

/** The forearm palm down: a half turn about the forearm's axis (y), so the palm normal is -z and the thumb at -x. */
export const PALM_DOWN_QUAT: [number, number, number, number] = [0, 0, 1, 0];

/** World axis -> forearm frame (PALM_DOWN_QUAT flips x and z). */
const toForearmFrame = (v: Vec3): Vec3 => [-v[0], v[1], -v[2]];

function armMount(): { joints: XmlElement[]; actuators: XmlElement[] } {
  return {
    joints: ARM_JOINTS.map((j) =>
        el('joint', { name: j.name, type: j.type, axis: toForearmFrame(j.axis), range: j.range, damping: j.damping, armature: j.type === 'slide' ? 0.5 : 0.05 }),
    ),
    actuators: ARM_JOINTS.map((j) => el('position', { name: `A_${j.name}`, joint: j.name, kp: j.kp, ctrlrange: j.range })),
  };
}

export function buildRelocateScene(options: SceneOptions = {}): string {
  const scene = adroitScene('relocate', PALM_DOWN_QUAT, armMount(), { forearmGravcomp: true });
  scene.world(
    el('body', { name: 'ball', pos: [0, 0, BALL_RADIUS] }, [
      el('freejoint', { name: 'ball' }),
      el('geom', { name: 'ball', type: 'sphere', size: [BALL_RADIUS], mass: BALL_MASS, material: 'object', condim: 4, priority: 1, friction: [1, 0.005, 0.0001] }),
    ]),
    el('body', { name: 'target', mocap: true, pos: [0, 0, 0.25] }, [
      el('geom', { name: 'target', type: 'sphere', size: [TARGET_RADIUS], material: 'target', contype: 0, conaffinity: 0 }),
    ]),
  );
  return scene.build(options);
}

/** Ids the relocate task and its expert read. */
export class RelocateHandles {
  readonly hand: HandHandles;
  readonly armQpos: Int32Array;
  readonly armQvel: Int32Array;
  readonly firstArmActuator: number;
  readonly ball: number;
  readonly targetMocap: number;
  readonly palm: number;

  constructor(readonly physics: Physics) {
    this.hand = new HandHandles(physics);
    this.armQpos = Int32Array.from(ARM_JOINTS, (j) => jointQposAddress(physics, j.name));
    this.armQvel = Int32Array.from(ARM_JOINTS, (j) => jointDofAddress(physics, j.name));
    this.firstArmActuator = objectId(physics, 'actuator', `A_${ARM_JOINTS[0]!.name}`);
    this.ball = objectId(physics, 'body', 'ball');
    this.targetMocap = mocapIndex(physics, 'target');
    this.palm = objectId(physics, 'site', 'palm_centre');
  }

  ballPos(): Vec3 {
    return bodyPos(this.physics, this.ball);
  }

  targetPos(): Vec3 {
    const m = this.physics.views.mocapPos;
    const b = 3 * this.targetMocap;
    return [m[b]!, m[b + 1]!, m[b + 2]!];
  }

  /** Centre of the palm's face. */
  palmPos(): Vec3 {
    return sitePos(this.physics, this.palm);
  }

  /** [3] positions of the x, y, z slides. */
  slides(): Vec3 {
    const qpos = this.physics.views.qpos;
    return [qpos[this.armQpos[0]!]!, qpos[this.armQpos[1]!]!, qpos[this.armQpos[2]!]!];
  }

  ballToTarget(): number {
    return distance(this.ballPos(), this.targetPos());
  }
}

/** The relocate handles of a compiled physics, looked up once. */
export const relocateHandles = perPhysics((physics) => new RelocateHandles(physics));

export class RelocateTask implements Task {
  readonly actionSpec: ActionSpec = unitActionSpec(RELOCATE_ACTION_DIM);
  readonly proprioDim = RELOCATE_ACTION_DIM;
  readonly actionMovesMocap = false;

  initializeEpisode(physics: Physics, rng: Rng): void {
    const h = relocateHandles(physics);
    const { qpos, qvel, ctrl } = physics.views;
    for (let i = 0; i < ARM_JOINT_COUNT; i++) {
      qpos[h.armQpos[i]!] = 0;
      qvel[h.armQvel[i]!] = 0;
      ctrl[h.firstArmActuator + i] = 0;
    }
    h.hand.reset(new Array(HAND_JOINT_COUNT).fill(0));
    placeFreeBody(physics, 'ball', [rng.uniform(...BALL_X_RANGE), rng.uniform(...BALL_Y_RANGE), BALL_RADIUS]);
    const target: Vec3 = [rng.uniform(...TARGET_XY_RANGE), rng.uniform(...TARGET_XY_RANGE), rng.uniform(...TARGET_Z_RANGE)];
    physics.views.mocapPos.set(target, 3 * h.targetMocap);
  }

  applyAction(physics: Physics, action: Float64Array): void {
    const h = relocateHandles(physics);
    const ctrl = physics.views.ctrl;
    for (let i = 0; i < ARM_JOINT_COUNT; i++) ctrl[h.firstArmActuator + i] = actionToControl(action[i]!, ARM_JOINTS[i]!.range);
    h.hand.apply(action, ARM_JOINT_COUNT);
  }

  proprio(physics: Physics): Float32Array {
    const h = relocateHandles(physics);
    const out = new Float32Array(RELOCATE_ACTION_DIM);
    const qpos = physics.views.qpos;
    for (let i = 0; i < ARM_JOINT_COUNT; i++) out[i] = qpos[h.armQpos[i]!]!;
    h.hand.jointAngles(out, ARM_JOINT_COUNT);
    return out;
  }

  /**
   * Adroit's dense relocate reward: -0.1 |palm - ball|; once the ball is lifted (z > 0.04) +1, -0.5 |palm -
   * target| and -0.5 |ball - target|; +10 within 0.1 m of the target and +20 more within 0.05 m.
   */
  reward(physics: Physics): number {
    const h = relocateHandles(physics);
    const ball = h.ballPos();
    const target = h.targetPos();
    const palm = h.palmPos();
    let reward = -0.1 * distance(palm, ball);
    if (ball[2] > 0.04) {
      reward += 1 - 0.5 * distance(palm, target) - 0.5 * distance(ball, target);
    }
    const toTarget = distance(ball, target);
    if (toTarget < GOAL_DISTANCE) reward += 10;
    if (toTarget < GOAL_DISTANCE / 2) reward += 20;
    return reward;
  }

  success(physics: Physics): boolean {
    return relocateHandles(physics).ballToTarget() < GOAL_DISTANCE;
  }
}

