/**
 * Evaluation rollouts (src/eval/rollout.ts) checked against themselves one episode at a time: several episodes
 * stepped together, some ending early, must feed the policy, row by row, exactly what each episode alone fed it
 * (features, FLARE fusion, proprio); plus float16 rounding, spatial tokens, the last step rendering nothing, and
 * the errors. (test/rollout.test.ts pins returns, successes and scores.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { roundToHalf } from '../src/data/float16.js';
import type { Encoder } from '../src/encoders/encoder.js';
import { Env } from '../src/envs/env.js';
import { canonicalSet, variantForEpisode } from '../src/envs/factors/variant_sets.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { LocalVectorEnv, type FrameRequest, type VectorEnv } from '../src/envs/vector_env.js';
import { evaluateEpisodes, type RolloutOptions } from '../src/eval/rollout.js';
import type { BcPolicy, PolicySpec } from '../src/policies/policy.js';
import { observationLook } from '../src/protocol/render_settings.js';
import { cellEncoder } from './helpers/fake_encoders.js';
import { scoreTask } from './fixtures/score_task.js';

const HORIZON = 5;
const normal = scoreTask({ name: 'units-normal', family: 'dmc', scale: 1 });
const stopping = scoreTask({ name: 'units-stop', family: 'dmc', scale: 1, terminateAfter: 2 });

/** Plays its proprio u; records every call's features and proprio rows. */
class EchoPolicy implements BcPolicy {
  readonly calls: { features: number[][]; proprio: number[] }[] = [];
  constructor(readonly spec: PolicySpec) {}
  async trainEpoch(): Promise<number> {
    return 0;
  }
  predict(features: Float32Array, proprio: Float32Array, n: number): Float32Array {
    const width = features.length / n;
    this.calls.push({ features: Array.from({ length: n }, (_, k) => Array.from(features.subarray(k * width, (k + 1) * width))), proprio: Array.from(proprio) });
    return proprio.slice();
  }
  async dispose(): Promise<void> {}
}

/** The sub-envs on this thread, recording whether each step asked for frames. */
class RecordingVectorEnv implements VectorEnv {
  readonly stepFrames: (FrameRequest | null)[] = [];
  readonly concurrent = false;
  constructor(private readonly inner: LocalVectorEnv) {}
  get size(): number {
    return this.inner.size;
  }
  reset(...args: Parameters<VectorEnv['reset']>) {
    return this.inner.reset(...args);
  }
  renderStates(...args: Parameters<VectorEnv['renderStates']>) {
    return this.inner.renderStates(...args);
  }
  step(indices: readonly number[], actions: Float32Array, frame: FrameRequest | null) {
    this.stepFrames.push(frame);
    return this.inner.step(indices, actions, frame);
  }
  async close(): Promise<void> {}
}

const made: Env[] = [];
afterAll(() => made.forEach((env) => env.close()));
async function envsOf(...tasks: TaskDefinition[]): Promise<RecordingVectorEnv> {
  const envs = await Promise.all(tasks.map((t) => Env.make(t)));
  made.push(...envs);
  return new RecordingVectorEnv(new LocalVectorEnv(envs));
}

const encoder = cellEncoder(2, 0);
async function rollout(envs: VectorEnv, seeds: number[], extra: Partial<RolloutOptions> = {}): Promise<EchoPolicy> {
  const kind = extra.kind ?? 'pooled';
  const width = kind === 'spatial' ? encoder.info.spatial!.tokens * encoder.info.spatial!.channels : encoder.info.pooledDim;
  const policy = new EchoPolicy({ head: 'mlp', featureDim: 3 * width, proprioDim: 1, actionDim: 1 });
  await evaluateEpisodes({
    envs,
    task: normal,
    encoder,
    policy,
    kind,
    precision: 'float32',
    seeds,
    horizon: HORIZON,
    render: { imageSize: 64, camera: 'fixed', ...observationLook(64) },
    ...extra,
  });
  return policy;
}

/** Per step, what the policy was given for one episode: [fused features, proprio]. */
type Trace = [number[], number][];
/** The trace of row `row` (the row of an env among the running ones) of every call. */
const traceOf = (policy: EchoPolicy, rowAt: (step: number) => number): Trace =>
  policy.calls.flatMap((call, t) => (rowAt(t) < 0 ? [] : [[call.features[rowAt(t)]!, call.proprio[rowAt(t)]!] as [number[], number]]));

