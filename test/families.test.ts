import { describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { FAMILIES, TASK_FAMILIES, episodeScore, episodeSucceeded, metricName } from '../src/envs/families.js';
import { listTasks, registerTask } from '../src/envs/registry.js';
import { describeProfile, getProfile, PROFILE_NAMES, taskProtocol, withOverrides } from '../src/protocol/profiles.js';
import { pointMassTask } from './fixtures/point_mass_task.js';

const tally = (episodeReturn: number, successAtLastStep: boolean, successSteps: number) => ({ episodeReturn, successAtLastStep, successSteps });

describe('task family table', () => {
  it('states the paper protocol per family', () => {
    expect(TASK_FAMILIES).toEqual(['dmc', 'metaworld', 'adroit']);
    expect(FAMILIES.dmc).toMatchObject({ metric: 'return', paperDemos: 100, paperEvalEpisodes: 10, theiaEvalEpisodes: 25, horizon: 1000 });
    expect(FAMILIES.metaworld).toMatchObject({ metric: 'last-step-success', paperDemos: 25, paperEvalEpisodes: 25, theiaEvalEpisodes: 25, horizon: 500 });
    expect(FAMILIES.adroit).toMatchObject({ metric: 'goal-steps', paperDemos: 100, paperEvalEpisodes: 25, theiaEvalEpisodes: 25, horizon: null });
    for (const task of listTasks()) {
      const horizon = FAMILIES[task.family].horizon;
      if (horizon !== null && task.benchmarks.includes('cortexbench')) expect(task.horizon, task.name).toBe(horizon);
    }
  });

  it('scores DMC by return / 10, scaled to the full horizon for shorter episodes', () => {
    const dmc = { family: 'dmc', horizon: 1000 } as const;
    expect(episodeScore(dmc, tally(500, false, 0))).toBe(50);
    expect(episodeScore(dmc, tally(25, false, 0), 50)).toBe(50);
    expect(metricName(dmc)).toBe('return/10');
    expect(metricName(dmc, 50)).toBe('return/10 scaled to 1000 steps (horizon 50)');
    expect(episodeSucceeded(dmc, tally(500, true, 0))).toBe(true);
  });

  it('scores MetaWorld by success at the last step only', () => {
    const mw = { family: 'metaworld', horizon: 500 } as const;
    expect(episodeScore(mw, tally(3, true, 1))).toBe(100);
    expect(episodeScore(mw, tally(3, false, 400), 100)).toBe(0);
    expect(metricName(mw, 100)).toBe('success at last step % (horizon 100)');
  });

  it('scores Adroit by the goal being reached on MORE than goalSteps steps', () => {
    const pen = { family: 'adroit', horizon: 100, goalSteps: 20 } as const;
    expect(episodeScore(pen, tally(0, false, 21))).toBe(100);
    expect(episodeScore(pen, tally(0, true, 20))).toBe(0);
    expect(episodeSucceeded(pen, tally(0, false, 21))).toBe(true);
    expect(metricName(pen)).toBe('success if goal reached on > 20 steps % (horizon 100)');
  });

  it('checks the protocol facts of a definition when it is registered', () => {
    expect(() => registerTask(pointMassTask({ name: 'fam-adroit-no-goal', family: 'adroit' }))).toThrow(
      /task 'fam-adroit-no-goal': Adroit tasks need goalSteps, an integer in \[0, horizon 40\)/,
    );
    expect(() => registerTask(pointMassTask({ name: 'fam-dmc-goal', goalSteps: 3 }))).toThrow(/goalSteps belongs to goal-step metrics only/);
    expect(() => registerTask({ ...pointMassTask({ name: 'fam-bad' }), family: 'robosuite' as 'dmc' })).toThrow(/unknown family 'robosuite'/);
    expect(() => registerTask(pointMassTask({ name: 'fam-zero-horizon', horizon: 0 }))).toThrow(/horizon must be an integer >= 1, got 0/);
  });

  it('every profile has settings for every family; the paper profile takes the table\'s numbers', () => {
    for (const name of PROFILE_NAMES) for (const family of TASK_FAMILIES) expect(getProfile(name).families[family], `${name}/${family}`).toBeDefined();
    const paper = getProfile('paper');
    for (const family of TASK_FAMILIES) {
      // horizon null in the profile: the task's own.
      expect(taskProtocol(paper, { name: 'x', family, horizon: 7, defaultCamera: 'c' })).toMatchObject({ demos: FAMILIES[family].paperDemos, evalEpisodes: FAMILIES[family].paperEvalEpisodes, horizon: 7 });
    }
    expect([paper.policyInit, paper.encoderPreprocessing]).toEqual(['mjrl', 'encoder-protocol']);
  });

  it("offers Theia's 25 evaluation episodes on every family and either policy init, recorded in the profile", () => {
    const theia = withOverrides(getProfile('paper'), { evalEpisodes: 25 });
    for (const family of TASK_FAMILIES) {
      expect(FAMILIES[family].theiaEvalEpisodes).toBe(25);
      expect(taskProtocol(theia, { name: 'x', family, horizon: 7, defaultCamera: 'c' }).evalEpisodes).toBe(25);
    }
    // A per-task exception of the profile gives way too (quick evaluates reacher-easy on 20 episodes).
    const quick = withOverrides(getProfile('quick'), { evalEpisodes: 3, policyInit: 'last-layer-0.01' });
    expect(taskProtocol(quick, { name: 'reacher-easy', family: 'dmc', horizon: 1000, defaultCamera: 'c' }).evalEpisodes).toBe(3);
    expect(quick.tasks['reacher-easy']).toBeUndefined();
    expect(quick.tasks['cheetah-run']).toEqual({ demos: 6 });
    expect(quick.policyInit).toBe('last-layer-0.01');
    expect(describeProfile(quick)).toMatch(/policy init last-layer-0.01/);
    expect(getProfile('quick').tasks['reacher-easy']).toEqual({ evalEpisodes: 20 });
    expect(() => withOverrides(getProfile('paper'), { evalEpisodes: 0 })).toThrow(/--eval-episodes: expected a positive integer, got 0/);
    expect(() => withOverrides(getProfile('paper'), { policyInit: 'xavier' })).toThrow(/--policy-init: expected one of mjrl, last-layer-0.01, got "xavier"/);
  });

  it('quick records the cortexbench demo frames and evaluation steps its measured run cost stands on', () => {
    // Pinned because the cold quick run's and its demos' time goals were measured on these counts
    // (src/protocol/profiles.ts): a change of demos or horizons must come with new measurements.
    const quick = getProfile('quick');
    const per = listTasks('cortexbench').map((task) => ({ task: task.name, ...taskProtocol(quick, task) }));
    const demos = Object.fromEntries(per.map((p) => [p.task, `${p.demos} x ${p.horizon}`]));
    expect(demos).toEqual({
      'reacher-easy': '100 x 50',
      'cheetah-run': '6 x 50',
      'walker-stand': '60 x 50',
      'walker-walk': '100 x 50',
      'finger-spin': '100 x 50',
      assembly: '50 x 150',
      'bin-picking': '50 x 150',
      'button-press-topdown': '25 x 100',
      'drawer-open': '25 x 100',
      hammer: '25 x 150',
      pen: '10 x 100',
      relocate: '25 x 200',
    });
    expect(per.reduce((sum, p) => sum + p.demos * p.horizon, 0)).toBe(48_050);
    expect(per.reduce((sum, p) => sum + p.evalEpisodes * p.horizon, 0)).toBe(12_500);
  });
});
