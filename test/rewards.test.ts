/**
 * Rewards, success tests and action handling pinned by references computed here, independently of the experts
 * and of the code under test: states set directly (cheetah's centre-of-mass speed, reacher's fingertip on the
 * target's rim) with the expected reward from MuJoCo's own kinematics, and the action clip and non-finite checks on
 * every registered task. The shared helpers without physics (`tolerance`, the clip) are in rewards_units.test.ts.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import { envPool } from './helpers/env_pool.js';
import { jointDofAddress, jointQposAddress, objectId } from '../src/envs/named.js';
import { listTasks } from '../src/envs/registry.js';
import { Rng } from '../src/util/rng.js';

const make = envPool();

describe('cheetah-run reward: clip(centre-of-mass forward speed / 10, 0, 1)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await make('cheetah-run');
  });

  /** Sets the planar root's velocities (everything else at rest) and recomputes the sensors. */
  function setRootVelocity(forward: number, pitchRate = 0): void {
    const { mj, model, data, views } = env.physics;
    env.reset({ seed: 4 });
    views.qvel.fill(0);
    views.qvel[jointDofAddress(env.physics, 'rootx')] = forward;
    views.qvel[jointDofAddress(env.physics, 'rooty')] = pitchRate;
    mj.mj_forward(model, data);
  }

  it('gives 0.5 at 5 m/s, 1 at 10 and 12 m/s, 0 standing or running backwards', () => {
    for (const [speed, reward] of [
      [5, 0.5],
      [12, 1],
      [10, 1],
      [2.5, 0.25],
      [0, 0],
      [-3, 0],
    ] as const) {
      setRootVelocity(speed);
      expect(env.task.reward(env.physics), `${speed} m/s`).toBeCloseTo(reward, 9);
      expect(env.task.success(env.physics), `${speed} m/s`).toBe(speed >= 10);
    }
  });

  it('measures the centre of mass, not the torso: a pitching body moves its centre of mass at w (z_com - z_torso)', () => {
    setRootVelocity(0, 1);
    const { data } = env.physics;
    const torso = objectId(env.physics, 'body', 'torso');
    const lever = (data.subtree_com as Float64Array)[3 * torso + 2]! - (data.xpos as Float64Array)[3 * torso + 2]!;
    expect(Math.abs(lever)).toBeGreaterThan(0.01);
    // Pitch rate w about +y moves a point at height r_z above the hinge by w r_z along x: pick w for 5 m/s.
    setRootVelocity(0, 5 / lever);
    expect(env.task.reward(env.physics)).toBeCloseTo(0.5, 6);
  });
});

describe('reacher-easy reward: 1 while the fingertip touches the target (centre distance <= r_target + r_finger)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await make('reacher-easy');
  });

  const bodyXy = (name: string): [number, number] => {
    const b = objectId(env.physics, 'body', name);
    const xpos = env.physics.data.xpos as Float64Array;
    return [xpos[3 * b]!, xpos[3 * b + 1]!];
  };
  const geomRadius = (name: string): number => (env.physics.model.geom_size as Float64Array)[3 * objectId(env.physics, 'geom', name)]!;

  function pose(shoulder: number, wrist: number, target: [number, number]): void {
    const { mj, model, data, views } = env.physics;
    views.qpos[jointQposAddress(env.physics, 'shoulder')] = shoulder;
    views.qpos[jointQposAddress(env.physics, 'wrist')] = wrist;
    views.qpos[jointQposAddress(env.physics, 'target_x')] = target[0];
    views.qpos[jointQposAddress(env.physics, 'target_y')] = target[1];
    mj.mj_forward(model, data);
  }

  it('has a 5 cm target and a 1 cm fingertip', () => {
    env.reset({ seed: 0 });
    expect(geomRadius('target')).toBeCloseTo(0.05, 12);
    expect(geomRadius('finger')).toBeCloseTo(0.01, 12);
  });

  it('switches exactly at the rim: 6 cm between centres minus / plus 0.1 mm', () => {
    env.reset({ seed: 0 });
    for (const [shoulder, wrist] of [
      [0, 0],
      [1.2, -0.7],
      [-2.5, 2.1],
    ] as const) {
      pose(shoulder, wrist, [0, 0]);
      const [fx, fy] = bodyXy('finger');
      const direction = Math.atan2(fy, fx) + 0.4;
      for (const [gap, reward] of [
        [0.0599, 1],
        [0.0601, 0],
        [0, 1],
        [0.2, 0],
      ] as const) {
        // The target slides are at the arm's origin, so its joint values are its offset in the plane.
        pose(shoulder, wrist, [fx + gap * Math.cos(direction), fy + gap * Math.sin(direction)]);
        const [tx, ty] = bodyXy('target');
        expect(Math.hypot(tx - fx, ty - fy)).toBeCloseTo(gap, 9);
        expect(env.task.reward(env.physics), `gap ${gap}`).toBe(reward);
        expect(env.task.success(env.physics), `gap ${gap}`).toBe(reward === 1);
      }
    }
  });

  it('agrees with MuJoCo\'s body positions on random poses', () => {
    env.reset({ seed: 0 });
    const rng = new Rng(3);
    let touching = 0;
    for (let i = 0; i < 200; i++) {
      pose(rng.uniform(-Math.PI, Math.PI), rng.uniform(-2.7, 2.7), [rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2)]);
      const [fx, fy] = bodyXy('finger');
      const [tx, ty] = bodyXy('target');
      const expected = Math.hypot(tx - fx, ty - fy) <= 0.06 ? 1 : 0;
      touching += expected;
      expect(env.task.reward(env.physics)).toBe(expected);
    }
    expect(touching).toBeGreaterThan(5);
  });
});

