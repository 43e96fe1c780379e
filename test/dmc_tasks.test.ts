import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardSpeed } from '../src/envs/domains/cheetah.js';
import { fingertip, inverseKinematics, LINK_LENGTH } from '../src/envs/domains/reacher.js';
import { Env } from '../src/envs/env.js';
import { PredictiveSamplingExpert } from '../src/envs/experts/predictive_sampling.js';
import { RolloutData } from '../src/envs/experts/rollout_data.js';
import { advance } from '../src/envs/stepping.js';
import { KnotSpline } from '../src/envs/experts/spline.js';
import { getTask, listTasks, UnknownTaskError } from '../src/envs/registry.js';
import { Rng } from '../src/util/rng.js';
import { sceneVariant } from '../src/envs/factors/variant.js';
import { materialTexture } from '../src/envs/scene.js';
import '../src/envs/domains/index.js';
import { pointMassTask } from './fixtures/point_mass_task.js';

const DMC_TASKS = [
  { name: 'cheetah-run', actionDim: 6, stateDim: 18, camera: 'side', timestep: 0.01, substeps: 1 },
  { name: 'reacher-easy', actionDim: 2, stateDim: 8, camera: 'fixed', timestep: 0.02, substeps: 1 },
  { name: 'walker-stand', actionDim: 6, stateDim: 18, camera: 'side', timestep: 0.0025, substeps: 10 },
  { name: 'walker-walk', actionDim: 6, stateDim: 18, camera: 'side', timestep: 0.0025, substeps: 10 },
  { name: 'finger-spin', actionDim: 2, stateDim: 6, camera: 'cam0', timestep: 0.01, substeps: 2 },
] as const;

function cameraExists(env: Env, name: string): boolean {
  const { mj, model } = env.physics;
  return mj.mj_name2id(model, mj.mjtObj.mjOBJ_CAMERA.value, name) >= 0;
}

describe.each(DMC_TASKS)('$name', (spec) => {
  let env: Env;
  beforeAll(async () => {
    env = await Env.make(spec.name);
  });
  afterAll(() => env.close());

  it('is registered in the cortexbench benchmark as a DMC task', () => {
    const def = getTask(spec.name);
    expect(def.family).toBe('dmc');
    expect(def.benchmarks).toContain('cortexbench');
    expect(def.horizon).toBe(1000);
    expect(def.substeps).toBe(spec.substeps);
    expect(listTasks('cortexbench').map((t) => t.name)).toContain(spec.name);
  });

  it('compiles with the task timestep, its default camera and a [-1, 1] action box', () => {
    expect(env.physics.model.opt.timestep).toBeCloseTo(spec.timestep, 12);
    expect(env.definition.defaultCamera).toBe(spec.camera);
    expect(cameraExists(env, spec.camera)).toBe(true);
    expect(env.actionSpec.dim).toBe(spec.actionDim);
    expect([...env.actionSpec.low]).toEqual(new Array(spec.actionDim).fill(-1));
    expect([...env.actionSpec.high]).toEqual(new Array(spec.actionDim).fill(1));
    expect(env.observationSpec.stateDim).toBe(spec.stateDim);
    expect(env.observationSpec.proprioDim).toBe(0);
  });

  it('resets deterministically from the seed', () => {
    const a = env.reset({ seed: 7 }).obs.state;
    const b = env.reset({ seed: 7 }).obs.state;
    const c = env.reset({ seed: 8 }).obs.state;
    expect([...a]).toEqual([...b]);
    expect(Math.max(...a.map((x, i) => Math.abs(x - c[i]!)))).toBeGreaterThan(1e-3);
  });

  it('gives rewards in [0, 1] under random actions', () => {
    env.reset({ seed: 3 });
    const rng = new Rng(11);
    for (let t = 0; t < 200; t++) {
      const action = Array.from({ length: spec.actionDim }, () => rng.uniform(-1.5, 1.5));
      const { reward, obs } = env.step(action);
      expect(reward).toBeGreaterThanOrEqual(0);
      expect(reward).toBeLessThanOrEqual(1);
      expect(obs.state.every(Number.isFinite)).toBe(true);
    }
  });

  it('rejects actions of the wrong length and non-finite actions', () => {
    env.reset({ seed: 0 });
    expect(() => env.step(new Array(spec.actionDim + 1).fill(0))).toThrow(/expects an action of length/);
    const nan = new Array(spec.actionDim).fill(0);
    nan[0] = Number.NaN;
    expect(() => env.step(nan)).toThrow(/action\[0\] is NaN/);
  });

  it('applies scene options and names what it rejects', async () => {
    const def = getTask(spec.name);
    const xml = def.buildScene({ light: 0.7, textures: { floor: 'grid-grey' }, camera: { azimuth: 120, elevation: 30, distance: 2 } });
    expect(xml).toContain('ambient="0.7 0.7 0.7"');
    expect(xml).toMatch(/<material name="floor" texture="grid-grey"/);
    const varied = await Env.make(def, { variant: sceneVariant(def, { light: 0.7, background: 'train-noise-3' }) });
    varied.reset({ seed: 0 });
    expect(materialTexture(varied.physics, 'floor')).toBe('train-noise-3');
    varied.close();
    expect(() => def.buildScene({ textures: { floor: 'no_such_texture' } })).toThrow(/unknown texture 'no_such_texture'/);
    expect(() => def.buildScene({ textures: { table: 'grid-grey' } })).toThrow(/unknown material 'table'/);
    expect(() => def.buildScene({ light: 2 })).toThrow(/scene option light must be a number in \[0, 1\]/);
    expect(() => def.buildScene({ objectScale: 1.5 })).toThrow(/objectScale: \w+ scenes have no manipulated object/);
  });
});

