/**
 * Reacher (dm_control-style): a planar two-link arm moves its fingertip onto a target disc.
 *
 * Task reacher-easy: target at angle U(0, 2pi) and radius U(0.05, 0.20) from the shoulder, target radius 0.05,
 * reward 1 while the fingertip (radius 0.01) touches the target, else 0. Expert: analytic two-link inverse
 * kinematics and a PD controller on the joint angles.
 */
import type { Rng } from '../../util/rng.js';
import type { Physics } from '../mujoco.js';
import { registerTask } from '../registry.js';
import type { ActionSpec, Expert, SceneOptions, Task, TaskDefinition } from '../task.js';
import { dmcAssets, dmcVisual, fmt, orbitCamera, type OrbitPose } from './dmc_scene.js';

/** Length of each arm link (shoulder-wrist and wrist-fingertip), metres. */
export const LINK_LENGTH = 0.12;
export const FINGER_RADIUS = 0.01;
/** Wrist joint limit, radians (either side). */
const WRIST_LIMIT = (160 * Math.PI) / 180;
const TIMESTEP = 0.02;

/** Canonical camera 'fixed': straight down from 0.75 m above the shoulder, +y up in the image. */
const FIXED_CAMERA: OrbitPose = { azimuth: 90, elevation: -90, distance: 0.75 };

/** qpos layout: [shoulder, wrist, target_x, target_y]. */
const QPOS = { shoulder: 0, wrist: 1, targetX: 2, targetY: 3 } as const;

export function reacherScene(targetRadius: number, options: SceneOptions = {}): string {
  if (options.objectScale !== undefined || options.distractors !== undefined) {
    throw new Error('reacher scenes support SceneOptions camera, light and textures only (got objectScale/distractors)');
  }
  const camera = orbitCamera(options.camera ?? FIXED_CAMERA);
  const height = 0.01;
  return `<mujoco model="reacher">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="${TIMESTEP}"/>
  ${dmcVisual(options)}
  <asset>
    ${dmcAssets(
      {
        floor: { texture: 'grid_blue', repeat: [2, 2] },
        arm: { texture: 'body_tan' },
        finger: { texture: 'flat_white' },
        target: { texture: 'checker_red' },
      },
      options,
    )}
  </asset>
  <default>
    <geom contype="0" conaffinity="0"/>
    <joint type="hinge" axis="0 0 1" damping="0.01"/>
    <motor gear="0.05" ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <camera name="fixed" pos="${camera.pos}" xyaxes="${camera.xyaxes}" fovy="45"/>
    <geom name="floor" type="plane" size=".3 .3 .1" material="floor"/>
    <body name="arm" pos="0 0 ${height}">
      <joint name="shoulder"/>
      <geom name="root" type="cylinder" fromto="0 0 -${height} 0 0 ${height}" size=".011" material="arm"/>
      <geom name="upper_arm" type="capsule" fromto="0 0 0 ${LINK_LENGTH} 0 0" size=".01" material="arm"/>
      <body name="hand" pos="${LINK_LENGTH} 0 0">
        <joint name="wrist" range="-${fmt(WRIST_LIMIT)} ${fmt(WRIST_LIMIT)}"/>
        <geom name="forearm" type="capsule" fromto="0 0 0 ${fmt(LINK_LENGTH - FINGER_RADIUS)} 0 0" size=".01" material="arm"/>
        <body name="finger" pos="${LINK_LENGTH} 0 0">
          <geom name="finger" type="sphere" size="${FINGER_RADIUS}" material="finger"/>
        </body>
      </body>
    </body>
    <body name="target" pos="0 0 ${height}">
      <joint name="target_x" type="slide" axis="1 0 0" damping="0"/>
      <joint name="target_y" type="slide" axis="0 1 0" damping="0"/>
      <geom name="target" type="sphere" size="${fmt(targetRadius)}" material="target"/>
    </body>
  </worldbody>
  <actuator>
    <motor name="shoulder" joint="shoulder"/>
    <motor name="wrist" joint="wrist"/>
  </actuator>
</mujoco>`;
}

