/**
 * The environment core: compile errors, bad input, bounded memory over many resets, and determinism across
 * separate processes (same task + seed + actions -> identical states, rewards and pixels).
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Env, compilePhysics, getTask, listTasks, ModelCompileError } from '../src/envs/index.js';
import type { TaskDefinition } from '../src/envs/index.js';

const TASKS = listTasks('cortexbench').map((t) => t.name);

describe('MuJoCo layer', () => {
  it('names the task and quotes the compiler when MJCF is malformed', async () => {
    const bad = '<mujoco><worldbody><geom type="bogus" size="1"/></worldbody></mujoco>';
    const err = await compilePhysics('my-task', bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCompileError);
    expect((err as Error).message).toMatch(/task 'my-task'/);
    expect((err as Error).message).toMatch(/invalid keyword: 'bogus'/);
  });

  it('surfaces a broken task scene through Env.make', async () => {
    const broken: TaskDefinition = { ...getTask('reacher-easy'), name: 'broken-reacher', buildScene: () => '<mujoco><worldbody><body><geom/></worldbody></mujoco>' };
    await expect(Env.make(broken)).rejects.toThrow(/task 'broken-reacher': MJCF model does not compile: .*XML parse error/s);
  });

  // The WASM heap only grows (never shrinks), so leaked native objects show up as heap growth; JS garbage does not.
  const wasmHeapBytes = (env: Env): number => (env.physics.data.qpos as Float64Array).buffer.byteLength;

  it.each([
    ['reacher-easy', 5000],
    ['walker-walk', 1000],
    ['finger-spin', 1000],
  ] as const)('%s: does not grow the WASM heap over thousands of resets and steps', async (name, cycles) => {
    const env = await Env.make(name);
    try {
      const action = new Array(env.actionSpec.dim).fill(0.1);
      for (let i = 0; i < 200; i++) env.reset({ seed: i });
      const before = wasmHeapBytes(env);
      for (let i = 0; i < cycles; i++) {
        env.reset({ seed: i });
        env.step(action);
        env.physics.setState(env.physics.getState());
      }
      expect(wasmHeapBytes(env)).toBe(before);
    } finally {
      env.close();
    }
  });

  it('does not grow the WASM heap over hundreds of environments made and closed', async () => {
    const makeAndClose = async (): Promise<number> => {
      const env = await Env.make('button-press-topdown');
      env.reset({ seed: 1 });
      const bytes = wasmHeapBytes(env);
      env.close();
      return bytes;
    };
    for (let i = 0; i < 10; i++) await makeAndClose();
    const before = await makeAndClose();
    let after = before;
    // Each model + data takes megabytes, so a leaked pair per environment would grow the heap within a few dozen.
    for (let i = 0; i < 100; i++) after = await makeAndClose();
    expect(after).toBe(before);
  });
});

describe('Env input checks', () => {
  it.each(TASKS)('%s: rejects wrong action lengths and non-finite values, clips out-of-bound values', async (name) => {
    const env = await Env.make(name);
    try {
      env.reset({ seed: 3 });
      const dim = env.actionSpec.dim;
      expect(() => env.step(new Array(dim + 1).fill(0))).toThrow(`expects an action of length ${dim}, got ${dim + 1}`);
      const nan = new Array(dim).fill(0);
      nan[0] = Number.NaN;
      expect(() => env.step(nan)).toThrow(/action\[0\] is NaN/);
      expect(() => env.step(new Array(dim).fill(Number.POSITIVE_INFINITY))).toThrow(/action\[0\] is Infinity/);
      expect(() => env.step(new Array(dim).fill(Number.NEGATIVE_INFINITY))).toThrow(/action\[0\] is -Infinity/);
      // A huge action behaves exactly like the bound it is clipped to, at either end.
      const a = await Env.make(name);
      for (const [value, bound] of [[1e6, env.actionSpec.high], [-1e6, env.actionSpec.low]] as const) {
        a.reset({ seed: 3 });
        const huge = a.step(new Array(dim).fill(value)).obs.state;
        env.reset({ seed: 3 });
        expect(Array.from(huge)).toEqual(Array.from(env.step(Array.from(bound)).obs.state));
      }
      a.close();
    } finally {
      env.close();
    }
  });

  it('rejects an unknown camera, listing the cameras', async () => {
    await expect(Env.make('reacher-easy', { pixels: { width: 64, height: 64, camera: 'nope' } })).rejects.toThrow(
      /unknown camera 'nope' for task 'reacher-easy'; cameras: /,
    );
  });

  it('checks the pixel size against the renderer\'s range when the env is made', async () => {
    await expect(Env.make('reacher-easy', { pixels: { width: 32, height: 64 } })).rejects.toThrow(
      /pixels for task 'reacher-easy': width must be an integer in \[64, 512\], got 32/,
    );
    await expect(Env.make('reacher-easy', { pixels: { width: 64, height: 1024 } })).rejects.toThrow(/height must be an integer in \[64, 512\], got 1024/);
  });

  it('rejects an unknown task, listing the tasks', async () => {
    await expect(Env.make('reacher-hard-mode')).rejects.toThrow(/unknown task 'reacher-hard-mode'; known tasks: .*reacher-easy/);
  });

  it('requires reset before step', async () => {
    const env = await Env.make('reacher-easy');
    expect(() => env.step([0, 0])).toThrow(/call reset\(\) before stepping/);
    env.close();
  });
});

/**
 * Rolls `steps` seeded random actions on each task of a comma-separated list and prints one line per task: its name
 * and a hash of states, rewards and pixels (run in a child process).
 */
