/**
 * Evaluation rollouts on the score task (reward = the action) with a policy that plays each episode's own proprio
 * value u as its action: every episode's return, success and score follow from its reset seed alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env } from '../src/envs/env.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { LocalVectorEnv } from '../src/envs/vector_env.js';
import { evaluateEpisodes, type RolloutOptions } from '../src/eval/rollout.js';
import type { BcPolicy, PolicySpec } from '../src/policies/policy.js';
import { observationLook } from '../src/protocol/render_settings.js';
import { Rng } from '../src/util/rng.js';
import { leftRedEncoder } from './helpers/fake_encoders.js';
import { SUCCESS_LEVEL, scoreTask } from './fixtures/score_task.js';

/** Acts u, the episode's proprio; records what it was given. */
class EchoPolicy implements BcPolicy {
  readonly calls: { features: Float32Array; proprio: number[]; n: number }[] = [];
  constructor(readonly spec: PolicySpec) {}
  async trainEpoch(): Promise<number> {
    return 0;
  }
  predict(features: Float32Array, proprio: Float32Array, n: number): Float32Array {
    this.calls.push({ features: features.slice(), proprio: Array.from(proprio), n });
    return proprio.slice();
  }
  async dispose(): Promise<void> {}
}

const uOf = (seed: number): number => Math.fround(new Rng(seed).uniform(0, 1));
const SEEDS = [11, 12, 13, 14, 15];
const HORIZON = 7;

const envs: Env[] = [];
/** The definition each env was made from (the rollout scores episodes by it). */
const definitionOf = new Map<Env, TaskDefinition>();
afterAll(() => envs.forEach((e) => e.close()));
async function makeEnvs(task: TaskDefinition, n: number): Promise<Env[]> {
  const made = await Promise.all(Array.from({ length: n }, () => Env.make(task)));
  envs.push(...made);
  for (const env of made) definitionOf.set(env, task);
  return made;
}

const encoder = leftRedEncoder(0);
const spec: PolicySpec = { head: 'mlp', featureDim: 3 * encoder.info.pooledDim, proprioDim: 1, actionDim: 1 };
/** Options of a rollout on `runEnvs` (on this thread), scored as the first env's task. */
const options = (runEnvs: Env[], policy: BcPolicy, extra: Partial<RolloutOptions> = {}): RolloutOptions => ({
  envs: new LocalVectorEnv(runEnvs),
  task: definitionOf.get(runEnvs[0]!)!,
  encoder,
  policy,
  kind: 'pooled',
  precision: 'float16',
  seeds: SEEDS,
  horizon: HORIZON,
  render: { imageSize: 64, camera: 'fixed', ...observationLook(64) },
  ...extra,
});

