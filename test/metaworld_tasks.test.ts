import { afterAll, describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import { getTask, listTasks } from '../src/envs/registry.js';
import { Rng } from '../src/util/rng.js';
import { MOCAP_LEASH, MOCAP_STEP, TCP_OFFSET } from '../src/envs/domains/metaworld/arm.js';
import { sceneVariant } from '../src/envs/factors/variant.js';
import { materialTexture } from '../src/envs/scene.js';

const BOTH = ['cortexbench', 'factorworld'] as const;
const FACTORWORLD = ['factorworld'] as const;
const HIGH = [0.5, 1, 0.5] as const;
/**
 * Per task, the facts the tests check (research-tasks.md and cortexbench.md, or our stated choices): the hand's
 * start (mocap target) and workspace, the body whose placement the seed draws (x range, y range, z: its body
 * origin after reset) and the benchmarks.
 */
const FACTS = {
  'button-press-topdown': { hand: [0, 0.4, 0.2], low: [-0.5, 0.4, 0.05], body: 'button_box', x: [-0.1, 0.1], y: [0.8, 0.9], z: 0.115, benchmarks: BOTH },
  'drawer-open': { hand: [0, 0.6, 0.2], low: [-0.5, 0.4, 0.05], body: 'drawer_cabinet', x: [-0.1, 0.1], y: [0.9, 0.9], z: 0, benchmarks: BOTH },
  assembly: { hand: [0, 0.6, 0.2], low: [-0.5, 0.4, 0.05], body: 'peg', x: [-0.1, 0.1], y: [0.75, 0.85], z: 0, benchmarks: BOTH },
  'bin-picking': { hand: [0, 0.6, 0.2], low: [-0.5, 0.4, 0.07], body: 'cube', x: [-0.16, -0.08], y: [0.66, 0.74], z: 0.031, benchmarks: BOTH },
  hammer: { hand: [0, 0.4, 0.2], low: [-0.5, 0.4, 0.05], body: 'hammer', x: [-0.1, 0.1], y: [0.4, 0.5], z: 0, benchmarks: BOTH },
  'button-press': { hand: [0, 0.6, 0.2], low: [-0.5, 0.4, 0.05], body: 'button_box', x: [-0.1, 0.1], y: [0.85, 0.9], z: 0.115, benchmarks: FACTORWORLD },
  'door-open': { hand: [0, 0.6, 0.2], low: [-0.5, 0.4, 0.05], body: 'door_cabinet', x: [-0.1, 0.1], y: [0.85, 0.95], z: 0, benchmarks: FACTORWORLD },
  'pick-place': { hand: [0, 0.6, 0.2], low: [-0.5, 0.4, 0.05], body: 'puck', x: [-0.1, 0.1], y: [0.6, 0.7], z: 0.025, benchmarks: FACTORWORLD },
} as const;
const TASKS = Object.keys(FACTS) as (keyof typeof FACTS)[];

const envs: Env[] = [];
async function make(name: string, scene?: Parameters<typeof Env.make>[1]): Promise<Env> {
  const env = await Env.make(name, scene);
  envs.push(env);
  return env;
}
afterAll(() => envs.forEach((e) => e.close()));

function mocap(env: Env): number[] {
  return Array.from(env.physics.data.mocap_pos as Float64Array);
}

function bodyPos(env: Env, body: string): number[] {
  const { mj, model, data } = env.physics;
  const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, body);
  return Array.from((data.xpos as Float64Array).slice(3 * id, 3 * id + 3));
}

/** Runs the scripted expert for the full horizon; returns return, success at the last step and reward bounds. */
function runExpert(env: Env, seed: number): { ret: number; lastSuccess: boolean; minReward: number; maxReward: number } {
  const expert = env.definition.createExpert();
  env.reset({ seed });
  expert.reset(env.physics, new Rng(seed));
  let ret = 0;
  let lastSuccess = false;
  let minReward = Infinity;
  let maxReward = -Infinity;
  for (let t = 0; t < env.horizon; t++) {
    const step = env.step(expert.act(env.physics, env.task, t));
    ret += step.reward;
    minReward = Math.min(minReward, step.reward);
    maxReward = Math.max(maxReward, step.reward);
    lastSuccess = step.info.success;
    if (t === env.horizon - 1) expect(step.truncated).toBe(true);
  }
  return { ret, lastSuccess, minReward, maxReward };
}