/** Fingertip position in the arm's plane, computed from the joint angles (exact for the current state). */
export function fingertip(qpos: ArrayLike<number>): [number, number] {
  const a = qpos[QPOS.shoulder]!;
  const b = a + qpos[QPOS.wrist]!;
  return [LINK_LENGTH * (Math.cos(a) + Math.cos(b)), LINK_LENGTH * (Math.sin(a) + Math.sin(b))];
}

/** Fingertip-to-target-centre distance, metres (runs every step: no allocation, no Math.hypot). */
export function fingerToTarget(physics: Physics): number {
  const qpos = physics.views.qpos;
  const a = qpos[QPOS.shoulder]!;
  const b = a + qpos[QPOS.wrist]!;
  const dx = qpos[QPOS.targetX]! - LINK_LENGTH * (Math.cos(a) + Math.cos(b));
  const dy = qpos[QPOS.targetY]! - LINK_LENGTH * (Math.sin(a) + Math.sin(b));
  return Math.sqrt(dx * dx + dy * dy);
}

class ReacherTask implements Task {
  readonly actionSpec: ActionSpec = { dim: 2, low: new Float64Array([-1, -1]), high: new Float64Array([1, 1]) };
  readonly proprioDim = 0;
  private readonly emptyProprio = new Float32Array(0);
  /** [qpos (4), distance] of the last distance computation; NaN never equals, so the first call computes. */
  private readonly memo = new Float64Array(5).fill(Number.NaN);

  constructor(readonly targetRadius: number) {}

  initializeEpisode(physics: Physics, rng: Rng): void {
    const qpos = physics.views.qpos;
    qpos[QPOS.shoulder] = rng.uniform(-Math.PI, Math.PI);
    qpos[QPOS.wrist] = rng.uniform(-WRIST_LIMIT, WRIST_LIMIT);
    const angle = rng.uniform(0, 2 * Math.PI);
    const radius = rng.uniform(0.05, 0.2);
    qpos[QPOS.targetX] = radius * Math.cos(angle);
    qpos[QPOS.targetY] = radius * Math.sin(angle);
  }

  applyAction(physics: Physics, action: Float64Array): void {
    const ctrl = physics.views.ctrl;
    ctrl[0] = action[0]!;
    ctrl[1] = action[1]!;
  }

  proprio(): Float32Array {
    return this.emptyProprio;
  }

  reward(physics: Physics): number {
    return this.distance(physics) <= this.targetRadius + FINGER_RADIUS ? 1 : 0;
  }

  /** Fingertip-target distance, reused while qpos is unchanged (env.step asks for reward and success in turn). */
  private distance(physics: Physics): number {
    const q = physics.views.qpos;
    const memo = this.memo;
    if (q[0] !== memo[0] || q[1] !== memo[1] || q[2] !== memo[2] || q[3] !== memo[3]) {
      memo[0] = q[0]!;
      memo[1] = q[1]!;
      memo[2] = q[2]!;
      memo[3] = q[3]!;
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
 * and PD on the joint errors. Gains were tuned for dt 0.02 with actions saturating at +-1.
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
    const qpos = physics.views.qpos;
    const qvel = physics.views.qvel;
    const [q1, q2] = inverseKinematics(qpos[QPOS.targetX]!, qpos[QPOS.targetY]!, qpos[QPOS.wrist]!);
    const e1 = wrapAngle(q1 - qpos[QPOS.shoulder]!);
    const e2 = q2 - qpos[QPOS.wrist]!;
    this.action[0] = clip(this.kp * e1 - this.kd * qvel[QPOS.shoulder]!);
    this.action[1] = clip(this.kp * e2 - this.kd * qvel[QPOS.wrist]!);
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

function clip(a: number): number {
  return a < -1 ? -1 : a > 1 ? 1 : a;
}

function reacherDefinition(name: string, targetRadius: number): TaskDefinition {
  return {
    name,
    domain: 'reacher',
    family: 'dmc',
    suites: ['cortexbench'],
    version: 1,
    horizon: 1000,
    timestep: TIMESTEP,
    substeps: 1,
    defaultCamera: 'fixed',
    buildScene: (options) => reacherScene(targetRadius, options),
    createTask: () => new ReacherTask(targetRadius),
    createExpert: () => new ReacherIkPdExpert(),
  };
}

registerTask(reacherDefinition('reacher-easy', 0.05));