const ROLLOUT_SCRIPT = `
import { createHash } from 'node:crypto';
import { Env } from './src/envs/index.ts';
import { Rng } from './src/util/rng.ts';
const [tasks, seed, steps] = [process.argv[2].split(','), Number(process.argv[3]), Number(process.argv[4])];
for (const task of tasks) {
  const env = await Env.make(task, { pixels: { width: 64, height: 64 } });
  const rng = new Rng(seed + 1);
  const hash = createHash('sha256');
  let { obs } = env.reset({ seed });
  const add = (o) => { hash.update(new Uint8Array(o.state.buffer)); hash.update(o.pixels); };
  add(obs);
  for (let t = 0; t < steps; t++) {
    const action = Array.from({ length: env.actionSpec.dim }, () => rng.uniform(-1, 1));
    const r = env.step(action);
    add(r.obs);
    hash.update(new Uint8Array(new Float64Array([r.reward]).buffer));
    if (r.terminated) break; // a dropped pen ends its episode
  }
  env.close();
  console.log(task, hash.digest('hex'));
}
`;

describe('determinism across processes', () => {
  it('same task, seed and actions give identical states, rewards and pixels in two separate processes', () => {
    const script = join(process.cwd(), `.determinism-${process.pid}.mts`);
    const tasks = ['cheetah-run', 'drawer-open', 'walker-walk', 'finger-spin', 'pen', 'relocate'];
    try {
      writeFileSync(script, ROLLOUT_SCRIPT);
      const run = (seed: number): Map<string, string> => {
        const out = execFileSync(process.execPath, ['--import', 'tsx', script, tasks.join(','), String(seed), '40'], { encoding: 'utf8', cwd: process.cwd() });
        return new Map(out.trim().split('\n').map((line) => line.split(' ') as [string, string]));
      };
      const [first, again, other] = [run(7), run(7), run(8)];
      for (const task of tasks) {
        expect(first.get(task), task).toMatch(/^[0-9a-f]{64}$/);
        expect(again.get(task), task).toBe(first.get(task));
        expect(other.get(task), task).not.toBe(first.get(task));
      }
    } finally {
      rmSync(script, { force: true });
    }
  });
});