it('every MetaWorld-family task is covered here', () => {
  expect(listTasks().filter((t) => t.family === 'metaworld').map((t) => t.name).sort()).toEqual([...TASKS].sort());
});

describe.each(TASKS)('%s', (name) => {
  it('is registered in its benchmarks with MetaWorld timing, and compiles', async () => {
    const def = getTask(name);
    expect(def.family).toBe('metaworld');
    expect(def.domain).toBe('metaworld');
    for (const benchmark of ['cortexbench', 'factorworld']) {
      expect(listTasks(benchmark).map((t) => t.name).includes(name)).toBe((FACTS[name].benchmarks as readonly string[]).includes(benchmark));
    }
    expect([def.horizon, def.timestep, def.substeps]).toEqual([500, 0.0025, 5]);
    expect(def.defaultCamera).toBe('top_cap2');
    const env = await make(name);
    const { model } = env.physics;
    expect(model.opt.timestep).toBeCloseTo(0.0025, 10);
    expect(model.ncam).toBeGreaterThanOrEqual(3);
  });

  it('top_cap2 sits at the upstream pose: (0, 0.9, 0.6), aimed at the table centre (0, 0.6, 0), fovy 45', async () => {
    const env = await make(name);
    env.reset({ seed: 0 });
    const { mj, model, data } = env.physics;
    const cam = mj.mj_name2id(model, mj.mjtObj.mjOBJ_CAMERA.value, 'top_cap2');
    expect(model.cam_fovy[cam]).toBeCloseTo(45, 6);
    const pos = Array.from((data.cam_xpos as Float64Array).slice(3 * cam, 3 * cam + 3));
    pos.forEach((v, i) => expect(v).toBeCloseTo([0, 0.9, 0.6][i]!, 5));
    // A MuJoCo camera looks along its -z axis (third column of cam_xmat); the ray from it meets the table centre.
    const m = (data.cam_xmat as Float64Array).slice(9 * cam, 9 * cam + 9);
    const forward = [-m[2]!, -m[5]!, -m[8]!];
    const toCentre = [0 - pos[0]!, 0.6 - pos[1]!, 0 - pos[2]!];
    const length = Math.hypot(...toCentre);
    expect(length).toBeCloseTo(0.6708, 4);
    // MJCF stores the camera frame with 6 decimals.
    forward.forEach((v, i) => expect(v).toBeCloseTo(toCentre[i]! / length, 5));
    // Image up points away from the table (+z component), so the table is not upside down.
    expect(m[7]).toBeGreaterThan(0);
  });

  it('starts the hand where upstream does, inside a workspace whose y starts at 0.40', async () => {
    const env = await make(name);
    env.reset({ seed: 5 });
    mocap(env).forEach((v, i) => expect(v).toBeCloseTo(FACTS[name].hand[i]!, 10));
    expect(FACTS[name].low[1]).toBe(0.4);
  });

  it('has a 4-D action in [-1, 1] and clips actions (1 cm of mocap travel per unit)', async () => {
    const env = await make(name);
    expect(env.actionSpec.dim).toBe(4);
    expect(Array.from(env.actionSpec.low)).toEqual([-1, -1, -1, -1]);
    expect(Array.from(env.actionSpec.high)).toEqual([1, 1, 1, 1]);
    env.reset({ seed: 3 });
    const before = mocap(env);
    env.step([-5, 7, -0.5, 0]);
    const after = mocap(env);
    expect(after[0]! - before[0]!).toBeCloseTo(-MOCAP_STEP, 10);
    expect(after[1]! - before[1]!).toBeCloseTo(MOCAP_STEP, 10);
    expect(after[2]! - before[2]!).toBeCloseTo(-0.5 * MOCAP_STEP, 10);
    expect(() => env.step([0, 0, 0])).toThrow(/expects an action of length 4, got 3/);
  });

  it('observes 4 proprio values: tool centre xyz and an open gripper at reset', async () => {
    const env = await make(name);
    const { obs } = env.reset({ seed: 0 });
    expect(env.observationSpec.proprioDim).toBe(4);
    expect(obs.proprio).toHaveLength(4);
    const m = mocap(env);
    for (let i = 0; i < 3; i++) expect(obs.proprio[i]).toBeCloseTo(m[i]! + TCP_OFFSET[i]!, 5);
    expect(obs.proprio[3]).toBeCloseTo(1, 5);
  });

  it('closes the gripper on +1 and opens it on -1', async () => {
    const env = await make(name);
    env.reset({ seed: 0 });
    let proprio: Float32Array = new Float32Array();
    for (let t = 0; t < 20; t++) proprio = env.step([0, 0, 0, 1]).obs.proprio;
    expect(proprio[3]).toBeLessThan(0.05);
    for (let t = 0; t < 20; t++) proprio = env.step([0, 0, 0, -1]).obs.proprio;
    expect(proprio[3]).toBeGreaterThan(0.95);
  });

  it('resets deterministically from the seed, with the object placed in its range', async () => {
    const env = await make(name);
    const { body, x, y, z } = FACTS[name];
    const a = env.reset({ seed: 11 }).obs.state;
    const posA = bodyPos(env, body);
    env.step([1, 1, 1, 1]);
    const b = env.reset({ seed: 11 }).obs.state;
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(bodyPos(env, body)).toEqual(posA);
    const xs = new Set<number>();
    for (let seed = 0; seed < 8; seed++) {
      env.reset({ seed });
      expect(env.task.success(env.physics)).toBe(false);
      const [px, py, pz] = bodyPos(env, body);
      expect(px).toBeGreaterThanOrEqual(x[0]);
      expect(px).toBeLessThanOrEqual(x[1]);
      expect(py).toBeGreaterThanOrEqual(y[0]);
      expect(py).toBeLessThanOrEqual(y[1]);
      expect(pz).toBeCloseTo(z, 10);
      xs.add(px!);
    }
    expect(xs.size).toBe(8);
  });

  it('keeps the mocap target within 1 cm per axis per step and inside the workspace box', async () => {
    const env = await make(name);
    const WORKSPACE = { low: FACTS[name].low, high: HIGH };
    env.reset({ seed: 2 });
    const rng = new Rng(99);
    let prev = mocap(env);
    for (let t = 0; t < 400; t++) {
      // Up to the ceiling, above every fixture; long pushes along x then drive the target into the x walls, and
      // the last 100 steps drive the hand down into the fixtures and the table.
      const dir = t < 170 ? 1 : -1;
      const dz = t < 300 ? rng.uniform(0.5, 2) : rng.uniform(-2, -0.5);
      env.step([t < 20 ? 0 : dir * rng.uniform(1, 3), rng.uniform(-2, 2), dz, rng.uniform(-1, 1)]);
      const now = mocap(env);
      if (t === 169) expect(now[0]).toBeCloseTo(WORKSPACE.high[0]!, 10);
      if (t === 299) {
        expect(now[0]).toBeCloseTo(WORKSPACE.low[0]!, 10);
        expect(now[2]).toBeCloseTo(WORKSPACE.high[2]!, 10);
      }
      const hand = env.physics.data.qpos as Float64Array;
      for (let i = 0; i < 3; i++) {
        // The target never runs far ahead of a hand that contacts hold back.
        expect(Math.abs(now[i]! - hand[i]!)).toBeLessThanOrEqual(MOCAP_LEASH + MOCAP_STEP);
        expect(Math.abs(now[i]! - prev[i]!)).toBeLessThanOrEqual(MOCAP_STEP + 1e-12);
        expect(now[i]).toBeGreaterThanOrEqual(WORKSPACE.low[i]! - 1e-12);
        expect(now[i]).toBeLessThanOrEqual(WORKSPACE.high[i]! + 1e-12);
      }
      prev = now;
    }
    expect(Array.from(env.physics.data.qpos as Float64Array).every(Number.isFinite)).toBe(true);
  });

  // A regression guard; benchmarks/experts.ts measures the bar (>= 95%, assembly >= 90%) over 20 demo seeds.
  it('scripted expert succeeds at the last step of the full horizon on at least 9 of 10 seeds', async () => {
    const env = await make(name);
    let successes = 0;
    for (let seed = 0; seed < 10; seed++) {
      const { ret, lastSuccess, minReward, maxReward } = runExpert(env, seed);
      if (lastSuccess) successes++;
      expect(minReward).toBeGreaterThanOrEqual(0);
      expect(maxReward).toBeLessThanOrEqual(10);
      // Solved early and held: most of the 500 steps earn close to the maximum reward of 10.
      if (lastSuccess) expect(ret).toBeGreaterThan(3500);
    }
    expect(successes).toBeGreaterThanOrEqual(9);
  });

  it('idle arm earns little reward and never succeeds', async () => {
    const env = await make(name);
    env.reset({ seed: 4 });
    let ret = 0;
    for (let t = 0; t < 100; t++) {
      const step = env.step([0, 0, 0, 0]);
      ret += step.reward;
      expect(step.info.success).toBe(false);
    }
    expect(ret / 100).toBeLessThan(1);
  });

  it('scene variants reach the compiled model, and the expert is unaffected by visual ones', async () => {
    const def = getTask(name);
    const variant = sceneVariant(def, {
      'table-texture': 'train-wood-1',
      'object-texture': 'train-marble-2',
      light: 0.5,
      distractors: [{ identity: 'train-003', xy: [0.3, 0.6], yaw: 20, scale: 0.6 }],
      camera: { azimuth: 110, inclination: 25, radius: 1.4 },
    });
    const env = await make(name, { variant });
    env.reset({ seed: 1 });
    const { mj, model } = env.physics;
    expect(mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, 'distractor0')).toBeGreaterThanOrEqual(0);
    expect(model.vis.headlight.ambient[0]).toBeCloseTo(0.5, 6);
    expect(materialTexture(env.physics, 'table')).toBe('train-wood-1');
    expect(runExpert(env, 1).lastSuccess).toBe(true);
  });
});

