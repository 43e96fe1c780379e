/**
 * The Adroit-style tasks: registration and timing, the hand's joints and actuators, action scaling and clipping,
 * reset distributions, success tests, rewards and termination checked on states set directly (independently of
 * the experts), and the experts on a few seeds.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { HAND_JOINTS } from '../src/envs/domains/adroit/hand.js';
import { GOAL_COSINE, GOAL_DISTANCE, PEN_START, PenTask, penHandles, quatAxisZ, rollPitchQuat } from '../src/envs/domains/adroit/pen.js';
import { PEN_PLANNER } from '../src/envs/domains/adroit/pen_expert.js';
import { ARM_JOINTS, BALL_RADIUS, relocateHandles } from '../src/envs/domains/adroit/relocate.js';
import { Env } from '../src/envs/env.js';
import { demoEpisodeSeeds, loadOrGenerateDemos } from '../src/data/demos.js';
import { RELOCATE_DEMO_NOISE, RelocateExpert } from '../src/envs/domains/adroit/relocate_expert.js';
import { ExpertRollout, restoreDemoState } from '../src/envs/expert_rollout.js';
import { EpisodeSearchExpert } from '../src/envs/experts/episode_search.js';
import { PredictiveSamplingExpert, type PredictiveSamplingConfig } from '../src/envs/experts/predictive_sampling.js';
import type { Physics } from '../src/envs/mujoco.js';
import { objectId } from '../src/envs/named.js';
import { getTask, listTasks } from '../src/envs/registry.js';
import { placeFreeBody } from '../src/envs/positions.js';
import type { Quat, Vec3 } from '../src/envs/scene.js';
import type { Expert } from '../src/envs/task.js';
import { Rng } from '../src/util/rng.js';

const envs = new Map<string, Env>();
beforeAll(async () => {
  for (const name of ['pen', 'relocate']) envs.set(name, await Env.make(name));
});
afterAll(() => envs.forEach((e) => e.close()));
const envOf = (name: string): Env => envs.get(name)!;

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

describe.each([
  { name: 'pen', horizon: 100, goalSteps: 20, actionDim: 24 },
  { name: 'relocate', horizon: 200, goalSteps: 25, actionDim: 30 },
])('$name', (spec) => {
  it('is registered as an Adroit task in cortexbench with Adroit timing and its success rule', () => {
    const def = getTask(spec.name);
    expect(def.family).toBe('adroit');
    expect(def.benchmarks).toEqual(['cortexbench']);
    expect(listTasks('cortexbench').map((t) => t.name)).toContain(spec.name);
    expect([def.horizon, def.timestep, def.substeps, def.goalSteps]).toEqual([spec.horizon, 0.002, 5, spec.goalSteps]);
    expect(def.defaultCamera).toBe('vil_camera');
  });

  it('compiles with Adroit solver settings and vil_camera at (0, -1.2, 1.2), 45 degrees down, fovy 45', () => {
    const { mj, model, data } = envOf(spec.name).physics;
    expect(model.opt.timestep).toBeCloseTo(0.002, 12);
    expect(model.opt.iterations).toBe(20);
    expect(model.opt.noslip_iterations).toBe(20);
    const cam = objectId(envOf(spec.name).physics, 'camera', 'vil_camera');
    mj.mj_forward(model, data);
    expect(Array.from((data.cam_xpos as Float64Array).slice(3 * cam, 3 * cam + 3)).map((x) => Number(x.toFixed(6)))).toEqual([0, -1.2, 1.2]);
    // The camera looks along its -z axis: +y and 45 degrees down.
    const xmat = (data.cam_xmat as Float64Array).slice(9 * cam, 9 * cam + 9);
    const look = [-xmat[2]!, -xmat[5]!, -xmat[8]!];
    expect(look[0]).toBeCloseTo(0, 9);
    expect(look[1]).toBeCloseTo(Math.SQRT1_2, 9);
    expect(look[2]).toBeCloseTo(-Math.SQRT1_2, 9);
    expect((model.cam_fovy as Float64Array)[cam]).toBeCloseTo(45, 9);
  });

  it('has a [-1, 1] action box, proprio of the joint angles, and the hand joints with Adroit ranges and gains', () => {
    const env = envOf(spec.name);
    expect(env.actionSpec.dim).toBe(spec.actionDim);
    expect(Array.from(env.actionSpec.low)).toEqual(new Array(spec.actionDim).fill(-1));
    expect(Array.from(env.actionSpec.high)).toEqual(new Array(spec.actionDim).fill(1));
    expect(env.observationSpec.proprioDim).toBe(spec.actionDim);
    const physics = env.physics;
    const { model } = physics;
    for (const joint of HAND_JOINTS) {
      const j = objectId(physics, 'joint', joint.name);
      expect(Array.from((model.jnt_range as Float64Array).slice(2 * j, 2 * j + 2)), joint.name).toEqual(joint.range);
      const a = objectId(physics, 'actuator', `A_${joint.name}`);
      expect((model.actuator_gainprm as Float64Array)[10 * a], joint.name).toBe(joint.name.startsWith('WR') ? 10 : 1);
      expect(Array.from((model.actuator_ctrlrange as Float64Array).slice(2 * a, 2 * a + 2)), joint.name).toEqual(joint.ctrlrange);
    }
    const { obs } = env.reset({ seed: 4 });
    const qpos = physics.views.qpos;
    const joints = [...(spec.name === 'relocate' ? ARM_JOINTS : []), ...HAND_JOINTS];
    joints.forEach((joint, i) => {
      const adr = (model.jnt_qposadr as Int32Array)[objectId(physics, 'joint', joint.name)]!;
      expect(obs.proprio[i], joint.name).toBeCloseTo(qpos[adr]!, 6);
    });
  });

  it('maps actions -1 and +1 onto the ends of each control range and clips beyond them', () => {
    const env = envOf(spec.name);
    const { model } = env.physics;
    const ctrl = env.physics.views.ctrl;
    const range = (i: number) => Array.from((model.actuator_ctrlrange as Float64Array).slice(2 * i, 2 * i + 2));
    env.reset({ seed: 1 });
    env.step(new Array(spec.actionDim).fill(-1));
    for (let i = 0; i < spec.actionDim; i++) expect(ctrl[i]).toBeCloseTo(range(i)[0]!, 12);
    env.reset({ seed: 1 });
    env.step(new Array(spec.actionDim).fill(7));
    for (let i = 0; i < spec.actionDim; i++) expect(ctrl[i]).toBeCloseTo(range(i)[1]!, 12);
    env.reset({ seed: 1 });
    env.step(new Array(spec.actionDim).fill(0));
    for (let i = 0; i < spec.actionDim; i++) expect(ctrl[i]).toBeCloseTo((range(i)[0]! + range(i)[1]!) / 2, 12);
  });

  it('resets deterministically from the seed, and another seed gives another episode', () => {
    const env = envOf(spec.name);
    // The targets are mocap bodies, which the physics state leaves out.
    const episode = (): number[] => [...env.physics.getState(), ...(env.physics.data.mocap_pos as Float64Array), ...(env.physics.data.mocap_quat as Float64Array)];
    env.reset({ seed: 9 });
    const first = episode();
    env.reset({ seed: 9 });
    expect(episode()).toEqual(first);
    env.reset({ seed: 10 });
    expect(episode()).not.toEqual(first);
  });

  it('does not grow the WASM heap over many resets and steps', () => {
    const env = envOf(spec.name);
    const heap = (): number => (env.physics.data.qpos as Float64Array).buffer.byteLength;
    for (let i = 0; i < 20; i++) env.reset({ seed: i });
    const before = heap();
    const action = new Float64Array(spec.actionDim).fill(0.2);
    for (let i = 0; i < 300; i++) {
      env.reset({ seed: i });
      env.step(action);
      env.physics.setState(env.physics.getState());
    }
    expect(heap()).toBe(before);
  });
});

describe('pen', () => {
  it('starts with the pen at (0, -0.2, 0.25) along +x and a target axis Ry(b) Rx(a) z, a and b in [-1, 1]', () => {
    const env = envOf('pen');
    for (let seed = 0; seed < 50; seed++) {
      env.reset({ seed });
      const h = penHandles(env.physics);
      const pos = h.penPos();
      for (let i = 0; i < 3; i++) expect(pos[i]).toBeCloseTo(PEN_START[i]!, 9);
      const axis = h.penAxis();
      expect(axis[0]).toBeCloseTo(1, 9);
      const t = h.targetAxis();
      // t = (cos a sin b, -sin a, cos a cos b): recover a and b and check their range.
      const a = Math.asin(-t[1]);
      const b = Math.atan2(t[0], t[2]);
      expect(Math.abs(a)).toBeLessThanOrEqual(1 + 1e-9);
      expect(Math.abs(b)).toBeLessThanOrEqual(1 + 1e-9);
      expect(Math.hypot(...t)).toBeCloseTo(1, 9);
    }
  });

  it('rollPitchQuat rotates +z onto (cos a sin b, -sin a, cos a cos b)', () => {
    for (const [a, b] of [[0.3, -0.7], [-1, 1], [0.9, 0.2]] as const) {
      const axis = quatAxisZ(rollPitchQuat(a, b));
      expect(axis[0]).toBeCloseTo(Math.cos(a) * Math.sin(b), 12);
      expect(axis[1]).toBeCloseTo(-Math.sin(a), 12);
      expect(axis[2]).toBeCloseTo(Math.cos(a) * Math.cos(b), 12);
    }
  });

  /** Places the pen (centre `pos`, axis `axis`) with zero velocity and recomputes positions. */
  function placePen(env: Env, pos: Vec3, axis: Vec3): void {
    // Quaternion taking +z onto `axis`: rotation about z x axis by the angle between them.
    const [x, y, z] = axis;
    const half = Math.acos(Math.max(-1, Math.min(1, z))) / 2;
    const n = Math.hypot(-y, x) || 1;
    const q: Quat = [Math.cos(half), (-y / n) * Math.sin(half), (x / n) * Math.sin(half), 0];
    placeFreeBody(env.physics, 'pen', pos, q);
    env.physics.mj.mj_forward(env.physics.model, env.physics.data);
  }

  /** A unit vector at angle acos(cosine) from `t`. */
  function tilted(t: Vec3, cosine: number): Vec3 {
    const other: Vec3 = Math.abs(t[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const d = dot(other, t);
    const p = [other[0] - d * t[0], other[1] - d * t[1], other[2] - d * t[2]];
    const pn = Math.hypot(...p);
    const s = Math.sqrt(1 - cosine * cosine);
    return [0, 1, 2].map((i) => cosine * t[i]! + (s * p[i]!) / pn) as Vec3;
  }

  it('reaches the goal within 7.5 cm and cosine > 0.95, not just outside either threshold', () => {
    const env = envOf('pen');
    const task = env.task;
    env.reset({ seed: 5 });
    const target = penHandles(env.physics).targetAxis();
    const offset = (d: number): Vec3 => [PEN_START[0] + d, PEN_START[1], PEN_START[2]];
    placePen(env, offset(0.074), tilted(target, 0.951));
    expect(task.success(env.physics)).toBe(true);
    placePen(env, offset(0.076), tilted(target, 0.99));
    expect(task.success(env.physics)).toBe(false);
    placePen(env, offset(0.01), tilted(target, 0.949));
    expect(task.success(env.physics)).toBe(false);
    expect(GOAL_DISTANCE).toBe(0.075);
    expect(GOAL_COSINE).toBe(0.95);
  });

  it("gives Adroit's dense reward: -distance + cosine, +10 / +50 bonuses, -5 once dropped", () => {
    const env = envOf('pen');
    const task = env.task;
    env.reset({ seed: 6 });
    const target = penHandles(env.physics).targetAxis();
    const cases: [number, number, number][] = [
      // [offset along x, cosine, bonus]
      [0.05, 0.97, 60],
      [0.05, 0.92, 10],
      [0.05, 0.5, 0],
      [0.1, 0.99, 0],
    ];
    for (const [d, cosine, bonus] of cases) {
      placePen(env, [PEN_START[0] + d, PEN_START[1], PEN_START[2]], tilted(target, cosine));
      expect(task.reward(env.physics)).toBeCloseTo(-d + cosine + bonus, 9);
      expect(task.terminated!(env.physics)).toBe(false);
    }
    placePen(env, [0, -0.2, 0.05], tilted(target, 0.2));
    expect(task.reward(env.physics)).toBeCloseTo(-Math.hypot(0, 0, 0.2) + 0.2 - 5, 9);
    expect(task.terminated!(env.physics)).toBe(true);
  });

  it('terminates the episode when the pen drops', () => {
    const env = envOf('pen');
    env.reset({ seed: 2 });
    const h = penHandles(env.physics);
    // Move the pen beside the hand: it falls onto the table.
    placeFreeBody(env.physics, 'pen', [0.3, PEN_START[1], PEN_START[2]]);
    let terminated = false;
    let steps = 0;
    while (!terminated && steps < 100) {
      const result = env.step(new Float64Array(24));
      terminated = result.terminated;
      steps++;
      if (terminated) expect(result.truncated).toBe(false);
    }
    expect(terminated).toBe(true);
    expect(h.penPos()[2]).toBeLessThan(0.075);
    expect(() => env.step(new Float64Array(24))).toThrow(/call reset\(\) before stepping/);
  });
});

