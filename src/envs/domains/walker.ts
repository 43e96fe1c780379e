/**
 * Walker (dm_control-style): a planar biped. A capsule torso on a planar root (rootz and rootx slides, rooty
 * hinge) carries two legs of thigh, leg and foot, each joint driven by a torque motor (hip/knee/ankle gears
 * 100/50/20). Body geoms collide with the floor only.
 *
 * Tasks (rewards as dm_control's walker.py):
 *   standing = tolerance(torso height, [1.2, inf], margin 0.6)   (gaussian, 0.1 at the margin)
 *   upright  = (1 + torso z-axis . world z) / 2
 *   stand    = (3 standing + upright) / 4                         (walker-stand)
 *   walk     = stand (5 tolerance(speed, [1, inf], margin 0.5, linear, 0.5 at the margin) + 1) / 6   (walker-walk)
 * with speed the x velocity of the walker's centre of mass. Reset: leg hinges uniform in their ranges, rooty
 * uniform in [-180, 180] degrees, slides at 0 and no settling: the walker falls and must get up.
 * Expert: predictive sampling on the simulator, stepping 10 physics steps per control step as Env.step does.
 */
import type { Rng } from '../../util/rng.js';
import type { Physics } from '../mujoco.js';
import { registerBuiltInTask } from '../registry.js';
import { tolerance, type ToleranceOptions } from '../rewards.js';
import { jointQposAddress, objectId, perPhysics, sensorAddress } from '../named.js';
import { el, SceneBuilder, type CameraSpec } from '../scene.js';
import { unitActionSpec, type ActionSpec, type Expert, type SceneOptions, type Task, type TaskDefinition } from '../task.js';
import { bodyAxis, bodyPos } from '../positions.js';
import { PredictiveSamplingExpert, type PredictiveSamplingConfig } from '../experts/predictive_sampling.js';
import { applyMotorCommands, DMC_SKYBOX, dmcFactorTargets, NO_PROPRIO, rejectObjectScale } from './dmc.js';

export const WALKER_TIMESTEP = 0.0025;
/** Physics steps per control step (control every 0.025 s). */
export const WALKER_SUBSTEPS = 10;
/** Torso height (m) at and above which the walker counts as standing. */
export const STAND_HEIGHT = 1.2;
/** Forward speed (m/s) at and above which walker-walk's move term is 1. */
export const WALK_SPEED = 1;
/** Torso upright projection (cosine of its tilt) a successful step needs: tilted less than ~26 degrees. */
export const UPRIGHT_SUCCESS = 0.9;

const TORSO_START_HEIGHT = 1.3;

/** Leg joints in actuator order, with their ranges (degrees) and motor gears. */
const LEG_JOINTS = [
  { name: 'right_hip', range: [-20, 100], gear: 100 },
  { name: 'right_knee', range: [-150, 0], gear: 50 },
  { name: 'right_ankle', range: [-45, 45], gear: 20 },
  { name: 'left_hip', range: [-20, 100], gear: 100 },
  { name: 'left_knee', range: [-150, 0], gear: 50 },
  { name: 'left_ankle', range: [-45, 45], gear: 20 },
] as const;

/**
 * Camera 'side' (dm_control's camera 0): 2 m to the -y side of the torso and 0.7 m above it, looking along +y and
 * 30 degrees down, tracking the centre of mass; written as a pose around the point its optical axis passes under
 * the torso.
 */
const SIDE_CAMERA: CameraSpec = {
  name: 'side',
  body: 'torso',
  mode: 'trackcom',
  lookAt: [0, 0, 0.7 - 2 * Math.tan(Math.PI / 6)],
  azimuth: -90,
  elevation: 30,
  distance: 2 / Math.cos(Math.PI / 6),
  fovy: 45,
};

const jointRange = (name: string): readonly number[] => LEG_JOINTS.find((j) => j.name === name)!.range;

