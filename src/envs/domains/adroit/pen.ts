/**
 * pen (Adroit-style): reorient a free pen in the hand to a random target orientation; the forearm is fixed.
 *
 * The forearm is fixed at (0, -0.7, 0.2) palm up. The pen (cylinder r 0.015, half-length 0.065, density 1500,
 * free joint) starts at (0, -0.2, 0.25) lying along x, on the palm; the hand starts at rest. The target orientation
 * is random: roll a and pitch b in U(-1, 1) (Adroit's convention: rotation Ry(b) Rx(a) of a pen standing along
 * +z, so the target axis is (cos a sin b, -sin a, cos a cos b)); a translucent target pen shows it beside the hand.
 * The goal is reached when the pen's centre is within 7.5 cm of (0, -0.2, 0.25) and the cosine between the pen's
 * axis and the target axis exceeds 0.95. The episode terminates when the pen drops (centre below z 0.075).
 * Horizon 100; an episode succeeds when the goal is reached on more than 20 steps.
 *
 * Action (24): hand joint targets in [-1, 1], mapped onto each actuator's control range. Proprio (24): the hand
 * joint angles.
 */
import type { Rng } from '../../../util/rng.js';
import type { Physics } from '../../mujoco.js';
import { jointQposAddress, mocapIndex, objectId, perPhysics } from '../../named.js';
import { el, type Vec3 } from '../../scene.js';
import { unitActionSpec, type ActionSpec, type SceneOptions, type Task } from '../../task.js';
import { HAND_JOINT_COUNT, HandHandles } from './hand.js';
import { bodyPos, distance, placeFreeBody } from '../../positions.js';
import { adroitScene } from './scene.js';

export const PEN_RADIUS = 0.015;
export const PEN_HALF_LENGTH = 0.065;
const PEN_DENSITY = 1500;
/** Where the pen starts and where its centre must be (the goal position). */
export const PEN_START: Vec3 = [0, -0.2, 0.25];
/** The pen's body z axis along world +x: a quarter turn about y. */
const PEN_START_QUAT: [number, number, number, number] = [Math.SQRT1_2, 0, Math.SQRT1_2, 0];
/** Where the target pen is shown (Adroit shows it beside the hand). */
const TARGET_DISPLAY_POS: Vec3 = [0.2, -0.2, 0.25];
export const GOAL_DISTANCE = 0.075;
export const GOAL_COSINE = 0.95;
/** The pen counts as dropped below this height of its centre. */
export const DROP_HEIGHT = 0.075;
export const PEN_HORIZON = 100;
/** Success: the goal is reached on more than this many steps. */
export const PEN_SUCCESS_STEPS = 20;
/** Range of the target's roll and pitch, radians. */
export const TARGET_ANGLE_RANGE = 1;

/** Quaternion (w, x, y, z) of roll a about x, then pitch b about y (R = Ry(b) Rx(a)), as Adroit's euler2quat. */
export function rollPitchQuat(roll: number, pitch: number): [number, number, number, number] {
  const cr = Math.cos(roll / 2), sr = Math.sin(roll / 2);
  const cp = Math.cos(pitch / 2), sp = Math.sin(pitch / 2);
  return [cr * cp, sr * cp, cr * sp, -sr * sp];
}

/** The unit axis (body z) of a body with orientation quaternion q (w, x, y, z). */
export function quatAxisZ(q: ArrayLike<number>, offset = 0): Vec3 {
  const w = q[offset]!, x = q[offset + 1]!, y = q[offset + 2]!, z = q[offset + 3]!;
  return [2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)];
}

function penGeoms(prefix: 'pen' | 'target', material: string, collide: boolean): ReturnType<typeof el>[] {
  const contact = collide ? { condim: 4 } : { contype: 0, conaffinity: 0 };
  return [
    el('geom', { name: prefix, type: 'cylinder', size: [PEN_RADIUS, PEN_HALF_LENGTH], material, density: collide ? PEN_DENSITY : undefined, ...contact }),
    // A coloured cap marks the top (+z) end, so the orientation is visible in the frame.
    el('geom', { name: `${prefix}_cap`, type: 'cylinder', pos: [0, 0, PEN_HALF_LENGTH - 0.02], size: [PEN_RADIUS + 0.002, 0.02], material: `${material}_cap`, contype: 0, conaffinity: 0, mass: 0 }),
  ];
}