describe('relocate', () => {
  it('places the ball on the table at x U(-0.15, 0.15), y U(-0.15, 0.3) and the target at x, y U(-0.2, 0.2), z U(0.15, 0.35)', () => {
    const env = envOf('relocate');
    const balls: Vec3[] = [];
    for (let seed = 0; seed < 200; seed++) {
      env.reset({ seed });
      const h = relocateHandles(env.physics);
      const ball = h.ballPos();
      const target = h.targetPos();
      expect(ball[0]).toBeGreaterThanOrEqual(-0.15);
      expect(ball[0]).toBeLessThanOrEqual(0.15);
      expect(ball[1]).toBeGreaterThanOrEqual(-0.15);
      expect(ball[1]).toBeLessThanOrEqual(0.3);
      expect(ball[2]).toBeCloseTo(BALL_RADIUS, 9);
      for (const v of [target[0], target[1]]) expect(Math.abs(v)).toBeLessThanOrEqual(0.2);
      expect(target[2]).toBeGreaterThanOrEqual(0.15);
      expect(target[2]).toBeLessThanOrEqual(0.35);
      balls.push(ball);
    }
    // The draws cover their ranges.
    expect(Math.min(...balls.map((b) => b[0]))).toBeLessThan(-0.13);
    expect(Math.max(...balls.map((b) => b[1]))).toBeGreaterThan(0.28);
  });

  /** Puts the ball at `pos` at rest. */
  function placeBall(env: Env, pos: Vec3): void {
    placeFreeBody(env.physics, 'ball', pos);
    env.physics.mj.mj_forward(env.physics.model, env.physics.data);
  }

  it('reaches the goal with the ball within 0.1 m of the target, not just outside', () => {
    const env = envOf('relocate');
    env.reset({ seed: 3 });
    const target = relocateHandles(env.physics).targetPos();
    placeBall(env, [target[0], target[1], target[2] - 0.099]);
    expect(env.task.success(env.physics)).toBe(true);
    placeBall(env, [target[0], target[1], target[2] - 0.101]);
    expect(env.task.success(env.physics)).toBe(false);
  });

  it("gives Adroit's dense reward at chosen ball positions", () => {
    const env = envOf('relocate');
    env.reset({ seed: 8 });
    const h = relocateHandles(env.physics);
    const target = h.targetPos();
    const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    const expected = (ball: Vec3): number => {
      const palm = h.palmPos();
      let r = -0.1 * dist(palm, ball);
      if (ball[2] > 0.04) r += 1 - 0.5 * dist(palm, target) - 0.5 * dist(ball, target);
      if (dist(ball, target) < 0.1) r += 10;
      if (dist(ball, target) < 0.05) r += 20;
      return r;
    };
    const onTable: Vec3 = [0.1, 0.1, BALL_RADIUS];
    const near: Vec3 = [target[0] + 0.03, target[1], target[2]];
    const within: Vec3 = [target[0], target[1] + 0.08, target[2]];
    for (const ball of [onTable, near, within]) {
      placeBall(env, ball);
      expect(env.task.reward(env.physics)).toBeCloseTo(expected(ball), 9);
    }
    placeBall(env, near);
    expect(env.task.reward(env.physics)).toBeGreaterThan(29);
  });
});