/** One leg: thigh (hip), leg (knee) and foot (ankle); the right leg sits at y -0.05, the left at +0.05. */
function legElements(side: 'right' | 'left', material: string) {
  const y = side === 'right' ? -0.05 : 0.05;
  return el('body', { name: `${side}_thigh`, pos: [0, y, -0.3] }, [
    el('joint', { name: `${side}_hip`, range: jointRange(`${side}_hip`) }),
    el('geom', { name: `${side}_thigh`, pos: [0, 0, -0.225], size: [0.05, 0.225], material }),
    el('body', { name: `${side}_leg`, pos: [0, 0, -0.7] }, [
      el('joint', { name: `${side}_knee`, pos: [0, 0, 0.25], range: jointRange(`${side}_knee`) }),
      el('geom', { name: `${side}_leg`, size: [0.04, 0.25], material }),
      el('body', { name: `${side}_foot`, pos: [0.06, 0, -0.25] }, [
        el('joint', { name: `${side}_ankle`, pos: [-0.06, 0, 0], range: jointRange(`${side}_ankle`) }),
        el('geom', { name: `${side}_foot`, zaxis: [1, 0, 0], size: [0.05, 0.1], material }),
      ]),
    ]),
  ]);
}

export function walkerScene(options: SceneOptions = {}): string {
  rejectObjectScale('walker', options);
  const scene = new SceneBuilder('walker', { timestep: WALKER_TIMESTEP });
  // dm_control's common visual settings: headlight ambient 0.4, diffuse 0.8, specular 0.1, and its gradient sky.
  scene.setHeadlight({ ambient: 0.4, diffuse: 0.8, specular: 0.1 }).skybox(DMC_SKYBOX);
  scene
    .material('floor', { texture: 'grid-navy', texrepeat: [1, 1], texuniform: true, reflectance: 0.2 })
    .material('self', { texture: 'flat-tan' })
    .material('effector', { texture: 'flat-orange-mid' });
  scene.defaults(
    // Angles in the model are degrees (MJCF's default). Joint end stops are soft as in dm_control's walker.
    el('joint', { type: 'hinge', axis: [0, -1, 0], damping: 0.1, armature: 0.01, solimplimit: [0, 0.99, 0.01] }),
    // contype 1 / conaffinity 0 on the body and conaffinity 1 on the floor: the walker touches the floor only.
    el('geom', { type: 'capsule', contype: 1, conaffinity: 0, friction: [0.7, 0.1, 0.1] }),
    el('motor', { ctrlrange: [-1, 1] }),
  );
  scene.world(
    // Planes collide everywhere; the size only bounds what is drawn, and MuJoCo derives the model extent (and with
    // it the camera's near plane, 1% of the extent) from it, so the floor is drawn over x -20..100 m only.
    el('geom', { name: 'floor', type: 'plane', pos: [40, 0, 0], size: [60, 0.8, 0.2], conaffinity: 1, material: 'floor' }),
    el('body', { name: 'torso', pos: [0, 0, TORSO_START_HEIGHT] }, [
      el('light', { name: 'light', pos: [0, 0, 2], mode: 'trackcom' }),
      el('joint', { name: 'rootz', type: 'slide', axis: [0, 0, 1], limited: false, damping: 0, armature: 0 }),
      el('joint', { name: 'rootx', type: 'slide', axis: [1, 0, 0], limited: false, damping: 0, armature: 0 }),
      el('joint', { name: 'rooty', type: 'hinge', axis: [0, 1, 0], limited: false, damping: 0, armature: 0 }),
      el('geom', { name: 'torso', size: [0.07, 0.3], material: 'self' }),
      legElements('right', 'self'),
      legElements('left', 'effector'),
    ]),
  );
  scene.camera(SIDE_CAMERA, { main: true });
  scene.sensor(el('subtreelinvel', { name: 'torso_subtreelinvel', body: 'torso' }));
  scene.actuator(...LEG_JOINTS.map((j) => el('motor', { name: j.name, joint: j.name, gear: j.gear })));
  return scene.build(options);
}

