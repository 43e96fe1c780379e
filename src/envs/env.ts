/**
 * The environment API, with Gymnasium semantics:
 *   reset({ seed }) -> { obs, info }
 *   step(action)    -> { obs, reward, terminated, truncated, info }
 * Observations hold `proprio` and `state` always and `pixels` only when the env was made with a pixel size.
 */
import { Rng } from '../util/rng.js';
import { applyLook } from './factors/runtime.js';
import { buildKey, canonicalVariant, needsTexturePools, placementOf, sceneOptions, variantDigest, type SceneVariant } from './factors/variant.js';
import { compilePhysicsWith, loadMujoco, type Mujoco, type Physics } from './mujoco.js';
import { findObjectId, objectNames } from './named.js';
import { getTask } from './registry.js';
import { Renderer } from './render/renderer.js';
import { checkRenderSize, type RenderOptions, type RenderResult } from './render/types.js';
import { sceneFiles } from './scene/builder.js';
import { advance } from './stepping.js';
import { clipAction, type ActionSpec, type Task, type TaskDefinition } from './task.js';

export interface PixelOptions {
  /** Pixels, in the renderer's range (MIN_RENDER_SIZE-MAX_RENDER_SIZE, checked when the env is made). */
  width: number;
  height: number;
  /** Camera name; the task's default camera when omitted. */
  camera?: string;
}

export interface EnvOptions {
  /** Render `obs.pixels` at every reset and step. */
  pixels?: PixelOptions;
  /** The scene every reset uses unless it names another (envs/factors/variant.ts); the canonical scene by default. */
  variant?: SceneVariant;
}

export interface Observation {
  /** Task-specific proprioception (MetaWorld: end-effector xyz + gripper opening; DMC: empty). */
  proprio: Float32Array;
  /** qpos followed by qvel. */
  state: Float64Array;
  /** [H, W, 3] uint8 RGB, only when pixels were asked for. */
  pixels?: Uint8Array;
}

export interface StepInfo {
  step: number;
  success: boolean;
}

export interface StepResult {
  obs: Observation;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

export interface ObservationSpec {
  proprioDim: number;
  stateDim: number;
  pixels: { width: number; height: number; camera: string } | null;
}

export class Env {
  readonly actionSpec: ActionSpec;
  readonly observationSpec: ObservationSpec;
  private readonly clipped: Float64Array;
  /** Prefix of step errors, made once (step runs in hot loops). */
  private readonly stepContext: string;
  private renderer: Renderer | null = null;
  private stepCount = 0;
  private needsReset = true;
  private episodeSeed: number | null = null;
  private episodeVariant: SceneVariant;
  /** Build key of the compiled model, and whether it holds the texture pools. */
  private builtFor: string;
  private builtWithPools: boolean;
  private modelRebuilds = 0;

  private constructor(
    readonly definition: TaskDefinition,
    readonly task: Task,
    private compiled: Physics,
    private readonly defaultVariant: SceneVariant,
    options: EnvOptions,
  ) {
    this.episodeVariant = defaultVariant;
    this.builtFor = buildKey(definition, defaultVariant);
    this.builtWithPools = needsTexturePools(defaultVariant);
    this.actionSpec = task.actionSpec;
    this.clipped = new Float64Array(task.actionSpec.dim);
    this.stepContext = `step: task '${definition.name}'`;
    const pixels = options.pixels;
    this.observationSpec = {
      proprioDim: task.proprioDim,
      stateDim: compiled.model.nq + compiled.model.nv,
      pixels: pixels ? { width: pixels.width, height: pixels.height, camera: pixels.camera ?? definition.defaultCamera } : null,
    };
    if (this.observationSpec.pixels) this.checkCamera(this.observationSpec.pixels.camera);
  }

  /** Builds the task's scene, compiles it and returns a ready environment (call `reset` before `step`). */
  static async make(task: string | TaskDefinition, options: EnvOptions = {}): Promise<Env> {
    const definition = typeof task === 'string' ? getTask(task) : task;
    if (options.pixels) checkRenderSize(`pixels for task '${definition.name}': `, options.pixels);
    const variant = options.variant ?? canonicalVariant(definition);
    checkVariantTask(definition, variant);
    const physics = compileScene(await loadMujoco(), definition, variant);
    try {
      return new Env(definition, definition.createTask(), physics, variant, options);
    } catch (err) {
      physics.dispose();
      throw err;
    }
  }

  /** Privileged access for experts, replay and rendering. A reset into a variant of another build replaces it. */
  get physics(): Physics {
    return this.compiled;
  }

  /** The scene of the current episode (the env's default variant before the first reset). */
  get variant(): SceneVariant {
    return this.episodeVariant;
  }

  /** Models compiled after the first: one per reset whose variant needs another build than the last one. */
  get rebuilds(): number {
    return this.modelRebuilds;
  }

