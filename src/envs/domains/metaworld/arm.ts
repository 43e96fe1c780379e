/**
 * Our MetaWorld-style arm: a hand on three slide joints (x, y, z), pulled by a `connect` constraint towards an
 * invisible mocap target, with a two-finger parallel gripper whose fingers close along y (as the Sawyer gripper's
 * pads do in MetaWorld, so handles lying along x are pinched across their width). Driving a mocap target (rather
 * than the joints) keeps MetaWorld's action semantics: the action moves the target by up to 1 cm per axis per
 * step inside a workspace box, and the hand follows softly, so contacts (a pressed button, a stuck drawer) can
 * hold it back. The slides keep the hand upright, which a free-floating welded hand does not guarantee under
 * contact torques.
 *
 * Action (4): [dx, dy, dz, grip] in [-1, 1]; xyz move the target by 1 cm per unit, grip +1 closes the fingers.
 * Proprio (4): tool-centre-point xyz (between the fingertips) and the gripper opening in [0, 1] (1 = fully open).
 */
import type { Physics } from '../../mujoco.js';
import { jointDofAddress, jointQposAddress, mocapIndex, objectId, perPhysics } from '../../named.js';
import { sitePos } from '../../positions.js';
import { el, type Vec3, type XmlElement } from '../../scene.js';
import { unitActionSpec, type ActionSpec } from '../../task.js';

/** Metres the mocap target moves per unit action per step. */
export const MOCAP_STEP = 0.01;

/** Box the mocap target (hand origin) is clipped to, in world coordinates. */
export interface Workspace {
  low: Vec3;
  high: Vec3;
}

/** MetaWorld v2's hand box (`hand_low`/`hand_high` and `mocap_low`/`mocap_high`): y from 0.40. */
export const DEFAULT_WORKSPACE: Workspace = { low: [-0.5, 0.4, 0.05], high: [0.5, 1.0, 0.5] };

/**
 * Farthest the mocap target may run ahead of the hand, per axis (above the ~3 cm lag of free motion). Upstream's
 * mocap has no such leash; ours still lets the hand push a button or a drawer into its end stop (the constraint
 * force at 4 cm is far above what they resist) but keeps a held-back hand from winding its target up over the
 * whole workspace, which would push it through fixtures.
 */
export const MOCAP_LEASH = 0.04;
/** Finger travel per side, metres: 0 = closed, FINGER_TRAVEL = fully open. */
export const FINGER_TRAVEL = 0.04;
/** Tool centre point below the hand origin (between the fingertips). */
export const TCP_OFFSET: Vec3 = [0, 0, -0.06];

export const ARM_ACTION_DIM = 4;
export const ARM_PROPRIO_DIM = 4;

export function armActionSpec(): ActionSpec {
  return unitActionSpec(ARM_ACTION_DIM);
}

const PALM_HALF: Vec3 = [0.02, 0.02, 0.012];
/** Finger half extents: x (width), y (thickness along the closing axis), z (length). */
const FINGER_HALF: Vec3 = [0.012, 0.006, 0.025];
/** Gap between the fingers' inner faces when closed (fully open: CLOSED_GAP + 2 FINGER_TRAVEL = 8.4 cm). */
const CLOSED_GAP = 0.004;

function finger(side: 'left' | 'right'): XmlElement {
  const sign = side === 'right' ? -1 : 1;
  return el('body', { name: `finger_${side}`, gravcomp: 1, pos: [0, sign * (FINGER_HALF[1] + CLOSED_GAP / 2), -PALM_HALF[2] - FINGER_HALF[2]] }, [
    el('joint', { name: `finger_${side}`, type: 'slide', axis: [0, sign, 0], range: [0, FINGER_TRAVEL], damping: 4, armature: 0.01 }),
    // condim 4 adds torsional friction, so a pinched handle resists turning about the closing axis (a hammer head
    // hanging off the grasp point).
    el('geom', { name: `finger_${side}`, type: 'box', size: FINGER_HALF, material: 'arm', mass: 0.05, friction: [2, 0.02, 0.001], condim: 4 }),
  ]);
}