/** Ids and addresses the walker's task code reads, looked up once per physics. */
const walkerHandles = perPhysics((physics) => ({
  torso: objectId(physics, 'body', 'torso'),
  /** sensordata index of the centre-of-mass velocity's x component. */
  comVelocityX: sensorAddress(physics, 'torso_subtreelinvel'),
  feet: (['right', 'left'] as const).map((side) => objectId(physics, 'body', `${side}_foot`)),
  legQpos: LEG_JOINTS.map((j) => jointQposAddress(physics, j.name)),
  pitchQpos: jointQposAddress(physics, 'rooty'),
  motors: LEG_JOINTS.map((j) => objectId(physics, 'actuator', j.name)),
}));

/** World height of the torso frame, metres. */
export function torsoHeight(physics: Physics): number {
  return bodyPos(physics, walkerHandles(physics).torso)[2];
}

/** z component of the torso's z axis: 1 upright, -1 upside down. */
export function torsoUpright(physics: Physics): number {
  return bodyAxis(physics, walkerHandles(physics).torso, 2)[2];
}

/** Horizontal (x) distance, metres, from the torso frame to the midpoint of the feet: ~0 standing over them. */
export function torsoOffFeet(physics: Physics): number {
  const { torso, feet } = walkerHandles(physics);
  const feetX = feet.reduce((sum, foot) => sum + bodyPos(physics, foot)[0]!, 0) / feet.length;
  return Math.abs(bodyPos(physics, torso)[0]! - feetX);
}

/**
 * x velocity of the walker's centre of mass (every body is in the torso's subtree), m/s, from the subtree-velocity
 * sensor: computed by mj_step1, so after a step it is the speed of the state the step reached.
 */
export function forwardSpeed(physics: Physics): number {
  return physics.views.sensordata[walkerHandles(physics).comVelocityX]!;
}

const STANDING: ToleranceOptions = { bounds: [STAND_HEIGHT, Infinity], margin: STAND_HEIGHT / 2 };
const MOVING: ToleranceOptions = { bounds: [WALK_SPEED, Infinity], margin: WALK_SPEED / 2, valueAtMargin: 0.5, sigmoid: 'linear' };

/** dm_control's stand reward: (3 standing + upright) / 4. */
export function standReward(torsoHeight: number, torsoUpright: number): number {
  return (3 * tolerance(torsoHeight, STANDING) + (1 + torsoUpright) / 2) / 4;
}

/** dm_control's walk reward: stand (5 move + 1) / 6. */
export function walkReward(torsoHeight: number, torsoUpright: number, forwardSpeed: number): number {
  return (standReward(torsoHeight, torsoUpright) * (5 * tolerance(forwardSpeed, MOVING) + 1)) / 6;
}

export class WalkerTask implements Task {
  readonly actionSpec: ActionSpec = unitActionSpec(LEG_JOINTS.length);
  readonly proprioDim = 0;

  /** `moveSpeed` 0 is walker-stand; WALK_SPEED is walker-walk. */
  constructor(readonly moveSpeed: number) {}

  initializeEpisode(physics: Physics, rng: Rng): void {
    const { legQpos, pitchQpos } = walkerHandles(physics);
    const qpos = physics.views.qpos;
    LEG_JOINTS.forEach((joint, i) => {
      qpos[legQpos[i]!] = (rng.uniform(joint.range[0], joint.range[1]) * Math.PI) / 180;
    });
    qpos[pitchQpos] = rng.uniform(-Math.PI, Math.PI);
  }

  applyAction(physics: Physics, action: Float64Array): void {
    applyMotorCommands(physics, walkerHandles(physics).motors, action);
  }

  proprio(): Float32Array {
    return NO_PROPRIO;
  }

  reward(physics: Physics): number {
    if (this.moveSpeed === 0) return standReward(torsoHeight(physics), torsoUpright(physics));
    return walkReward(torsoHeight(physics), torsoUpright(physics), forwardSpeed(physics));
  }

  /** DMC tasks have no success test: a step counts as successful standing tall and upright (and, walking, at speed). */
  success(physics: Physics): boolean {
    const standing = torsoHeight(physics) >= STAND_HEIGHT && torsoUpright(physics) >= UPRIGHT_SUCCESS;
    return this.moveSpeed === 0 ? standing : standing && forwardSpeed(physics) >= this.moveSpeed;
  }
}

