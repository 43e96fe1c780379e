/**
 * Environment guarantees for every MetaWorld-style task: determinism across processes, no WASM-heap growth over
 * many reset + step cycles, bad-input errors and action clipping at both bounds, and a model that stays stable
 * (finite, objects on the table) under long random action sequences at the 0.0025 s x 5 timing.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Env, listTasks } from '../src/envs/index.js';
import { Rng } from '../src/util/rng.js';

const TASKS = listTasks()
  .filter((t) => t.family === 'metaworld')
  .map((t) => t.name);

/** Hashes states, rewards and pixels of a seeded random rollout of every task named on the command line. */
const ROLLOUT_SCRIPT = `
import { createHash } from 'node:crypto';
import { Env } from './src/envs/index.ts';
import { Rng } from './src/util/rng.ts';
const [seed, steps, ...tasks] = process.argv.slice(2);
for (const task of tasks) {
  const env = await Env.make(task, { pixels: { width: 64, height: 64 } });
  const rng = new Rng(Number(seed) + 1);
  const hash = createHash('sha256');
  let { obs } = env.reset({ seed: Number(seed) });
  const add = (o) => { hash.update(new Uint8Array(o.state.buffer)); hash.update(o.pixels); };
  add(obs);
  for (let t = 0; t < Number(steps); t++) {
    const r = env.step(Array.from({ length: env.actionSpec.dim }, () => rng.uniform(-1, 1)));
    add(r.obs);
    hash.update(new Uint8Array(new Float64Array([r.reward]).buffer));
  }
  env.close();
  console.log(task, hash.digest('hex'));
}
`;

describe('MetaWorld tasks across processes', () => {
  it('same task, seed and actions give identical states, rewards and pixels in two processes; another seed differs', () => {
    const script = join(process.cwd(), `.determinism-metaworld-${process.pid}.mts`);
    try {
      writeFileSync(script, ROLLOUT_SCRIPT);
      const run = (seed: number): Map<string, string> => {
        const out = execFileSync(process.execPath, ['--import', 'tsx', script, String(seed), '30', ...TASKS], { encoding: 'utf8', cwd: process.cwd() });
        return new Map(out.trim().split('\n').map((line) => line.split(' ') as [string, string]));
      };
      const first = run(7);
      expect([...first.keys()]).toEqual(TASKS);
      expect(run(7)).toEqual(first);
      const other = run(8);
      for (const task of TASKS) expect(other.get(task), task).not.toBe(first.get(task));
    } finally {
      rmSync(script, { force: true });
    }
  });
});

describe.each(TASKS)('%s environment', (name) => {
  const wasmHeapBytes = (env: Env): number => (env.physics.data.qpos as Float64Array).buffer.byteLength;

  it('does not grow the WASM heap over many resets and steps', async () => {
    const env = await Env.make(name);
    try {
      for (let i = 0; i < 50; i++) env.reset({ seed: i });
      const before = wasmHeapBytes(env);
      for (let i = 0; i < 400; i++) {
        env.reset({ seed: i });
        env.step([0.3, -0.2, 0.1, i % 2 ? 1 : -1]);
        env.task.reward(env.physics);
        env.physics.setState(env.physics.getState());
      }
      expect(wasmHeapBytes(env)).toBe(before);
    } finally {
      env.close();
    }
  });

  it('rejects wrong action lengths and non-finite values, and clips at both bounds', async () => {
    const env = await Env.make(name);
    const clipped = await Env.make(name);
    try {
      env.reset({ seed: 3 });
      expect(() => env.step([0, 0, 0])).toThrow(`task '${name}' expects an action of length 4, got 3`);
      expect(() => env.step([0, 0, 0, 0, 0])).toThrow(/expects an action of length 4, got 5/);
      for (const bad of [Number.NaN, Infinity, -Infinity]) expect(() => env.step([0, bad, 0, 0])).toThrow(`action[1] is ${bad}`);
      for (const [huge, bound] of [
        [[1e6, -1e6, 7, -3], [1, -1, 1, -1]],
        [[-50, 50, -2, 9], [-1, 1, -1, 1]],
      ]) {
        env.reset({ seed: 3 });
        clipped.reset({ seed: 3 });
        expect(Array.from(env.step(huge!).obs.state)).toEqual(Array.from(clipped.step(bound!).obs.state));
      }
    } finally {
      env.close();
      clipped.close();
    }
  });

  it('stays finite with every free object on or above the table under 480 random steps', async () => {
    const env = await Env.make(name);
    try {
      const { model, data, mj } = env.physics;
      const freeBodies: number[] = [];
      for (let j = 0; j < model.njnt; j++) if ((model.jnt_type as Int32Array)[j] === mj.mjtJoint.mjJNT_FREE.value) freeBodies.push((model.jnt_bodyid as Int32Array)[j]!);
      const rng = new Rng(5);
      env.reset({ seed: 5 });
      let action = [0, 0, 0, 0];
      for (let t = 0; t < 480; t++) {
        // Held for 20 steps at a time, so the hand travels far, presses into fixtures and grasps at random.
        if (t % 20 === 0) action = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
        const { obs } = env.step(action);
        expect(obs.state.every(Number.isFinite)).toBe(true);
      }
      for (const b of freeBodies) expect((data.xpos as Float64Array)[3 * b + 2]).toBeGreaterThan(-0.01);
      expect(Math.max(...Array.from(data.qvel as Float64Array).map(Math.abs))).toBeLessThan(50);
    } finally {
      env.close();
    }
  });
});

it('an unknown task lists every MetaWorld task', async () => {
  const err = (await Env.make('pick-and-place-please').catch((e: unknown) => e)) as Error;
  for (const task of TASKS) expect(err.message).toContain(task);
});