  get horizon(): number {
    return this.definition.horizon;
  }

  /** The seed of the current episode. */
  get seed(): number | null {
    return this.episodeSeed;
  }

  /** Policy steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.stepCount;
  }

  /**
   * Starts an episode from `seed` in `variant` (the env's default variant when omitted): the model is rebuilt only
   * when the variant needs another build than the current model's (object scale, distractors, texture pools);
   * everything else of the variant is applied to the model here, and the placement is the task's to apply.
   */
  reset({ seed, variant }: { seed: number; variant?: SceneVariant }): { obs: Observation; info: StepInfo } {
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`reset: seed must be a non-negative integer, got ${seed}`);
    const scene = variant ?? this.defaultVariant;
    this.prepareScene(scene);
    const physics = this.physics;
    const { mj, model, data } = physics;
    mj.mj_resetData(model, data);
    applyLook(physics, this.definition.factorTargets, scene.values);
    this.task.initializeEpisode(physics, new Rng(seed), placementOf(scene));
    mj.mj_forward(model, data);
    this.stepCount = 0;
    this.needsReset = false;
    this.episodeSeed = seed;
    this.episodeVariant = scene;
    return { obs: this.observe(), info: { step: 0, success: this.task.success(physics) } };
  }

  step(action: ArrayLike<number>): StepResult {
    if (this.needsReset) throw new Error(`step: call reset() before stepping task '${this.definition.name}'`);
    clipAction(this.actionSpec, action, this.clipped, this.stepContext);
    this.task.applyAction(this.physics, this.clipped);
    // mj_step2 then mj_step1 per substep (stepping.ts): what follows sees the state after the step.
    advance(this.physics, this.task);
    this.stepCount++;
    const reward = this.task.reward(this.physics);
    const success = this.task.success(this.physics);
    const terminated = this.task.terminated?.(this.physics) ?? false;
    const truncated = !terminated && this.stepCount >= this.definition.horizon;
    if (terminated || truncated) this.needsReset = true;
    return { obs: this.observe(), reward, terminated, truncated, info: { step: this.stepCount, success } };
  }

  /** Renders the current state with the software renderer (any camera, MIN_RENDER_SIZE-MAX_RENDER_SIZE pixels). */
  render(options: Partial<RenderOptions> & { width: number; height: number }): RenderResult {
    const camera = options.camera ?? this.definition.defaultCamera;
    if (typeof camera === 'string') this.checkCamera(camera);
    this.renderer ??= new Renderer(this.physics);
    return this.renderer.render({ ...options, camera });
  }

  close(): void {
    this.physics.dispose();
  }

  /** Rebuilds the model when `variant` needs another build than the current one (or texture pools it lacks). */
  private prepareScene(variant: SceneVariant): void {
    checkVariantTask(this.definition, variant);
    const key = buildKey(this.definition, variant);
    const pools = needsTexturePools(variant);
    if (key === this.builtFor && (this.builtWithPools || !pools)) return;
    const rebuilt = compileScene(this.compiled.mj, this.definition, variant);
    this.compiled.dispose();
    this.compiled = rebuilt;
    this.renderer = null;
    this.builtFor = key;
    this.builtWithPools = pools;
    this.modelRebuilds++;
  }

  private observe(): Observation {
    const { qpos, qvel } = this.physics.views;
    const state = new Float64Array(qpos.length + qvel.length);
    state.set(qpos);
    state.set(qvel, qpos.length);
    const obs: Observation = { proprio: this.task.proprio(this.physics), state };
    const pixels = this.observationSpec.pixels;
    if (pixels) obs.pixels = this.render({ width: pixels.width, height: pixels.height, camera: pixels.camera }).rgb;
    return obs;
  }

  private checkCamera(camera: string): void {
    if (findObjectId(this.physics, 'camera', camera) < 0) {
      const names = objectNames(this.physics, 'camera');
      throw new Error(`unknown camera '${camera}' for task '${this.definition.name}'; cameras: ${names.join(', ') || '(none)'}`);
    }
  }
}

/** Compiles the build-time part of `variant` (synchronous once the module is loaded). */
function compileScene(mj: Mujoco, definition: TaskDefinition, variant: SceneVariant): Physics {
  const options = sceneOptions(definition, variant);
  return compilePhysicsWith(mj, definition.name, definition.buildScene(options), { substeps: definition.substeps, files: sceneFiles(options) });
}

function checkVariantTask(definition: TaskDefinition, variant: SceneVariant): void {
  if (variant.task !== definition.name || variant.taskVersion !== definition.version) {
    throw new Error(
      `scene variant ${variantDigest(variant)} is of task '${variant.task}' v${variant.taskVersion}, not of '${definition.name}' v${definition.version}`,
    );
  }
}