/**
 * Planning objective: the task reward plus `heightWeight` times the torso height as a fraction of the standing
 * height (capped at 1), minus `feetWeight` times the torso's horizontal distance from its feet (torsoOffFeet)
 * scaled by how upright the torso is (0 lying or below, 1 upright). The standing term of the reward is nearly flat
 * below ~0.6 m, so a planner that sees 0.6 s ahead settles for sitting upright (reward ~0.28 per step) instead of
 * getting up; a walker seated with straight legs, feet far ahead of it, gets up once plans that draw its feet under
 * it score better than staying seated. The uprightness scale keeps the term off a lying walker, which the unscaled
 * term (weight 3 or 10) taught to stay down with its feet tucked under it (returns 50-130 on 4-5 of 20 seeds).
 */
export function walkerObjective(heightWeight: number, feetWeight = 0): (physics: Physics, task: Task) => number {
  return (physics, task) => {
    const seated = feetWeight === 0 ? 0 : feetWeight * Math.max(0, torsoUpright(physics)) * torsoOffFeet(physics);
    return task.reward(physics) + (heightWeight * Math.min(torsoHeight(physics), STAND_HEIGHT)) / STAND_HEIGHT - seated;
  };
}

/**
 * Planner settings: 0.6 s horizon (24 control steps of 10 physics steps), 4 knots, 16 rollouts, noise 0.5, MPPI
 * at a low temperature, height weight 3. Sweeps on walker-walk (400 steps, seeds 0-1, reward objective):
 * these settings 375.6, 24 rollouts 381.0, horizon 0.4 s 281.1, 0.8 s with 16 rollouts 366.4, noise 0.3 270.3,
 * noise 1 372.3. On the first six demo seeds (300 steps, walker-stand) the reward objective left two walkers
 * sitting (85.7 each); height weight 1 one, weight 3 none (mean 283.5, min 267.7; walker-walk 273.1, min 259.2).
 * Once up (~100 steps) a walker gains ~0.99 per step. Known failure of the height objective alone (1 of the first
 * 20 walker-stand demo seeds): a walker that falls into sitting with straight legs at the hip limit stays seated,
 * because every short plan out of it scores below sitting upright and MPPI averages the samples into near-zero
 * actions; from that state, 32 samples, noise 1, best-sample updates or a 6x height weight stayed seated, while a
 * term of the horizontal torso-to-feet distance got it up (walker-stand version 2's feet weight, below).
 * The 20 demo episodes of base seed 0 at the full horizon: walker-stand (version 1) 939.5 (min 370.9, that seated
 * walker), walker-walk 962.8 (min 922.3) planning every step, 36-39 CPU-s per episode each.
 * Cheaper settings: planning is ~95% of an episode's CPU time and nearly all of that is MuJoCo's stepping, so
 * only fewer rollout steps help. Checked on the 20 demo seeds (`benchmarks/planner_settings.ts`; bars: mean
 * walker-stand >= 930, walker-walk >= 900):
 *   - adopted for walker-walk: replanning every 2 control steps while the success test holds (up, upright and at
 *     speed; holding: { samples: 16, replanEvery: 2 }), every step otherwise: mean 949.3, min 887.5, 0.60x the
 *     CPU time of planning every step (seed #0, measured side by side).
 *   - walker-walk replanning every 2 steps throughout: mean 888.0 (seed #19 never got up: 86.2; the other 19
 *     930.2), although the first five seeds screened 938.8.
 *   - walker-stand replanning every 2 steps while standing: mean 923.0 (seed #11 stayed down, 302.4), 0.56x;
 *     8 rollouts while standing: seeds #14 and #16 stayed down (287.8, 533.3), mean 896.0 over the first 17,
 *     although seeds #0, #5, #10, #15 screened 969.5; both together and 4 rollouts while standing screened
 *     below the bar on the first five seeds (461.3 and 585.1 among them). A cheaper standing planner falls more
 *     often, and a fallen walker may not get up (the known failure above).
 *   - replanning every 4 steps lost 150-350 points on the first two seeds (walker-walk 616.6 / 753.0; walker-
 *     stand, also with 8 rollouts while standing, 791.0 / 723.1); walker-walk replanning every 2 with 8 rollouts
 *     while at speed screened 873.1, 911.8, 904.8 on the first three.
 * Cheaper rollout steps instead (`planningSubsteps`: the rollouts run on a copy of the model with fewer, longer
 * physics steps per 0.025 s control step; the episode keeps 10 of 2.5 ms):
 *   - adopted for walker-walk (version 3): 2 planning substeps of 12.5 ms, on top of version 2's replanning: mean
 *     932.9 over the 20 demo seeds (min 773.2), 8.6 CPU-s per episode against version 2's 37.0 in the same minutes
 *     (0.23x; load 3-4). Screened on the first 2-3 seeds: 5 substeps 954.6 at 0.53x, 3 substeps 937.4 at ~0.35x.
 *   - adopted for walker-stand (version 2): 2 planning substeps and the objective's feet weight 3 (a seated walker
 *     gets up): mean 976.0 over the 20 demo seeds (min 915.1), ~15 CPU-s per episode (2 single-threaded processes
 *     side by side, AMD EPYC host), where version 1's planner took 36-39 on the fastest host, ~1.6x faster. Screened
 *     on the way: 2 planning substeps alone 933.7 (min 473.2: seed #11, the seated walker) at ~0.36x the CPU time of
 *     version 1; with feet weight 10 or 3 unscaled by uprightness, seed #11 returned 992.0 / 997.0 but 4-5 of the 20
 *     walkers stayed down (50-130); weight 1 unscaled left seed #3 down (25.3); weight 3 only while the torso is
 *     upright (> 0.5) and low (< 1 m) 849.9-979.8 on six seeds where the scaled term gave 942.2-997.9.
 */
