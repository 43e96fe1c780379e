/**
 * One cell (src/run/cell.ts) with its slow pieces swapped for small ones: demos and features given in memory, a
 * stub policy that plays a known action per epoch, and evaluation on the score task (reward = scale x action), so
 * every score, the best epoch and the seeds follow from the epoch's action and the episode's reset seed alone.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoSet } from '../src/data/demos.js';
import type { DemoFeatures } from '../src/data/features.js';
import { parseEncoderSpec } from '../src/encoders/registry.js';
import { Env } from '../src/envs/env.js';
import type { DemoEpisode } from '../src/envs/expert_rollout.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { LocalVectorEnv } from '../src/envs/vector_env.js';
import { MemoryFrames } from '../src/policies/flare.js';
import type { BcDataset, BcPolicy, PolicySpec } from '../src/policies/policy.js';
import type { PolicyInit } from '../src/policies/init.js';
import type { PolicyEngine } from '../src/policies/training.js';
import type { RunConfig } from '../src/run/config.js';
import { runCell, type CellContext } from '../src/run/cell.js';
import { runTask, type ResolvedCell } from '../src/run/resolved.js';
import type { RunResources } from '../src/run/resources.js';
import { evaluationScenes, trainingScenes } from '../src/run/scenes.js';
import { Rng } from '../src/util/rng.js';
import { canonicalSet, variantForEpisode } from '../src/envs/factors/variant_sets.js';
import { cellEncoder, leftRedEncoder } from './helpers/fake_encoders.js';
import { tinyProfile } from './helpers/tiny_profile.js';
import { scoreTask } from './fixtures/score_task.js';

const SCALE = 0.8;
const task = scoreTask({ name: 'cell-score', family: 'dmc', scale: SCALE });
/** The action the stub policy plays after each epoch (1-based: ACTION[epoch - 1]); every value exact in float32. */
const ACTION = [0.125, 0.5, 0.25, 0.75, 0.375];
/** The mean loss the stub reports for each epoch. */
const LOSS = [0.9, 0.7, 0.5, 0.3, 0.1];
/** Demo episodes' reset seeds: 1001 is an evaluation seed, which evaluation must skip. */
const DEMO_SEEDS = [1001, 7];
/** Evaluation seeds: from 1000 up, without the demo seed 1001. */
const EVAL_SEEDS = [1000, 1002, 1003];

/** The proprio of an episode of the score task: its first draw, u ~ U(0, 1). */
const uOf = (seed: number): number => Math.fround(new Rng(seed).uniform(0, 1));
/** DMC metric of an episode holding action a * u: return / 10 on the task's 1000-step horizon = 100 * scale * a * u. */
const episodeScore = (action: number, seed: number): number => 100 * SCALE * Math.fround(action * uOf(seed));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Where a test aborts a cell: in the first training epoch, or at the first prediction (the first evaluation). */
type AbortPoint = 'training' | 'evaluation';