/**
 * MJCF of the arm: the mocap target and the hand both sit at the world origin in the reference configuration, so
 * the connect constraint holds when hand joint positions equal the target's world position. The slide limits lie
 * a little outside `workspace`, so they never fight the constraint in normal use.
 */
export function armElements(workspace: Workspace): { world: XmlElement[]; equality: XmlElement[]; actuators: XmlElement[] } {
  const slide = (axis: 'x' | 'y' | 'z', index: number): XmlElement => {
    const dir: Vec3 = [0, 0, 0];
    dir[index] = 1;
    const range = [workspace.low[index]! - 0.1, workspace.high[index]! + 0.1];
    return el('joint', { name: `hand_${axis}`, type: 'slide', axis: dir, range, damping: 5, armature: 0.1 });
  };
  const hand = el('body', { name: 'hand', pos: [0, 0, 0], gravcomp: 1 }, [
    slide('x', 0),
    slide('y', 1),
    slide('z', 2),
    el('geom', { name: 'palm', type: 'box', size: PALM_HALF, material: 'arm', mass: 1 }),
    // The forearm is visual only, so it never snags on fixtures. It leans back towards the robot (-y), as the
    // Sawyer's wrist comes from the base, so it stays out of top_cap2's view of the table beyond the hand.
    el('geom', { name: 'forearm', type: 'cylinder', fromto: [0, 0, PALM_HALF[2], 0, -0.2, 0.3], size: [0.018], material: 'arm', contype: 0, conaffinity: 0, mass: 0 }),
    el('site', { name: 'tcp', pos: TCP_OFFSET, size: [0.005], rgba: [1, 0, 0, 0], group: 4 }),
    finger('left'),
    finger('right'),
  ]);
  const target = el('body', { name: 'hand_target', mocap: true, pos: [0, 0, 0] });
  return {
    world: [target, hand],
    equality: [el('connect', { name: 'hand_to_target', body1: 'hand', body2: 'hand_target', anchor: [0, 0, 0], solref: [0.02, 1] })],
    // kp 600: ~11 N of squeeze on a 4 cm object, enough friction for a 0.1-0.3 kg object swung at 1 cm per step.
    actuators: ['left', 'right'].map((side) =>
      el('position', { name: `grip_${side}`, joint: `finger_${side}`, kp: 600, ctrlrange: [0, FINGER_TRAVEL], forcerange: [-20, 20] }),
    ),
  };
}

const HAND_JOINTS = ['hand_x', 'hand_y', 'hand_z'];
const FINGER_JOINTS = ['finger_left', 'finger_right'];

/** Ids and addresses of the arm in one compiled physics (get them through `armHandles`). */
export class ArmHandles {
  /** Index of the hand target in mocap_pos. */
  readonly mocapId: number;
  /** qpos/qvel addresses of hand_x, hand_y, hand_z. */
  readonly handQpos: number[];
  readonly handQvel: number[];
  readonly fingerQpos: number[];
  readonly fingerQvel: number[];
  readonly gripActuators: number[];
  readonly tcpSite: number;

  constructor(readonly physics: Physics) {
    this.mocapId = mocapIndex(physics, 'hand_target');
    this.handQpos = HAND_JOINTS.map((j) => jointQposAddress(physics, j));
    this.handQvel = HAND_JOINTS.map((j) => jointDofAddress(physics, j));
    this.fingerQpos = FINGER_JOINTS.map((j) => jointQposAddress(physics, j));
    this.fingerQvel = FINGER_JOINTS.map((j) => jointDofAddress(physics, j));
    this.gripActuators = ['grip_left', 'grip_right'].map((n) => objectId(physics, 'actuator', n));
    this.tcpSite = objectId(physics, 'site', 'tcp');
  }

