import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '../src/envs/index.js';
import { getTask } from '../src/envs/registry.js';
import { getProfile } from '../src/protocol/profiles.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import { estimateRun } from '../src/run/estimate.js';
import { runTask } from '../src/run/resolved.js';
import { estimateBenchmark } from '../src/run/runner.js';
import { tinyProfile } from './helpers/tiny_profile.js';

const scratch = mkdtempSync(join(tmpdir(), 'bench-estimate-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('run estimate', () => {
  it('multiplies measured stage costs out over the paper protocol', () => {
    const paper = getProfile('paper');
    // reacher-easy: 100 demos x 1000 steps, 10 evaluation episodes at 20 evaluation points (every 5 of 100 epochs).
    const tasks = [runTask(paper, getTask('reacher-easy'))];
    const estimate = estimateRun(
      paper,
      tasks,
      3,
      [{ task: 'reacher-easy', expertEpisodeStartSeconds: 0.5, expertStepSeconds: 0.002, stepSeconds: 0.001, renderSeconds: 0.01 }],
      [{ encoder: 'e', head: 'mlp', encodeSeconds: 0.1, trainSampleSeconds: 0.0001 }],
    );
    const demoFrames = 100 * 1000;
    const evalSteps = 20 * 10 * 1000 * 3;
    expect(estimate.cells).toBe(3);
    expect(estimate.expertSteps).toBe(demoFrames);
    expect(estimate.demoSeconds).toBeCloseTo(100 * 0.5 + demoFrames * 0.002, 6);
    const [e] = estimate.encoders;
    expect(e!.demoFrames).toBe(demoFrames);
    expect(e!.policyStepsToEvaluate).toBe(evalSteps);
    expect(e!.framesToEncode).toBe(demoFrames + evalSteps);
    expect(e!.trainSamples).toBe(3 * 100 * demoFrames);
    expect(e!.seconds.features).toBeCloseTo(demoFrames * 0.11, 6);
    expect(e!.seconds.train).toBeCloseTo(3 * 100 * demoFrames * 0.0001, 6);
    expect(e!.seconds.eval).toBeCloseTo(evalSteps * 0.111, 6);
    expect(e!.encoderHoursAt100ImagesPerSecond).toBeCloseTo((demoFrames + evalSteps) / 100 / 3600, 9);
    expect(estimate.totalHours).toBeCloseTo((100 * 0.5 + demoFrames * 0.002 + demoFrames * 0.11 + 3 * 100 * demoFrames * 0.0001 + evalSteps * 0.111) / 3600, 6);
    expect(() => estimateRun(paper, tasks, 1, [], [])).toThrow(/no measured costs for task 'reacher-easy'/);
  });

  it('counts the demo steps a run records: the profile horizon, not the task horizon', () => {
    const quick = getProfile('quick');
    const task = runTask(quick, getTask('walker-walk'));
    expect(task.protocol.horizon).toBeLessThan(task.definition.horizon);
    const estimate = estimateRun(
      quick,
      [task],
      1,
      [{ task: 'walker-walk', expertEpisodeStartSeconds: 0.1, expertStepSeconds: 0.04, stepSeconds: 0.001, renderSeconds: 0.01 }],
      [{ encoder: 'e', head: 'mlp', encodeSeconds: 0.01, trainSampleSeconds: 0.0001 }],
    );
    const { demos, horizon } = task.protocol;
    expect(estimate.expertSteps).toBe(demos * horizon);
    expect(estimate.demoSeconds).toBeCloseTo(demos * (0.1 + horizon * 0.04), 6);
    expect(estimate.encoders[0]!.demoFrames).toBe(demos * horizon);
  });

  it('bench run --dry-run measures every stage and writes nothing', async () => {
    const out = join(scratch, 'never-written');
    const cacheDir = join(scratch, 'cache');
    const lines: string[] = [];
    const estimate = await estimateBenchmark({
      benchmark: 'cortexbench',
      tasks: ['reacher-easy'],
      encoders: ['pixels'],
      profile: tinyProfile({ seeds: [100, 200] }),
      out,
      cacheDir,
      quiet: true,
      log: (line) => lines.push(line),
      deps: defaultRunDependencies(),
    });
    expect(estimate.cells).toBe(2);
    // 2 demos x 20 steps; 2 evaluation points x 2 episodes x 20 steps x 2 seeds.
    expect(estimate.encoders[0]!.framesToEncode).toBe(40 + 160);
    expect(estimate.totalHours).toBeGreaterThan(0);
    const text = lines.join('\n');
    expect(text).toMatch(/reacher-easy: expert episode start [\d.]+ ms, expert step [\d.]+ ms, physics step [\d.]+ ms, frame [\d.]+ ms/);
    expect(text).toMatch(/pixels \(mlp head\): [\d.]+ images\/s, \d+ training samples\/s/);
    expect(text).toMatch(/pixels: 2 cells, 200 frames to encode \(40 demo frames, 160 policy steps to evaluate\)/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(cacheDir)).toBe(false);
  });
});
