/**
 * Adroit's pen and relocate at the exact edges of their documented rules (Adroit's strict `<` and `>`: a pen exactly
 * 7.5 cm from its start or at exactly 7.5 cm height, a ball exactly 10 cm or 5 cm from the target or at exactly
 * 4 cm height), set directly with distances along one axis so that they are exact in floating point; and the reset
 * draws covering their documented ranges.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { PEN_START, penHandles, quatAxisZ } from '../src/envs/domains/adroit/pen.js';
import { relocateHandles } from '../src/envs/domains/adroit/relocate.js';
import type { Env } from '../src/envs/env.js';
import { objectId } from '../src/envs/named.js';
import { placeFreeBody } from '../src/envs/positions.js';
import type { Vec3 } from '../src/envs/scene.js';
import { envPool } from './helpers/env_pool.js';
import { expectDrawsCoverRange } from './helpers/ranges.js';

const make = envPool();
const SEEDS = 120;

function forward(env: Env): void {
  env.physics.mj.mj_forward(env.physics.model, env.physics.data);
}

describe('pen', () => {
  let env: Env;
  beforeAll(async () => {
    env = await make('pen');
  });

  /** The pen at `pos`, its target orientation set to the pen's own (orientation cosine 1). */
  function penAt(pos: Vec3): void {
    env.reset({ seed: 0 });
    const h = penHandles(env.physics);
    placeFreeBody(env.physics, 'pen', pos, [Math.SQRT1_2, 0, Math.SQRT1_2, 0]);
    (env.physics.data.mocap_quat as Float64Array).set([Math.SQRT1_2, 0, Math.SQRT1_2, 0], 4 * h.targetMocap);
    forward(env);
    expect(h.orientationCosine()).toBeGreaterThan(0.999);
  }

  it('counts the goal only strictly within 7.5 cm of the start: +10 +50 just inside, nothing at exactly 7.5 cm', () => {
    const h = () => penHandles(env.physics);
    for (const [offset, reached] of [
      [0.0749, true],
      [0.075, false],
    ] as const) {
      penAt([PEN_START[0] + offset, PEN_START[1], PEN_START[2]]);
      expect(h().goalDistance()).toBe(offset);
      const base = -offset + h().orientationCosine();
      expect(env.task.success(env.physics), `${offset} m`).toBe(reached);
      expect(env.task.reward(env.physics), `${offset} m`).toBeCloseTo(base + (reached ? 60 : 0), 12);
    }
  });

  it('drops only strictly below 7.5 cm: -5 and termination below, neither at exactly 7.5 cm', () => {
    for (const [z, dropped] of [
      [0.075, false],
      [0.0749, true],
    ] as const) {
      penAt([PEN_START[0], PEN_START[1], z]);
      const h = penHandles(env.physics);
      expect(h.penPos()[2]).toBe(z);
      expect(env.task.terminated!(env.physics), `z ${z}`).toBe(dropped);
      expect(env.task.reward(env.physics), `z ${z}`).toBeCloseTo(-h.goalDistance() + h.orientationCosine() - (dropped ? 5 : 0), 12);
    }
  });

  it('draws the target roll and pitch over all of [-1, 1] rad', () => {
    const rolls: number[] = [];
    const pitches: number[] = [];
    for (let seed = 0; seed < SEEDS; seed++) {
      env.reset({ seed });
      // The target axis Ry(b) Rx(a) z = (cos a sin b, -sin a, cos a cos b).
      const t = quatAxisZ(env.physics.data.mocap_quat as Float64Array, 4 * penHandles(env.physics).targetMocap);
      rolls.push(Math.asin(-t[1]));
      pitches.push(Math.atan2(t[0], t[2]));
    }
    expectDrawsCoverRange('roll', rolls, [-1 - 1e-9, 1 + 1e-9], 0.1);
    expectDrawsCoverRange('pitch', pitches, [-1 - 1e-9, 1 + 1e-9], 0.1);
  });
});

describe('relocate', () => {
  let env: Env;
  beforeAll(async () => {
    env = await make('relocate');
  });

  /** The ball at rest at `ball` and the target at `target`. */
  function place(ball: Vec3, target: Vec3): void {
    env.reset({ seed: 0 });
    placeFreeBody(env.physics, 'ball', ball);
    env.physics.views.mocapPos.set(target, 3 * relocateHandles(env.physics).targetMocap);
    forward(env);
  }
  const dist = (a: Vec3, b: Vec3): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

  it('counts the ball as lifted only strictly above 4 cm', () => {
    const target: Vec3 = [0.15, 0.15, 0.3];
    for (const [z, lifted] of [
      [0.04, false],
      [0.0401, true],
    ] as const) {
      const ball: Vec3 = [0, 0, z];
      place(ball, target);
      const palm = relocateHandles(env.physics).palmPos();
      const expected = -0.1 * dist(palm, ball) + (lifted ? 1 - 0.5 * dist(palm, target) - 0.5 * dist(ball, target) : 0);
      expect(env.task.reward(env.physics), `z ${z}`).toBeCloseTo(expected, 12);
    }
  });

  it('pays +10 and succeeds only strictly within 10 cm, +20 more only strictly within 5 cm', () => {
    for (const [gap, bonus, success] of [
      [0.1, 0, false],
      [0.0999, 10, true],
      [0.05, 10, true],
      [0.0499, 30, true],
    ] as const) {
      const ball: Vec3 = [0, 0, 0.2];
      const target: Vec3 = [gap, 0, 0.2];
      place(ball, target);
      expect(relocateHandles(env.physics).ballToTarget()).toBe(gap);
      const palm = relocateHandles(env.physics).palmPos();
      const expected = -0.1 * dist(palm, ball) + 1 - 0.5 * dist(palm, target) - 0.5 * gap + bonus;
      expect(env.task.reward(env.physics), `gap ${gap}`).toBeCloseTo(expected, 12);
      expect(env.task.success(env.physics), `gap ${gap}`).toBe(success);
    }
  });

  it('draws the ball over x [-0.15, 0.15], y [-0.15, 0.3] and the target over x, y [-0.2, 0.2], z [0.15, 0.35]', () => {
    const columns: number[][] = [[], [], [], [], []];
    const ball = objectId(env.physics, 'body', 'ball');
    for (let seed = 0; seed < SEEDS; seed++) {
      env.reset({ seed });
      const xpos = env.physics.data.xpos as Float64Array;
      const target = relocateHandles(env.physics).targetPos();
      [xpos[3 * ball]!, xpos[3 * ball + 1]!, ...target].forEach((v, i) => columns[i]!.push(v));
    }
    const ranges: [string, [number, number]][] = [
      ['ball x', [-0.15, 0.15]],
      ['ball y', [-0.15, 0.3]],
      ['target x', [-0.2, 0.2]],
      ['target y', [-0.2, 0.2]],
      ['target z', [0.15, 0.35]],
    ];
    ranges.forEach(([name, range], i) => expectDrawsCoverRange(name, columns[i]!, range, 0.1));
  });
});
