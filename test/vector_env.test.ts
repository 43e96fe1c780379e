import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrComputeFeatures, renderDemoFrames, type FeatureRequest } from '../src/data/features.js';
import type { Encoder } from '../src/encoders/encoder.js';
import { createEncoder, parseEncoderSpec } from '../src/encoders/registry.js';
import '../src/envs/index.js';
import { Env } from '../src/envs/env.js';
import { demoStateFrame, ExpertRollout } from '../src/envs/expert_rollout.js';
import { getTask, isBuiltInTask, registerTask } from '../src/envs/registry.js';
import { LocalVectorEnv } from '../src/envs/vector_env.js';
import { WorkerVectorEnv } from '../src/envs/vector_env_workers.js';
import { evaluateEpisodes, type RolloutOptions } from '../src/eval/rollout.js';
import { createPolicy } from '../src/policies/index.js';
import type { BcPolicy } from '../src/policies/policy.js';
import { frameOptions, observationLook, type RenderSettings } from '../src/protocol/render_settings.js';
import type { RunDependencies } from '../src/run/deps.js';
import { RunResources } from '../src/run/resources.js';
import { pointMassTask } from './fixtures/point_mass_task.js';
import { valuesOf } from './helpers/frames.js';

const TASKS = ['reacher-easy', 'button-press-topdown'];
const SEEDS = [1000, 1001, 1002];
let encoder: Encoder;
/** reacher-easy: 2 envs on 2 workers, so 3 episodes run as a wave of 2 then 1 (shared by the tests below). */
let reacherPool: WorkerVectorEnv;
const policies = new Map<string, BcPolicy>();
const local = new Map<string, Env[]>();

const render = (task: string): RenderSettings => ({ imageSize: 64, camera: getTask(task).defaultCamera, ...observationLook(64) });

beforeAll(async () => {
  encoder = await createEncoder(parseEncoderSpec('pixels'), {});
  reacherPool = await WorkerVectorEnv.create('reacher-easy', 2, 2);
  for (const name of TASKS) {
    const envs = await Promise.all(SEEDS.map(() => Env.make(name)));
    local.set(name, envs);
    const { proprioDim } = envs[0]!.observationSpec;
    // An untrained policy with seeded weights: its actions depend on every frame, proprio and history value.
    policies.set(name, await createPolicy({ head: 'mlp', featureDim: 3 * encoder.info.pooledDim, proprioDim, actionDim: envs[0]!.actionSpec.dim }, 3));
  }
});

afterAll(async () => {
  await reacherPool.close();
  expect(reacherPool.runningThreads).toBe(0);
  for (const envs of local.values()) for (const env of envs) env.close();
  for (const policy of policies.values()) policy.dispose();
  await encoder.dispose();
});

const rollout = (task: string, envs: RolloutOptions['envs'], extra: Partial<RolloutOptions> = {}): Promise<unknown> =>
  evaluateEpisodes({ envs, task: getTask(task), encoder, policy: policies.get(task)!, kind: 'pooled', precision: 'float16', seeds: SEEDS, horizon: 12, render: render(task), ...extra });

