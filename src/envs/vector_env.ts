/**
 * Several environments of one task stepped as one (Gymnasium's vector env, with rendering): reset with one seed per
 * sub-env, step a subset with one action each and get their frames rendered after the step, so a rollout makes one
 * call per policy step. Every call names the sub-envs it concerns, so callers can drive disjoint groups of them
 * independently (a pipelined evaluation keeps one group stepping while it encodes another's frames). Two implementations with the same numbers: `LocalVectorEnv` runs the envs on this thread;
 * `WorkerVectorEnv` (vector_env_workers.ts) deals them to worker threads, each with its own MuJoCo instance,
 * running a `LocalVectorEnv` over its share.
 */
import type { Env } from './env.js';
import { restoreEpisodeState, type StateFrame } from './expert_rollout.js';
import type { SceneVariant } from './factors/variant.js';
import type { RenderOptions } from './render/types.js';

/** The frame every call renders (RGB only: no depth or segmentation). */
export type FrameRequest = Pick<RenderOptions, 'width' | 'height' | 'camera' | 'supersample' | 'textureFilter'>;

export interface VectorObservation {
  /** Per listed sub-env: proprio [P]. */
  proprio: Float32Array[];
  /** Per listed sub-env: the task's success test. */
  success: boolean[];
  /** Frames [k, H, W, 3] of the listed sub-envs in order; empty when none was asked for. */
  frames: Uint8Array;
}

export interface VectorStep extends VectorObservation {
  reward: number[];
  terminated: boolean[];
  truncated: boolean[];
}

export interface VectorEnv {
  /** Sub-envs. */
  readonly size: number;
  /** Whether calls run off this thread, so the caller's own work can overlap them (worker threads: yes). */
  readonly concurrent: boolean;
  /** Resets sub-envs `indices` with `seeds` (in scenes `variants`; both parallel to `indices`; each env's default
   * scene when omitted) and renders their first frames. */
  reset(indices: readonly number[], seeds: readonly number[], frame: FrameRequest, variants?: readonly SceneVariant[]): Promise<VectorObservation>;
  /** Steps sub-envs `indices` with `actions` [k, A] and renders their frames after the step when `frame` is given. */
  step(indices: readonly number[], actions: Float32Array, frame: FrameRequest | null): Promise<VectorStep>;
  /**
   * Renders `states` (each restored as restoreDemoState does: a reset with its episode's seed and scene when the env
   * shows another episode) into frames [k, H, W, 3] in order. Overwrites the envs' states: not during episodes.
   */
  renderStates(states: readonly StateFrame[], frame: FrameRequest): Promise<Uint8Array>;
  /** Frees the envs (and threads). Idempotent. */
  close(): Promise<void>;
}

/** The sub-envs on this thread. */
export class LocalVectorEnv implements VectorEnv {
  constructor(private readonly envs: readonly Env[]) {
    if (envs.length === 0) throw new Error('LocalVectorEnv: needs at least one env');
  }

  readonly concurrent = false;

  get size(): number {
    return this.envs.length;
  }

  async reset(indices: readonly number[], seeds: readonly number[], frame: FrameRequest, variants?: readonly SceneVariant[]): Promise<VectorObservation> {
    return this.resetNow(indices, seeds, frame, variants);
  }

  async step(indices: readonly number[], actions: Float32Array, frame: FrameRequest | null): Promise<VectorStep> {
    return this.stepNow(indices, actions, frame);
  }

  /** `reset` without the promise (the worker side calls it directly). */
  resetNow(indices: readonly number[], seeds: readonly number[], frame: FrameRequest, variants?: readonly SceneVariant[]): VectorObservation {
    checkReset(indices, seeds, variants, this.envs.length);
    const proprio: Float32Array[] = [];
    const success: boolean[] = [];
    indices.forEach((i, k) => {
      const { obs, info } = this.envs[i]!.reset({ seed: seeds[k]!, ...(variants ? { variant: variants[k]! } : {}) });
      proprio.push(obs.proprio);
      success.push(info.success);
    });
    return { proprio, success, frames: this.render(indices, frame) };
  }

  async renderStates(states: readonly StateFrame[], frame: FrameRequest): Promise<Uint8Array> {
    return this.renderStatesNow(states, frame);
  }

  /** `renderStates` without the promise, all on the first env (consecutive states of one episode reset it once). */
  renderStatesNow(states: readonly StateFrame[], frame: FrameRequest): Uint8Array {
    const env = this.envs[0]!;
    const bytes = frame.width * frame.height * 3;
    const frames = new Uint8Array(states.length * bytes);
    states.forEach((state, k) => {
      restoreEpisodeState(env, state);
      const { rgb } = env.render(frame);
      if (rgb.length !== bytes) throw new Error(`renderer returned ${rgb.length} bytes, expected ${bytes} for ${frame.width}x${frame.height} RGB`);
      frames.set(rgb, k * bytes);
    });
    return frames;
  }

  stepNow(indices: readonly number[], actions: Float32Array, frame: FrameRequest | null): VectorStep {
    checkStep(indices, actions, this.envs.length);
    const A = actions.length / indices.length;
    const out: VectorStep = { proprio: [], success: [], reward: [], terminated: [], truncated: [], frames: new Uint8Array(0) };
    indices.forEach((i, k) => {
      const env = this.envs[i]!;
      const result = env.step(actions.subarray(k * A, (k + 1) * A));
      out.proprio.push(result.obs.proprio);
      out.success.push(result.info.success);
      out.reward.push(result.reward);
      out.terminated.push(result.terminated);
      out.truncated.push(result.truncated);
    });
    if (frame) out.frames = this.render(indices, frame);
    return out;
  }

  async close(): Promise<void> {
    // The envs belong to whoever built them (a run reuses them across cells).
  }

  private render(indices: readonly number[], frame: FrameRequest): Uint8Array {
    const bytes = frame.width * frame.height * 3;
    const frames = new Uint8Array(indices.length * bytes);
    indices.forEach((i, k) => frames.set(this.envs[i]!.render(frame).rgb, k * bytes));
    return frames;
  }
}

/** Errors on a reset request that does not name distinct sub-envs of `size`, one seed (and variant) each. */
export function checkReset(indices: readonly number[], seeds: readonly number[], variants: readonly SceneVariant[] | undefined, size: number): void {
  if (seeds.length !== indices.length) throw new Error(`VectorEnv.reset: ${seeds.length} seeds for ${indices.length} env indices`);
  if (variants && variants.length !== seeds.length) throw new Error(`VectorEnv.reset: ${seeds.length} seeds but ${variants.length} scene variants`);
  checkIndices('reset', indices, size);
}

/** Errors unless `indices` are distinct integers in [0, size). */
export function checkIndices(call: 'reset' | 'step', indices: readonly number[], size: number): void {
  if (indices.length === 0) throw new Error(`VectorEnv.${call}: no envs listed`);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new Error(`VectorEnv.${call}: env index ${i} is outside [0, ${size})`);
  }
  if (new Set(indices).size !== indices.length) throw new Error(`VectorEnv.${call}: an env index is listed twice in ${indices.join(',')}`);
}

/** Errors on a step request that does not name distinct sub-envs of `size` with one action row each. */
export function checkStep(indices: readonly number[], actions: Float32Array, size: number): void {
  checkIndices('step', indices, size);
  if (actions.length % indices.length !== 0) throw new Error(`VectorEnv.step: ${actions.length} action values for ${indices.length} envs`);
}
