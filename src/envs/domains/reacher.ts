/**
 * Reacher (dm_control-style): a planar two-link arm moves its fingertip onto a target disc.
 *
 * Task reacher-easy: target at angle U(0, 2pi) and radius U(0.05, 0.20) from the shoulder, target radius 0.05,
 * reward 1 while the fingertip (radius 0.01) touches the target, else 0. Expert: analytic two-link inverse
 * kinematics and a PD controller on the joint angles.
 */
import type { Rng } from '../../util/rng.js';
import type { Physics } from '../mujoco.js';
import { jointDofAddress, jointQposAddress, objectId, perPhysics } from '../named.js';
import { registerBuiltInTask } from '../registry.js';
import { SceneBuilder, el, type CameraSpec } from '../scene.js';
import type { ActionSpec, Expert, SceneOptions, Task, TaskDefinition } from '../task.js';
import { DMC_SKYBOX, dmcFactorTargets, rejectObjectScale } from './dmc.js';

/** Length of each arm link (shoulder-wrist and wrist-fingertip), metres. */
export const LINK_LENGTH = 0.12;
export const FINGER_RADIUS = 0.01;
/** Wrist joint limit, radians (either side). */
const WRIST_LIMIT = (160 * Math.PI) / 180;
const TIMESTEP = 0.02;
/** Height of the arm's plane above the floor, metres. */
const ARM_HEIGHT = 0.01;

/** Canonical camera 'fixed' (dm_control's camera 0): straight down from 0.75 m above the shoulder, +y up. */
const FIXED_CAMERA: CameraSpec = { name: 'fixed', lookAt: [0, 0, 0], azimuth: -90, elevation: 90, distance: 0.75, fovy: 45 };

export function reacherScene(targetRadius: number, options: SceneOptions = {}): string {
  rejectObjectScale('reacher', options);
  const scene = new SceneBuilder('reacher', { timestep: TIMESTEP, compiler: { angle: 'radian', autolimits: true } });
  // dm_control's reacher lighting (common/visual.xml and the model's light): headlight ambient 0.4, diffuse 0.8,
  // specular 0.1, and a light 1 m above the arm with MuJoCo's defaults (a spot light, diffuse 0.7).
  scene.setHeadlight({ ambient: 0.4, diffuse: 0.8, specular: 0.1 }).skybox(DMC_SKYBOX);
  scene
    .material('floor', { texture: 'grid-navy', texrepeat: [2, 2] })
    .material('arm', { texture: 'flat-tan' })
    .material('finger', { texture: 'flat-silver' })
    .material('target', { texture: 'checker-brick' });
  scene.defaults(
    el('geom', { contype: 0, conaffinity: 0 }),
    el('joint', { type: 'hinge', axis: [0, 0, 1], damping: 0.01 }),
    el('motor', { gear: 0.05, ctrlrange: [-1, 1] }),
  );
  scene.camera(FIXED_CAMERA, { main: true });
  const h = ARM_HEIGHT;
  scene.world(
    el('light', { name: 'light', pos: [0, 0, 1] }),
    el('geom', { name: 'floor', type: 'plane', size: [0.3, 0.3, 0.1], material: 'floor' }),
    el('body', { name: 'arm', pos: [0, 0, h] }, [
      el('joint', { name: 'shoulder' }),
      el('geom', { name: 'root', type: 'cylinder', fromto: [0, 0, -h, 0, 0, h], size: [0.011], material: 'arm' }),
      el('geom', { name: 'upper_arm', type: 'capsule', fromto: [0, 0, 0, LINK_LENGTH, 0, 0], size: [0.01], material: 'arm' }),
      el('body', { name: 'hand', pos: [LINK_LENGTH, 0, 0] }, [
        el('joint', { name: 'wrist', range: [-WRIST_LIMIT, WRIST_LIMIT] }),
        el('geom', { name: 'forearm', type: 'capsule', fromto: [0, 0, 0, LINK_LENGTH - FINGER_RADIUS, 0, 0], size: [0.01], material: 'arm' }),
        el('body', { name: 'finger', pos: [LINK_LENGTH, 0, 0] }, [
          el('geom', { name: 'finger', type: 'sphere', size: [FINGER_RADIUS], material: 'finger' }),
        ]),
      ]),
    ]),
    el('body', { name: 'target', pos: [0, 0, h] }, [
      el('joint', { name: 'target_x', type: 'slide', axis: [1, 0, 0], damping: 0 }),
      el('joint', { name: 'target_y', type: 'slide', axis: [0, 1, 0], damping: 0 }),
      el('geom', { name: 'target', type: 'sphere', size: [targetRadius], material: 'target' }),
    ]),
  );
  scene.actuator(el('motor', { name: 'shoulder', joint: 'shoulder' }), el('motor', { name: 'wrist', joint: 'wrist' }));
  return scene.build(options);
}

