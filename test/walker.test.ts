/**
 * walker-stand and walker-walk: rewards and success tests at states set directly (against dm_control's formulas,
 * computed here from the joint values), the reset distribution, the contact filter, the tracking camera and the
 * 10-substep control step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardSpeed, STAND_HEIGHT, torsoHeight, torsoOffFeet, torsoUpright, walkerObjective } from '../src/envs/domains/walker.js';
import { Env } from '../src/envs/env.js';
import '../src/envs/domains/index.js';
import { getTask } from '../src/envs/registry.js';
import { expertRng } from '../src/envs/expert_rollout.js';
import { expectDrawsCoverRange } from './helpers/ranges.js';

const DEG = Math.PI / 180;
/** Torso body height in the model's zero pose (rootz = 0). */
const TORSO_Z0 = 1.3;

/** dm_control's gaussian tolerance below a lower bound, written out: exp(-0.5 (d scale)^2), scale^2 = -2 ln 0.1. */
const gaussianBelow = (x: number, lower: number, margin: number): number =>
  x >= lower ? 1 : Math.exp(-0.5 * ((lower - x) / margin) ** 2 * (-2 * Math.log(0.1)));
const expectedStand = (height: number, rooty: number): number => (3 * gaussianBelow(height, 1.2, 0.6) + (1 + Math.cos(rooty)) / 2) / 4;
/** Linear tolerance with value 0.5 at margin 0.5 below the bound 1: 1 - 0.5 * (1 - v) / 0.5 = v, clipped at 0. */
const expectedMove = (speed: number): number => (speed >= 1 ? 1 : Math.max(0, 1 - (1 - speed)));

function jointIndex(env: Env, name: string, kind: 'qpos' | 'qvel'): number {
  const { mj, model } = env.physics;
  const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, name);
  expect(id, `joint ${name}`).toBeGreaterThanOrEqual(0);
  return ((kind === 'qpos' ? model.jnt_qposadr : model.jnt_dofadr) as Int32Array)[id]!;
}

/** Puts the walker in the zero leg pose with the given root state and recomputes everything derived. */
function setRoot(env: Env, root: { z: number; pitch: number; vx?: number }): void {
  const { mj, model, data } = env.physics;
  mj.mj_resetData(model, data);
  const qpos = env.physics.views.qpos;
  const qvel = env.physics.views.qvel;
  qpos[jointIndex(env, 'rootz', 'qpos')] = root.z;
  qpos[jointIndex(env, 'rooty', 'qpos')] = root.pitch;
  // A root x velocity moves every body at that speed, so the centre of mass moves at it too.
  qvel[jointIndex(env, 'rootx', 'qvel')] = root.vx ?? 0;
  mj.mj_forward(model, data);
}

