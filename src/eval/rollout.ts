/**
 * Evaluation rollouts: several environments stepped together (a VectorEnv, on this thread or on worker threads:
 * the same numbers). Per policy step: encode every running env's frame in ONE batched encoder call, fuse each
 * env's frame history online, predict all actions at once (deterministic, BatchNorm in inference mode), step every
 * env and render its next frame in one VectorEnv call.
 *
 * Pipelining: the episodes of a wave can run in groups (disjoint sub-envs) that take turns on this thread. While
 * one group's frames are encoded and its actions predicted, the other groups' envs step and render on the worker
 * threads, so encoder and simulator overlap instead of waiting for each other. Episodes are independent and each
 * frame's features do not depend on which others share its batch, so every episode's numbers are those of one
 * group (tested: serial, pipelined and worker runs give identical outcomes).
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
  /**
   * Groups of episodes per wave that take turns on this thread (see the header); default 2 when `envs` runs off
   * this thread (`concurrent`), else 1 (nothing to overlap).
   */
  groups?: number;
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
  const groups = options.groups ?? (envs.concurrent ? 2 : 1);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`evaluateEpisodes: groups must be a positive integer, got ${groups}`);
  const outcomes: EpisodeOutcome[] = [];
  for (let start = 0; start < seeds.length; start += envs.size) {
    const wave = [...seeds.slice(start, start + envs.size).keys()];
    outcomes.push(...(await runGroups(options, splitEvenly(wave, groups), start)));
  }
  return outcomes;
}

/** `items` in at most `count` contiguous parts of sizes differing by at most one (no empty part). */
export function splitEvenly<T>(items: readonly T[], count: number): T[][] {
  const parts = Math.min(count, items.length);
  return Array.from({ length: parts }, (_, p) => items.slice(Math.floor((p * items.length) / parts), Math.floor(((p + 1) * items.length) / parts)));
}

/**
 * One wave: group g runs episodes `offset + groups[g][k]` on sub-envs `groups[g][k]`, all groups at once, with the
 * encoder and policy calls one group at a time (`turns`). On an error every group stops before its next step and
 * the first error is thrown once none is still using the envs or the encoder.
 */
async function runGroups(options: RolloutOptions, groups: readonly (readonly number[])[], offset: number): Promise<EpisodeOutcome[]> {
  const stop = new AbortController();
  const signals = options.signal ? [options.signal, stop.signal] : [stop.signal];
  const turns = new Turns();
  const settled = await Promise.allSettled(
    groups.map((indices) =>
      runGroup({ ...options, signal: AbortSignal.any(signals) }, indices, offset, turns).catch((error: unknown) => {
        stop.abort(error);
        throw error;
      }),
    ),
  );
  // The first error (an interruption's reason included): the other groups stopped with it.
  if (stop.signal.aborted) throw stop.signal.reason;
  return settled.flatMap((s) => (s as PromiseFulfilledResult<EpisodeOutcome[]>).value);
}

/** Runs the main thread's part of one step at a time, in the order asked; after a failed turn none runs. */
class Turns {
  private last: Promise<unknown> = Promise.resolve();

  take<T>(work: () => Promise<T>): Promise<T> {
    // Chained on the previous turn's outcome: a rejection passes on to every later turn instead of running it.
    const result = this.last.then(work);
    this.last = result;
    return result;
  }
}

/** Episodes `offset + indices[k]` of `options.seeds` (and variants) on sub-envs `indices` of `options.envs`. */
async function runGroup(options: RolloutOptions, indices: readonly number[], offset: number, turns: Turns): Promise<EpisodeOutcome[]> {
  const { envs, task, encoder, policy, kind, horizon } = options;
  const { imageSize } = options.render;
  const frame = frameOptions(options.render);
  const seeds = indices.map((i) => options.seeds[offset + i]!);
  const variants = options.variants && indices.map((i) => options.variants![offset + i]!);
  const n = seeds.length;
  const frameBytes = imageSize * imageSize * 3;
  const proprioDim = policy.spec.proprioDim;
  const returns = new Float64Array(n);
  const successSteps = new Int32Array(n);
  const steps = new Int32Array(n);
  let history: FlareHistory | null = null;

  const first = await envs.reset(indices, seeds, frame, variants);
  const proprio = first.proprio;
  const success = first.success;
  /** Episodes (positions in `seeds`) still running, and their current frames [active, H, W, 3] in that order. */
  let active = [...seeds.keys()];
  let frameData = first.frames;

  for (let t = 0; t < horizon && active.length > 0; t++) {
    options.signal?.throwIfAborted();
    const actions = await turns.take(async () => {
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
      active.forEach((e, k) => {
        history!.push(e, values, k * W, fused, k * 3 * W);
        proprioBatch.set(proprio[e]!, k * proprioDim);
      });
      return policy.predict(fused, proprioBatch, active.length);
    });
    // The frames after this step are only needed when another step follows.
    const result = await envs.step(active.map((e) => indices[e]!), actions, t + 1 < horizon ? frame : null);
    const running: number[] = [];
    const kept: number[] = [];
    active.forEach((e, k) => {
      returns[e] += result.reward[k]!;
      success[e] = result.success[k]!;
      if (result.success[k]) successSteps[e]++;
      proprio[e] = result.proprio[k]!;
      steps[e] = t + 1;
      if (!result.terminated[k] && !result.truncated[k]) {
        running.push(e);
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