describe('registry', () => {
  it('throws a clear error for an unknown task', async () => {
    expect(() => getTask('reacher-hard-typo')).toThrow(UnknownTaskError);
    await expect(Env.make('reacher-hard-typo')).rejects.toThrow(/unknown task 'reacher-hard-typo'.*reacher-easy/);
  });
});

describe('reacher-easy scene', () => {
  it("is lit as dm_control's reacher: headlight ambient .4, diffuse .8, specular .1 and a light 1 m above the arm", async () => {
    const env = await Env.make('reacher-easy');
    try {
      const { mj, model } = env.physics;
      const vis = model.vis;
      const head = vis.headlight;
      expect([...(head.ambient as Float32Array)].map((v) => +v.toFixed(6))).toEqual([0.4, 0.4, 0.4]);
      expect([...(head.diffuse as Float32Array)].map((v) => +v.toFixed(6))).toEqual([0.8, 0.8, 0.8]);
      expect([...(head.specular as Float32Array)].map((v) => +v.toFixed(6))).toEqual([0.1, 0.1, 0.1]);
      head.delete();
      vis.delete();
      expect(model.nlight).toBe(1);
      expect([...(model.light_pos as Float64Array)]).toEqual([0, 0, 1]);
      // MuJoCo's light defaults, as dm_control's model leaves them: a spot light pointing down, diffuse 0.7.
      expect(model.light_type[0]).toBe(mj.mjtLightType.mjLIGHT_SPOT.value);
      expect([...(model.light_dir as Float64Array)]).toEqual([0, 0, -1]);
      expect(model.light_diffuse[0]).toBeCloseTo(0.7, 6);
    } finally {
      env.close();
    }
  });
});

describe('reacher-easy expert', () => {
  it('inverse kinematics puts the fingertip on reachable targets', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 50; i++) {
      // The wrist limit (160 deg) leaves a dead zone of radius 2 L cos(80 deg) = 4.2 cm around the shoulder.
      const r = rng.uniform(0.045, 2 * LINK_LENGTH - 1e-3);
      const a = rng.uniform(-Math.PI, Math.PI);
      const [shoulder, wrist] = inverseKinematics(r * Math.cos(a), r * Math.sin(a), rng.uniform(-1, 1));
      const [x, y] = fingertip([shoulder, wrist]);
      expect(Math.hypot(x - r * Math.cos(a), y - r * Math.sin(a))).toBeLessThan(1e-9);
    }
  });

  it('reaches the target and stays there', async () => {
    const env = await Env.make('reacher-easy');
    try {
      for (const seed of [0, 1]) {
        env.reset({ seed });
        const expert = env.definition.createExpert();
        expert.reset(env.physics, new Rng(seed));
        let total = 0;
        for (let t = 0; t < 150; t++) total += env.step(expert.act(env.physics, env.task, t)).reward;
        expect(total).toBeGreaterThan(100);
        expect(env.task.reward(env.physics)).toBe(1);
      }
    } finally {
      env.close();
    }
  });
});