export function walkerPlanner(moveSpeed: number): PredictiveSamplingConfig {
  return {
    name: moveSpeed === 0 ? 'predictive-sampling-stand-v2' : 'predictive-sampling-walk-v3',
    horizonSteps: 24,
    knots: 4,
    samples: 16,
    noiseStd: 0.5,
    update: { kind: 'mppi', temperature: 0.1 },
    // Standing: the feet term gets a seated walker up (see walkerObjective). Walking keeps the height objective, as
    // measured for its version 3.
    objective: moveSpeed === 0 ? walkerObjective(3, 3) : walkerObjective(3),
    planningSubsteps: 2,
    // Walking: a plan made while the walker is up and at speed is executed for two control steps; getting up and
    // back to speed still search every step. (Standing keeps planning every step: it missed its bar so.)
    ...(moveSpeed > 0 && {
      holding: { samples: 16, replanEvery: 2, reached: (physics: Physics, task: Task) => task.success(physics) },
    }),
  };
}

function walkerDefinition(name: string, moveSpeed: number): TaskDefinition {
  return {
    name,
    domain: 'walker',
    family: 'dmc',
    benchmarks: ['cortexbench'],
    // walker-walk 2: its expert replans every second step while the task's success test holds; 3: it plans on a
    // model of 2 physics steps per control step. walker-stand 2: its expert plans on that model, with the feet term.
    version: moveSpeed > 0 ? 3 : 2,
    horizon: 1000,
    timestep: WALKER_TIMESTEP,
    substeps: WALKER_SUBSTEPS,
    defaultCamera: 'side',
    factorTargets: dmcFactorTargets(['self', 'effector']),
    buildScene: (options) => walkerScene(options),
    createTask: () => new WalkerTask(moveSpeed),
    createExpert: (): Expert => new PredictiveSamplingExpert(walkerPlanner(moveSpeed)),
  };
}

registerBuiltInTask(walkerDefinition('walker-stand', 0));
registerBuiltInTask(walkerDefinition('walker-walk', WALK_SPEED));
