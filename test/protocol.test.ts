/**
 * Run planning and the protocol's numbers against hand-written expectations: the paper profile against
 * CortexBench's protocol (cortexbench.md), what a task runs with under a profile, the printed profile line, the
 * fixed seeds, and the cell plan with its shards.
 */
import { describe, expect, it } from 'vitest';
import { describeProfile, evaluationEpochs, getProfile, taskProtocol, type Profile } from '../src/protocol/profiles.js';
import { DEMO_BASE_SEED, EVAL_SEED_BASE, epochSeed, evaluationSeeds } from '../src/protocol/seeds.js';
import { observationLook } from '../src/protocol/render_settings.js';
import { planCells } from '../src/run/plan.js';

describe('profiles', () => {
  it('paper is the CortexBench protocol: 100 epochs of batch 256, evaluation every 5, 256 px frames, seeds 100/200/300', () => {
    const paper = getProfile('paper');
    expect(paper).toMatchObject({ name: 'paper', epochs: 100, evalEvery: 5, imageSize: 256, batchSize: 256, seeds: [100, 200, 300], convHeadForTheia: true, tasks: {} });
    expect(paper.families).toEqual({
      dmc: { demos: 100, evalEpisodes: 10, horizon: null },
      metaworld: { demos: 25, evalEpisodes: 25, horizon: null },
      adroit: { demos: 100, evalEpisodes: 25, horizon: null },
    });
  });

  it('hands out copies: changing one does not change the next', () => {
    const a = getProfile('quick');
    a.families.dmc.demos = 1;
    a.seeds.push(7);
    expect(getProfile('quick').families.dmc.demos).toBe(100);
    expect(getProfile('quick').seeds).toEqual([100]);
  });

  const profile: Profile = {
    ...getProfile('smoke'),
    families: {
      dmc: { demos: 3, evalEpisodes: 4, horizon: 50 },
      metaworld: { demos: 5, evalEpisodes: 6, horizon: null },
      adroit: { demos: 7, evalEpisodes: 8, horizon: 2000 },
    },
    tasks: { special: { demos: 9, horizon: 20 } },
    imageSize: 80,
  };

  it('gives a task its family settings, the per-task exceptions, the horizon capped at the task\'s and the render settings', () => {
    expect(taskProtocol(profile, { name: 'plain', family: 'dmc', horizon: 1000, defaultCamera: 'side' })).toEqual({
      demos: 3,
      evalEpisodes: 4,
      horizon: 50,
      render: { imageSize: 80, camera: 'side', supersample: 4, textureFilter: 'linear' },
      demoExperts: 'task',
    });
    // The paper profile records planner tasks' demos with a distilled student where it keeps the expert's bar.
    expect(taskProtocol(getProfile('paper'), { name: 'plain', family: 'dmc', horizon: 1000, defaultCamera: 'side' }).demoExperts).toBe('distilled');
    expect(taskProtocol(profile, { name: 'special', family: 'dmc', horizon: 1000, defaultCamera: 'side' })).toMatchObject({ demos: 9, evalEpisodes: 4, horizon: 20 });
    // null: the task's own horizon; longer than the task's: the task's.
    expect(taskProtocol(profile, { name: 'plain', family: 'metaworld', horizon: 500, defaultCamera: 'top_cap2' })).toMatchObject({ demos: 5, evalEpisodes: 6, horizon: 500 });
    expect(taskProtocol(profile, { name: 'plain', family: 'adroit', horizon: 200, defaultCamera: 'fixed' })).toMatchObject({ horizon: 200 });
    expect(taskProtocol(profile, { name: 'special', family: 'adroit', horizon: 10, defaultCamera: 'fixed' })).toMatchObject({ demos: 9, horizon: 10 });
  });

  it('renders frames below 96 px with 4 samples per pixel, larger ones with one, both with linear filtering', () => {
    expect([64, 95, 96, 256].map((size) => observationLook(size))).toEqual([
      { supersample: 4, textureFilter: 'linear' },
      { supersample: 4, textureFilter: 'linear' },
      { supersample: 1, textureFilter: 'linear' },
      { supersample: 1, textureFilter: 'linear' },
    ]);
  });

  it('evaluates every evalEvery epochs and after the last', () => {
    expect(evaluationEpochs(1, 1)).toEqual([1]);
    expect(evaluationEpochs(3, 1)).toEqual([1, 2, 3]);
    expect(evaluationEpochs(20, 20)).toEqual([20]);
    expect(evaluationEpochs(4, 10)).toEqual([4]);
    expect(evaluationEpochs(11, 5)).toEqual([5, 10, 11]);
    expect(evaluationEpochs(100, 5)).toEqual(Array.from({ length: 20 }, (_, i) => 5 * (i + 1)));
  });

  it('prints one line with every number a run uses', () => {
    expect(describeProfile(profile)).toBe(
      'profile smoke: dmc: 3 demos, 4 eval episodes, horizon 50; metaworld: 5 demos, 6 eval episodes, horizon task; ' +
        'adroit: 7 demos, 8 eval episodes, horizon 2000; special: demos:9,horizon:20; 4 epochs, eval every 2, image 80px, batch 64, policy init mjrl, seeds 100',
    );
    expect(describeProfile({ ...profile, tasks: {}, seeds: [1, 2] })).toMatch(/horizon 2000; 4 epochs, eval every 2, image 80px, batch 64, policy init mjrl, seeds 1,2$/);
    // Several task exceptions stay apart, each ended by '; '.
    const two = { ...profile, tasks: { special: { demos: 9 }, other: { evalEpisodes: 1 } } };
    expect(describeProfile(two)).toContain('horizon 2000; special: demos:9; other: evalEpisodes:1; 4 epochs');
  });

  it('refuses an unknown profile, listing the known ones', () => {
    expect(() => getProfile('fast')).toThrow("unknown profile 'fast'; expected one of: smoke, quick, paper");
  });
});

