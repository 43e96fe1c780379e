/**
 * Reset distributions of the tasks whose own test files run experts (cheetah, reacher, the MetaWorld arm tasks),
 * checked here against the documented ranges from many seeds, with states read from MuJoCo: draws stay in range
 * and reach near both ends, the same seed gives the same episode, and a table or hand placement moves them. Quick on
 * purpose: the `rewards-tasks` mutation scope runs it for every reset mutant.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import { envPool } from './helpers/env_pool.js';
import { jointQposAddress, objectId } from '../src/envs/named.js';
import { Rng } from '../src/util/rng.js';
import { expectDrawsCoverRange } from './helpers/ranges.js';

const DEG = Math.PI / 180;
const SEEDS = 120;

const make = envPool();

function bodyPos(env: Env, body: string): [number, number, number] {
  const id = objectId(env.physics, 'body', body);
  const xpos = env.physics.data.xpos as Float64Array;
  return [xpos[3 * id]!, xpos[3 * id + 1]!, xpos[3 * id + 2]!];
}

/** The values of `read` over seeds 0 .. SEEDS-1, one column per component. */
function overSeeds(env: Env, read: () => number[]): number[][] {
  const columns: number[][] = [];
  for (let seed = 0; seed < SEEDS; seed++) {
    env.reset({ seed });
    read().forEach((v, i) => (columns[i] ??= []).push(v));
  }
  return columns;
}

describe('cheetah-run reset: leg joints uniform in their ranges, then 200 settling steps at zero control', () => {
  let env: Env;
  beforeAll(async () => {
    env = await make('cheetah-run');
  });
  // dm_control's cheetah.xml joint ranges, degrees.
  const LEGS: [string, [number, number]][] = [
    ['bthigh', [-30, 60]],
    ['bshin', [-50, 50]],
    ['bfoot', [-230, 50]],
    ['fthigh', [-57, 0.4]],
    ['fshin', [-70, 50]],
    ['ffoot', [-28, 28]],
  ];

  it('equals drawing the legs from the seed and settling for 200 steps by hand, with the clock at 0', () => {
    const { mj, model, data, views } = env.physics;
    for (const seed of [0, 7]) {
      env.reset({ seed });
      const reset = Array.from(views.qpos);
      expect(data.time).toBe(0);
      mj.mj_resetData(model, data);
      const rng = new Rng(seed);
      for (const [joint, [lo, hi]] of LEGS) views.qpos[jointQposAddress(env.physics, joint)] = rng.uniform(lo * DEG, hi * DEG);
      for (let i = 0; i < 200; i++) mj.mj_step(model, data);
      // To rounding: the degrees-to-radians conversion may round differently from the task's.
      Array.from(views.qpos).forEach((v, i) => expect(v, `seed ${seed}, qpos ${i}`).toBeCloseTo(reset[i]!, 9));
    }
  });

  it('settles: the cheetah starts nearly at rest, so the first reward is close to 0', () => {
    for (let seed = 0; seed < 5; seed++) {
      env.reset({ seed });
      expect(env.task.reward(env.physics)).toBeLessThan(0.05);
      expect(env.task.success(env.physics)).toBe(false);
    }
  });
});

describe('reacher-easy reset: arm angles uniform, the target uniform in angle at 5-20 cm from the centre', () => {
  let env: Env;
  beforeAll(async () => {
    env = await make('reacher-easy');
  });

  it('draws shoulder in [-180, 180] degrees, wrist in [-160, 160] and the target radius in [0.05, 0.2] m', () => {
    const at = (joint: string) => jointQposAddress(env.physics, joint);
    const [shoulder, wrist, radius, angle] = overSeeds(env, () => {
      const q = env.physics.views.qpos;
      const [x, y] = [q[at('target_x')]!, q[at('target_y')]!];
      return [q[at('shoulder')]!, q[at('wrist')]!, Math.hypot(x, y), Math.atan2(y, x)];
    });
    expectDrawsCoverRange('shoulder', shoulder!, [-Math.PI, Math.PI], 0.05);
    expectDrawsCoverRange('wrist', wrist!, [-160 * DEG, 160 * DEG], 0.05);
    expectDrawsCoverRange('target radius', radius!, [0.05, 0.2], 0.05);
    expectDrawsCoverRange('target angle', angle!, [-Math.PI, Math.PI], 0.05);
    // Both target coordinates vary independently (the angle is drawn, not only the radius).
    expect(new Set(angle!.map((a) => Math.sign(Math.cos(a)) * 2 + Math.sign(Math.sin(a)))).size).toBe(4);
  });
});

/**
 * Per MetaWorld task, the body the seed places and its documented range (x, y; z fixed), the hand's start, and the
 * extra draws some tasks make (pick-place's goal).
 */