  /** Places hand and target at `handPos` (hand origin, world; clipped to `workspace`) at rest with the gripper open. */
  reset(handPos: Vec3, workspace: Workspace): void {
    const { views, data } = this.physics;
    const { qpos, qvel, ctrl } = views;
    const pos = clipToWorkspace(handPos, workspace);
    views.mocapPos.set(pos, 3 * this.mocapId);
    (data.mocap_quat as Float64Array).set([1, 0, 0, 0], 4 * this.mocapId);
    for (let i = 0; i < 3; i++) {
      qpos[this.handQpos[i]!] = pos[i]!;
      qvel[this.handQvel[i]!] = 0;
    }
    for (let i = 0; i < 2; i++) {
      qpos[this.fingerQpos[i]!] = FINGER_TRAVEL;
      qvel[this.fingerQvel[i]!] = 0;
      ctrl[this.gripActuators[i]!] = FINGER_TRAVEL;
    }
  }

  /**
   * Moves the mocap target by `action[0..3] * MOCAP_STEP`, clipped to `workspace` and to a leash of MOCAP_LEASH
   * around the hand, and sets the grip. The leash only ever refuses to move the target further away, so the target
   * still moves at most 1 cm per axis and step.
   */
  apply(action: Float64Array, workspace: Workspace): void {
    const { mocapPos: mocap, qpos, ctrl } = this.physics.views;
    const base = 3 * this.mocapId;
    for (let i = 0; i < 3; i++) {
      const current = mocap[base + i]!;
      const hand = qpos[this.handQpos[i]!]!;
      const low = Math.max(workspace.low[i]!, Math.min(current, hand - MOCAP_LEASH));
      const high = Math.min(workspace.high[i]!, Math.max(current, hand + MOCAP_LEASH));
      mocap[base + i] = Math.min(high, Math.max(low, current + action[i]! * MOCAP_STEP));
    }
    // grip +1 closes (target 0), -1 opens fully (the action is already clipped to [-1, 1]).
    const target = (FINGER_TRAVEL * (1 - action[3]!)) / 2;
    for (const a of this.gripActuators) ctrl[a] = target;
  }

  mocapPos(): Vec3 {
    const mocap = this.physics.views.mocapPos;
    const b = 3 * this.mocapId;
    return [mocap[b]!, mocap[b + 1]!, mocap[b + 2]!];
  }

  tcpPos(): Vec3 {
    return sitePos(this.physics, this.tcpSite);
  }

  /** Gripper opening in [0, 1]: mean finger travel over its maximum. */
  gripperOpening(): number {
    const qpos = this.physics.views.qpos;
    const mean = (qpos[this.fingerQpos[0]!]! + qpos[this.fingerQpos[1]!]!) / 2;
    return Math.min(1, Math.max(0, mean / FINGER_TRAVEL));
  }

  /** The opening the grip actuators are commanded to, in [0, 1]. */
  commandedOpening(): number {
    const ctrl = this.physics.views.ctrl;
    return (ctrl[this.gripActuators[0]!]! + ctrl[this.gripActuators[1]!]!) / 2 / FINGER_TRAVEL;
  }

  /**
   * Whether the fingers pinch something: commanded to close, yet held at least 5 mm (per side) short of where
   * they are told to be. Tasks combine it with the tool centre's distance to their object.
   */
  pinching(): boolean {
    const commanded = this.commandedOpening();
    return commanded < 0.5 && this.gripperOpening() - commanded > 0.005 / FINGER_TRAVEL;
  }

  proprio(): Float32Array {
    const [x, y, z] = this.tcpPos();
    return Float32Array.of(x, y, z, this.gripperOpening());
  }
}

export function clipToWorkspace(p: Vec3, workspace: Workspace): Vec3 {
  return p.map((v, i) => Math.min(workspace.high[i]!, Math.max(workspace.low[i]!, v))) as Vec3;
}

/** The arm's handles in `physics`, looked up once per physics. */
export const armHandles = perPhysics((physics) => new ArmHandles(physics));
