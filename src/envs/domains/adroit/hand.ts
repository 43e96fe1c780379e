/**
 * Our Adroit-style dexterous hand: the 24 joints of the Adroit (ShadowHand) model with its joint ranges, one
 * position actuator per joint with Adroit's control ranges and gains (wrist kp 10, fingers kp 1), built from
 * capsules and boxes of our own.
 *
 * Simplifications against Adroit's 24-DoF hand, stated precisely:
 *   - geometry: capsules and boxes instead of meshes; all four fingers have the same link lengths (45, 25, 26 mm);
 *   - no tendons: Adroit couples each finger's DIP joint (J0) to its PIP joint (J1) through a tendon; here every
 *     joint is driven only by its own actuator, so the 24 actuators map one to one onto the 24 joints;
 *   - the hand's links do not collide with each other (Adroit lists a few finger-finger contact pairs), only with
 *     objects and the table;
 *   - no joint friction loss (Adroit: 0.001 on every joint; it costs ~40% of a physics step for no visible effect).
 * Joints per finger: index, middle, ring: J3 (abduction), J2 (MCP flexion), J1 (PIP), J0 (DIP); little: J4
 * (metacarpal cupping) then J3-J0; thumb: J4 (rotation about its own axis: opposition), J3 (CMC flexion), J2 (MCP
 * abduction), J1 (MCP flexion), J0 (IP flexion); wrist: WRJ1 (radial/ulnar deviation), WRJ0 (flexion/extension).
 *
 * Hand frame: origin on the forearm axis, +y along the forearm towards the fingertips, +z the palm normal (the side
 * the fingers curl towards), +x towards the thumb (a right hand). Flexion is positive for every finger joint but
 * the thumb's IP joint, whose range is [-pi/2, 0] as in Adroit.
 */
import type { Physics } from '../../mujoco.js';
import { jointDofAddress, jointQposAddress, objectId } from '../../named.js';
import { defaultClass, el, type Vec3, type XmlElement } from '../../scene.js';

export interface HandJoint {
  name: string;
  /** Joint range, radians. */
  range: [number, number];
  /** Actuator control range, radians (Adroit's; a little wider than some joint ranges). */
  ctrlrange: [number, number];
  /** Position gain, N m / rad. */
  kp: number;
}

const FLEX: [number, number] = [0, 1.571];
const FLEX_CTRL: [number, number] = [0, 1.6];
const ABDUCT: [number, number] = [-0.436, 0.436];
const ABDUCT_CTRL: [number, number] = [-0.44, 0.44];

function finger(prefix: string): HandJoint[] {
  return [
    { name: `${prefix}J3`, range: ABDUCT, ctrlrange: ABDUCT_CTRL, kp: 1 },
    { name: `${prefix}J2`, range: FLEX, ctrlrange: FLEX_CTRL, kp: 1 },
    { name: `${prefix}J1`, range: FLEX, ctrlrange: FLEX_CTRL, kp: 1 },
    { name: `${prefix}J0`, range: FLEX, ctrlrange: FLEX_CTRL, kp: 1 },
  ];
}

/** The 24 hand joints in Adroit's actuator (and proprio) order. */
export const HAND_JOINTS: readonly HandJoint[] = [
  { name: 'WRJ1', range: [-0.524, 0.175], ctrlrange: [-0.524, 0.175], kp: 10 },
  { name: 'WRJ0', range: [-0.785, 0.611], ctrlrange: [-0.79, 0.61], kp: 10 },
  ...finger('FF'),
  ...finger('MF'),
  ...finger('RF'),
  { name: 'LFJ4', range: [0, 0.698], ctrlrange: [0, 0.7], kp: 1 },
  ...finger('LF'),
  { name: 'THJ4', range: [-1.047, 1.047], ctrlrange: [-1.047, 1.047], kp: 1 },
  { name: 'THJ3', range: [0, 1.309], ctrlrange: [0, 1.3], kp: 1 },
  { name: 'THJ2', range: [-0.262, 0.262], ctrlrange: [-0.26, 0.26], kp: 1 },
  { name: 'THJ1', range: [-0.524, 0.524], ctrlrange: [-0.52, 0.52], kp: 1 },
  { name: 'THJ0', range: [-1.571, 0], ctrlrange: [-1.571, 0], kp: 1 },
];