describe('Adroit experts', () => {
  it('the scripted relocate grasp carries the ball to the target on demo seeds', async () => {
    const rollout = await ExpertRollout.create(getTask('relocate'), undefined, () => new RelocateExpert());
    try {
      for (const seed of demoEpisodeSeeds(0, 3)) {
        const episode = rollout.episode(seed);
        const goalSteps = episode.successes.reduce((n, s) => n + s, 0);
        expect(goalSteps, `seed ${seed}`).toBeGreaterThan(25);
      }
    } finally {
      rollout.close();
    }
  });

  it("relocate's demo expert (the grasp with DART noise) keeps the expert bar: >= 90% of the first 20 demo seeds", async () => {
    const rollout = await ExpertRollout.create(getTask('relocate'));
    try {
      const solved = demoEpisodeSeeds(0, 20).filter((seed) => rollout.episode(seed).successes.reduce((n, s) => n + s, 0) > 25);
      expect(solved.length).toBeGreaterThanOrEqual(18);
    } finally {
      rollout.close();
    }
  }, 60_000);
});

describe('relocate demos (noise-injected scripted grasp)', () => {
  it('label every step with the clean scripted action at the recorded state, while the executed action differs', async () => {
    const task = getTask('relocate');
    const rollout = await ExpertRollout.create(task);
    const env = envOf('relocate');
    try {
      expect(rollout.expert.name).toBe(`${new RelocateExpert().name}-dart-slides${RELOCATE_DEMO_NOISE.std}`);
      const [seed] = demoEpisodeSeeds(0, 1);
      const episode = rollout.episode(seed!, { maxSteps: 60 });
      // The clean expert replayed along the recorded states gives the recorded labels (it acts from the state
      // and its own past commands only).
      const clean = new RelocateExpert();
      const A = episode.actionDim;
      let labelledNext = 0;
      for (let t = 0; t < episode.length; t++) {
        restoreDemoState(env, episode, t);
        if (t === 0) clean.reset(env.physics, new Rng(0));
        const label = Float32Array.from(clean.act(env.physics, env.task, t));
        expect(Array.from(label), `step ${t}`).toEqual(Array.from(episode.actions.subarray(t * A, (t + 1) * A)));
        if (t + 1 < episode.length) {
          // Executing the label itself would reach another state than the recorded (noisy) one.
          env.step(label);
          const next = new Float64Array(env.physics.stateSize);
          env.physics.getState(next);
          const recorded = episode.states.subarray((t + 1) * episode.stateSize, (t + 2) * episode.stateSize);
          if (next.every((v, i) => v === recorded[i])) labelledNext++;
        }
      }
      expect(labelledNext).toBe(0);
    } finally {
      rollout.close();
    }
  });

  it('records in worker threads what one thread records', async () => {
    const task = getTask('relocate');
    const spec = { episodes: 2, seed: 5, maxSteps: 40 };
    const single = await loadOrGenerateDemos(task, { ...spec, cacheDir: mkdtempSync(join(tmpdir(), 'relocate-demos-')) });
    const parallel = await loadOrGenerateDemos(task, { ...spec, cacheDir: mkdtempSync(join(tmpdir(), 'relocate-demos-')), workers: 2 });
    parallel.episodes.forEach((e, i) => {
      expect(e.states).toEqual(single.episodes[i]!.states);
      expect(e.actions).toEqual(single.episodes[i]!.actions);
    });
  }, 60_000);
});