describe('cheetah-run model', () => {
  it("has dm_control's joint ranges, passive stiffness and damping, and ground contacts at friction 1", async () => {
    const env = await Env.make('cheetah-run');
    try {
      const { mj, model, data } = env.physics;
      const expected: Record<string, [number, number, number, number]> = {
        bthigh: [-30, 60, 240, 6],
        bshin: [-50, 50, 180, 4.5],
        bfoot: [-230, 50, 120, 3],
        fthigh: [-57, 0.4, 180, 4.5],
        fshin: [-70, 50, 120, 3],
        ffoot: [-28, 28, 60, 1.5],
      };
      const ranges = model.jnt_range as Float64Array;
      const stiffness = model.jnt_stiffness as Float64Array;
      const damping = model.dof_damping as Float64Array;
      const dofAdr = model.jnt_dofadr as Int32Array;
      for (const [name, [lo, hi, k, d]] of Object.entries(expected)) {
        const j = mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, name);
        expect((ranges[2 * j]! * 180) / Math.PI, name).toBeCloseTo(lo, 3);
        expect((ranges[2 * j + 1]! * 180) / Math.PI, name).toBeCloseTo(hi, 3);
        expect(stiffness[j], name).toBe(k);
        expect(damping[dofAdr[j]!], name).toBe(d);
      }
      // Body geoms have friction 0.4, the ground MuJoCo's default 1: contacts take the larger, 1.0.
      env.reset({ seed: 0 });
      expect(data.ncon).toBeGreaterThan(0);
      for (let i = 0; i < data.ncon; i++) {
        const contact = data.contact.get(i)!;
        expect((contact.friction as Float64Array)[0]).toBe(1);
        contact.delete();
      }
    } finally {
      env.close();
    }
  });
});

describe('cheetah-run expert', () => {
  it('runs forward (mean speed > 3 m/s over steps 100-200)', async () => {
    const env = await Env.make('cheetah-run');
    try {
      env.reset({ seed: 0 });
      const expert = env.definition.createExpert();
      expert.reset(env.physics, new Rng(0));
      const qpos = () => env.physics.data.qpos as Float64Array;
      let x0 = 0;
      for (let t = 0; t < 200; t++) {
        if (t === 100) x0 = qpos()[0]!;
        env.step(expert.act(env.physics, env.task, t));
      }
      const meanSpeed = (qpos()[0]! - x0) / (100 * env.definition.timestep);
      expert.dispose?.();
      expect(meanSpeed).toBeGreaterThan(3);
    } finally {
      env.close();
    }
  }, 120_000);
});

describe('cached data views', () => {
  it('stay valid after the WASM memory grows', async () => {
    const env = await Env.make('reacher-easy');
    const extra: { delete(): void }[] = [];
    try {
      env.reset({ seed: 2 });
      const cached = env.physics.views.qpos;
      const raw = env.physics.data.qpos as Float64Array;
      // Each MjData reserves a large arena, so a few allocations force the heap to grow (detaching old views).
      while (raw.length !== 0 && extra.length < 40) extra.push(new env.physics.mj.MjData(env.physics.model));
      expect(raw.length).toBe(0);
      expect(cached.length).toBe(0);
      const fresh = env.physics.views.qpos;
      expect(fresh.length).toBe(4);
      expect([...fresh]).toEqual([...(env.physics.data.qpos as Float64Array)]);
    } finally {
      for (const d of extra) d.delete();
      env.close();
    }
  });
});