describe('evaluateEpisodes, episodes together and alone', () => {
  it('feeds every running episode what it was fed alone, also after another episode ended', async () => {
    const alone: Trace[] = [];
    alone.push(traceOf(await rollout(await envsOf(stopping), [11]), () => 0));
    alone.push(traceOf(await rollout(await envsOf(normal), [12]), () => 0));
    alone.push(traceOf(await rollout(await envsOf(normal), [13]), () => 0));
    expect(alone.map((t) => t.length)).toEqual([2, HORIZON, HORIZON]);

    const together = await rollout(await envsOf(stopping, normal, normal), [11, 12, 13]);
    expect(together.calls.map((c) => c.features.length)).toEqual([3, 3, 2, 2, 2]);
    // Episode 0 runs 2 steps; from step 2 on, episodes 1 and 2 are rows 0 and 1.
    expect(traceOf(together, (t) => (t < 2 ? 0 : -1))).toEqual(alone[0]);
    expect(traceOf(together, (t) => (t < 2 ? 1 : 0))).toEqual(alone[1]);
    expect(traceOf(together, (t) => (t < 2 ? 2 : 1))).toEqual(alone[2]);
    // Different seeds: different proprio and (the ball starts elsewhere) different frames.
    expect(alone[1]![0]![1]).not.toBe(alone[2]![0]![1]);
    expect(alone[1]![0]![0]).not.toEqual(alone[2]![0]![0]);
  });

  it('plays waves of the envs given with the same rows as alone', async () => {
    const alone = traceOf(await rollout(await envsOf(normal), [13]), () => 0);
    const waves = await rollout(await envsOf(normal, normal), [11, 12, 13]);
    expect(waves.calls.map((c) => c.features.length)).toEqual([2, 2, 2, 2, 2, 1, 1, 1, 1, 1]);
    expect(traceOf(waves, (t) => (t >= HORIZON ? 0 : -1))).toEqual(alone);
  });

  it('ends when every episode has ended, before the horizon', async () => {
    const policy = await rollout(await envsOf(stopping, stopping), [11, 12]);
    expect(policy.calls).toHaveLength(2);
  });

  it('renders no frames after the last step', async () => {
    const envs = await envsOf(normal);
    await rollout(envs, [11]);
    expect(envs.stepFrames.map((f) => f !== null)).toEqual([true, true, true, true, false]);
  });
});

describe('evaluateEpisodes, features', () => {
  it('rounds online features to float16 when the training features were stored so, and only then', async () => {
    const full = traceOf(await rollout(await envsOf(normal), [11]), () => 0);
    const half = traceOf(await rollout(await envsOf(normal), [11], { precision: 'float16' }), () => 0);
    const D = encoder.info.pooledDim;
    // e(t), the last third of the fused row, is the encoder's output rounded to float16.
    half.forEach(([features], t) => expect(features.slice(2 * D)).toEqual(Array.from(roundToHalf(Float32Array.from(full[t]![0].slice(2 * D))))));
    expect(half.some(([features], t) => features.slice(2 * D).some((v, i) => v !== full[t]![0][2 * D + i]))).toBe(true);
  });

  it('feeds spatial tokens [T * C] when the kind is spatial', async () => {
    const policy = await rollout(await envsOf(normal), [11], { kind: 'spatial' });
    const pooled = traceOf(await rollout(await envsOf(normal), [11]), () => 0);
    const T = encoder.info.spatial!.tokens;
    // The encoder's tokens are (cell intensity, 0): the pooled values interleaved with zeros.
    policy.calls.forEach((call, t) => {
      const e = call.features[0]!.slice(2 * 2 * T);
      expect(e).toEqual(pooled[t]![0].slice(2 * T).flatMap((v) => [v, 0]));
    });
  });

  it('names the episode, step and task of a non-finite feature', async () => {
    const broken: Encoder = { ...encoder, encode: async (frames) => ({ pooled: new Float32Array(frames.n * 4).fill(Number.NaN) }) };
    await expect(rollout(await envsOf(normal), [11], { encoder: broken })).rejects.toThrow(/for evaluation episode seed 11 step 0 of task 'units-normal'/);
  });

  it('needs one scene variant per seed', async () => {
    const variant = variantForEpisode(canonicalSet(normal), 0);
    const given = traceOf(await rollout(await envsOf(normal), [11, 12], { variants: [variant, variant] }), (t) => (t < HORIZON ? 0 : -1));
    expect(given).toEqual(traceOf(await rollout(await envsOf(normal), [11, 12]), (t) => (t < HORIZON ? 0 : -1)));
    await expect(rollout(await envsOf(normal), [11, 12], { variants: [variant] })).rejects.toThrow('evaluateEpisodes: 2 seeds but 1 scene variants');
  });
});