describe('pen planner', () => {
  it('stands the pen up to its target orientation within 30 steps (seed 2)', () => {
    const env = envOf('pen');
    const planner = new PredictiveSamplingExpert(PEN_PLANNER);
    try {
      env.reset({ seed: 2 });
      planner.reset(env.physics, new Rng(101));
      let firstGoal = -1;
      for (let t = 0; t < 30 && firstGoal < 0; t++) {
        if (env.step(planner.act(env.physics, env.task)).info.success) firstGoal = t;
      }
      expect(firstGoal).toBeGreaterThanOrEqual(0);
    } finally {
      planner.dispose();
    }
  });
});

describe('predictive sampling while holding a goal', () => {
  /** 10 rollouts of 3 steps (4 while `holding` says the goal is reached) whose objective counts its calls. */
  const countingPlanner = (holding: PredictiveSamplingConfig['holding'], count: () => void) =>
    new PredictiveSamplingExpert({ horizonSteps: 3, knots: 2, samples: 10, noiseStd: 0.1, holding, objective: () => (count(), 0) });

  it('rolls out holding.samples plans on steps where the goal is reached, the full count otherwise', () => {
    const env = envOf('pen');
    for (const reached of [true, false]) {
      let objectiveCalls = 0;
      const planner = countingPlanner({ samples: 4, reached: () => reached }, () => objectiveCalls++);
      try {
        env.reset({ seed: 1 });
        planner.reset(env.physics, new Rng(1));
        planner.act(env.physics, env.task);
        expect(objectiveCalls).toBe(3 * (reached ? 4 : 10));
      } finally {
        planner.dispose();
      }
    }
    expect(() => countingPlanner({ samples: 11, reached: () => true }, () => {})).toThrow(/holding.samples must be an integer in \[1, 10\], got 11/);
  });

  it('with holding.replanEvery, executes a plan made while the goal holds that many steps and plans every step otherwise', () => {
    const env = envOf('pen');
    // Whether the goal holds at each control step; only planning steps ask.
    const reachedAt = [true, false, false, false, false, true, true, true, true];
    let step = 0;
    let objectiveCalls = 0;
    const planner = countingPlanner({ samples: 4, replanEvery: 3, reached: () => reachedAt[step]! }, () => objectiveCalls++);
    try {
      env.reset({ seed: 1 });
      planner.reset(env.physics, new Rng(1));
      const rolloutsPerStep: number[] = [];
      for (step = 0; step < reachedAt.length; step++) {
        const before = objectiveCalls;
        env.step(planner.act(env.physics, env.task));
        rolloutsPerStep.push((objectiveCalls - before) / 3);
      }
      // Planned holding at 0 (executed through 2), then full searches at 3 and 4, holding at 5 and again at 8.
      expect(rolloutsPerStep).toEqual([4, 0, 0, 10, 10, 4, 0, 0, 4]);
    } finally {
      planner.dispose();
    }
    for (const replanEvery of [0, 4, 1.5]) {
      expect(() => countingPlanner({ samples: 4, replanEvery, reached: () => true }, () => {})).toThrow(
        new RegExp(`holding.replanEvery must be an integer in \\[1, horizonSteps = 3\\], got ${replanEvery}`),
      );
    }
  });
});

