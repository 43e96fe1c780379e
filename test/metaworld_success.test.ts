/**
 * Success tests and rewards of the MetaWorld-style tasks, checked by setting states directly (independently of the
 * experts): a state just inside and just outside each success threshold, and rewards at chosen points against
 * their formulas.
 */
import { describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import { envPool } from './helpers/env_pool.js';
import { tolerance } from '../src/envs/rewards.js';
import { TCP_OFFSET } from '../src/envs/domains/metaworld/arm.js';

const make = envPool();

type Vec3 = [number, number, number];

function id(env: Env, type: 'mjOBJ_JOINT' | 'mjOBJ_SITE' | 'mjOBJ_BODY', name: string): number {
  const { mj, model } = env.physics;
  const i = mj.mj_name2id(model, mj.mjtObj[type].value, name);
  if (i < 0) throw new Error(`no ${type} ${name}`);
  return i;
}
function qposAddress(env: Env, joint: string): number {
  return (env.physics.model.jnt_qposadr as Int32Array)[id(env, 'mjOBJ_JOINT', joint)]!;
}
function setJoint(env: Env, joint: string, value: number): void {
  (env.physics.data.qpos as Float64Array)[qposAddress(env, joint)] = value;
  env.physics.mj.mj_forward(env.physics.model, env.physics.data);
}
function site(env: Env, name: string): Vec3 {
  const i = id(env, 'mjOBJ_SITE', name);
  return Array.from((env.physics.data.site_xpos as Float64Array).slice(3 * i, 3 * i + 3)) as Vec3;
}
/** Puts the hand (slides and mocap target) so that the tool centre point sits at `tcp`. */
function setTcp(env: Env, tcp: Vec3): void {
  const qpos = env.physics.data.qpos as Float64Array;
  ['hand_x', 'hand_y', 'hand_z'].forEach((j, i) => (qpos[qposAddress(env, j)] = tcp[i]! - TCP_OFFSET[i]!));
  (env.physics.data.mocap_pos as Float64Array).set(tcp.map((v, i) => v - TCP_OFFSET[i]!), 0);
  env.physics.mj.mj_forward(env.physics.model, env.physics.data);
}
const longTail = (x: number, upper: number, margin: number): number => tolerance(x, { bounds: [-Infinity, upper], margin, sigmoid: 'long_tail' });
const reachTerm = (d: number): number => tolerance(d, { bounds: [0, 0.02], margin: 0.3, sigmoid: 'long_tail' });

describe.each(['button-press-topdown', 'button-press'])('%s success and reward', (name) => {
  const TRAVEL = 0.05;
  const TOL = 0.001;

  it('succeeds only with the button within 1 mm of its end stop (5 cm of travel)', async () => {
    const env = await make(name);
    env.reset({ seed: 1 });
    expect(env.task.success(env.physics)).toBe(false);
    setJoint(env, 'button', -(TRAVEL - TOL) + 0.0002);
    expect(env.task.success(env.physics)).toBe(false);
    setJoint(env, 'button', -(TRAVEL - TOL) - 0.0002);
    expect(env.task.success(env.physics)).toBe(true);
    // Pushed into the soft stop counts too.
    setJoint(env, 'button', -TRAVEL - 0.0006);
    expect(env.task.success(env.physics)).toBe(true);
  });

  it('rewards 2 reach + 8 reach x press', async () => {
    const env = await make(name);
    env.reset({ seed: 2 });
    // Hand on the cap, button at its stop: the maximum.
    setJoint(env, 'button', -TRAVEL);
    setTcp(env, site(env, 'button_top'));
    expect(env.task.reward(env.physics)).toBeCloseTo(10, 9);
    // Button at rest, the hand 10 cm above (or in front of) the cap.
    setJoint(env, 'button', 0);
    const top = site(env, 'button_top');
    const away: Vec3 = name === 'button-press' ? [top[0], top[1] - 0.1, top[2]] : [top[0], top[1], top[2] + 0.1];
    setTcp(env, away);
    const reach = reachTerm(0.1);
    expect(env.task.reward(env.physics)).toBeCloseTo(2 * reach + 8 * reach * longTail(TRAVEL, TOL, TRAVEL), 6);
    // Half pressed with the hand on it.
    setJoint(env, 'button', -TRAVEL / 2);
    setTcp(env, site(env, 'button_top'));
    expect(env.task.reward(env.physics)).toBeCloseTo(2 + 8 * longTail(TRAVEL / 2, TOL, TRAVEL), 6);
  });
});

describe('drawer-open success and reward', () => {
  const TRAVEL = 0.2;
  const TOL = 0.002;

  it('succeeds only with the drawer within 2 mm of its end stop (20 cm out)', async () => {
    const env = await make('drawer-open');
    env.reset({ seed: 1 });
    expect(env.task.success(env.physics)).toBe(false);
    setJoint(env, 'drawer', TRAVEL - TOL - 0.0003);
    expect(env.task.success(env.physics)).toBe(false);
    setJoint(env, 'drawer', TRAVEL - TOL + 0.0003);
    expect(env.task.success(env.physics)).toBe(true);
    setJoint(env, 'drawer', TRAVEL + 0.0003);
    expect(env.task.success(env.physics)).toBe(true);
  });

  it('rewards 2 reach + 8 reach x open, reach measured to the gap behind the handle', async () => {
    const env = await make('drawer-open');
    env.reset({ seed: 2 });
    setJoint(env, 'drawer', TRAVEL);
    setTcp(env, site(env, 'handle_grip'));
    expect(env.task.reward(env.physics)).toBeCloseTo(10, 9);
    setJoint(env, 'drawer', 0.1);
    const grip = site(env, 'handle_grip');
    setTcp(env, [grip[0], grip[1], grip[2] + 0.15]);
    const reach = reachTerm(0.15);
    expect(env.task.reward(env.physics)).toBeCloseTo(2 * reach + 8 * reach * longTail(TRAVEL - 0.1, TOL, TRAVEL), 6);
  });
});

function body(env: Env, name: string): Vec3 {
  const i = id(env, 'mjOBJ_BODY', name);
  return Array.from((env.physics.data.xpos as Float64Array).slice(3 * i, 3 * i + 3)) as Vec3;
}
/** Puts a free-jointed body at `pos` with orientation `quat`, at rest. */
function setFree(env: Env, joint: string, pos: Vec3, quat: [number, number, number, number] = [1, 0, 0, 0]): void {
  const qpos = env.physics.data.qpos as Float64Array;
  const adr = qposAddress(env, joint);
  qpos.set(pos, adr);
  qpos.set(quat, adr + 3);
  env.physics.mj.mj_forward(env.physics.model, env.physics.data);
}
/** Fingers held open `perSide` metres (each) while commanded closed: what a grasp of an object looks like. */
function setPinch(env: Env, perSide: number): void {
  const { data, model, mj } = env.physics;
  for (const side of ['left', 'right']) {
    (data.qpos as Float64Array)[qposAddress(env, `finger_${side}`)] = perSide;
    (data.ctrl as Float64Array)[mj.mj_name2id(model, mj.mjtObj.mjOBJ_ACTUATOR.value, `grip_${side}`)] = 0;
  }
  mj.mj_forward(model, data);
}
/** The grasp tasks' reward: 10 on success, else 2 reach + (held ? 3 + 5 place : 0). */
function graspReward(reachDistance: number, held: boolean, placeDistance: number, placeTolerance: number): number {
  const reach = reachTerm(reachDistance);
  if (!held) return 2 * reach;
  return 2 * reach + 3 + 5 * tolerance(placeDistance, { bounds: [0, placeTolerance], margin: 0.3, sigmoid: 'long_tail' });
}
const dist = (a: Vec3, b: Vec3): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

describe('bin-picking success and reward', () => {
  it('succeeds with the cube centre within 5 cm of the goal bin origin', async () => {
    const env = await make('bin-picking');
    env.reset({ seed: 1 });
    expect(env.task.success(env.physics)).toBe(false);
    const goal = body(env, 'bin_goal');
    expect(goal).toEqual([0.12, 0.7, 0]);
    // Resting in the goal bin (centre 3 cm up), 4 cm off centre: sqrt(0.04^2 + 0.03^2) = 0.05.
    setFree(env, 'cube', [goal[0] + 0.0395, goal[1], 0.03]);
    expect(env.task.success(env.physics)).toBe(true);
    setFree(env, 'cube', [goal[0], goal[1] + 0.0405, 0.03]);
    expect(env.task.success(env.physics)).toBe(false);
    // Still in the start bin.
    setFree(env, 'cube', [-0.12, 0.7, 0.03]);
    expect(env.task.success(env.physics)).toBe(false);
    expect(env.task.reward(env.physics)).toBeLessThan(2);
    setFree(env, 'cube', [goal[0], goal[1], 0.03]);
    expect(env.task.reward(env.physics)).toBe(10);
  });

  it('rewards reach alone until the fingers pinch the cube, then 3 + 5 place', async () => {
    const env = await make('bin-picking');
    env.reset({ seed: 2 });
    const cube: Vec3 = [0, 0.7, 0.15];
    setFree(env, 'cube', cube);
    setTcp(env, [0, 0.7, 0.25]);
    expect(env.task.reward(env.physics)).toBeCloseTo(graspReward(0.1, false, 0, 0.05), 9);
    // Tool centre on the cube, fingers stopped 1.8 cm short of closed by it: held, 16.2 cm from the goal origin.
    setTcp(env, cube);
    setPinch(env, 0.018);
    const placeDistance = dist(cube, [0.12, 0.7, 0]);
    expect(env.task.reward(env.physics)).toBeCloseTo(graspReward(0, true, placeDistance, 0.05), 9);
    // Closed fingers that meet nothing are not a grasp.
    setPinch(env, 0);
    expect(env.task.reward(env.physics)).toBeCloseTo(graspReward(0, false, placeDistance, 0.05), 9);
    // A pinch with the tool centre 2.5 cm from the cube still holds it (within 3 cm; reach just under 1); 3.5 cm
    // away it is no grasp, reach alone.
    for (const [offset, held] of [
      [0.025, true],
      [0.035, false],
    ] as const) {
      setTcp(env, [cube[0] + offset, cube[1], cube[2]]);
      setPinch(env, 0.018);
      expect(env.task.reward(env.physics), `${offset} m`).toBeCloseTo(graspReward(offset, held, placeDistance, 0.05), 9);
    }
  });
});

describe('hammer success and reward', () => {
  it('succeeds once the nail is driven more than 9 cm', async () => {
    const env = await make('hammer');
    env.reset({ seed: 1 });
    expect(env.task.success(env.physics)).toBe(false);
    expect(site(env, 'nail_head')).toEqual([0.24, 0.64, 0.11].map((v) => expect.closeTo(v, 9)));
    setJoint(env, 'nail', 0.0899);
    expect(env.task.success(env.physics)).toBe(false);
    setJoint(env, 'nail', 0.0901);
    expect(env.task.success(env.physics)).toBe(true);
    expect(env.task.reward(env.physics)).toBe(10);
  });

  it('rewards reach to the handle, then the striking face closing on the driven nail position', async () => {
    const env = await make('hammer');
    env.reset({ seed: 2 });
    const grasp = site(env, 'hammer_grasp');
    setTcp(env, [grasp[0], grasp[1], grasp[2] + 0.12]);
    expect(env.task.reward(env.physics)).toBeCloseTo(graspReward(0.12, false, 0, 0.01), 9);
    setTcp(env, grasp);
    setPinch(env, 0.016);
    setJoint(env, 'nail', 0.03);
    const driven: Vec3 = [0.24, 0.64 + 0.09, 0.11];
    expect(env.task.reward(env.physics)).toBeCloseTo(graspReward(0, true, dist(site(env, 'hammer_face'), driven), 0.01), 9);
  });
});

describe('assembly success and reward', () => {
  /** Nut pose that puts the ring centre at `ring` (the nut lies flat; the ring is 13 cm along its +x). */
  const ringAt = (ring: Vec3): Vec3 => [ring[0] - 0.13, ring[1], ring[2]];

  it('succeeds with the ring centre within 2 cm of the peg axis and below its top', async () => {
    const env = await make('assembly');
    env.reset({ seed: 1 });
    expect(env.task.success(env.physics)).toBe(false);
    const top = site(env, 'peg_top');
    expect(top[2]).toBeCloseTo(0.1, 9);
    setFree(env, 'nut', ringAt([top[0] + 0.0199, top[1], 0.05]));
    expect(site(env, 'ring_centre')[0]).toBeCloseTo(top[0] + 0.0199, 9);
    expect(env.task.success(env.physics)).toBe(true);
    setFree(env, 'nut', ringAt([top[0], top[1] - 0.0201, 0.05]));
    expect(env.task.success(env.physics)).toBe(false);
    // Centred but above the peg top.
    setFree(env, 'nut', ringAt([top[0], top[1], 0.1001]));
    expect(env.task.success(env.physics)).toBe(false);
    setFree(env, 'nut', ringAt([top[0], top[1], 0.0999]));
    expect(env.task.success(env.physics)).toBe(true);
  });

  it('rewards reach to the handle, then the ring closing on the peg top', async () => {
    const env = await make('assembly');
    env.reset({ seed: 2 });
    const grasp = site(env, 'nut_grasp');
    setTcp(env, [grasp[0] + 0.05, grasp[1], grasp[2]]);
    expect(env.task.reward(env.physics)).toBeCloseTo(graspReward(0.05, false, 0, 0.02), 9);
    setFree(env, 'nut', [0, 0.6, 0.2]);
    setTcp(env, site(env, 'nut_grasp'));
    setPinch(env, 0.01);
    expect(env.task.reward(env.physics)).toBeCloseTo(graspReward(0, true, dist(site(env, 'ring_centre'), site(env, 'peg_top')), 0.02), 9);
  });
});

describe('pick-place success and reward', () => {
  it('succeeds with the puck within 7 cm of the goal', async () => {
    const env = await make('pick-place');
    env.reset({ seed: 1 });
    expect(env.task.success(env.physics)).toBe(false);
    const goal = body(env, 'goal');
    setFree(env, 'puck', [goal[0], goal[1], goal[2] - 0.0699]);
    expect(env.task.success(env.physics)).toBe(true);
    setFree(env, 'puck', [goal[0] + 0.0701, goal[1], goal[2]]);
    expect(env.task.success(env.physics)).toBe(false);
  });

  it('draws the goal in the air in front of top_cap2 and rewards carrying the puck to it', async () => {
    const env = await make('pick-place');
    for (let seed = 0; seed < 10; seed++) {
      env.reset({ seed });
      const [x, y, z] = body(env, 'goal');
      expect(Math.abs(x)).toBeLessThanOrEqual(0.1);
      expect(y).toBeGreaterThanOrEqual(0.75);
      expect(y).toBeLessThanOrEqual(0.85);
      expect(z).toBeGreaterThanOrEqual(0.05);
      expect(z).toBeLessThanOrEqual(0.3);
    }
    const puck: Vec3 = [0, 0.65, 0.1];
    setFree(env, 'puck', puck);
    setTcp(env, puck);
    setPinch(env, 0.016);
    expect(env.task.reward(env.physics)).toBeCloseTo(graspReward(0, true, dist(puck, body(env, 'goal')), 0.07), 9);
  });
});

describe('door-open success and reward', () => {
  const DEG = Math.PI / 180;

  it('succeeds once the door is open 80 degrees', async () => {
    const env = await make('door-open');
    env.reset({ seed: 1 });
    expect(env.task.success(env.physics)).toBe(false);
    setJoint(env, 'door', 79.9 * DEG);
    expect(env.task.success(env.physics)).toBe(false);
    setJoint(env, 'door', 80.1 * DEG);
    expect(env.task.success(env.physics)).toBe(true);
  });

  it('rewards 2 reach + 8 reach x open, reach measured to the gap behind the handle', async () => {
    const env = await make('door-open');
    env.reset({ seed: 2 });
    setJoint(env, 'door', 90 * DEG);
    setTcp(env, site(env, 'door_grip'));
    expect(env.task.reward(env.physics)).toBeCloseTo(10, 9);
    setJoint(env, 'door', 40 * DEG);
    const grip = site(env, 'door_grip');
    setTcp(env, [grip[0], grip[1], grip[2] + 0.1]);
    const reach = reachTerm(0.1);
    expect(env.task.reward(env.physics)).toBeCloseTo(2 * reach + 8 * reach * longTail(40 * DEG, 0, 80 * DEG), 6);
  });

  it('the door turns towards the robot about a vertical hinge at its +x edge', async () => {
    const env = await make('door-open');
    env.reset({ seed: 3 });
    const closed = site(env, 'door_grip');
    const hinge = site(env, 'door_hinge');
    setJoint(env, 'door', 90 * DEG);
    const open = site(env, 'door_grip');
    // The grip point swings a quarter circle round the hinge: from -x of it to -y of it.
    expect(closed[0]).toBeLessThan(hinge[0] - 0.1);
    expect(open[1]).toBeLessThan(hinge[1] - 0.1);
    expect(Math.hypot(open[0] - hinge[0], open[1] - hinge[1])).toBeCloseTo(Math.hypot(closed[0] - hinge[0], closed[1] - hinge[1]), 9);
  });
});
