/**
 * Cheetah (dm_control-style): a planar running robot with a back and a front leg (thigh, shin, foot each),
 * six torque motors and a planar root (rootx slide, rootz slide, rooty hinge).
 *
 * Task cheetah-run: reward = clip(forward speed / 10, 0, 1), speed being the x velocity of the whole body's
 * centre of mass. Reset: random angles within the leg joints' limits, then 200 passive physics steps to settle.
 * Expert: predictive sampling on the simulator itself.
 */
import type { Rng } from '../../util/rng.js';
import type { Physics } from '../mujoco.js';
import { registerTask } from '../registry.js';
import { tolerance, type ToleranceOptions } from '../rewards.js';
import type { ActionSpec, Expert, SceneOptions, Task, TaskDefinition } from '../task.js';
import { PredictiveSamplingExpert, type PredictiveSamplingConfig } from '../experts/predictive_sampling.js';
import { dmcAssets, dmcVisual, orbitCamera, type OrbitPose } from './dmc_scene.js';

const TIMESTEP = 0.01;
/** Speed (m/s) at and above which the run reward is 1. */
export const RUN_SPEED = 10;
/** Physics steps with zero control after the random pose, so the cheetah starts on the ground. */
const SETTLE_STEPS = 200;

/** Canonical camera 'side': level, 3 m to the cheetah's side, following its centre of mass. */
const SIDE_CAMERA: OrbitPose = { azimuth: 90, elevation: 0, distance: 3 };

/**
 * The leg joints in kinematic order with their limits (rad), passive stiffness/damping and motor gear.
 * Root joints come first in qpos: [rootx, rootz, rooty, bthigh, bshin, bfoot, fthigh, fshin, ffoot].
 */
const LEG_JOINTS = [
  { name: 'bthigh', range: [-0.52, 1.05], stiffness: 240, damping: 6, gear: 120 },
  { name: 'bshin', range: [-0.785, 0.785], stiffness: 180, damping: 4.5, gear: 90 },
  { name: 'bfoot', range: [-0.4, 0.785], stiffness: 120, damping: 3, gear: 60 },
  { name: 'fthigh', range: [-1, 0.7], stiffness: 180, damping: 4.5, gear: 90 },
  { name: 'fshin', range: [-1.2, 0.87], stiffness: 120, damping: 3, gear: 60 },
  { name: 'ffoot', range: [-0.5, 0.5], stiffness: 60, damping: 1.5, gear: 30 },
] as const;
const ROOT_DOFS = 3;

function legJoint(index: number): string {
  const j = LEG_JOINTS[index]!;
  return `<joint name="${j.name}" range="${j.range[0]} ${j.range[1]}" stiffness="${j.stiffness}" damping="${j.damping}"/>`;
}

export function cheetahScene(options: SceneOptions = {}): string {
  if (options.objectScale !== undefined || options.distractors !== undefined) {
    throw new Error('cheetah scenes support SceneOptions camera, light and textures only (got objectScale/distractors)');
  }
  const camera = orbitCamera(options.camera ?? SIDE_CAMERA);
  const motors = LEG_JOINTS.map((j) => `<motor name="${j.name}" joint="${j.name}" gear="${j.gear}"/>`).join('\n    ');
  return `<mujoco model="cheetah">
  <compiler angle="radian" autolimits="true" settotalmass="14"/>
  <option timestep="${TIMESTEP}"/>
  ${dmcVisual(options)}
  <asset>
    ${dmcAssets({ floor: { texture: 'grid_blue', repeat: [1, 1], uniform: true, reflectance: 0.1 }, self: { texture: 'body_tan' } }, options)}
  </asset>
  <default>
    <joint type="hinge" axis="0 1 0" armature=".1" damping=".01"/>
    <geom type="capsule" contype="1" conaffinity="1" condim="3" friction=".4 .1 .1" material="self"/>
    <motor ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" pos="98 0 0" size="100 1 .5" material="floor"/>
    <body name="torso" pos="0 0 .7">
      <camera name="side" mode="trackcom" pos="${camera.pos}" xyaxes="${camera.xyaxes}" fovy="45"/>
      <joint name="rootx" type="slide" axis="1 0 0" armature="0" damping="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" armature="0" damping="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" armature="0" damping="0"/>
      <geom name="torso" fromto="-.5 0 0 .5 0 0" size=".046"/>
      <geom name="head" pos=".6 0 .1" axisangle="0 1 0 .87" size=".046 .15"/>
      <body name="bthigh" pos="-.5 0 0">
        ${legJoint(0)}
        <geom name="bthigh" pos=".1 0 -.13" axisangle="0 1 0 -3.8" size=".046 .145"/>
        <body name="bshin" pos=".16 0 -.25">
          ${legJoint(1)}
          <geom name="bshin" pos="-.14 0 -.07" axisangle="0 1 0 -2.03" size=".046 .15"/>
          <body name="bfoot" pos="-.28 0 -.14">
            ${legJoint(2)}
            <geom name="bfoot" pos=".03 0 -.097" axisangle="0 1 0 -.27" size=".046 .094"/>
          </body>
        </body>
      </body>
      <body name="fthigh" pos=".5 0 0">
        ${legJoint(3)}
        <geom name="fthigh" pos="-.07 0 -.12" axisangle="0 1 0 .52" size=".046 .133"/>
        <body name="fshin" pos="-.14 0 -.24">
          ${legJoint(4)}
          <geom name="fshin" pos=".065 0 -.09" axisangle="0 1 0 -.6" size=".046 .106"/>
          <body name="ffoot" pos=".13 0 -.18">
            ${legJoint(5)}
            <geom name="ffoot" pos=".045 0 -.07" axisangle="0 1 0 -.6" size=".046 .07"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
  </sensor>
  <actuator>
    ${motors}
  </actuator>
</mujoco>`;
}