describe('object scale', () => {
  function geomSize(env: Env, geom: string): number[] {
    const { mj, model } = env.physics;
    const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, geom);
    return Array.from((model.geom_size as Float64Array).slice(3 * id, 3 * id + 3));
  }

  it('widens the button cap and keeps its height (travel)', async () => {
    const plain = await make('button-press-topdown');
    const big = await make('button-press-topdown', { variant: sceneVariant(getTask('button-press-topdown'), { 'object-size': 1.5 }) });
    expect(geomSize(big, 'button_cap')[0]).toBeCloseTo(1.5 * geomSize(plain, 'button_cap')[0]!, 8);
    expect(geomSize(big, 'button_cap')[1]).toBeCloseTo(geomSize(plain, 'button_cap')[1]!, 8);
    expect(runExpert(big, 2).lastSuccess).toBe(true);
  });

  it('scales the cabinet width and height and keeps its depth (travel)', async () => {
    const plain = await make('drawer-open');
    const small = await make('drawer-open', { variant: sceneVariant(getTask('drawer-open'), { 'object-size': 0.7 }) });
    const [a, b] = [geomSize(plain, 'cabinet_top'), geomSize(small, 'cabinet_top')];
    expect(b[0]).toBeCloseTo(0.7 * a[0]!, 8);
    expect(b[1]).toBeCloseTo(a[1]!, 8);
    expect(runExpert(small, 2).lastSuccess).toBe(true);
  });

  it('rejects scales out of range with a clear error', async () => {
    await expect(Env.make('drawer-open', { variant: sceneVariant(getTask('drawer-open'), { 'object-size': 10 }) })).rejects.toThrow(/objectScale must be a number in \[0.25, 4\], got 10/);
  });
});
