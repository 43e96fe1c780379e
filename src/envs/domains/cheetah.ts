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
import { jointQposAddress, objectId, perPhysics, sensorAddress } from '../named.js';
import { registerBuiltInTask } from '../registry.js';
import { tolerance, type ToleranceOptions } from '../rewards.js';
import { SceneBuilder, el, type CameraSpec, type Vec3, type XmlElement } from '../scene.js';
import { unitActionSpec, type ActionSpec, type Expert, type SceneOptions, type Task, type TaskDefinition } from '../task.js';
import { PredictiveSamplingExpert, type PredictiveSamplingConfig } from '../experts/predictive_sampling.js';
import { applyMotorCommands, DMC_SKYBOX, dmcFactorTargets, NO_PROPRIO, rejectObjectScale } from './dmc.js';

const TIMESTEP = 0.01;
/** Speed (m/s) at and above which the run reward is 1. */
export const RUN_SPEED = 10;
/** Physics steps with zero control after the random pose, so the cheetah starts on the ground. */
const SETTLE_STEPS = 200;

/** Canonical camera 'side' (dm_control's camera 0): level, 3 m to the cheetah's -y side, following its centre of mass. */
const SIDE_CAMERA: CameraSpec = { name: 'side', body: 'torso', mode: 'trackcom', lookAt: [0, 0, 0], azimuth: -90, elevation: 0, distance: 3, fovy: 45 };

const deg = (x: number): number => (x * Math.PI) / 180;

/**
 * The leg joints in kinematic order with dm_control's limits (degrees there, radians here), passive
 * stiffness/damping and motor gear; the action is one motor command per leg joint, in this order. The planar
 * root is rootx, rootz (slides), rooty.
 */
const LEG_JOINTS = [
  { name: 'bthigh', range: [deg(-30), deg(60)], stiffness: 240, damping: 6, gear: 120 },
  { name: 'bshin', range: [deg(-50), deg(50)], stiffness: 180, damping: 4.5, gear: 90 },
  { name: 'bfoot', range: [deg(-230), deg(50)], stiffness: 120, damping: 3, gear: 60 },
  { name: 'fthigh', range: [deg(-57), deg(0.4)], stiffness: 180, damping: 4.5, gear: 90 },
  { name: 'fshin', range: [deg(-70), deg(50)], stiffness: 120, damping: 3, gear: 60 },
  { name: 'ffoot', range: [deg(-28), deg(28)], stiffness: 60, damping: 1.5, gear: 30 },
] as const;

type LegJoint = (typeof LEG_JOINTS)[number]['name'];

/** A leg body with its joint and capsule geom (the capsule's pose in the body frame: pos, axis-angle about y). */
function legBody(name: LegJoint, pos: Vec3, geomPos: Vec3, angle: number, size: [number, number], children: XmlElement[] = []): XmlElement {
  const j = LEG_JOINTS.find((l) => l.name === name)!;
  return el('body', { name, pos }, [
    el('joint', { name, range: j.range, stiffness: j.stiffness, damping: j.damping }),
    el('geom', { name, pos: geomPos, axisangle: [0, 1, 0, angle], size }),
    ...children,
  ]);
}

export function cheetahScene(options: SceneOptions = {}): string {
  rejectObjectScale('cheetah', options);
  const scene = new SceneBuilder('cheetah', { timestep: TIMESTEP, compiler: { angle: 'radian', autolimits: true, settotalmass: 14 } });
  scene.setHeadlight({ ambient: 0.4, diffuse: 0.4, specular: 0.1 }).skybox(DMC_SKYBOX);
  scene
    .material('floor', { texture: 'grid-navy', texrepeat: [1, 1], texuniform: true, reflectance: 0.1 })
    .material('self', { texture: 'flat-tan' });
  scene.defaults(
    el('joint', { type: 'hinge', axis: [0, 1, 0], armature: 0.1, damping: 0.01 }),
    el('geom', { type: 'capsule', contype: 1, conaffinity: 1, condim: 3, friction: [0.4, 0.1, 0.1], material: 'self' }),
    el('motor', { ctrlrange: [-1, 1] }),
  );
  const r = 0.046;
  scene.world(
    // MuJoCo's default friction on the ground: contacts take the larger of the pair's coefficients, 1.0.
    el('geom', { name: 'floor', type: 'plane', pos: [98, 0, 0], size: [100, 1.25, 0.5], material: 'floor', friction: [1, 0.005, 0.0001] }),
    el('body', { name: 'torso', pos: [0, 0, 0.7] }, [
      el('joint', { name: 'rootx', type: 'slide', axis: [1, 0, 0], armature: 0, damping: 0 }),
      el('joint', { name: 'rootz', type: 'slide', axis: [0, 0, 1], armature: 0, damping: 0 }),
      el('joint', { name: 'rooty', type: 'hinge', axis: [0, 1, 0], armature: 0, damping: 0 }),
      el('geom', { name: 'torso', fromto: [-0.5, 0, 0, 0.5, 0, 0], size: [r] }),
      el('geom', { name: 'head', pos: [0.6, 0, 0.1], axisangle: [0, 1, 0, deg(50)], size: [r, 0.15] }),
      legBody('bthigh', [-0.5, 0, 0], [0.1, 0, -0.13], deg(-218), [r, 0.145], [
        legBody('bshin', [0.16, 0, -0.25], [-0.14, 0, -0.07], deg(-116), [r, 0.15], [
          legBody('bfoot', [-0.28, 0, -0.14], [0.03, 0, -0.097], deg(-15), [r, 0.094]),
        ]),
      ]),
      legBody('fthigh', [0.5, 0, 0], [-0.07, 0, -0.12], deg(30), [r, 0.133], [
        legBody('fshin', [-0.14, 0, -0.24], [0.065, 0, -0.09], deg(-34), [r, 0.106], [
          legBody('ffoot', [0.13, 0, -0.18], [0.045, 0, -0.07], deg(-34), [r, 0.07]),
        ]),
      ]),
    ]),
  );
  scene.camera(SIDE_CAMERA, { main: true });
  scene.sensor(el('subtreelinvel', { name: 'torso_subtreelinvel', body: 'torso' }));
  scene.actuator(...LEG_JOINTS.map((j) => el('motor', { name: j.name, joint: j.name, gear: j.gear })));
  return scene.build(options);
}