export const HAND_JOINT_COUNT = HAND_JOINTS.length;

/** Finger link lengths (proximal, middle, distal), metres, and the link capsule radius. */
const LINKS = [0.045, 0.025, 0.026] as const;
const FINGER_RADIUS = 0.0095;
const THUMB_LINKS = [0.038, 0.032, 0.03] as const;
const THUMB_RADIUS = 0.011;
/** The wrist joint on the forearm, and the palm body on the wrist (hand frame). */
const WRIST_POS: Vec3 = [0, 0.396, 0];
const PALM_POS: Vec3 = [0, 0.034, 0];
/** Palm box in the palm body frame: centre and half sizes. Its palm-side face is at z = 0.035. */
const PALM_CENTRE: Vec3 = [0, 0.048, 0.021];
const PALM_HALF: Vec3 = [0.036, 0.05, 0.014];
/** Finger roots (knuckles) in the palm body frame, index to little; the little finger sits on its metacarpal. */
const KNUCKLE_Y = 0.098;
const KNUCKLE_Z = 0.021;
const KNUCKLE_X = { FF: 0.033, MF: 0.011, RF: -0.011, LF: -0.033 } as const;
const LF_METACARPAL_POS: Vec3 = [-0.017, 0.035, KNUCKLE_Z];
/** The little finger's metacarpal hinge: folds the ulnar edge of the palm towards the palm side (cupping). */
const LF_METACARPAL_AXIS: Vec3 = [0.571, 0.821, 0];
const THUMB_BASE_POS: Vec3 = [0.034, 0.022, KNUCKLE_Z];
/** The thumb's base frame in the palm (x and y axes): at rest the thumb points forward and outward in the palm
 * plane, (0.6, 0.8, 0), and flexes towards the palm side (+z). */
const THUMB_FRAME = [0.8, -0.6, 0, 0.6, 0.8, 0] as const;

const joint = (name: string, axis: Vec3): XmlElement => {
  const spec = HAND_JOINTS.find((j) => j.name === name);
  if (!spec) throw new Error(`hand: no joint '${name}' in HAND_JOINTS`);
  return el('joint', { name, type: 'hinge', axis, range: spec.range });
};

/** Inertia of a joint hub that has no geometry of its own (knuckles, thumb base and hub); MJCF numbers keep 6 decimals. */
const hubInertia = (): XmlElement => el('inertial', { pos: [0, 0, 0], mass: 0.008, diaginertia: [1e-6, 1e-6, 1e-6] });

const capsule = (name: string, to: Vec3, radius: number): XmlElement =>
  el('geom', { name, type: 'capsule', fromto: [0, 0, 0, ...to], size: [radius] });

/** Proximal, middle and distal links of a finger along +y, flexing about +x towards the palm side. */
function fingerChain(prefix: string, rootPos: Vec3): XmlElement {
  const [proximal, middle, distal] = LINKS;
  const lower = prefix.toLowerCase();
  return el('body', { name: `${lower}knuckle`, pos: rootPos }, [
    // Abduction spreads the finger in the palm plane (positive towards the thumb).
    joint(`${prefix}J3`, [0, 0, -1]),
    hubInertia(),
    el('body', { name: `${lower}proximal`, pos: [0, 0, 0] }, [
      joint(`${prefix}J2`, [1, 0, 0]),
      capsule(`C_${lower}proximal`, [0, proximal, 0], FINGER_RADIUS),
      el('body', { name: `${lower}middle`, pos: [0, proximal, 0] }, [
        joint(`${prefix}J1`, [1, 0, 0]),
        capsule(`C_${lower}middle`, [0, middle, 0], FINGER_RADIUS),
        el('body', { name: `${lower}distal`, pos: [0, middle, 0] }, [
          joint(`${prefix}J0`, [1, 0, 0]),
          capsule(`C_${lower}distal`, [0, distal - FINGER_RADIUS, 0], FINGER_RADIUS * 0.95),
          el('site', { name: `${prefix}tip`, pos: [0, distal, 0], size: [0.004], group: 4 }),
        ]),
      ]),
    ]),
  ]);
}

