/**
 * Factors in compiled scenes: texture, light and camera changes need no recompile, a rebuilding factor compiles
 * once per scene (not per episode), a reset puts back the compiled look, identical values replay bit-identically
 * across processes, different values change the pixels, placements move what they name, and out-of-range camera
 * poses keep the table in view; `bench render --factor` draws one tile per value.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import '../src/envs/index.js';
import { Env } from '../src/envs/env.js';
import { ExpertRollout } from '../src/envs/expert_rollout.js';
import { sceneVariant } from '../src/envs/factors/variant.js';
import { evaluationSet, trainingSet, variantForEpisode } from '../src/envs/factors/variant_sets.js';
import { objectId } from '../src/envs/named.js';
import { getTask } from '../src/envs/registry.js';
import { materialTexture } from '../src/envs/scene.js';

const envs: Env[] = [];
async function make(task: string, variant?: Parameters<typeof sceneVariant>[1]): Promise<Env> {
  const env = await Env.make(task, variant ? { variant: sceneVariant(getTask(task), variant) } : {});
  envs.push(env);
  return env;
}
afterAll(() => envs.forEach((e) => e.close()));

const frame = (env: Env, size = 64): Buffer => Buffer.from(env.render({ width: size, height: size }).rgb);

describe('reset-time factors', () => {
  it('swap textures, light and camera without a recompile: the model keeps its texture set', async () => {
    const def = getTask('button-press-topdown');
    const env = await make(def.name, { 'table-texture': 'train-wood-0' });
    const model = env.physics.model;
    const ntex = model.ntex;
    const pairs = trainingSet(def, ['table-texture', 'light'], 4, 1).variants;
    const frames = pairs.map((variant) => {
      env.reset({ seed: 3, variant });
      expect(materialTexture(env.physics, 'table')).toBe(variant.values['table-texture']);
      return frame(env);
    });
    const camera = trainingSet(def, ['camera'], 2, 1).variants;
    for (const variant of camera) env.reset({ seed: 3, variant });
    expect(env.rebuilds).toBe(0);
    expect(env.physics.model).toBe(model);
    expect(env.physics.model.ntex).toBe(ntex);
    expect(new Set(frames.map((f) => f.toString('base64'))).size).toBe(4);
  });

  it('a reset puts the compiled look back: no value outlives its episode', async () => {
    const env = await make('pick-place', { 'table-texture': 'train-wood-0' });
    const plain = sceneVariant(getTask('pick-place'), { 'floor-texture': 'train-dots-1' });
    env.reset({ seed: 5, variant: plain });
    const before = frame(env);
    env.reset({ seed: 5, variant: sceneVariant(getTask('pick-place'), { 'table-texture': 'test-marble-2', light: 0.2, camera: { azimuth: 120, inclination: 70, radius: 1.6 }, 'table-position': [0.02, 0.08, -0.05] }) });
    expect(frame(env).equals(before)).toBe(false);
    env.reset({ seed: 5, variant: plain });
    expect(frame(env).equals(before)).toBe(true);
  });

  it('placements move the table with everything on it, the object within its area and the hand start', async () => {
    const def = getTask('button-press-topdown');
    const env = await make(def.name);
    const box = objectId(env.physics, 'body', 'button_box');
    /** Button box position and tool centre after a reset in `values`. */
    const start = (values: Parameters<typeof sceneVariant>[1] = {}): { box: number[]; tcp: number[] } => {
      const { obs } = env.reset({ seed: 2, variant: sceneVariant(def, values) });
      return { box: Array.from((env.physics.data.xpos as Float64Array).slice(3 * box, 3 * box + 3)), tcp: Array.from(obs.proprio.slice(0, 3)) };
    };
    const base = start();
    const shifted = start({ 'table-position': [0.02, -0.05, -0.06] });
    [0.02, -0.05, -0.06].forEach((d, i) => expect(shifted.box[i]! - base.box[i]!).toBeCloseTo(d, 9));
    [0.02, -0.05, -0.06].forEach((d, i) => expect(shifted.tcp[i]! - base.tcp[i]!).toBeCloseTo(d, 3));
    const table = objectId(env.physics, 'body', 'table');
    expect(Array.from((env.physics.model.body_pos as Float64Array).slice(3 * table, 3 * table + 3))).toEqual([0.02, -0.05, -0.06]);
    const moved = start({ 'object-position': [0.9, 0.05] });
    expect(moved.box[0]).toBeCloseTo(0.35, 9); // clamped to the object area
    expect(moved.box[1]! - base.box[1]!).toBeCloseTo(0.05, 9);
    const reached = start({ 'arm-position': [0.1, 0.1, 0.05] });
    [0.1, 0.1, 0.05].forEach((d, i) => expect(reached.tcp[i]! - base.tcp[i]!).toBeCloseTo(d, 3));
    // And back: the table body rests at the origin again.
    start();
    expect(Array.from((env.physics.model.body_pos as Float64Array).slice(3 * table, 3 * table + 3))).toEqual([0, 0, 0]);
  });

  it('out-of-range camera poses keep the table in view', async () => {
    const def = getTask('pick-place');
    const env = await make(def.name);
    const table = objectId(env.physics, 'geom', 'table_top');
    for (const variant of evaluationSet(def, ['camera'], 1, 'out-of-range', 20).variants) {
      env.reset({ seed: 0, variant });
      const { segmentation } = env.render({ width: 64, height: 64, segmentation: true });
      const share = segmentation!.filter((g) => g === table).length / segmentation!.length;
      expect(share).toBeGreaterThan(0.2);
      // The camera aims at the table centre: the middle of the image is table (or what stands on it).
      expect(segmentation![32 * 64 + 32]).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('rebuilding factors', () => {
  it('rebuild once per scene, not per episode: a demo set of 3 values x 4 episodes compiles 3 models', async () => {
    const def = getTask('pick-place');
    for (const factor of ['distractors', 'object-size'] as const) {
      const set = trainingSet(def, [factor], 3, 4);
      const rollout = await ExpertRollout.create(def, set.variants[0]);
      try {
        for (let i = 0; i < 12; i++) rollout.episode(100 + i, { variant: variantForEpisode(set, i), maxSteps: 2 });
        expect(rollout.env.rebuilds).toBe(2);
        // Back to a scene it has: one more build, then none while the value stays.
        rollout.episode(7, { variant: set.variants[0], maxSteps: 2 });
        rollout.episode(8, { variant: set.variants[0], maxSteps: 2 });
        expect(rollout.env.rebuilds).toBe(3);
      } finally {
        rollout.close();
      }
    }
  });

  it('distractors are visual only: the expert plays the same states with and without them', async () => {
    const def = getTask('drawer-open');
    const plain = await ExpertRollout.create(def);
    const cluttered = await ExpertRollout.create(def, trainingSet(def, ['distractors'], 1, 1).variants[0]);
    try {
      const a = plain.episode(11, { maxSteps: 60 });
      const b = cluttered.episode(11, { maxSteps: 60 });
      expect(Buffer.from(b.states.buffer).equals(Buffer.from(a.states.buffer))).toBe(true);
    } finally {
      plain.close();
      cluttered.close();
    }
  });
});

describe('experts under placements', () => {
  it("door-open's expert opens the door from hand starts moved low and close to the door (it backs off before rising)", async () => {
    const def = getTask('door-open');
    const rollout = await ExpertRollout.create(def);
    try {
      // Hand shifts of the unseen arm-position split under which the expert once rose into the handle or the door.
      const cases: [number, [number, number, number]][] = [
        [699676022, [-0.202612, 0.341496, -0.010301]],
        [961392850, [-0.045354, 0.126523, -0.106195]],
        [3731170507, [-0.050864, 0.082997, -0.105458]],
      ];
      for (const [seed, hand] of cases) expect(rollout.episode(seed, { variant: sceneVariant(def, { 'arm-position': hand }) }).success).toBe(true);
    } finally {
      rollout.close();
    }
  });
});

/**
 * A child process: for each case (task, factor set, value index), expert steps in the scene of that training
 * value; prints one hash of states and pixels per case.
 */
const REPLAY_SCRIPT = `
import { createHash } from 'node:crypto';
import { getTask } from './src/envs/index.ts';
import { ExpertRollout } from './src/envs/expert_rollout.ts';
import { parseFactorSet, trainingSet } from './src/envs/factors/variant_sets.ts';
for (const spec of process.argv.slice(2)) {
  const [task, factors, index] = spec.split(':');
  const def = getTask(task);
  const variant = trainingSet(def, parseFactorSet(factors), Number(index) + 1, 1).variants[Number(index)];
  const rollout = await ExpertRollout.create(def, variant);
  const hash = createHash('sha256');
  const episode = rollout.episode(9, { maxSteps: 25, onState: (t) => { if (t % 5 === 0) hash.update(rollout.env.render({ width: 64, height: 64 }).rgb); } });
  hash.update(new Uint8Array(episode.states.buffer));
  console.log(hash.digest('hex'));
  rollout.close();
}
`;

describe('replay across processes', () => {
  it('identical factor values give bit-identical states and pixels in two processes; other values other pixels', () => {
    const script = join(process.cwd(), `.factor-replay-${process.pid}.mts`);
    try {
      writeFileSync(script, REPLAY_SCRIPT);
      const cases = ['pick-place:table-texture+camera', 'hammer:distractors+object-size', 'reacher-easy:colour+background'].flatMap((c) => [`${c}:1`, `${c}:0`]);
      const run = (): string[] => execFileSync(process.execPath, ['--import', 'tsx', script, ...cases], { encoding: 'utf8', cwd: process.cwd() }).trim().split('\n');
      const first = run();
      expect(first).toHaveLength(cases.length);
      for (const hash of first) expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(run()).toEqual(first);
      for (let i = 0; i < cases.length; i += 2) expect(first[i]).not.toBe(first[i + 1]);
    } finally {
      rmSync(script, { force: true });
    }
  });
});

describe('bench render --factor', () => {
  it('draws a contact sheet: tile i is the frame after reset in value i, row by row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-sheet-'));
    try {
      const out = join(dir, 'sheet.png');
      await main(['render', '--task', 'button-press-topdown', '--factor', 'table-texture', '--grid', '3x2', '--size', '64', '--seed', '4', '--out', out]);
      const png = PNG.sync.read(readFileSync(out));
      expect([png.width, png.height]).toEqual([192, 128]);
      const tile = (i: number): Buffer => {
        const rows: Buffer[] = [];
        for (let y = 0; y < 64; y++) {
          const start = ((Math.floor(i / 3) * 64 + y) * 192 + (i % 3) * 64) * 4;
          const rgba = png.data.subarray(start, start + 64 * 4);
          rows.push(Buffer.from(rgba.filter((_, j) => j % 4 !== 3)));
        }
        return Buffer.concat(rows);
      };
      const def = getTask('button-press-topdown');
      const values = trainingSet(def, ['table-texture'], 6, 1).variants;
      const env = await make(def.name);
      env.reset({ seed: 4, variant: values[4]! });
      expect(tile(4).equals(frame(env))).toBe(true);
      expect(new Set([0, 1, 2, 3, 4, 5].map((i) => tile(i).toString('base64'))).size).toBe(6);
      await expect(main(['render', '--task', 'button-press-topdown', '--factor', 'camera', '--grid', '9x9', '--out', out])).rejects.toThrow(/--grid must be CxR with 1 <= C x R <= 64/);
      await expect(main(['render', '--task', 'button-press-topdown', '--factor', 'camera', '--split', 'novel-assets', '--out', out])).rejects.toThrow(/factor 'camera' has no 'novel-assets' split/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