/** Addresses the cheetah's task code reads, looked up once per physics. */
const cheetahHandles = perPhysics((physics) => ({
  /** sensordata index of the centre-of-mass velocity's x component. */
  comVelocityX: sensorAddress(physics, 'torso_subtreelinvel'),
  /** qpos address of the torso pitch (rooty). */
  pitch: jointQposAddress(physics, 'rooty'),
  legQpos: LEG_JOINTS.map((j) => jointQposAddress(physics, j.name)),
  motors: LEG_JOINTS.map((j) => objectId(physics, 'actuator', j.name)),
}));

/**
 * Forward speed: x velocity of the centre of mass, from the subtree-velocity sensor. Sensors are computed by
 * mj_step1, so after Env.step (mj_step2 then mj_step1) this is the speed of the state the step reached.
 */
export function forwardSpeed(physics: Physics): number {
  return physics.views.sensordata[cheetahHandles(physics).comVelocityX]!;
}

/** dm_control's run reward shape: 1 at >= 10 m/s, falling linearly to 0 at 0 m/s (hoisted: reward runs per step). */
const RUN_TOLERANCE: ToleranceOptions = { bounds: [RUN_SPEED, Infinity], margin: RUN_SPEED, valueAtMargin: 0, sigmoid: 'linear' };

class CheetahRunTask implements Task {
  readonly actionSpec: ActionSpec = unitActionSpec(LEG_JOINTS.length);
  readonly proprioDim = 0;

  initializeEpisode(physics: Physics, rng: Rng): void {
    const { mj, model, data } = physics;
    const { legQpos } = cheetahHandles(physics);
    const qpos = physics.views.qpos;
    LEG_JOINTS.forEach((joint, i) => {
      qpos[legQpos[i]!] = rng.uniform(joint.range[0], joint.range[1]);
    });
    physics.views.ctrl.fill(0);
    for (let i = 0; i < SETTLE_STEPS; i++) mj.mj_step(model, data);
    data.time = 0;
  }

  applyAction(physics: Physics, action: Float64Array): void {
    applyMotorCommands(physics, cheetahHandles(physics).motors, action);
  }

  proprio(): Float32Array {
    return NO_PROPRIO;
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
    const pitch = physics.views.qpos[cheetahHandles(physics).pitch]!;
    return task.reward(physics) - pitchWeight * pitch * pitch;
  };
}

/**
 * Planner settings for the cheetah expert: 0.4 s horizon, 8 knots, 90 rollouts per step (about 3600 physics
 * steps of planning per control step), MPPI-style averaging at a low temperature, pitch penalty 0.25, and four
 * of the rollouts replaying the executed gait at periods of 0.2-0.32 s (a memory of the stride that reaches past
 * the horizon). Rollouts step like Env.step (mj_step2, mj_step1), so they score the post-step speed.
 * Chosen by sweeps on the v1 model (4 seeds x 600 steps, then 20 seeds): fewer knots, shorter or longer (0.5-0.8 s)
 * horizons, best-sample selection, mixed noise scales, cubic splines, knots kept at fixed times, a pitch-rate
 * penalty, torso instead of centre-of-mass speed and replanning every 2 steps with twice the samples all ran slower
 * or within noise. Demo seeds 0-19 on v1: 586.6 (48 rollouts), 589.0 (48 with the gait replay), 612.1 (60, min
 * 580.5). On dm_control's model (v3: its ranges, friction 1), first two demo seeds: 631.6 with 60 rollouts, 654.2
 * with 90; a forward-speed terminal value (2 x speed at the horizon) lost 54 points over 500 steps. The 20 demo
 * episodes of base seed 0 at the full horizon with 90 rollouts: 644.7 (min 610.2), 27 CPU-s per episode.
 * Rollouts on a model copy with 20 ms steps, each spanning two control steps at the plan's mid-point action (tried,
 * not kept): 0.55x the CPU time, but 495.9 and 509.9 on demo seeds 0-1 and 2-3 against 654.2 and 659.2.
 */
export const CHEETAH_PLANNER: PredictiveSamplingConfig = {
  name: 'predictive-sampling-v3',
  horizonSteps: 40,
  knots: 8,
  samples: 90,
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
  benchmarks: ['cortexbench'],
  // v3: dm_control's joint ranges and geom angles, ground friction 1 (were Gym HalfCheetah's ranges, friction 0.4).
  version: 3,
  horizon: 1000,
  timestep: TIMESTEP,
  substeps: 1,
  defaultCamera: 'side',
  factorTargets: dmcFactorTargets(['self']),
  buildScene: (options) => cheetahScene(options),
  createTask: () => new CheetahRunTask(),
  createExpert: createCheetahExpert,
};

registerBuiltInTask(cheetahRun);