describe('planner machinery', () => {
  it('knot splines interpolate linearly and shift in time', () => {
    const spline = new KnotSpline(3, 1, 10);
    spline.values.set([0, 1, 3]);
    const out = new Float64Array(1);
    spline.evaluate(2.5, out);
    expect(out[0]).toBeCloseTo(0.5, 12);
    spline.evaluate(7.5, out);
    expect(out[0]).toBeCloseTo(2, 12);
    spline.shift(5, new Float64Array(3));
    expect([...spline.values]).toEqual([1, 3, 3]);
  });

  it('planner rollouts see the same post-step state as the episode', async () => {
    const env = await Env.make('cheetah-run');
    const seen: number[] = [];
    // One unperturbed sample of an all-zero plan: the planner's rollout is the episode under zero actions, and
    // its objective must see each step's forward speed as Env.step's reward does (not the previous step's).
    const expert = new PredictiveSamplingExpert({
      horizonSteps: 15,
      knots: 2,
      samples: 1,
      noiseStd: 0,
      objective: (physics) => {
        seen.push(forwardSpeed(physics));
        return 0;
      },
    });
    try {
      env.reset({ seed: 2 });
      for (let t = 0; t < 20; t++) env.step([1, -1, 1, -1, 1, -1]);
      expert.reset(env.physics, new Rng(2));
      const action = expert.act(env.physics, env.task);
      expect([...action]).toEqual(new Array(6).fill(0));
      const speeds = Array.from({ length: 15 }, () => {
        env.step(action);
        return forwardSpeed(env.physics);
      });
      expect(seen).toHaveLength(15);
      expect(Math.max(...speeds.map(Math.abs))).toBeGreaterThan(0.05);
      for (let t = 0; t < 15; t++) expect(seen[t]).toBeCloseTo(speeds[t]!, 12);
      expect(() => new PredictiveSamplingExpert({ horizonSteps: 10, knots: 2, samples: 4, noiseStd: -1 })).toThrow(/noiseStd/);
      expect(() => new PredictiveSamplingExpert({ horizonSteps: 10, knots: 2, samples: 2, noiseStd: 1, periodicCandidates: [20, 24] })).toThrow(
        /periodicCandidates must be fewer than samples/,
      );
    } finally {
      expert.dispose();
      env.close();
    }
  });

  it('replanning every k steps searches on every k-th step only and executes the chosen plan in between', async () => {
    const env = await Env.make(pointMassTask());
    const horizonSteps = 8;
    const samples = 4;
    /** Each rollout's [horizonSteps] commands and summed objective, in the order the planner ran them. */
    const rollouts: { commands: number[]; total: number }[] = [];
    const expert = new PredictiveSamplingExpert({
      horizonSteps,
      knots: 3,
      samples,
      noiseStd: 0.5,
      update: { kind: 'best' },
      replanEvery: 3,
      // Prefers commands near 0.4: the samples score differently, so one rollout is the best.
      objective: (physics) => {
        const command = physics.views.ctrl[0]!;
        const last = rollouts.at(-1);
        const rollout = last && last.commands.length < horizonSteps ? last : rollouts[rollouts.push({ commands: [], total: 0 }) - 1]!;
        rollout.commands.push(command);
        rollout.total += -((command - 0.4) ** 2);
        return -((command - 0.4) ** 2);
      },
    });
    try {
      env.reset({ seed: 3 });
      expert.reset(env.physics, new Rng(3));
      for (const planStep of [0, 3]) {
        const before = rollouts.length;
        const executed = [0, 1, 2].map((t) => {
          const action = [...expert.act(env.physics, env.task)];
          // Rollouts only on the planning step: samples of them, none on the two steps after it.
          expect(rollouts.length, `after step ${planStep + t}`).toBe(before + samples);
          env.step(action);
          return action[0]!;
        });
        const searched = rollouts.slice(before);
        const best = searched.reduce((a, b) => (b.total > a.total ? b : a));
        expect(new Set(searched.map((r) => r.total)).size).toBe(samples);
        // The executed commands are the best rollout's first three, exactly.
        expect(executed).toEqual(best.commands.slice(0, 3));
      }
      expect(() => new PredictiveSamplingExpert({ horizonSteps: 10, knots: 2, samples: 4, noiseStd: 1, replanEvery: 0 })).toThrow(/replanEvery/);
      expect(() => new PredictiveSamplingExpert({ horizonSteps: 10, knots: 2, samples: 4, noiseStd: 1, replanEvery: 11 })).toThrow(/replanEvery/);
    } finally {
      expert.dispose();
      env.close();
    }
  });

  it('planner rollouts step bit-identically to Env.step (10 substeps; a mocap task with 5)', async () => {
    for (const definition of [pointMassTask({ substeps: 10 }), getTask('button-press-topdown')]) {
      const env = await Env.make(definition);
      expect(env.physics.substeps).toBe(definition.substeps);
      const planned: Float64Array[] = [];
      // One unperturbed sample of the all-zero first plan: its rollout is what the episode does under zero actions.
      const expert = new PredictiveSamplingExpert({
        horizonSteps: 12,
        knots: 2,
        samples: 1,
        noiseStd: 0,
        objective: (physics) => {
          planned.push(physics.getState());
          return 0;
        },
      });
      try {
        env.reset({ seed: 5 });
        const push = new Array(env.actionSpec.dim).fill(0.7);
        for (let t = 0; t < 6; t++) env.step(push);
        expert.reset(env.physics, new Rng(5));
        const action = expert.act(env.physics, env.task);
        expect([...action]).toEqual(new Array(env.actionSpec.dim).fill(0));
        const stepped = Array.from({ length: 12 }, () => {
          env.step(action);
          return env.physics.getState();
        });
        expect(planned).toHaveLength(12);
        expect(Math.abs(stepped[11]![1]! - stepped[0]![1]!), definition.name).toBeGreaterThan(1e-4);
        for (let t = 0; t < 12; t++) expect(Buffer.from(planned[t]!.buffer).equals(Buffer.from(stepped[t]!.buffer)), `${definition.name} step ${t}`).toBe(true);
      } finally {
        expert.dispose();
        env.close();
      }
    }
  });

  it('planningSubsteps rolls out on a coarser model copy over the same control step, made anew each episode', async () => {
    const env = await Env.make('walker-walk');
    const { mj, model } = env.physics;
    const coarse = new RolloutData(env.physics, 2);
    const same = new RolloutData(env.physics, 10);
    try {
      expect(coarse.copiesModel).toBe(true);
      expect(coarse.physics.substeps).toBe(2);
      expect(coarse.physics.model.opt.timestep).toBeCloseTo(0.0125, 12);
      expect(model.opt.timestep).toBe(0.0025); // the episode's model is untouched
      // The episode's own substeps: its model, no copy.
      expect(same.copiesModel).toBe(false);
      expect(same.physics.model).toBe(model);
      env.reset({ seed: 6 });
      for (const rollout of [coarse, same]) rollout.restoreFromSource();
      expect([...(coarse.physics.data.qpos as Float64Array)]).toEqual([...(env.physics.data.qpos as Float64Array)]);
      // One control step of zero actions on each: the same time passes, the coarse one in 2 physics steps.
      for (const rollout of [coarse, same]) {
        mj.mj_step1(rollout.physics.model, rollout.physics.data);
        advance(rollout.physics, env.task);
      }
      expect(coarse.physics.data.time).toBeCloseTo(same.physics.data.time, 12);
      expect(coarse.physics.data.time).toBeCloseTo(0.025, 12);
      expect(() => new RolloutData(env.physics, 0)).toThrow(/planning substeps must be an integer >= 1, got 0/);
      expect(() => new PredictiveSamplingExpert({ horizonSteps: 10, knots: 2, samples: 4, noiseStd: 1, planningSubsteps: 1.5 })).toThrow(
        /planningSubsteps must be an integer >= 1, got 1.5/,
      );

      // The planner makes its copy at each reset, so a model value the task sets per episode reaches the rollouts,
      // and acting leaves the episode's state as it was.
      const seen: number[] = [];
      const expert = new PredictiveSamplingExpert({
        horizonSteps: 3,
        knots: 2,
        samples: 2,
        noiseStd: 0.1,
        planningSubsteps: 2,
        objective: (physics) => {
          seen.push(physics.model.opt.gravity[2] as number);
          return 0;
        },
      });
      try {
        for (const gravity of [-9.81, -5]) {
          model.opt.gravity[2] = gravity;
          env.reset({ seed: 7 });
          expert.reset(env.physics, new Rng(7));
          const before = env.physics.getState();
          expert.act(env.physics, env.task);
          expect(Buffer.from(env.physics.getState().buffer).equals(Buffer.from(before.buffer))).toBe(true);
          expect(new Set(seen.splice(0))).toEqual(new Set([gravity]));
        }
      } finally {
        model.opt.gravity[2] = -9.81;
        expert.dispose();
      }
    } finally {
      coarse.dispose();
      same.dispose();
      env.close();
    }
  });

  it('rollout data continues exactly from the source state', async () => {
    const env = await Env.make('cheetah-run');
    const rollout = new RolloutData(env.physics);
    try {
      env.reset({ seed: 4 });
      for (let t = 0; t < 20; t++) env.step([0.5, -0.5, 0.3, -0.3, 0.2, -0.2]);
      rollout.restoreFromSource();
      const { mj, model } = env.physics;
      const action = new Float64Array([1, 0, -1, 0.5, 0, -0.5]);
      for (let t = 0; t < 30; t++) {
        env.task.applyAction(rollout.physics, action);
        mj.mj_step(model, rollout.physics.data);
        env.step(action);
      }
      expect([...(rollout.physics.data.qpos as Float64Array)]).toEqual([...(env.physics.data.qpos as Float64Array)]);
    } finally {
      rollout.dispose();
      env.close();
    }
  });
});