describe.each(['walker-stand', 'walker-walk'])('%s', (name) => {
  let env: Env;
  beforeAll(async () => {
    env = await Env.make(name);
  });
  afterAll(() => env.close());

  it('has dm_control timing: 0.0025 s x 10 physics steps per control step, 1000 steps, camera side', () => {
    const def = getTask(name);
    expect(def).toMatchObject({ family: 'dmc', horizon: 1000, timestep: 0.0025, substeps: 10, defaultCamera: 'side' });
    expect(env.physics.model.opt.timestep).toBeCloseTo(0.0025, 12);
    expect(env.actionSpec.dim).toBe(6);
    expect(env.observationSpec.proprioDim).toBe(0);
    env.reset({ seed: 0 });
    env.step(new Array(6).fill(0));
    expect(env.physics.data.time).toBeCloseTo(0.025, 12);
  });

  it('reads torso height, uprightness and centre-of-mass speed from the state', () => {
    setRoot(env, { z: -0.4, pitch: 0.7, vx: 0.8 });
    expect(torsoHeight(env.physics)).toBeCloseTo(TORSO_Z0 - 0.4, 12);
    expect(torsoUpright(env.physics)).toBeCloseTo(Math.cos(0.7), 12);
    expect(forwardSpeed(env.physics)).toBeCloseTo(0.8, 12);
  });

  it('rewards standing and upright as dm_control does, at chosen states', () => {
    const task = env.task;
    for (const [z, pitch, vx] of [
      [-0.1, 0, 1.5], // 1.2 m, upright, fast
      [0.2, Math.PI, 1.5], // tall but upside down: upright term 0
      [-0.7, 0, 1.5], // 0.6 m: exactly one margin below, standing 0.1
      [-0.4, 0.5, 0.75], // 0.9 m, tilted, half a margin below the walk speed
      [-0.1, 0, 0], // standing still
      [-0.1, 0, 0.5], // one margin below the walk speed
    ] as const) {
      setRoot(env, { z, pitch, vx });
      const stand = expectedStand(TORSO_Z0 + z, pitch);
      const expected = name === 'walker-stand' ? stand : (stand * (5 * expectedMove(vx) + 1)) / 6;
      expect(task.reward(env.physics), `z ${z} pitch ${pitch} vx ${vx}`).toBeCloseTo(expected, 9);
    }
    setRoot(env, { z: -0.7, pitch: 0 });
    expect(expectedStand(0.6, 0)).toBeCloseTo((3 * 0.1 + 1) / 4, 12);
  });

  it('counts a step as successful only standing tall and upright (and, walking, at speed)', () => {
    const task = env.task;
    const cases: [number, number, number, boolean][] = [
      [STAND_HEIGHT - TORSO_Z0 + 1e-3, 0, 1.01, true],
      [STAND_HEIGHT - TORSO_Z0 - 1e-3, 0, 1.01, false],
      [0, Math.acos(0.9) - 1e-3, 1.01, true],
      [0, Math.acos(0.9) + 1e-3, 1.01, false],
      [0, 0, 0.99, name === 'walker-stand'],
      // Standing still or drifting backwards is standing; walking it is not.
      [0, 0, -0.5, name === 'walker-stand'],
    ];
    for (const [z, pitch, vx, success] of cases) {
      setRoot(env, { z, pitch, vx });
      expect(task.success(env.physics), `z ${z} pitch ${pitch} vx ${vx}`).toBe(success);
    }
  });
});