describe('episode search', () => {
  /** The pen task with a success test that random actions pass on some steps and not others. */
  class RaisedPenTask extends PenTask {
    override success(physics: Physics): boolean {
      return penHandles(physics).penPos()[2] > 0.252;
    }
  }
  const randomExpert = (): Expert => {
    let rng = new Rng(0);
    const action = new Float64Array(24);
    return {
      name: 'random',
      reset: (_physics, r) => {
        rng = r;
      },
      act: () => action.map(() => rng.uniform(-1, 1)),
    };
  };

  it('replays the attempt it chose: the environment sees the same successful steps', async () => {
    const definition = { ...getTask('pen'), name: 'pen-raised', createTask: () => new RaisedPenTask() };
    const env = await Env.make(definition);
    const search = new EpisodeSearchExpert({ name: 'search', createInner: randomExpert, createTask: () => new RaisedPenTask(), horizon: 40, goalSteps: 40, attempts: 4 });
    try {
      for (const seed of [1, 2]) {
        env.reset({ seed });
        search.reset(env.physics, new Rng(seed));
        // No attempt can succeed on more than 40 of 40 steps: all 4 are tried and the best is kept.
        expect(search.lastAttempts).toBe(4);
        let goal = 0;
        for (let t = 0; t < 40; t++) {
          const result = env.step(search.act(env.physics, env.task, t));
          if (result.info.success) goal++;
          if (result.terminated) break;
        }
        expect(goal).toBe(search.lastGoalSteps);
        expect(goal).toBeGreaterThan(0);
      }
    } finally {
      search.dispose();
      env.close();
    }
  });

  it('stops at the first attempt that passes the success rule', async () => {
    const env = envOf('pen');
    const search = new EpisodeSearchExpert({ name: 'search', createInner: randomExpert, createTask: () => new RaisedPenTask(), horizon: 20, goalSteps: -1, attempts: 5 });
    try {
      env.reset({ seed: 3 });
      search.reset(env.physics, new Rng(3));
      expect(search.lastAttempts).toBe(1);
      expect(() => new EpisodeSearchExpert({ name: 'x', createInner: randomExpert, createTask: () => new PenTask(), horizon: 20, goalSteps: 1, attempts: 0 })).toThrow(
        /attempts must be an integer >= 1, got 0/,
      );
    } finally {
      search.dispose();
    }
  });
});
