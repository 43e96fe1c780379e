/**
 * What every MetaWorld-style task shares: the 4-D arm action (mocap deltas + gripper), the 4-D proprio, the hand
 * workspace, the timing and camera of the tabletop scene, and the benchmark tags. A task adds its layout (where
 * everything starts), reward and success test.
 */
import type { Physics } from '../../mujoco.js';
import type { Quat, Vec3 } from '../../scene.js';
import type { Rng } from '../../../util/rng.js';
import type { ActionSpec, Expert, SceneOptions, Task, TaskDefinition } from '../../task.js';
import { ARM_PROPRIO_DIM, armActionSpec, armHandles, DEFAULT_WORKSPACE, type Workspace } from './arm.js';
import { placeFreeBody, placeStaticBody } from '../../positions.js';
import { DEFAULT_CAMERA, METAWORLD_HORIZON, METAWORLD_SUBSTEPS, METAWORLD_TIMESTEP } from './tabletop.js';

/**
 * Where an episode starts: every position a task draws at reset, in one value, so that a factor (object, table or
 * arm position) can shift it before it is applied.
 */
export interface ArmLayout {
  /** Hand (mocap target) start, world. */
  hand: Vec3;
  /** Jointless bodies (fixtures, goal markers) by body name: their model position. */
  fixtures: Record<string, Vec3>;
  /** Free-jointed objects by free-joint name: pose at rest. */
  objects: Record<string, { pos: Vec3; quat?: Quat }>;
}

export abstract class ArmTask implements Task {
  readonly actionSpec: ActionSpec = armActionSpec();
  readonly proprioDim = ARM_PROPRIO_DIM;
  readonly actionMovesMocap = true;

  constructor(readonly workspace: Workspace = DEFAULT_WORKSPACE) {}

  /**
   * The episode's layout; every random draw comes from `rng`. `physics` is the freshly reset model, for sizes the
   * layout depends on (an object rests on the table at its own, possibly scaled, half height).
   */
  abstract sampleLayout(rng: Rng, physics: Physics): ArmLayout;
  abstract reward(physics: Physics): number;
  abstract success(physics: Physics): boolean;

  initializeEpisode(physics: Physics, rng: Rng): void {
    const layout = this.sampleLayout(rng, physics);
    for (const [body, pos] of Object.entries(layout.fixtures)) placeStaticBody(physics, body, pos);
    for (const [joint, { pos, quat }] of Object.entries(layout.objects)) placeFreeBody(physics, joint, pos, quat);
    armHandles(physics).reset(layout.hand, this.workspace);
  }

  applyAction(physics: Physics, action: Float64Array): void {
    armHandles(physics).apply(action, this.workspace);
  }

  proprio(physics: Physics): Float32Array {
    return armHandles(physics).proprio();
  }
}

/** The CortexBench MetaWorld tasks (also in the Factor-World benchmark) and the Factor-World-only ones. */
export const CORTEXBENCH_AND_FACTORWORLD = ['cortexbench', 'factorworld'] as const;
export const FACTORWORLD_ONLY = ['factorworld'] as const;

/** A MetaWorld-style task definition with the shared timing and camera. */
export function metaworldTask(parts: {
  name: string;
  version: number;
  benchmarks: readonly string[];
  buildScene: (options?: SceneOptions) => string;
  createTask: () => Task;
  createExpert: () => Expert;
}): TaskDefinition {
  return {
    domain: 'metaworld',
    family: 'metaworld',
    horizon: METAWORLD_HORIZON,
    timestep: METAWORLD_TIMESTEP,
    substeps: METAWORLD_SUBSTEPS,
    defaultCamera: DEFAULT_CAMERA,
    ...parts,
  };
}