/**
 * The thumb, built like a finger in its own base frame (links along +y, flexion about +x towards +z), with that
 * frame at rest pointing forward and outward in the palm plane (THUMB_FRAME). THJ4 turns the thumb about its
 * own long axis, which swings its flexion plane from the palm normal towards the palm centre (opposition); THJ3
 * (CMC) and THJ1 (MCP) flex, THJ2 abducts, THJ0 (IP, range [-pi/2, 0]) flexes for negative angles.
 */
function thumbChain(): XmlElement {
  const [proximal, middle, distal] = THUMB_LINKS;
  return el('body', { name: 'thbase', pos: THUMB_BASE_POS, xyaxes: THUMB_FRAME }, [
    joint('THJ4', [0, -1, 0]),
    hubInertia(),
    el('body', { name: 'thproximal', pos: [0, 0, 0] }, [
      joint('THJ3', [1, 0, 0]),
      capsule('C_thproximal', [0, proximal, 0], THUMB_RADIUS),
      el('body', { name: 'thhub', pos: [0, proximal, 0] }, [
        joint('THJ2', [0, 0, 1]),
        hubInertia(),
        el('body', { name: 'thmiddle', pos: [0, 0, 0] }, [
          joint('THJ1', [1, 0, 0]),
          capsule('C_thmiddle', [0, middle, 0], THUMB_RADIUS),
          el('body', { name: 'thdistal', pos: [0, middle, 0] }, [
            joint('THJ0', [-1, 0, 0]),
            capsule('C_thdistal', [0, distal - THUMB_RADIUS, 0], THUMB_RADIUS * 0.95),
            el('site', { name: 'THtip', pos: [0, distal, 0], size: [0.004], group: 4 }),
          ]),
        ]),
      ]),
    ]),
  ]);
}

/**
 * Defaults for the hand: joint damping and armature as Adroit, and hand geoms that touch objects and the table
 * but not each other (contype 1, conaffinity 0; objects and fixtures keep conaffinity 1).
 */
export function handDefaults(): XmlElement {
  return defaultClass(
    'hand',
    el('joint', { damping: 0.05, armature: 0.001 }),
    el('geom', { contype: 1, conaffinity: 0, material: 'hand', friction: [1, 0.5, 0.01], density: 1000 }),
  );
}

/**
 * The forearm body with the hand, at `pos` with orientation `quat` (w, x, y, z) of the hand frame in its parent.
 * `mount` goes first inside the forearm body (e.g. the relocate arm's joints); `gravcomp` cancels the forearm's own
 * weight (the relocate arm holds it up without sagging).
 */
export function handBody(pos: Vec3, quat: [number, number, number, number], mount: XmlElement[] = [], gravcomp = false): XmlElement {
  const palm = el('body', { name: 'palm', pos: PALM_POS }, [
    joint('WRJ0', [1, 0, 0]),
    el('geom', { name: 'C_palm', type: 'box', pos: PALM_CENTRE, size: PALM_HALF }),
    el('site', { name: 'palm_centre', pos: [0, PALM_CENTRE[1], PALM_CENTRE[2] + PALM_HALF[2]], size: [0.004], group: 4 }),
    fingerChain('FF', [KNUCKLE_X.FF, KNUCKLE_Y, KNUCKLE_Z]),
    fingerChain('MF', [KNUCKLE_X.MF, KNUCKLE_Y + 0.004, KNUCKLE_Z]),
    fingerChain('RF', [KNUCKLE_X.RF, KNUCKLE_Y, KNUCKLE_Z]),
    el('body', { name: 'lfmetacarpal', pos: LF_METACARPAL_POS }, [
      joint('LFJ4', LF_METACARPAL_AXIS),
      hubInertia(),
      fingerChain('LF', [KNUCKLE_X.LF - LF_METACARPAL_POS[0], KNUCKLE_Y - 0.004 - LF_METACARPAL_POS[1], 0]),
    ]),
    thumbChain(),
  ]);
  const wrist = el('body', { name: 'wrist', pos: WRIST_POS }, [
    joint('WRJ1', [0, 0, -1]),
    el('geom', { name: 'C_wrist', type: 'capsule', fromto: [-0.018, 0.01, 0.012, 0.018, 0.01, 0.012], size: [0.022] }),
    palm,
  ]);
  return el('body', { name: 'forearm', pos, quat, childclass: 'hand', gravcomp: gravcomp ? 1 : undefined }, [
    ...mount,
    el('geom', { name: 'C_forearm', type: 'capsule', fromto: [0, 0.12, 0, 0, 0.36, 0], size: [0.04], mass: 2 }),
    wrist,
  ]);
}