describe('seeds', () => {
  it('demos from base seed 0; evaluation from 1000 upwards, never a demo seed', () => {
    expect([DEMO_BASE_SEED, EVAL_SEED_BASE]).toEqual([0, 1000]);
    expect(evaluationSeeds(3, [])).toEqual([1000, 1001, 1002]);
    expect(evaluationSeeds(3, [5, 1001, 1002, 99999])).toEqual([1000, 1003, 1004]);
    expect(evaluationSeeds(2, [1000])).toEqual([1001, 1002]);
    expect(evaluationSeeds(0, [1000])).toEqual([]);
  });

  it('shuffles epoch e of policy seed s with (s * 100003 + e) mod 2^32', () => {
    expect(epochSeed(100, 1)).toBe(10_000_301);
    expect(epochSeed(0, 7)).toBe(7);
    // 2^31 * 100003 = 2^31 mod 2^32 (100003 is odd).
    expect(epochSeed(2 ** 31, 3)).toBe(2 ** 31 + 3);
    expect(epochSeed(4_294_967_295, 0)).toBe(4_294_967_296 - 100_003);
    expect(new Set([1, 2, 3].flatMap((s) => [1, 2, 3].map((e) => epochSeed(s, e)))).size).toBe(9);
  });
});

describe('cell plan', () => {
  it('orders cells task, then encoder, then seed', () => {
    expect(planCells(['t1', 't2'], ['e1', 'e2'], [5, 6]).map((c) => `${c.task}/${c.encoder}/${c.seed}`)).toEqual([
      't1/e1/5', 't1/e1/6', 't1/e2/5', 't1/e2/6', 't2/e1/5', 't2/e1/6', 't2/e2/5', 't2/e2/6',
    ]);
  });

  it('gives shard i of n the cells at positions i, i + n, ...', () => {
    const all = planCells(['a', 'b', 'c'], ['x'], [1, 2]);
    expect(planCells(['a', 'b', 'c'], ['x'], [1, 2], { index: 1, count: 4 })).toEqual([all[1], all[5]]);
    expect(planCells(['a', 'b', 'c'], ['x'], [1, 2], { index: 0, count: 1 })).toEqual(all);
  });

  it('refuses empty and repeated lists, naming them', () => {
    expect(() => planCells([], ['x'], [1])).toThrow('planCells: no tasks to run');
    expect(() => planCells(['a'], [], [1])).toThrow('planCells: no encoders to run');
    expect(() => planCells(['a'], ['x'], [])).toThrow('planCells: no seeds to run');
    expect(() => planCells(['a'], ['x', 'y', 'x'], [1])).toThrow("encoders: 'x' is listed twice");
    expect(() => planCells(['a'], ['x'], [3, 4, 3])).toThrow("seeds: '3' is listed twice");
  });
});