/** Plays ACTION[epoch - 1] x its proprio u; records how it was made, trained and released. */
class StubPolicy implements BcPolicy {
  epoch = 0;
  readonly trainedOn: { data: BcDataset; seed: number }[] = [];
  disposed = false;
  constructor(
    readonly spec: PolicySpec,
    readonly seed: number,
    readonly options: { batchSize: number; init: PolicyInit; engine: PolicyEngine },
    private readonly abort?: { controller: AbortController; during: AbortPoint },
  ) {}
  async trainEpoch(data: BcDataset, seed: number): Promise<number> {
    this.trainedOn.push({ data, seed });
    if (this.abort?.during === 'training') this.abort.controller.abort(new Error('stop'));
    return LOSS[this.epoch++]!;
  }
  predict(_features: Float32Array, proprio: Float32Array, n: number): Float32Array {
    if (this.abort?.during === 'evaluation') this.abort.controller.abort(new Error('stop'));
    return Float32Array.from({ length: n }, (_, i) => ACTION[this.epoch - 1]! * proprio[i]!);
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** A demo episode of `length` steps with actions `actions` (proprio = the step index). */
function demoEpisode(seed: number, actions: number[]): DemoEpisode {
  const length = actions.length;
  return {
    seed,
    variant: variantForEpisode(canonicalSet(task), 0),
    length,
    stateSize: 1,
    actionDim: 1,
    proprioDim: 1,
    states: new Float64Array(length),
    proprio: Float32Array.from(actions, (_, t) => t),
    actions: Float32Array.from(actions),
    rewards: new Float64Array(length),
    successes: new Uint8Array(length),
    episodeReturn: 0,
    success: false,
  };
}

const episodes = [demoEpisode(DEMO_SEEDS[0]!, [0.1, 0.2, 0.3]), demoEpisode(DEMO_SEEDS[1]!, [0.4, 0.5, 0.6])];
const encoder = leftRedEncoder(0);
const WIDTH = encoder.info.pooledDim;
const features: DemoFeatures = {
  kind: 'pooled',
  width: WIDTH,
  lengths: [3, 3],
  offsets: [0, 3],
  frames: new MemoryFrames(Float32Array.from({ length: 6 * WIDTH }, (_, i) => i / 10), WIDTH),
  precision: 'float32',
  cached: true,
  key: 'test-features',
};

const made: Env[] = [];
afterAll(() => made.forEach((env) => env.close()));

/** What the stub resources hand out, and how often. */
function stubResources(): Pick<RunResources, 'demos' | 'claimDemoSeconds' | 'features' | 'evalEnvsFor'> & { envCounts: number[] } {
  const envCounts: number[] = [];
  return {
    envCounts,
    demos: async () => ({ episodes }) as DemoSet,
    claimDemoSeconds: () => 1.5,
    features: async () => ({ features, seconds: 2.5 }),
    evalEnvsFor: async (definition: TaskDefinition, count: number) => {
      envCounts.push(count);
      const envs = await Promise.all(Array.from({ length: count }, () => Env.make(definition)));
      made.push(...envs);
      return { envs: new LocalVectorEnv(envs), release: () => undefined };
    },
  };
}

interface Setup {
  shuffleActions?: boolean;
  /** Evaluation splits and their episodes (the first is the one that picks the best epoch). */
  splits?: { split: 'seen' | 'unseen'; episodes: number }[];
  sweep?: boolean;
  /** The cell's signal is aborted (reason "stop") by the policy's first epoch or its first prediction. */
  abortDuring?: AbortPoint;
  /** The conv head on an encoder with a 2 x 2 token grid (the stub policy plays the same either way). */
  convHead?: boolean;
}

/** Runs the cell; `policies` receives the policy it builds (also when the cell throws). */
async function runStubCell(
  { shuffleActions = false, splits = [{ split: 'seen', episodes: 3 }], sweep = false, abortDuring, convHead = false }: Setup = {},
  policies: StubPolicy[] = [],
) {
  const profile = tinyProfile({ epochs: 5, evalEvery: 2 });
  const config: RunConfig = { benchmark: 'test-scores', profile, head: 'mlp', shuffleActions };
  const runTaskValue = runTask(profile, task);
  const canonical = evaluationScenes(task, runTaskValue.protocol, null, ['seen'], null)[0]!;
  const training = trainingScenes(task, runTaskValue.protocol, null, null);
  const cell: ResolvedCell = {
    task: runTaskValue,
    encoder: convHead
      ? { spec: parseEncoderSpec('pixels'), encoder: cellEncoder(2, 0), framePreprocessing: 'processor', head: 'conv', kind: 'pooled' }
      : { spec: parseEncoderSpec('pixels'), encoder, framePreprocessing: 'processor', head: 'mlp', kind: 'pooled' },
    seed: 3,
    training: sweep ? { ...training, factors: { factors: ['light'], k: 2 } } : training,
    evaluation: splits.map(({ split, episodes }) => ({ ...canonical, split, episodes, digest: `${split}-scenes` })),
  };
  const resources = stubResources();
  const controller = new AbortController();
  const log: string[] = [];
  const ctx: CellContext = {
    config,
    configDigest: 'config-digest',
    deps: {
      createPolicy: async (spec, seed, options) => {
        const policy = new StubPolicy(spec, seed, options, abortDuring && { controller, during: abortDuring });
        policies.push(policy);
        return policy;
      },
    } as Pick<CellContext['deps'], 'createPolicy'> as CellContext['deps'],
    // The cell uses these four; the rest of RunResources (caches, pools) is what it stands in for.
    resources: resources as unknown as RunResources,
    versions: { bench: 'b', mujoco: 'm', onnxruntime: 'o', tfjs: 't', tfjsBackend: 'cpu' },
    engine: 'tfjs',
    log: (line) => log.push(line),
    ...(abortDuring ? { signal: controller.signal } : {}),
  };
  const result = await runCell(ctx, cell);
  return { result, policy: policies[0]!, policies, resources, log, profile };
}

describe('one cell', () => {
  it('trains every epoch, evaluates every evalEvery epochs and at the last, and reports the best epoch', async () => {
    const { result, policy, resources, profile } = await runStubCell();
    expect(result.evaluations.map((e) => e.epoch)).toEqual([2, 4, 5]);
    for (const evaluation of result.evaluations) {
      const action = ACTION[evaluation.epoch - 1]!;
      const scores = EVAL_SEEDS.map((seed) => episodeScore(action, seed));
      expect(evaluation.episodeScores).toHaveLength(3);
      evaluation.episodeScores.forEach((s, i) => expect(s).toBeCloseTo(scores[i]!, 3));
      expect(evaluation.score).toBeCloseTo(mean(scores), 3);
      expect(evaluation.trainLoss).toBe(LOSS[evaluation.epoch - 1]);
    }
    // Epoch 4 plays the largest action: it is the best; the final score is epoch 5's.
    expect(result.bestEpoch).toBe(4);
    expect(result.bestScore).toBe(result.evaluations[1]!.score);
    expect(result.finalScore).toBe(result.evaluations[2]!.score);
    expect(result.evalEpisodes).toBe(3);
    expect(result.evalSeedBase).toBe(1000);
    expect(resources.envCounts).toEqual([3]);

    // The policy: built once for the cell's seed and profile, trained 5 epochs with the protocol's epoch seeds, released.
    expect(policy.spec).toEqual({ head: 'mlp', featureDim: 3 * WIDTH, proprioDim: 1, actionDim: 1 });
    expect(policy.seed).toBe(3);
    expect(policy.options).toEqual({ batchSize: profile.batchSize, init: profile.policyInit, engine: 'tfjs' });
    expect(policy.trainedOn.map((t) => t.seed)).toEqual([1, 2, 3, 4, 5].map((e) => 3 * 100_003 + e));
    expect(policy.disposed).toBe(true);
    // Trained on every demo step, actions in demo order.
    const data = policy.trainedOn[0]!.data;
    expect(data.count).toBe(6);
    expect(Array.from(data.actions)).toEqual(Array.from(Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6)));
  });

  it('records what the cell was: task, encoder, protocol, demos, versions and where the time went', async () => {
    const { result, profile } = await runStubCell();
    expect(result).toMatchObject({
      configDigest: 'config-digest',
      benchmark: 'test-scores',
      family: 'dmc',
      task: 'cell-score',
      taskVersion: 1,
      encoder: 'pixels',
      encoderDigest: 'fake-left-red',
      framePreprocessing: 'processor',
      seed: 3,
      profile: profile.name,
      head: 'mlp',
      policyInit: profile.policyInit,
      shuffleActions: false,
      metric: 'return/10 scaled to 1000 steps (horizon 20)',
      horizon: 20,
      demos: 2,
      epochs: 5,
      evalEvery: 2,
      imageSize: 64,
      batchSize: profile.batchSize,
      camera: 'fixed',
      featurePrecision: 'float32',
      versions: { bench: 'b', mujoco: 'm', onnxruntime: 'o', tfjs: 't', tfjsBackend: 'cpu' },
    });
    expect(result.scenes).toMatch(/^[0-9a-f]+$/);
    expect(result).not.toHaveProperty('sweep');
    const { demosSeconds, featuresSeconds, trainSeconds, evalSeconds, totalSeconds } = result.timings;
    expect([demosSeconds, featuresSeconds]).toEqual([1.5, 2.5]);
    expect(trainSeconds).toBeGreaterThanOrEqual(0);
    expect(evalSeconds).toBeGreaterThan(0);
    // The demos' time plus this cell's own stages (features came from memory here, so they add nothing).
    expect(totalSeconds).toBeGreaterThanOrEqual(demosSeconds + trainSeconds + evalSeconds);
    expect(totalSeconds).toBeLessThan(demosSeconds + 60);
  });

  it('logs each evaluation with its loss and score', async () => {
    const { result, log } = await runStubCell();
    expect(log).toHaveLength(3);
    expect(log[1]).toBe(`  cell-score pixels seed 3: epoch 4 loss 0.3000 score ${result.evaluations[1]!.score.toFixed(1)}`);
  });

  it('scores every split at the epoch the first split picked, each on the first of the same seeds', async () => {
    const { result, log } = await runStubCell({ sweep: true, splits: [{ split: 'seen', episodes: 3 }, { split: 'unseen', episodes: 2 }] });
    const splits = result.sweep!.splits;
    expect(result.sweep).toMatchObject({ factors: ['light'], k: 2 });
    expect(splits.map((s) => [s.split, s.scenes, s.evalEpisodes])).toEqual([
      ['seen', 'seen-scenes', 3],
      ['unseen', 'unseen-scenes', 2],
    ]);
    const unseen = splits[1]!;
    expect(unseen.evaluations.map((e) => e.epoch)).toEqual([2, 4, 5]);
    unseen.evaluations.forEach((e) => expect(e.score).toBeCloseTo(mean(EVAL_SEEDS.slice(0, 2).map((seed) => episodeScore(ACTION[e.epoch - 1]!, seed))), 3));
    expect(unseen.score).toBe(unseen.evaluations[1]!.score);
    expect(splits[0]!.score).toBe(result.bestScore);
    expect(result.evaluations).toEqual(splits[0]!.evaluations);
    expect(result.evalEpisodes).toBe(3);
    expect(log[0]).toMatch(/^ {2}cell-score light K=2 pixels seed 3: epoch 2 loss 0\.7000 score seen \d+\.\d, unseen \d+\.\d$/);
  });

  it('plays every split on the same seeds, all episodes on one set of envs (one env per episode)', async () => {
    const { resources, result } = await runStubCell({ splits: [{ split: 'seen', episodes: 2 }, { split: 'unseen', episodes: 4 }], sweep: true });
    expect(resources.envCounts).toEqual([6]);
    expect(result.evalEpisodes).toBe(2);
    expect(result.evalSeedBase).toBe(1000);
    expect(result.sweep!.splits[1]!.evaluations[0]!.episodeScores).toHaveLength(4);
  });

  it('trains the shuffled-actions control on the same samples with the actions permuted', async () => {
    const { policy, result } = await runStubCell({ shuffleActions: true });
    const actions = Array.from(policy.trainedOn[0]!.data.actions);
    const demoActions = Array.from(Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6));
    expect([...actions].sort()).toEqual(demoActions);
    expect(actions).not.toEqual(demoActions);
    expect(result.shuffleActions).toBe(true);
  });

  // Aborted in epoch 1, or in the evaluation after epoch 2 (stopped at its next step).
  it.each([
    ['training', 1],
    ['evaluation', 2],
  ] as const)('stops when aborted during %s and still releases the policy', async (during, epochsTrained) => {
    const policies: StubPolicy[] = [];
    await expect(runStubCell({ abortDuring: during }, policies)).rejects.toThrow('stop');
    expect(policies[0]!.trainedOn).toHaveLength(epochsTrained);
    expect(policies[0]!.disposed).toBe(true);
  });

  it("gives a conv head the encoder's token grid and channels", async () => {
    const { policy } = await runStubCell({ convHead: true });
    expect(policy.spec).toEqual({ head: 'conv', featureDim: 3 * 4, proprioDim: 1, actionDim: 1, tokens: { grid: 2, channels: 2 } });
  });
});
