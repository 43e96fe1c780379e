/**
 * Tasks, dm_control-style: a `TaskDefinition` describes one task (its scene, timing and metric) and makes the
 * per-environment `Task` logic (reset, action, observation, reward) and its privileged `Expert`.
 */
import type { Rng } from '../util/rng.js';
import type { TaskFamily } from './families.js';
import type { Physics } from './mujoco.js';

export type { TaskFamily } from './families.js';

export interface ActionSpec {
  dim: number;
  low: Float64Array;
  high: Float64Array;
}

/** The [-1, 1]^dim action box most tasks use. */
export function unitActionSpec(dim: number): ActionSpec {
  return { dim, low: new Float64Array(dim).fill(-1), high: new Float64Array(dim).fill(1) };
}

/** Clips `values[offset, offset + dim)` to the action bounds in place: the one action clip. */
export function clipToActionBounds(spec: ActionSpec, values: Float64Array, offset = 0): void {
  const { dim, low, high } = spec;
  for (let i = 0; i < dim; i++) {
    const a = values[offset + i]!;
    values[offset + i] = a < low[i]! ? low[i]! : a > high[i]! ? high[i]! : a;
  }
}

/**
 * Checks an action (length, finite values) and writes it, clipped to the bounds, into `out`. `what` names the
 * caller and task in errors, e.g. "step: task 'reacher-easy'".
 */
export function clipAction(spec: ActionSpec, action: ArrayLike<number>, out: Float64Array, what: string): Float64Array {
  if (action.length !== spec.dim) throw new Error(`${what} expects an action of length ${spec.dim}, got ${action.length}`);
  for (let i = 0; i < spec.dim; i++) {
    const a = action[i]!;
    if (!Number.isFinite(a)) throw new Error(`${what}: action[${i}] is ${a}; actions must be finite numbers`);
    out[i] = a;
  }
  clipToActionBounds(spec, out);
  return out;
}

/**
 * Visual variation applied to a task's scene (Factor-World-style factors). Every field is optional; the defaults
 * give the task's canonical scene. Scene builders read these instead of callers rewriting MJCF.
 */
export interface SceneOptions {
  /** Re-pose the task's main camera around its look-at point (degrees, metres; the convention of scene/camera.ts). */
  camera?: { azimuth: number; elevation: number; distance: number };
  /** Headlight ambient = diffuse = value (grey). */
  light?: number;
  /** Texture names (from the scene's compiled texture set) per named material, e.g. { table: 'wood2' }. */
  textures?: Record<string, string>;
  /** Uniform scale of the manipulated object's geoms. */
  objectScale?: number;
  /** Compile both texture pools (scene/texture_pools.ts) into the model, so texture factors can swap to them. */
  texturePools?: boolean;
  /** Distractor objects (identities of scene/distractor_pools.ts): visual only, nothing collides with them. */
  distractors?: DistractorPlacement[];
}

/** Where one distractor object stands. */
export interface DistractorPlacement {
  /** Identity name, e.g. "train-017". */
  identity: string;
  /** Body it stands on (its frame holds `pos`); the world when omitted. */
  body?: string;
  /** Position of the identity's base (its lowest point at scale 1 is at z = 0), metres. */
  pos: [number, number, number];
  /** Rotation about the vertical axis, degrees. */
  yaw: number;
  /** Uniform scale of the identity. */
  scale: number;
}

/**
 * Shifts of an episode's layout that the placement factors draw (tasks whose `FactorTargets.placement` is set
 * accept them at reset): metres, world axes.
 */
export interface Placement {
  /** The table with everything on it and the hand's workspace. */
  table?: [number, number, number];
  /** The manipulated object (or the fixture that carries it), within the task's object area. */
  object?: [number, number];
  /** The hand's start. */
  hand?: [number, number, number];
}

/** Material roles the texture factors address (a task maps each role it has to one of its named materials). */
export type MaterialRole = 'table' | 'floor' | 'object' | 'background';

/**
 * What of a task's scene the visual factors (envs/factors/) can address. A factor applies to a task exactly when
 * the task declares what the factor changes; a task without targets takes no factors.
 */