/** One position actuator per hand joint, named A_<joint>, in HAND_JOINTS order. */
export function handActuators(): XmlElement[] {
  return HAND_JOINTS.map((j) => el('position', { name: `A_${j.name}`, joint: j.name, kp: j.kp, ctrlrange: j.ctrlrange }));
}

/** Maps an action in [-1, 1] onto an actuator's control range, as Adroit does: ctrl = mid + a * half-range. */
export function actionToControl(action: number, ctrlrange: readonly [number, number]): number {
  const [low, high] = ctrlrange;
  return (low + high) / 2 + (action * (high - low)) / 2;
}

/** The inverse of actionToControl: the action that commands control value `ctrl`. */
export function controlToAction(ctrl: number, ctrlrange: readonly [number, number]): number {
  const [low, high] = ctrlrange;
  return (2 * ctrl - low - high) / (high - low);
}

/** Addresses of the hand in one compiled model. */
export class HandHandles {
  /** [24] qpos and qvel addresses of the hand joints, in HAND_JOINTS order. */
  readonly qpos: Int32Array;
  readonly qvel: Int32Array;
  /** Actuator id of A_<first hand joint>; the 24 hand actuators follow it in HAND_JOINTS order. */
  readonly firstActuator: number;

  constructor(readonly physics: Physics) {
    this.qpos = Int32Array.from(HAND_JOINTS, (j) => jointQposAddress(physics, j.name));
    this.qvel = Int32Array.from(HAND_JOINTS, (j) => jointDofAddress(physics, j.name));
    this.firstActuator = objectId(physics, 'actuator', `A_${HAND_JOINTS[0]!.name}`);
    HAND_JOINTS.forEach((j, i) => {
      if (objectId(physics, 'actuator', `A_${j.name}`) !== this.firstActuator + i) {
        throw new Error(`hand: actuator A_${j.name} is out of HAND_JOINTS order`);
      }
    });
  }

  /** Puts the hand at rest in `pose` ([24] joint angles, HAND_JOINTS order) with matching controls. */
  reset(pose: ArrayLike<number>): void {
    const { qpos, qvel, ctrl } = this.physics.views;
    for (let i = 0; i < HAND_JOINT_COUNT; i++) {
      qpos[this.qpos[i]!] = pose[i]!;
      qvel[this.qvel[i]!] = 0;
      ctrl[this.firstActuator + i] = pose[i]!;
    }
  }

  /** Writes hand actions ([-1, 1], HAND_JOINTS order) from `action[offset..offset + 24]` into the controls. */
  apply(action: Float64Array, offset: number): void {
    const ctrl = this.physics.views.ctrl;
    for (let i = 0; i < HAND_JOINT_COUNT; i++) ctrl[this.firstActuator + i] = actionToControl(action[offset + i]!, HAND_JOINTS[i]!.ctrlrange);
  }

  /** Writes the 24 joint angles into `out` from `offset`. */
  jointAngles(out: Float32Array, offset: number): void {
    const qpos = this.physics.views.qpos;
    for (let i = 0; i < HAND_JOINT_COUNT; i++) out[offset + i] = qpos[this.qpos[i]!]!;
  }
}