export function buildPenScene(options: SceneOptions = {}): string {
  const scene = adroitScene('pen', [1, 0, 0, 0]);
  scene.material('object_cap', { texture: 'flat-orange-mid', specular: 0.3 }).material('target_cap', { texture: 'flat-orange-light', rgba: [1, 1, 1, 0.5] });
  scene.world(
    el('body', { name: 'pen', pos: PEN_START, quat: PEN_START_QUAT }, [
      el('freejoint', { name: 'pen' }),
      ...penGeoms('pen', 'object', true),
      el('site', { name: 'pen_top', pos: [0, 0, PEN_HALF_LENGTH], size: [0.005], group: 4 }),
      el('site', { name: 'pen_bottom', pos: [0, 0, -PEN_HALF_LENGTH], size: [0.005], group: 4 }),
    ]),
    // The target is a mocap body, so its orientation is part of the physics state that demos record.
    el('body', { name: 'target', mocap: true, pos: TARGET_DISPLAY_POS }, penGeoms('target', 'target', false)),
  );
  return scene.build(options);
}

/** Ids the pen task and its expert read. */
export class PenHandles {
  readonly hand: HandHandles;
  readonly pen: number;
  readonly penQpos: number;
  readonly targetMocap: number;

  constructor(readonly physics: Physics) {
    this.hand = new HandHandles(physics);
    this.pen = objectId(physics, 'body', 'pen');
    this.penQpos = jointQposAddress(physics, 'pen');
    this.targetMocap = mocapIndex(physics, 'target');
  }

  penPos(): Vec3 {
    return bodyPos(this.physics, this.pen);
  }

  penAxis(): Vec3 {
    return quatAxisZ(this.physics.views.qpos, this.penQpos + 3);
  }


  targetAxis(): Vec3 {
    return quatAxisZ(this.physics.data.mocap_quat as Float64Array, 4 * this.targetMocap);
  }

  /** Cosine between the pen's axis and the target axis. */
  orientationCosine(): number {
    const p = this.penAxis();
    const t = this.targetAxis();
    return p[0] * t[0] + p[1] * t[1] + p[2] * t[2];
  }

  goalDistance(): number {
    return distance(this.penPos(), PEN_START);
  }
}

/** The hand's rest pose ([24], HAND_JOINTS order): every joint at 0, the pen lying on the flat palm. */
export const PEN_REST_POSE: readonly number[] = new Array(HAND_JOINT_COUNT).fill(0);

/** The pen handles of a compiled physics, looked up once. */
export const penHandles = perPhysics((physics) => new PenHandles(physics));

export class PenTask implements Task {
  readonly actionSpec: ActionSpec = unitActionSpec(HAND_JOINT_COUNT);
  readonly proprioDim = HAND_JOINT_COUNT;
  readonly actionMovesMocap = false;

  initializeEpisode(physics: Physics, rng: Rng): void {
    const h = penHandles(physics);
    h.hand.reset(PEN_REST_POSE);
    placeFreeBody(physics, 'pen', PEN_START, PEN_START_QUAT);
    const roll = rng.uniform(-TARGET_ANGLE_RANGE, TARGET_ANGLE_RANGE);
    const pitch = rng.uniform(-TARGET_ANGLE_RANGE, TARGET_ANGLE_RANGE);
    (physics.data.mocap_quat as Float64Array).set(rollPitchQuat(roll, pitch), 4 * h.targetMocap);
  }

  applyAction(physics: Physics, action: Float64Array): void {
    penHandles(physics).hand.apply(action, 0);
  }

  proprio(physics: Physics): Float32Array {
    const out = new Float32Array(HAND_JOINT_COUNT);
    penHandles(physics).hand.jointAngles(out, 0);
    return out;
  }

  /**
   * Adroit's dense pen reward: -distance + cosine, +10 when within GOAL_DISTANCE with cosine > 0.9, +50 more when
   * the goal is reached, -5 when the pen has dropped.
   */
  reward(physics: Physics): number {
    const h = penHandles(physics);
    const dist = h.goalDistance();
    const cosine = h.orientationCosine();
    let reward = -dist + cosine;
    if (dist < GOAL_DISTANCE && cosine > 0.9) reward += 10;
    if (dist < GOAL_DISTANCE && cosine > GOAL_COSINE) reward += 50;
    if (h.penPos()[2] < DROP_HEIGHT) reward -= 5;
    return reward;
  }

  success(physics: Physics): boolean {
    const h = penHandles(physics);
    return h.goalDistance() < GOAL_DISTANCE && h.orientationCosine() > GOAL_COSINE;
  }

  terminated(physics: Physics): boolean {
    return penHandles(physics).penPos()[2] < DROP_HEIGHT;
  }
}
