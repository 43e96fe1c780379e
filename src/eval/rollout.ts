/**
 * Evaluation rollouts: several environments stepped together (a VectorEnv, on this thread or on worker threads:
 * the same numbers). Per policy step: encode every running env's frame in ONE batched encoder call, fuse each
 * env's frame history online, predict all actions at once (deterministic, BatchNorm in inference mode), step every
 * env and render its next frame in one VectorEnv call.
 */
import type { Encoder, FrameBatch } from '../encoders/encoder.js';
import type { SceneVariant } from '../envs/factors/variant.js';
import type { TaskDefinition } from '../envs/task.js';
import type { VectorEnv } from '../envs/vector_env.js';
import { episodeScore } from '../envs/families.js';
import { fitsHalf, roundToHalf } from '../data/float16.js';
import { checkFinite, selectFeatures, type FeatureKind, type FeaturePrecision } from '../data/features.js';
import type { BcPolicy } from '../policies/policy.js';
import { FlareHistory } from '../policies/flare.js';
import { frameOptions, type RenderSettings } from '../protocol/render_settings.js';

export interface RolloutOptions {
  /** One sub-env per episode run in parallel (all of `task`); episodes run in waves of envs.size. */
  envs: VectorEnv;
  task: TaskDefinition;
  encoder: Encoder;
  policy: BcPolicy;
  kind: FeatureKind;
  /** The precision the training features were stored in; online features are rounded the same way. */
  precision: FeaturePrecision;
  /** Reset seed of every evaluation episode. */
  seeds: readonly number[];
  /** The scene of every episode (parallel to `seeds`); each env's own default scene when omitted. */
  variants?: readonly SceneVariant[];
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
  const { envs, seeds, variants } = options;
  if (variants && variants.length !== seeds.length) throw new Error(`evaluateEpisodes: ${seeds.length} seeds but ${variants.length} scene variants`);
  const outcomes: EpisodeOutcome[] = [];
  for (let start = 0; start < seeds.length; start += envs.size) {
    const end = start + envs.size;
    outcomes.push(...(await runWave(options, seeds.slice(start, end), variants?.slice(start, end))));
  }
  return outcomes;
}

/** Episodes `seeds` (in scenes `variants`) on sub-envs 0..seeds.length-1 of `options.envs`. */
async function runWave(options: RolloutOptions, seeds: readonly number[], variants: readonly SceneVariant[] | undefined): Promise<EpisodeOutcome[]> {
  const { envs, task, encoder, policy, kind, horizon } = options;
  const { imageSize } = options.render;
  const frame = frameOptions(options.render);
  const n = seeds.length;
  const frameBytes = imageSize * imageSize * 3;
  const proprioDim = policy.spec.proprioDim;
  const returns = new Float64Array(n);
  const successSteps = new Int32Array(n);
  const steps = new Int32Array(n);
  let history: FlareHistory | null = null;

  const first = await envs.reset(seeds, frame, variants);
  const proprio = first.proprio;
  const success = first.success;
  /** Sub-envs still running, and their current frames [active, H, W, 3] in that order. */
  let active = [...seeds.keys()];
  let frameData = first.frames;

  for (let t = 0; t < horizon && active.length > 0; t++) {
    options.signal?.throwIfAborted();
    const frames: FrameBatch = { data: frameData, n: active.length, height: imageSize, width: imageSize };
    const encoded = await encoder.encode(frames, { spatial: kind === 'spatial' });
    const values = selectFeatures(encoded, encoder, kind, active.length).slice();
    const W = values.length / active.length;
    checkFinite(values, W, encoder, (row) => `evaluation episode seed ${seeds[active[row]!]} step ${t} of task '${task.name}'`);
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
    // The frames after this step are only needed when another step follows.
    const result = await envs.step(active, actions, t + 1 < horizon ? frame : null);
    const running: number[] = [];
    const kept: number[] = [];
    active.forEach((i, k) => {
      returns[i] += result.reward[k]!;
      success[i] = result.success[k]!;
      if (result.success[k]) successSteps[i]++;
      proprio[i] = result.proprio[k]!;
      steps[i] = t + 1;
      if (!result.terminated[k] && !result.truncated[k]) {
        running.push(i);
        kept.push(k);
      }
    });
    if (kept.length < active.length && result.frames.length > 0) {
      const next = new Uint8Array(kept.length * frameBytes);
      kept.forEach((k, r) => next.set(result.frames.subarray(k * frameBytes, (k + 1) * frameBytes), r * frameBytes));
      frameData = next;
    } else {
      frameData = result.frames;
    }
    active = running;
  }
  return seeds.map((seed, i) => {
    const tally = { episodeReturn: returns[i]!, successAtLastStep: success[i]!, successSteps: successSteps[i]! };
    return { seed, ...tally, steps: steps[i]!, score: episodeScore(task, tally, horizon) };
  });
}
