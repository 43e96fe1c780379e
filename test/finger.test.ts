/**
 * finger-spin: the spin reward at set velocities (just inside and outside the threshold), the contact-free reset
 * distribution, the model facts the task depends on (gravity off, the proximal joint's reference pose, the
 * fixed camera), the 2-substep control step, and an expert that spins the body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hingeVelocity, SPIN_VELOCITY } from '../src/envs/domains/finger.js';
import { Env } from '../src/envs/env.js';
import '../src/envs/domains/index.js';
import { getTask } from '../src/envs/registry.js';
import { expertRng } from '../src/envs/expert_rollout.js';
import { expectDrawsCoverRange } from './helpers/ranges.js';

const DEG = Math.PI / 180;

function address(env: Env, joint: string, kind: 'qpos' | 'qvel'): number {
  const { mj, model } = env.physics;
  const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, joint);
  expect(id, `joint ${joint}`).toBeGreaterThanOrEqual(0);
  return ((kind === 'qpos' ? model.jnt_qposadr : model.jnt_dofadr) as Int32Array)[id]!;
}

describe('finger-spin', () => {
  let env: Env;
  beforeAll(async () => {
    env = await Env.make('finger-spin');
  });
  afterAll(() => env.close());

  it('has dm_control timing: 0.01 s x 2 physics steps per control step, 1000 steps, camera cam0', () => {
    expect(getTask('finger-spin')).toMatchObject({ family: 'dmc', horizon: 1000, timestep: 0.01, substeps: 2, defaultCamera: 'cam0' });
    expect(env.actionSpec.dim).toBe(2);
    expect(env.observationSpec.proprioDim).toBe(0);
    env.reset({ seed: 0 });
    env.step([0, 0]);
    expect(env.physics.data.time).toBeCloseTo(0.02, 12);
  });

  it('rewards 1 exactly while the hinge turns at 15 rad/s or faster in the negative direction', () => {
    const hinge = address(env, 'hinge', 'qvel');
    for (const [velocity, reward] of [
      [-SPIN_VELOCITY, 1],
      [-SPIN_VELOCITY - 1e-6, 1],
      [-SPIN_VELOCITY + 1e-6, 0],
      [-40, 1],
      [0, 0],
      [SPIN_VELOCITY + 5, 0],
    ] as const) {
      env.reset({ seed: 1 });
      env.physics.views.qvel[hinge] = velocity;
      env.physics.mj.mj_forward(env.physics.model, env.physics.data);
      expect(hingeVelocity(env.physics)).toBe(velocity);
      expect(env.task.reward(env.physics), `velocity ${velocity}`).toBe(reward);
      expect(env.task.success(env.physics)).toBe(reward === 1);
    }
  });

  it('resets to contact-free poses with every joint drawn over its range', () => {
    const values: Record<string, number[]> = { proximal: [], distal: [], hinge: [] };
    for (let seed = 0; seed < 150; seed++) {
      env.reset({ seed });
      expect(env.physics.data.ncon, `seed ${seed}`).toBe(0);
      for (const joint of Object.keys(values)) values[joint]!.push(env.physics.views.qpos[address(env, joint, 'qpos')]! / DEG);
      expect([...env.physics.views.qvel]).toEqual([0, 0, 0]);
    }
    for (const [joint, [lo, hi]] of Object.entries({ proximal: [-110, 110], distal: [-110, 110], hinge: [-180, 180] })) {
      expectDrawsCoverRange(joint, values[joint]!, [lo, hi], 0.15);
    }
  });

  it('has gravity off and the proximal joint reading -90 degrees when the finger points straight down', () => {
    const { mj, model, data } = env.physics;
    expect(model.opt.disableflags & mj.mjtDisableBit.mjDSBL_GRAVITY.value).not.toBe(0);
    mj.mj_resetData(model, data);
    const qpos = env.physics.views.qpos;
    qpos[address(env, 'proximal', 'qpos')] = -90 * DEG;
    qpos[address(env, 'distal', 'qpos')] = 0;
    mj.mj_forward(model, data);
    const tip = mj.mj_name2id(model, mj.mjtObj.mjOBJ_SITE.value, 'touchtop');
    const sites = data.site_xpos as Float64Array;
    // Straight down from the proximal joint at (-0.2, 0, 0.4): the touch site 0.18 + 0.17 m below, 1 cm to the side.
    expect(sites[3 * tip]).toBeCloseTo(-0.2 + 0.01, 9);
    expect(sites[3 * tip + 2]).toBeCloseTo(0.4 - 0.35, 9);
    // Without gravity or control, a still finger stays still.
    for (let t = 0; t < 50; t++) mj.mj_step(model, data);
    expect(Math.max(...Array.from(env.physics.views.qvel, Math.abs))).toBe(0);
  });

  it("camera cam0 is fixed at (0, -1, 0.8), looking along +y about 26.6 degrees down", () => {
    const { mj, model, data } = env.physics;
    env.reset({ seed: 2 });
    const camera = mj.mj_name2id(model, mj.mjtObj.mjOBJ_CAMERA.value, 'cam0');
    const pos = Array.from((data.cam_xpos as Float64Array).subarray(3 * camera, 3 * camera + 3));
    [0, -1, 0.8].forEach((v, i) => expect(pos[i]).toBeCloseTo(v, 6));
    const m = (data.cam_xmat as Float64Array).subarray(9 * camera, 9 * camera + 9);
    const forward = [-m[2]!, -m[5]!, -m[8]!];
    [0, 2 / Math.sqrt(5), -1 / Math.sqrt(5)].forEach((v, i) => expect(forward[i]).toBeCloseTo(v, 6));
  });

  it('its expert spins the body past 15 rad/s within 100 steps', () => {
    const expert = env.definition.createExpert();
    try {
      env.reset({ seed: 3 });
      expert.reset(env.physics, expertRng(3));
      let spinning = 0;
      for (let t = 0; t < 100; t++) spinning += env.step(expert.act(env.physics, env.task, t)).reward;
      expect(spinning).toBeGreaterThan(20);
    } finally {
      expert.dispose?.();
    }
  }, 60_000);
});
