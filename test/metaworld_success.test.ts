/**
 * Success tests and rewards of the MetaWorld-style tasks, checked by setting states directly (independently of the
 * experts): a state just inside and just outside each success threshold, and rewards at chosen points against
 * their formulas.
 */
import { afterAll, describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import { tolerance } from '../src/envs/rewards.js';
import { TCP_OFFSET } from '../src/envs/domains/metaworld/arm.js';

const envs: Env[] = [];
async function make(name: string): Promise<Env> {
  const env = await Env.make(name);
  envs.push(env);
  return env;
}
afterAll(() => envs.forEach((e) => e.close()));

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