describe('walker model', () => {
  let env: Env;
  beforeAll(async () => {
    env = await Env.make('walker-walk');
  });
  afterAll(() => env.close());

  it('resets leg hinges uniformly in their ranges, the torso pitch in [-180, 180] degrees, slides at 0', () => {
    const ranges: Record<string, [number, number]> = {
      right_hip: [-20, 100], right_knee: [-150, 0], right_ankle: [-45, 45],
      left_hip: [-20, 100], left_knee: [-150, 0], left_ankle: [-45, 45],
    };
    const pitches: number[] = [];
    const seen: Record<string, number[]> = {};
    for (let seed = 0; seed < 200; seed++) {
      env.reset({ seed });
      const qpos = env.physics.views.qpos;
      expect(qpos[jointIndex(env, 'rootx', 'qpos')]).toBe(0);
      expect(qpos[jointIndex(env, 'rootz', 'qpos')]).toBe(0);
      pitches.push(qpos[jointIndex(env, 'rooty', 'qpos')]!);
      for (const joint of Object.keys(ranges)) (seen[joint] ??= []).push(qpos[jointIndex(env, joint, 'qpos')]! / DEG);
    }
    expect(Math.min(...pitches)).toBeGreaterThanOrEqual(-Math.PI);
    expect(Math.max(...pitches)).toBeLessThanOrEqual(Math.PI);
    // 200 uniform draws cover each range to within a few percent of its ends.
    expect(Math.min(...pitches)).toBeLessThan(-0.9 * Math.PI);
    expect(Math.max(...pitches)).toBeGreaterThan(0.9 * Math.PI);
    for (const [joint, [lo, hi]] of Object.entries(ranges)) {
      expectDrawsCoverRange(joint, seen[joint]!, [lo, hi], 0.1);
    }
  });

  it('collides with the floor only: no contact between two walker geoms, even in a folded pose', () => {
    const { mj, model, data } = env.physics;
    const floor = mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, 'floor');
    env.reset({ seed: 5 });
    // Fold both legs onto each other and onto the torso, then let it fall for a second.
    const qpos = env.physics.views.qpos;
    for (const joint of ['right_hip', 'left_hip']) qpos[jointIndex(env, joint, 'qpos')] = 100 * DEG;
    for (const joint of ['right_knee', 'left_knee']) qpos[jointIndex(env, joint, 'qpos')] = -150 * DEG;
    mj.mj_forward(model, data);
    let contacts = 0;
    for (let t = 0; t < 40; t++) {
      env.step([1, -1, 1, 1, -1, 1]);
      for (let i = 0; i < data.ncon; i++) {
        const contact = data.contact.get(i)!;
        expect([contact.geom1, contact.geom2]).toContain(floor);
        contact.delete();
        contacts++;
      }
    }
    expect(contacts).toBeGreaterThan(0);
  });

  it("camera 'side' sits 2 m beside and 0.7 m above the torso, looks along +y 30 degrees down, and follows the walker", () => {
    const { mj, model, data } = env.physics;
    const camera = mj.mj_name2id(model, mj.mjtObj.mjOBJ_CAMERA.value, 'side');
    setRoot(env, { z: 0, pitch: 0 });
    const pos = () => Array.from((data.cam_xpos as Float64Array).subarray(3 * camera, 3 * camera + 3));
    const [x0, y0, z0] = pos();
    expect(x0).toBeCloseTo(0, 9);
    expect(y0).toBeCloseTo(-2, 9);
    expect(z0).toBeCloseTo(TORSO_Z0 + 0.7, 9);
    // The camera looks along its -z axis: the third column of cam_xmat, negated.
    const m = (data.cam_xmat as Float64Array).subarray(9 * camera, 9 * camera + 9);
    // (The MJCF stores the axes with 6 decimals.)
    const forward = [-m[2]!, -m[5]!, -m[8]!];
    [0, Math.cos(30 * DEG), -0.5].forEach((v, i) => expect(forward[i]).toBeCloseTo(v, 6));
    // trackcom: moving the whole walker 5 m forward moves the camera with it.
    setRoot(env, { z: 0, pitch: 0 });
    env.physics.views.qpos[jointIndex(env, 'rootx', 'qpos')] = 5;
    mj.mj_forward(model, data);
    expect(pos()[0]).toBeCloseTo(5, 9);
    expect(pos()[2]).toBeCloseTo(TORSO_Z0 + 0.7, 9);
  });
});

describe('walker expert', () => {
  it("standing planner's objective charges the torso's distance from its feet, scaled by uprightness, nothing lying", async () => {
    const env = await Env.make('walker-stand');
    try {
      const withFeet = walkerObjective(3, 3);
      const heightOnly = walkerObjective(3);
      // Legs straight in the zero pose: a pitch swings the feet (~1.2 m below the torso frame) out by ~1.2 sin(pitch).
      for (const pitch of [0.7, -0.4, 2, Math.PI]) {
        setRoot(env, { z: -0.5, pitch });
        const offFeet = torsoOffFeet(env.physics);
        if (Math.abs(pitch) < 1) expect(offFeet).toBeGreaterThan(0.4);
        const charged = heightOnly(env.physics, env.task) - withFeet(env.physics, env.task);
        expect(charged).toBeCloseTo(3 * Math.max(0, Math.cos(pitch)) * offFeet, 9);
      }
    } finally {
      env.close();
    }
  });

  it('gets up from an upside-down start: stand reward above 0.9 within 150 steps', async () => {
    const env = await Env.make('walker-stand');
    const expert = env.definition.createExpert();
    try {
      // The first seed whose reset pitch is beyond 150 degrees (the torso starts upside down).
      let seed = 0;
      while (Math.abs(env.reset({ seed }).obs.state[jointIndex(env, 'rooty', 'qpos')]!) < 150 * DEG) seed++;
      expect(torsoUpright(env.physics)).toBeLessThan(Math.cos(150 * DEG));
      expert.reset(env.physics, expertRng(seed));
      let best = 0;
      for (let t = 0; t < 150; t++) best = Math.max(best, env.step(expert.act(env.physics, env.task, t)).reward);
      expect(best).toBeGreaterThan(0.9);
    } finally {
      expert.dispose?.();
      env.close();
    }
  }, 120_000);
});