const LAYOUTS = {
  'button-press-topdown': { body: 'button_box', x: [-0.1, 0.1], y: [0.8, 0.9], z: 0.115, hand: [0, 0.4, 0.2] },
  'button-press': { body: 'button_box', x: [-0.1, 0.1], y: [0.85, 0.9], z: 0.115, hand: [0, 0.6, 0.2] },
  'drawer-open': { body: 'drawer_cabinet', x: [-0.1, 0.1], y: [0.9, 0.9], z: 0, hand: [0, 0.6, 0.2] },
  'door-open': { body: 'door_cabinet', x: [-0.1, 0.1], y: [0.85, 0.95], z: 0, hand: [0, 0.6, 0.2] },
  assembly: { body: 'peg', others: ['nut'], x: [-0.1, 0.1], y: [0.75, 0.85], z: 0, hand: [0, 0.6, 0.2] },
  hammer: { body: 'hammer', others: ['nail_box'], x: [-0.1, 0.1], y: [0.4, 0.5], z: 0, hand: [0, 0.4, 0.2] },
  // The cube drawn within 4 cm of the start bin's centre (-0.12, 0.7), 1 mm above its 1 cm floor.
  'bin-picking': { body: 'cube', others: ['bin_start', 'bin_goal'], x: [-0.16, -0.08], y: [0.66, 0.74], z: 0.031, hand: [0, 0.6, 0.2] },
  'pick-place': { body: 'puck', others: ['goal'], x: [-0.1, 0.1], y: [0.6, 0.7], z: 0.025, hand: [0, 0.6, 0.2] },
} as const;

describe.each(Object.keys(LAYOUTS) as (keyof typeof LAYOUTS)[])('%s reset', (name) => {
  let env: Env;
  beforeAll(async () => {
    env = await make(name);
  });
  const facts = LAYOUTS[name];
  const mocap = (): number[] => Array.from((env.physics.data.mocap_pos as Float64Array).slice(0, 3));

  it('places its object uniformly over the documented range, at its height, with the hand at its start', () => {
    const [x, y, z] = overSeeds(env, () => bodyPos(env, facts.body));
    expectDrawsCoverRange('x', x!, facts.x, 0.1);
    expect(Math.min(...y!)).toBeGreaterThanOrEqual(facts.y[0] - 1e-12);
    expect(Math.max(...y!)).toBeLessThanOrEqual(facts.y[1] + 1e-12);
    if (facts.y[1] > facts.y[0]) expectDrawsCoverRange('y', y!, facts.y, 0.1);
    for (const v of z!) expect(v).toBeCloseTo(facts.z, 9);
    env.reset({ seed: 3 });
    for (const [i, v] of mocap().entries()) expect(v).toBeCloseTo(facts.hand[i]!, 12);
    expect(env.task.success(env.physics)).toBe(false);
  });

  it('the same seed gives the same layout after another episode, another seed another one', () => {
    env.reset({ seed: 21 });
    const first = bodyPos(env, facts.body);
    env.step([1, -1, 1, 1]);
    env.reset({ seed: 22 });
    expect(bodyPos(env, facts.body)).not.toEqual(first);
    env.reset({ seed: 21 });
    expect(bodyPos(env, facts.body)).toEqual(first);
  });

  it('a placement shifts the table with everything on it, and the hand on top of that', () => {
    const { mj, model, data } = env.physics;
    // Everything the layout places: the drawn body, the other fixtures and objects, the table.
    const bodies = [facts.body, ...('others' in facts ? facts.others : []), 'table'];
    env.reset({ seed: 5 });
    const before = bodies.map((b) => bodyPos(env, b));
    const hand = mocap();
    mj.mj_resetData(model, data);
    env.task.initializeEpisode(env.physics, new Rng(5), { table: [0.05, -0.02, 0.01], hand: [0, 0.03, 0.02] });
    mj.mj_forward(model, data);
    bodies.forEach((b, k) => {
      const now = bodyPos(env, b);
      [0.05, -0.02, 0.01].forEach((d, i) => expect(now[i]! - before[k]![i]!, `${b} axis ${i}`).toBeCloseTo(d, 9));
    });
    const handNow = mocap();
    [0.05, 0.01, 0.03].forEach((d, i) => expect(handNow[i]! - hand[i]!).toBeCloseTo(d, 12));
  });
});

describe('pick-place goal: drawn in the air, x in [-0.1, 0.1], y in [0.75, 0.85], z in [0.05, 0.3]', () => {
  it('covers the documented box', async () => {
    const env = await make('pick-place');
    const [x, y, z] = overSeeds(env, () => bodyPos(env, 'goal'));
    expectDrawsCoverRange('goal x', x!, [-0.1, 0.1], 0.1);
    expectDrawsCoverRange('goal y', y!, [0.75, 0.85], 0.1);
    expectDrawsCoverRange('goal z', z!, [0.05, 0.3], 0.1);
  });
});
