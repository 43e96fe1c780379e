/**
 * Expert rollouts: a task's privileged expert played in an environment, recorded step by step as a
 * `DemoEpisode` (what the demo store saves), and the replay of any recorded state for re-rendering its frame.
 */
import { checkSeed, Rng } from '../util/rng.js';
import { Env } from './env.js';
import { variantDigest, type SceneVariant } from './factors/variant.js';
import type { Physics } from './mujoco.js';
import { clipAction, type Expert, type TaskDefinition } from './task.js';

/** One expert episode. T = length, S = stateSize, A = actionDim, P = proprioDim. */
export interface DemoEpisode {
  /** The `Env.reset` seed of the episode. */
  seed: number;
  /** The scene the episode was played in (replays render it in the same one). */
  variant: SceneVariant;
  /** Policy steps T (below the horizon only when the task terminated early). */
  length: number;
  stateSize: number;
  actionDim: number;
  proprioDim: number;
  /** [T, S] full physics state (Physics.getState) before each action; restoreDemoState re-creates the frame. */
  states: Float64Array;
  /** [T, P] proprioception observed in the same state. */
  proprio: Float32Array;
  /**
   * [T, A] expert action clipped to the action spec: what the environment applied (up to float32 rounding), except
   * for a noise-injecting expert (`Expert.actionToExecute`), whose label this is while the environment applied it plus noise.
   */
  actions: Float32Array;
  /** [T] reward received for each action. */
  rewards: Float64Array;
  /** [T] 1 where the task counted as solved after the action, else 0. */
  successes: Uint8Array;
  /** Sum of `rewards`. */
  episodeReturn: number;
  /** Success after the last step (the MetaWorld metric). */
  success: boolean;
}

/** The expert's random stream for an episode: independent of the task's reset stream `new Rng(seed)`. */
export function expertRng(episodeSeed: number): Rng {
  // 0x455850 is "EXP" in ASCII: a fixed label that forks the expert's stream off the episode seed.
  return new Rng(episodeSeed).fork(0x455850);
}

/** Rolls a task's expert in one environment, episode after episode. Call `close()` when done. */
export class ExpertRollout {
  private constructor(
    readonly env: Env,
    readonly expert: Expert,
  ) {}

  /**
   * `variant`: the scene of episodes that name none (the canonical scene when omitted). `makeExpert` defaults to the
   * task's own expert (a demo set may be recorded by another, e.g. a distilled one).
   */
  static async create(
    definition: TaskDefinition,
    variant?: SceneVariant,
    makeExpert: () => Expert = () => definition.createExpert(),
  ): Promise<ExpertRollout> {
    const env = await Env.make(definition, variant ? { variant } : {});
    try {
      return new ExpertRollout(env, makeExpert());
    } catch (err) {
      env.close();
      throw err;
    }
  }

  /**
   * Plays one episode from `seed` in `variant` (the rollout's own scene when omitted) to termination or the horizon
   * (or `maxSteps`, when smaller). `onState(t)` sees the live physics after the reset (t = 0) and after every
   * step t, e.g. to render a rollout.
   */
  episode(seed: number, options: { variant?: SceneVariant; maxSteps?: number; onState?: (t: number, physics: Physics) => void } = {}): DemoEpisode {
    checkSeed('episode seed', seed);
    const { env, expert } = this;
    const { maxSteps, onState } = options;
    const limit = Math.min(env.horizon, maxSteps ?? env.horizon);
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`maxSteps must be a positive integer, got ${maxSteps}`);
    // The reset may rebuild the model (a variant of another build), so the physics is read after it.
    let { obs } = env.reset({ seed, ...(options.variant ? { variant: options.variant } : {}) });
    const physics = env.physics;
    const S = physics.stateSize;
    const A = env.actionSpec.dim;
    const P = env.observationSpec.proprioDim;
    const states = new Float64Array(limit * S);
    const proprio = new Float32Array(limit * P);
    const actions = new Float32Array(limit * A);
    const rewards = new Float64Array(limit);
    const successes = new Uint8Array(limit);
    const clipped = new Float64Array(A);
    const context = `expert of task '${env.definition.name}'`;

    expert.reset(physics, expertRng(seed));
    onState?.(0, physics);
    let length = 0;
    let episodeReturn = 0;
    for (let t = 0; t < limit; t++) {
      physics.getState(states.subarray(t * S, (t + 1) * S));
      proprio.set(obs.proprio, t * P);
      const action = expert.act(physics, env.task, t);
      // Stored as the env applies it.
      actions.set(clipAction(env.actionSpec, action, clipped, context), t * A);
      const result = env.step(expert.actionToExecute?.(action) ?? action);
      rewards[t] = result.reward;
      successes[t] = result.info.success ? 1 : 0;
      episodeReturn += result.reward;
      length = t + 1;
      obs = result.obs;
      onState?.(length, physics);
      if (result.terminated || result.truncated) break;
    }
    return {
      seed,
      variant: env.variant,
      length,
      stateSize: S,
      actionDim: A,
      proprioDim: P,
      states: states.slice(0, length * S),
      proprio: proprio.slice(0, length * P),
      actions: actions.slice(0, length * A),
      rewards: rewards.slice(0, length),
      successes: successes.slice(0, length),
      episodeReturn,
      success: successes[length - 1] === 1,
    };
  }

  /** Frees the env and the expert's scratch simulator data (a planner's rollout `MjData`, ~15 MB of WASM heap). */
  close(): void {
    try {
      this.expert.dispose?.();
    } finally {
      this.env.close();
    }
  }
}

/**
 * Puts `env` in the state before action `t` of `episode`, so that `env.render` shows that frame in the episode's
 * scene. The env is first reset with the episode's seed and variant when its current episode has another one:
 * some tasks draw per-episode values that live in the model rather than the physics state (e.g. MetaWorld fixture
 * positions, and every factor value), which only reset restores.
 */
export function restoreDemoState(env: Env, episode: DemoEpisode, t: number): void {
  restoreEpisodeState(env, demoStateFrame(episode, t));
}

/** A recorded physics state (Physics.getState) of the episode of `seed` in scene `variant`, to render again. */
export interface StateFrame {
  seed: number;
  variant: SceneVariant;
  state: Float64Array;
}

/** The state before action `t` of `episode` (a view of its states), with what restoring it needs. */
export function demoStateFrame(episode: DemoEpisode, t: number): StateFrame {
  if (!Number.isInteger(t) || t < 0 || t >= episode.length) {
    throw new Error(`restoreDemoState: step must be an integer in [0, ${episode.length - 1}], got ${t}`);
  }
  return { seed: episode.seed, variant: episode.variant, state: episode.states.subarray(t * episode.stateSize, (t + 1) * episode.stateSize) };
}

/** `restoreDemoState` for one recorded state (states travel to worker threads without their episodes). */
export function restoreEpisodeState(env: Env, { seed, variant, state }: StateFrame): void {
  if (env.seed !== seed || variantDigest(env.variant) !== variantDigest(variant)) {
    env.reset({ seed, variant });
  }
  if (env.physics.stateSize !== state.length) {
    throw new Error(`restoreDemoState: the episode's states have ${state.length} values, task '${env.definition.name}' has ${env.physics.stateSize}`);
  }
  env.physics.setState(state);
}