/** qpos and qvel addresses of the reacher's joints and its motor ids, looked up once per physics. */
const reacherHandles = perPhysics((physics) => ({
  shoulder: jointQposAddress(physics, 'shoulder'),
  wrist: jointQposAddress(physics, 'wrist'),
  targetX: jointQposAddress(physics, 'target_x'),
  targetY: jointQposAddress(physics, 'target_y'),
  shoulderVel: jointDofAddress(physics, 'shoulder'),
  wristVel: jointDofAddress(physics, 'wrist'),
  shoulderMotor: objectId(physics, 'actuator', 'shoulder'),
  wristMotor: objectId(physics, 'actuator', 'wrist'),
}));

/** Fingertip position in the arm's plane from the joint angles [shoulder, wrist] (exact for the current state). */
export function fingertip([shoulder, wrist]: readonly [number, number]): [number, number] {
  const b = shoulder + wrist;
  return [LINK_LENGTH * (Math.cos(shoulder) + Math.cos(b)), LINK_LENGTH * (Math.sin(shoulder) + Math.sin(b))];
}

/** Fingertip-to-target-centre distance, metres (runs every step: no allocation, no Math.hypot). */
export function fingerToTarget(physics: Physics): number {
  const j = reacherHandles(physics);
  const qpos = physics.views.qpos;
  const a = qpos[j.shoulder]!;
  const b = a + qpos[j.wrist]!;
  const dx = qpos[j.targetX]! - LINK_LENGTH * (Math.cos(a) + Math.cos(b));
  const dy = qpos[j.targetY]! - LINK_LENGTH * (Math.sin(a) + Math.sin(b));
  return Math.sqrt(dx * dx + dy * dy);
}

class ReacherTask implements Task {
  readonly actionSpec: ActionSpec = { dim: 2, low: new Float64Array([-1, -1]), high: new Float64Array([1, 1]) };
  readonly proprioDim = 0;
  private readonly emptyProprio = new Float32Array(0);
  /** [shoulder, wrist, target x, target y, distance] of the last distance computation; NaN never equals. */
  private readonly memo = new Float64Array(5).fill(Number.NaN);

  constructor(readonly targetRadius: number) {}

  initializeEpisode(physics: Physics, rng: Rng): void {
    const j = reacherHandles(physics);
    const qpos = physics.views.qpos;
    qpos[j.shoulder] = rng.uniform(-Math.PI, Math.PI);
    qpos[j.wrist] = rng.uniform(-WRIST_LIMIT, WRIST_LIMIT);
    const angle = rng.uniform(0, 2 * Math.PI);
    const radius = rng.uniform(0.05, 0.2);
    qpos[j.targetX] = radius * Math.cos(angle);
    qpos[j.targetY] = radius * Math.sin(angle);
  }

