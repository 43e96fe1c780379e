/**
 * Evaluation rollouts: several environments stepped together. Per policy step: render every running env's frame,
 * encode them in ONE batched encoder call, fuse each env's frame history online, predict all actions at once
 * (deterministic, BatchNorm in inference mode), step every env.
 */
import type { Encoder, FrameBatch } from '../encoders/encoder.js';
import type { Env } from '../envs/env.js';
import { episodeScore } from '../envs/families.js';
import { fitsHalf, roundToHalf } from '../data/float16.js';
import { checkFinite, selectFeatures, type FeatureKind, type FeaturePrecision } from '../data/features.js';
import type { BcPolicy } from '../policies/policy.js';
import { FlareHistory } from '../policies/flare.js';
import { frameOptions, type RenderSettings } from '../protocol/render_settings.js';

export interface RolloutOptions {
  /** One env per episode run in parallel (all of the same task); episodes run in waves of envs.length. */
  envs: readonly Env[];
  encoder: Encoder;
  policy: BcPolicy;
  kind: FeatureKind;
  /** The precision the training features were stored in; online features are rounded the same way. */
  precision: FeaturePrecision;
  /** Reset seed of every evaluation episode. */
  seeds: readonly number[];
  /** Policy steps per episode (<= the task's horizon). */
  horizon: number;
  /** How frames are rendered (the same settings as the training frames). */
  render: RenderSettings;
  signal?: AbortSignal;
}

export interface EpisodeOutcome {
  seed: number;
  episodeReturn: number;
  successAtLastStep: boolean;
  /** Steps on which the task's success test held (Adroit scores count them). */
  successSteps: number;
  steps: number;
  /** The family metric of this episode (envs/families.ts). */
  score: number;
}

export async function evaluateEpisodes(options: RolloutOptions): Promise<EpisodeOutcome[]> {
  const { envs, seeds } = options;
  if (envs.length === 0) throw new Error('evaluateEpisodes: needs at least one env');
  const outcomes: EpisodeOutcome[] = [];
  for (let start = 0; start < seeds.length; start += envs.length) {
    const wave = seeds.slice(start, start + envs.length);
    outcomes.push(...(await runWave(options, envs.slice(0, wave.length), wave)));
  }
  return outcomes;
}

async function runWave(options: RolloutOptions, envs: readonly Env[], seeds: readonly number[]): Promise<EpisodeOutcome[]> {
  const { encoder, policy, kind, horizon } = options;
  const { imageSize } = options.render;
  const frame = frameOptions(options.render);
  const n = envs.length;
  const frameBytes = imageSize * imageSize * 3;
  const proprioDim = policy.spec.proprioDim;
  const returns = new Float64Array(n);
  const success = new Array<boolean>(n).fill(false);
  const successSteps = new Int32Array(n);
  const steps = new Int32Array(n);
  const done = new Array<boolean>(n).fill(false);
  const proprio: Float32Array[] = [];
  let history: FlareHistory | null = null;

  envs.forEach((env, i) => {
    const { obs, info } = env.reset({ seed: seeds[i]! });
    proprio.push(obs.proprio);
    success[i] = info.success;
  });

  for (let t = 0; t < horizon; t++) {
    options.signal?.throwIfAborted();
    const active = [...Array(n).keys()].filter((i) => !done[i]);
    if (active.length === 0) break;
    const frames: FrameBatch = { data: new Uint8Array(active.length * frameBytes), n: active.length, height: imageSize, width: imageSize };
    active.forEach((i, k) => frames.data.set(envs[i]!.render(frame).rgb, k * frameBytes));
    const encoded = await encoder.encode(frames, { spatial: kind === 'spatial' });
    const values = selectFeatures(encoded, encoder, kind, active.length).slice();
    const W = values.length / active.length;
    checkFinite(values, W, encoder, (row) => `evaluation episode seed ${seeds[active[row]!]} step ${t} of task '${envs[0]!.definition.name}'`);
    // The rounding of the cached training features (see data/features.ts); a frame beyond float16's range where
    // the demos were within it is fed unrounded rather than as infinity.
    if (options.precision === 'float16' && fitsHalf(values)) roundToHalf(values);
    history ??= new FlareHistory(n, W);
    const fused = new Float32Array(active.length * 3 * W);
    const proprioBatch = new Float32Array(active.length * proprioDim);
    active.forEach((i, k) => {
      history!.push(i, values, k * W, fused, k * 3 * W);
      proprioBatch.set(proprio[i]!, k * proprioDim);
    });
    const actions = policy.predict(fused, proprioBatch, active.length);
    const A = actions.length / active.length;
    active.forEach((i, k) => {
      const result = envs[i]!.step(actions.subarray(k * A, (k + 1) * A));
      returns[i] += result.reward;
      success[i] = result.info.success;
      if (result.info.success) successSteps[i]++;
      proprio[i] = result.obs.proprio;
      steps[i] = t + 1;
      if (result.terminated || result.truncated) done[i] = true;
    });
  }
  return seeds.map((seed, i) => {
    const tally = { episodeReturn: returns[i]!, successAtLastStep: success[i]!, successSteps: successSteps[i]! };
    return { seed, ...tally, steps: steps[i]!, score: episodeScore(envs[i]!.definition, tally, horizon) };
  });
}