describe('evaluateEpisodes', () => {
  let dmcEnvs: Env[];
  beforeAll(async () => {
    dmcEnvs = await makeEnvs(scoreTask({ name: 'rollout-dmc', family: 'dmc', scale: 1 }), 2);
  });

  it('plays every seed for the horizon, in waves of the envs given, and reports per seed in seed order', async () => {
    const policy = new EchoPolicy(spec);
    const outcomes = await evaluateEpisodes(options(dmcEnvs, policy));
    // Waves of 2, 2 and 1 episodes, 7 steps each.
    expect(policy.calls.map((c) => c.n)).toEqual([...new Array(14).fill(2), ...new Array(7).fill(1)]);
    expect(policy.calls[0]!.proprio).toEqual([uOf(11), uOf(12)]);
    expect(policy.calls[14]!.proprio).toEqual([uOf(15)]);
    outcomes.forEach((o, i) => {
      const u = uOf(SEEDS[i]!);
      expect(o.seed).toBe(SEEDS[i]);
      expect(o.steps).toBe(HORIZON);
      expect(o.episodeReturn).toBeCloseTo(HORIZON * u, 12);
      expect(o.successAtLastStep).toBe(u >= SUCCESS_LEVEL);
      expect(o.successSteps).toBe(u >= SUCCESS_LEVEL ? HORIZON : 0);
      // DMC: return scaled to the task's 1000 steps, / 10 = 100 x the mean reward.
      expect(o.score).toBeCloseTo(100 * u, 9);
    });
    expect(outcomes.some((o) => o.successAtLastStep) && outcomes.some((o) => !o.successAtLastStep)).toBe(true);
  });

  it('feeds FLARE-fused features [e(t-1) - e(t-2), e(t) - e(t-1), e(t)] with the history filled by e(0)', async () => {
    const policy = new EchoPolicy(spec);
    await evaluateEpisodes(options(dmcEnvs, policy, { seeds: [11], horizon: 3 }));
    const D = encoder.info.pooledDim;
    const [f0, f1, f2] = policy.calls.map((c) => Array.from(c.features));
    const e = (f: number[]): number[] => f.slice(2 * D);
    expect(f0!.slice(0, 2 * D)).toEqual(new Array(2 * D).fill(0));
    expect(e(f0!)[0]).toBeGreaterThan(0);
    const diff = (a: number[], b: number[]): number[] => a.map((v, i) => Math.fround(v - b[i]!));
    expect(f1!.slice(D, 2 * D)).toEqual(diff(e(f1!), e(f0!)));
    expect(f1!.slice(0, D)).toEqual(new Array(D).fill(0));
    expect(f2!.slice(0, D)).toEqual(diff(e(f1!), e(f0!)));
    // The ball moves, so the frames (and features) change.
    expect(e(f2!)[0]).not.toBe(e(f0!)[0]);
  });

  it('stops an episode where the task terminates it; the others go on', async () => {
    const [env] = await makeEnvs(scoreTask({ name: 'rollout-stop', family: 'dmc', scale: 1, terminateAfter: 3 }), 1);
    const policy = new EchoPolicy(spec);
    const outcomes = await evaluateEpisodes(options([env!, dmcEnvs[0]!], policy, { seeds: [11, 12] }));
    expect(outcomes.map((o) => o.steps)).toEqual([3, HORIZON]);
    expect(outcomes[0]!.episodeReturn).toBeCloseTo(3 * uOf(11), 12);
    expect(policy.calls.map((c) => c.n)).toEqual([2, 2, 2, 1, 1, 1, 1]);
  });

  it('scores MetaWorld by success at the last step and Adroit by more than goalSteps successful steps', async () => {
    const policy = new EchoPolicy(spec);
    const metaworld = await evaluateEpisodes(options(await makeEnvs(scoreTask({ name: 'rollout-mw', family: 'metaworld', scale: 1 }), 2), policy));
    expect(metaworld.map((o) => o.score)).toEqual(SEEDS.map((s) => (uOf(s) >= SUCCESS_LEVEL ? 100 : 0)));
    for (const [goalSteps, reached] of [
      [HORIZON - 1, true],
      [HORIZON, false],
    ] as const) {
      const adroit = await evaluateEpisodes(options(await makeEnvs(scoreTask({ name: 'rollout-adroit', family: 'adroit', scale: 1, goalSteps }), 2), policy));
      expect(adroit.map((o) => o.score), `goalSteps ${goalSteps}`).toEqual(SEEDS.map((s) => (reached && uOf(s) >= SUCCESS_LEVEL ? 100 : 0)));
    }
  });

  it('runs a wave in groups that take turns on the encoder and policy, with the episodes of one group', async () => {
    const fourEnvs = await makeEnvs(scoreTask({ name: 'rollout-groups', family: 'dmc', scale: 1 }), 4);
    const serial = await evaluateEpisodes(options(fourEnvs, new EchoPolicy(spec)));
    const policy = new EchoPolicy(spec);
    expect(await evaluateEpisodes(options(fourEnvs, policy, { groups: 2 }))).toEqual(serial);
    // A wave of 4 episodes in groups of 2 taking turns (seeds 11, 12 | 13, 14), then the fifth episode alone.
    expect(policy.calls.map((c) => c.n)).toEqual([...new Array(14).fill(2), ...new Array(7).fill(1)]);
    expect(policy.calls.slice(0, 4).map((c) => c.proprio)).toEqual([[uOf(11), uOf(12)], [uOf(13), uOf(14)], [uOf(11), uOf(12)], [uOf(13), uOf(14)]]);
    await expect(evaluateEpisodes(options(fourEnvs, policy, { groups: 0 }))).rejects.toThrow('groups must be a positive integer, got 0');
  });

  it('stops every group at the first error in one of them and throws that error', async () => {
    const twoEnvs = dmcEnvs;
    let calls = 0;
    const failing = { ...encoder, encode: async (frames: Parameters<typeof encoder.encode>[0]) => {
      if (++calls === 3) throw new Error('encoder broke');
      return encoder.encode(frames);
    } };
    await expect(evaluateEpisodes(options(twoEnvs, new EchoPolicy(spec), { encoder: failing, groups: 2 }))).rejects.toThrow('encoder broke');
    // The other group did not take its next turn.
    expect(calls).toBe(3);
  });

  it('stops when aborted, and needs an env', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop here'));
    await expect(evaluateEpisodes(options(dmcEnvs, new EchoPolicy(spec), { signal: controller.signal }))).rejects.toThrow('stop here');
    expect(() => new LocalVectorEnv([])).toThrow('needs at least one env');
  });
});