describe.each(listTasks().map((t) => t.name))('%s actions', (name) => {
  let env: Env;
  let applied: Float64Array[];
  beforeAll(async () => {
    env = await make(name);
    // What the task receives after the env's checks and clip.
    applied = [];
    const apply = env.task.applyAction.bind(env.task);
    env.task.applyAction = (physics, action) => {
      applied.push(action.slice());
      apply(physics, action);
    };
  });

  it('reach the task clipped to both bounds, and act exactly as the bounds do', async () => {
    const { low, high, dim } = env.actionSpec;
    const twin = await make(name);
    const alternate = Array.from({ length: dim }, (_, i) => (i % 2 === 0 ? low[i]! - 5 : high[i]! + 1e6));
    for (const [action, bound] of [
      [Array.from(low, (v) => v - 5), [...low]],
      [Array.from(high, (v) => v * 3 + 2), [...high]],
      [alternate, alternate.map((_, i) => (i % 2 === 0 ? low[i]! : high[i]!))],
    ]) {
      env.reset({ seed: 5 });
      twin.reset({ seed: 5 });
      applied.length = 0;
      const a = env.step(action!);
      const b = twin.step(bound!);
      expect([...applied[0]!]).toEqual(bound);
      expect([...a.obs.state]).toEqual([...b.obs.state]);
      expect(a.reward).toBe(b.reward);
    }
  });

  it('are refused when infinite or NaN, naming the component', () => {
    env.reset({ seed: 0 });
    for (const bad of [Infinity, -Infinity, Number.NaN]) {
      const action = new Array(env.actionSpec.dim).fill(0);
      action[env.actionSpec.dim - 1] = bad;
      expect(() => env.step(action)).toThrow(`action[${env.actionSpec.dim - 1}] is ${bad}; actions must be finite numbers`);
    }
    expect(() => env.step(new Array(env.actionSpec.dim + 1).fill(0))).toThrow(`expects an action of length ${env.actionSpec.dim}`);
  });
});

/**
 * Every registered task has reward and success tests that set states directly (independently of its expert), in
 * the file named here; a new task adds its tests and its line.
 */
const STATE_SET_TESTS: Record<string, string> = {
  'reacher-easy': 'test/rewards.test.ts',
  'cheetah-run': 'test/rewards.test.ts',
  'walker-stand': 'test/walker.test.ts',
  'walker-walk': 'test/walker.test.ts',
  'finger-spin': 'test/finger.test.ts',
  'button-press-topdown': 'test/metaworld_success.test.ts',
  'button-press': 'test/metaworld_success.test.ts',
  'drawer-open': 'test/metaworld_success.test.ts',
  'bin-picking': 'test/metaworld_success.test.ts',
  hammer: 'test/metaworld_success.test.ts',
  assembly: 'test/metaworld_success.test.ts',
  'pick-place': 'test/metaworld_success.test.ts',
  'door-open': 'test/metaworld_success.test.ts',
  pen: 'test/adroit_tasks.test.ts',
  relocate: 'test/adroit_tasks.test.ts',
};

it('every registered task has state-set reward and success tests', () => {
  for (const task of listTasks()) {
    const file = STATE_SET_TESTS[task.name];
    expect(file, `task '${task.name}' has no state-set reward/success test: write one and list it in STATE_SET_TESTS (test/rewards.test.ts)`).toBeDefined();
    expect(readFileSync(file!, 'utf8')).toContain(`'${task.name}'`);
  }
});