export interface FactorTargets {
  /** Named materials by role, for the texture factors. */
  materials: Partial<Record<MaterialRole, string>>;
  /** Materials whose colour the Distracting-Control-style colour factor shifts. */
  colourMaterials?: readonly string[];
  /** The camera factor re-poses this (world-fixed) camera on a sphere around `lookAt`. */
  orbit?: { camera: string; lookAt: [number, number, number] };
  /** The table top distractors stand on: the body carrying it, the top's centre (world, at rest) and half extents. */
  tableTop?: { body: string; centre: [number, number, number]; half: [number, number] };
  /** Reset accepts a `Placement`. */
  placement?: boolean;
  /**
   * `SceneOptions.objectScale` scales the manipulated object; the scales [low, high] at which the task can still
   * be solved (its expert's success is measured there: benchmarks/factor_experts.ts).
   */
  objectScale?: readonly [number, number];
}

export interface Task {
  readonly actionSpec: ActionSpec;
  /** Length of the proprioceptive observation (0 for DMC tasks). */
  readonly proprioDim: number;
  /**
   * Puts the physics in a fresh initial state; every random draw comes from `rng`. `placement` (only for tasks
   * that declare `FactorTargets.placement`) shifts the layout drawn.
   */
  initializeEpisode(physics: Physics, rng: Rng, placement?: Placement): void;
  /** True when `applyAction` moves mocap bodies (the env then recomputes kinematics before integrating). */
  readonly actionMovesMocap?: boolean;
  /** Applies an action already clipped to `actionSpec` (writes ctrl, mocap targets, ...). */
  applyAction(physics: Physics, action: Float64Array): void;
  proprio(physics: Physics): Float32Array;
  reward(physics: Physics): number;
  /** Whether the task counts as solved in the current state (MetaWorld and Adroit tests; DMC reward threshold). */
  success(physics: Physics): boolean;
  /** Early termination (e.g. a dropped pen); most tasks never terminate. */
  terminated?(physics: Physics): boolean;
}

/** A privileged controller that reads the simulator state and produces actions. */
export interface Expert {
  readonly name: string;
  /** Called after every `env.reset`; `rng` is seeded from the episode seed. */
  reset(physics: Physics, rng: Rng): void;
  act(physics: Physics, task: Task, step: number): Float64Array;
  /**
   * The action the environment executes for the `label` `act` just returned, when the two differ: a noise-injecting
   * expert (DART: experts/noise_injected.ts) records its clean action as the label and executes a perturbed one.
   * Omitted: the label is executed.
   */
  actionToExecute?(label: Float64Array): Float64Array;
  /** Frees native memory the expert holds (e.g. a planner's scratch MjData); optional. */
  dispose?(): void;
}

export interface TaskDefinition {
  /** Registry name, e.g. "reacher-easy". */
  readonly name: string;
  readonly domain: string;
  /** The task family: the paper's aggregation unit ("suite" in CortexBench's terms) with its own metric. */
  readonly family: TaskFamily;
  /** Benchmarks (named collections of tasks a run plans) the task belongs to, e.g. ["cortexbench"]. */
  readonly benchmarks: readonly string[];
  /** Bump whenever the scene, reset distribution, reward, success test or expert change: it keys demo and feature caches. */
  readonly version: number;
  /** Policy steps per episode. */
  readonly horizon: number;
  /** Physics timestep in seconds (written into the MJCF option). */
  readonly timestep: number;
  /** Physics steps per policy step (the env's physics carries it, so `advance` steps every caller alike). */
  readonly substeps: number;
  /** Adroit: an episode succeeds when the goal is reached on more than this many steps (pen 20, relocate 25). */
  readonly goalSteps?: number;
  /** Camera used for observations unless another is asked for. */
  readonly defaultCamera: string;
  /** What the visual factors can change in this task's scene; none apply when absent. */
  readonly factorTargets?: FactorTargets;
  buildScene(options?: SceneOptions): string;
  createTask(): Task;
  createExpert(): Expert;
}