  /** Action: [shoulder, wrist] motor commands. */
  applyAction(physics: Physics, action: Float64Array): void {
    const j = reacherHandles(physics);
    const ctrl = physics.views.ctrl;
    ctrl[j.shoulderMotor] = action[0]!;
    ctrl[j.wristMotor] = action[1]!;
  }

  proprio(): Float32Array {
    return this.emptyProprio;
  }

  reward(physics: Physics): number {
    return this.distance(physics) <= this.targetRadius + FINGER_RADIUS ? 1 : 0;
  }

  /** Fingertip-target distance, reused while qpos is unchanged (env.step asks for reward and success in turn). */
  private distance(physics: Physics): number {
    const j = reacherHandles(physics);
    const q = physics.views.qpos;
    const memo = this.memo;
    const shoulder = q[j.shoulder]!;
    const wrist = q[j.wrist]!;
    const x = q[j.targetX]!;
    const y = q[j.targetY]!;
    if (shoulder !== memo[0] || wrist !== memo[1] || x !== memo[2] || y !== memo[3]) {
      memo[0] = shoulder;
      memo[1] = wrist;
      memo[2] = x;
      memo[3] = y;
      memo[4] = fingerToTarget(physics);
    }
    return memo[4]!;
  }

  success(physics: Physics): boolean {
    return this.reward(physics) > 0;
  }
}

/**
 * Inverse kinematics to the target (the elbow solution nearer the current wrist angle, within the wrist limits)
 * and PD on the joint errors. Gains were tuned for dt 0.02 with actions saturating at +-1 (the env clips them).
 */
class ReacherIkPdExpert implements Expert {
  readonly name = 'ik-pd';
  private readonly action = new Float64Array(2);

  constructor(
    private readonly kp = 4,
    private readonly kd = 0.4,
  ) {}

  reset(): void {}

  act(physics: Physics): Float64Array {
    const j = reacherHandles(physics);
    const { qpos, qvel } = physics.views;
    const [q1, q2] = inverseKinematics(qpos[j.targetX]!, qpos[j.targetY]!, qpos[j.wrist]!);
    const e1 = wrapAngle(q1 - qpos[j.shoulder]!);
    const e2 = q2 - qpos[j.wrist]!;
    this.action[0] = this.kp * e1 - this.kd * qvel[j.shoulderVel]!;
    this.action[1] = this.kp * e2 - this.kd * qvel[j.wristVel]!;
    return this.action;
  }
}

/** Joint angles [shoulder, wrist] that put the fingertip at (x, y); unreachable targets give the nearest pose. */
export function inverseKinematics(x: number, y: number, currentWrist: number): [number, number] {
  const l = LINK_LENGTH;
  const d = Math.min(Math.max(Math.hypot(x, y), 1e-6), 2 * l);
  const cosWrist = Math.min(1, Math.max(-1, (d * d - 2 * l * l) / (2 * l * l)));
  const magnitude = Math.min(Math.acos(cosWrist), WRIST_LIMIT);
  const wrist = Math.abs(currentWrist - magnitude) <= Math.abs(currentWrist + magnitude) ? magnitude : -magnitude;
  const shoulder = Math.atan2(y, x) - Math.atan2(l * Math.sin(wrist), l + l * Math.cos(wrist));
  return [shoulder, wrist];
}

function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.round(a / (2 * Math.PI));
}

function reacherDefinition(name: string, targetRadius: number): TaskDefinition {
  return {
    name,
    domain: 'reacher',
    family: 'dmc',
    benchmarks: ['cortexbench'],
    version: 3,
    horizon: 1000,
    timestep: TIMESTEP,
    substeps: 1,
    defaultCamera: 'fixed',
    factorTargets: dmcFactorTargets(['arm', 'finger', 'target']),
    buildScene: (options) => reacherScene(targetRadius, options),
    createTask: () => new ReacherTask(targetRadius),
    createExpert: () => new ReacherIkPdExpert(),
  };
}

registerBuiltInTask(reacherDefinition('reacher-easy', 0.05));