describe('vector env on worker threads', () => {
  for (const task of TASKS) {
    it(`gives the episodes of the main thread exactly (${task})`, async () => {
      const serial = await rollout(task, new LocalVectorEnv(local.get(task)!));
      // button-press-topdown's pool: 3 envs on 2 workers, one of which holds two (dealing and merging).
      if (task === 'reacher-easy') {
        expect(await rollout(task, reacherPool)).toEqual(serial);
        return;
      }
      const pool = await WorkerVectorEnv.create(task, 3, 2);
      try {
        expect(await rollout(task, pool)).toEqual(serial);
      } finally {
        await pool.close();
      }
      expect(pool.runningThreads).toBe(0);
    });
  }

  it('retasked to another task, or to fewer envs than threads, gives the episodes of the main thread exactly', async () => {
    const pool = await WorkerVectorEnv.create('reacher-easy', 2, 2);
    try {
      await pool.retask('button-press-topdown', 3);
      expect([pool.task, pool.size]).toEqual(['button-press-topdown', 3]);
      const task = 'button-press-topdown';
      expect(await rollout(task, pool)).toEqual(await rollout(task, new LocalVectorEnv(local.get(task)!)));
      // One env on two threads: the second holds none and is left out of every call.
      await pool.retask('reacher-easy', 1);
      const one = { seeds: SEEDS.slice(0, 2) };
      expect(await rollout('reacher-easy', pool, one)).toEqual(await rollout('reacher-easy', new LocalVectorEnv(local.get('reacher-easy')!.slice(0, 1)), one));
      const expert = await ExpertRollout.create(getTask('reacher-easy'));
      const episode = expert.episode(7, { maxSteps: 3 });
      expert.close();
      const steps = [0, 1, 2].map((t) => [0, t] as const);
      const direct = renderDemoFrames(local.get('reacher-easy')![0]!, [episode], steps, render('reacher-easy')).data;
      const onPool = await pool.renderStates(steps.map(([, t]) => demoStateFrame(episode, t)), frameOptions(render('reacher-easy')));
      expect(Buffer.from(onPool).equals(Buffer.from(direct))).toBe(true);
      await expect(pool.retask('no-such-task', 2)).rejects.toThrow(/no-such-task/);
    } finally {
      await pool.close();
    }
    expect(pool.runningThreads).toBe(0);
  });

  it("lends a run's worker pools one stage at a time and retasks idle ones instead of starting one per task", async () => {
    const resources = new RunResources({} as RunDependencies, tmpdir(), { envWorkers: 2, quiet: true, warn: () => {} });
    try {
      const a = await resources.evalEnvsFor(getTask('reacher-easy'), 2);
      const b = await resources.evalEnvsFor(getTask('button-press-topdown'), 3);
      expect(b.envs).not.toBe(a.envs); // both lent: a second pool
      a.release();
      const c = await resources.evalEnvsFor(getTask('reacher-easy'), 2);
      expect(c.envs).toBe(a.envs); // idle and already on the task
      b.release();
      c.release();
      // Both idle: the one already on the task is lent first; a new task retasks the other rather than starting a third.
      const d = await resources.evalEnvsFor(getTask('button-press-topdown'), 2);
      const e = await resources.evalEnvsFor(getTask('drawer-open'), 2);
      expect([d.envs, e.envs]).toEqual([b.envs, a.envs]);
      expect((e.envs as WorkerVectorEnv).task).toBe('drawer-open');
      const task = 'button-press-topdown';
      const seeds = { seeds: SEEDS.slice(0, 2) };
      expect(await rollout(task, d.envs, seeds)).toEqual(await rollout(task, new LocalVectorEnv(local.get(task)!), seeds));
    } finally {
      await resources.dispose();
    }
  });

  it('keeps the envs of a task registered at run time on this thread: a worker knows the built-in tasks only', async () => {
    const runtimeTask = pointMassTask({ name: 'test-vector-env-runtime-task' });
    registerTask(runtimeTask);
    expect([isBuiltInTask('reacher-easy'), isBuiltInTask(runtimeTask.name)]).toEqual([true, false]);
    const resources = new RunResources({} as RunDependencies, tmpdir(), { envWorkers: 2, quiet: true, warn: () => {} });
    try {
      const lent = await resources.evalEnvsFor(runtimeTask, 2);
      expect(lent.envs).toBeInstanceOf(LocalVectorEnv);
      expect(lent.envs.size).toBe(2);
      lent.release();
      expect(await resources.evalEnvsFor(getTask('reacher-easy'), 2).then((l) => l.envs)).toBeInstanceOf(WorkerVectorEnv);
    } finally {
      await resources.dispose();
    }
  });

  it('gives the same episodes pipelined (groups taking turns) as in one group, on either kind of env', async () => {
    const task = 'button-press-topdown';
    const serial = await rollout(task, new LocalVectorEnv(local.get(task)!), { groups: 1 });
    expect(await rollout(task, new LocalVectorEnv(local.get(task)!), { groups: 2 })).toEqual(serial);
    expect(await rollout(task, new LocalVectorEnv(local.get(task)!), { groups: 3 })).toEqual(serial);
    const pool = await WorkerVectorEnv.create(task, 3, 2);
    try {
      expect(pool.concurrent).toBe(true);
      expect(await rollout(task, pool, { groups: 1 })).toEqual(serial);
      expect(await rollout(task, pool, { groups: 3 })).toEqual(serial);
    } finally {
      await pool.close();
    }
  });

  it('returns frames and steps like the envs themselves', async () => {
    const task = 'reacher-easy';
    const frame = frameOptions(render(task));
    const pool = reacherPool;
    {
      const envs = local.get(task)!;
      const fromPool = await pool.reset([0, 1], [5, 6], frame);
      const direct = envs.slice(0, 2).map((env, i) => env.reset({ seed: 5 + i }));
      expect(fromPool.proprio).toEqual(direct.map((d) => d.obs.proprio));
      expect(Array.from(fromPool.frames.subarray(64 * 64 * 3))).toEqual(Array.from(envs[1]!.render(frame).rgb));
      const action = new Float32Array([0.5, -0.5]);
      const step = await pool.step([1], action, frame);
      const expected = envs[1]!.step(action);
      expect([step.reward[0], step.proprio[0]]).toEqual([expected.reward, expected.obs.proprio]);
      expect(Array.from(step.frames)).toEqual(Array.from(envs[1]!.render(frame).rgb));
      expect((await pool.step([0], action, null)).frames.length).toBe(0);
    }
  });

  it("steps groups with calls in flight at once as each env alone, and counts each worker's busy time within the wall time", async () => {
    const task = 'reacher-easy';
    const frame = frameOptions(render(task));
    const envs = local.get(task)!.slice(0, 2);
    await reacherPool.reset([0, 1], [7, 8], frame);
    envs.forEach((env, i) => env.reset({ seed: 7 + i }));
    const before = reacherPool.busySeconds();
    const start = performance.now();
    for (let t = 0; t < 5; t++) {
      const actions = [new Float32Array([0.3, -0.2 * t]), new Float32Array([-0.4, 0.1 * t])];
      // Env 1's step is sent before env 0's reply is back: two calls in flight on the pool.
      const steps = await Promise.all([reacherPool.step([0], actions[0]!, frame), reacherPool.step([1], actions[1]!, frame)]);
      steps.forEach((step, i) => {
        const expected = envs[i]!.step(actions[i]!);
        expect([step.reward[0], step.proprio[0]]).toEqual([expected.reward, expected.obs.proprio]);
        expect(Array.from(step.frames)).toEqual(Array.from(envs[i]!.render(frame).rgb));
      });
    }
    const wall = (performance.now() - start) / 1000;
    const busy = reacherPool.busySeconds().map((b, w) => b - before[w]!);
    expect(busy).toHaveLength(2);
    for (const seconds of busy) {
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(wall);
    }
  });

  it('reports a worker error, refuses further calls and shuts every thread down', async () => {
    const frame = frameOptions(render('reacher-easy'));
    const pool = await WorkerVectorEnv.create('reacher-easy', 2, 2);
    await pool.reset([0, 1], [1, 2], frame);
    await expect(pool.step([0, 1], new Float32Array([0, 0, Number.NaN, 0]), frame)).rejects.toThrow(/non-finite|NaN/);
    await expect(pool.step([0, 1], new Float32Array(4), frame)).rejects.toThrow(/non-finite|NaN/);
    await expect(pool.step([2], new Float32Array(2), frame)).rejects.toThrow(/env index 2 is outside \[0, 2\)/);
    await expect(pool.step([1, 1], new Float32Array(4), frame)).rejects.toThrow(/env index is listed twice/);
    await expect(pool.reset([0, 1], [1], frame)).rejects.toThrow(/1 seeds for 2 env indices/);
    await pool.close();
    expect(pool.runningThreads).toBe(0);
    await expect(pool.reset([0], [1], frame)).rejects.toThrow(/after close/);
    await expect(WorkerVectorEnv.create('no-such-task', 2, 2)).rejects.toThrow(/env worker \d\/2 \(task 'no-such-task'\): .*no-such-task/);
  });

  it('stops at an interruption, and the pool stays usable', async () => {
    const task = 'reacher-easy';
    const pool = reacherPool;
    const controller = new AbortController();
    let calls = 0;
    const interrupting: Encoder = {
      info: encoder.info,
      dispose: async () => {},
      encode: async (frames, options) => {
        if (++calls === 3) controller.abort(new Error('SIGINT'));
        return encoder.encode(frames, options);
      },
    };
    await expect(rollout(task, pool, { encoder: interrupting, signal: controller.signal })).rejects.toThrow(/SIGINT/);
    expect(calls).toBe(3);
    // The owner closes it (afterAll checks that no thread is left); until then it runs new episodes.
    expect(await rollout(task, pool)).toEqual(await rollout(task, new LocalVectorEnv(local.get(task)!)));
  });

  it('renders demo frames on the workers exactly as on this thread, and gives identical features (any batch split)', async () => {
    // button-press-topdown: per-episode fixture positions live in the model, so a replay must reset per episode.
    const task = getTask('button-press-topdown');
    const expert = await ExpertRollout.create(task);
    const episodes = [7, 8, 9].map((seed) => expert.episode(seed, { maxSteps: 5 }));
    expert.close();
    const settings = render(task.name);
    const replay = local.get(task.name)![0]!;
    const steps = episodes.flatMap((e, ep) => Array.from({ length: e.length }, (_, t) => [ep, t] as const));
    const direct = renderDemoFrames(replay, episodes, steps, settings).data;
    const pool = await WorkerVectorEnv.create(task.name, 3, 2);
    const cacheDir = mkdtempSync(join(tmpdir(), 'bench-pool-features-'));
    try {
      const states = steps.map(([ep, t]) => demoStateFrame(episodes[ep]!, t));
      expect(Buffer.from(await pool.renderStates(states, frameOptions(settings))).equals(Buffer.from(direct))).toBe(true);
      const request = (envs: FeatureRequest['envs'], dir: string): FeatureRequest => ({
        task, demos: { key: 'pool-test', episodes }, encoder, envs, kind: 'pooled', render: settings, cacheDir: join(cacheDir, dir), batchSize: 4, quiet: true,
      });
      const serial = await loadOrComputeFeatures(request(new LocalVectorEnv([replay]), 'local'));
      const onPool = await loadOrComputeFeatures(request(pool, 'pool'));
      expect(onPool.cached).toBe(false);
      expect(Array.from(valuesOf(onPool))).toEqual(Array.from(valuesOf(serial)));
    } finally {
      await pool.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