/**
 * Forward speed: x velocity of the centre of mass, from the subtree-velocity sensor. Sensors are computed by
 * mj_step1, so after Env.step (mj_step2 then mj_step1) this is the speed of the state the step reached.
 */
export function forwardSpeed(physics: Physics): number {
  return physics.views.sensordata[0]!;
}

/** dm_control's run reward shape: 1 at >= 10 m/s, falling linearly to 0 at 0 m/s (hoisted: reward runs per step). */
const RUN_TOLERANCE: ToleranceOptions = { bounds: [RUN_SPEED, Infinity], margin: RUN_SPEED, valueAtMargin: 0, sigmoid: 'linear' };

class CheetahRunTask implements Task {
  readonly actionSpec: ActionSpec = {
    dim: LEG_JOINTS.length,
    low: new Float64Array(LEG_JOINTS.length).fill(-1),
    high: new Float64Array(LEG_JOINTS.length).fill(1),
  };
  readonly proprioDim = 0;
  private readonly emptyProprio = new Float32Array(0);

  initializeEpisode(physics: Physics, rng: Rng): void {
    const { mj, model, data } = physics;
    const qpos = physics.views.qpos;
    LEG_JOINTS.forEach((joint, i) => {
      qpos[ROOT_DOFS + i] = rng.uniform(joint.range[0], joint.range[1]);
    });
    physics.views.ctrl.fill(0);
    for (let i = 0; i < SETTLE_STEPS; i++) mj.mj_step(model, data);
    data.time = 0;
  }

  applyAction(physics: Physics, action: Float64Array): void {
    const ctrl = physics.views.ctrl;
    for (let i = 0; i < ctrl.length; i++) ctrl[i] = action[i]!;
  }

  proprio(): Float32Array {
    return this.emptyProprio;
  }

  reward(physics: Physics): number {
    // Same as clip(speed / 10, 0, 1) for speeds >= 0; written as dm_control's tolerance.
    return tolerance(forwardSpeed(physics), RUN_TOLERANCE);
  }

  /** DMC tasks have no success test; a step counts as successful at full running speed. */
  success(physics: Physics): boolean {
    return forwardSpeed(physics) >= RUN_SPEED;
  }
}

/**
 * Planning objective: the run reward minus a penalty on torso pitch. A planner that sees only 0.4 s ahead
 * otherwise trades posture for speed and ends up stumbling (single-episode sweeps: about 230 without, 440-600
 * with it).
 */
export function cheetahObjective(pitchWeight: number): (physics: Physics, task: Task) => number {
  return (physics, task) => {
    const pitch = physics.views.qpos[2]!;
    return task.reward(physics) - pitchWeight * pitch * pitch;
  };
}

/**
 * Planner settings for the cheetah expert: 0.4 s horizon, 8 knots, 60 rollouts per step (about 2400 physics
 * steps of planning per control step), MPPI-style averaging at a low temperature, pitch penalty 0.25, and four
 * of the rollouts replaying the executed gait at periods of 0.2-0.32 s (a memory of the stride that reaches past
 * the horizon). Rollouts step like Env.step (mj_step2, mj_step1), so they score the post-step speed.
 * Chosen by sweeps (4 seeds x 600 steps, then 20 seeds): fewer knots, shorter or longer (0.5-0.8 s) horizons,
 * best-sample selection, mixed noise scales, cubic splines, knots kept at fixed times, a pitch-rate penalty,
 * torso instead of centre-of-mass speed and replanning every 2 steps with twice the samples all ran slower or
 * within noise. Demo seeds 0-19: 586.6 (48 rollouts), 589.0 (48 with the gait replay), 612.1 (these settings,
 * min 580.5), at about 1.2x the planning time of 48 rollouts.
 */
export const CHEETAH_PLANNER: PredictiveSamplingConfig = {
  name: 'predictive-sampling-v2',
  horizonSteps: 40,
  knots: 8,
  samples: 60,
  noiseStd: 1,
  update: { kind: 'mppi', temperature: 0.1 },
  periodicCandidates: [20, 24, 28, 32],
  objective: cheetahObjective(0.25),
};

function createCheetahExpert(): Expert {
  return new PredictiveSamplingExpert(CHEETAH_PLANNER);
}

const cheetahRun: TaskDefinition = {
  name: 'cheetah-run',
  domain: 'cheetah',
  family: 'dmc',
  suites: ['cortexbench'],
  version: 1,
  horizon: 1000,
  timestep: TIMESTEP,
  substeps: 1,
  defaultCamera: 'side',
  buildScene: (options) => cheetahScene(options),
  createTask: () => new CheetahRunTask(),
  createExpert: createCheetahExpert,
};

registerTask(cheetahRun);
