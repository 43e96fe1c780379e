/**
 * What every MetaWorld-style task shares: the 4-D arm action (mocap deltas + gripper), the 4-D proprio, the
 * timing and camera of the tabletop scene, and the benchmark tags. A task adds its reset, reward and success test.
 */
import type { Physics } from '../../mujoco.js';
import type { Rng } from '../../../util/rng.js';
import type { ActionSpec, Expert, SceneOptions, Task, TaskDefinition } from '../../task.js';
import { ARM_PROPRIO_DIM, armActionSpec, armHandles } from './arm.js';
import { DEFAULT_CAMERA, METAWORLD_HORIZON, METAWORLD_SUBSTEPS, METAWORLD_TIMESTEP } from './tabletop.js';

export abstract class ArmTask implements Task {
  readonly actionSpec: ActionSpec = armActionSpec();
  readonly proprioDim = ARM_PROPRIO_DIM;
  readonly actionMovesMocap = true;

  abstract initializeEpisode(physics: Physics, rng: Rng): void;
  abstract reward(physics: Physics): number;
  abstract success(physics: Physics): boolean;

  applyAction(physics: Physics, action: Float64Array): void {
    armHandles(physics).apply(action);
  }

  proprio(physics: Physics): Float32Array {
    return armHandles(physics).proprio();
  }
}

/** A MetaWorld-style task definition with the shared timing, camera and benchmark tags. */
export function metaworldTask(parts: {
  name: string;
  version: number;
  buildScene: (options?: SceneOptions) => string;
  createTask: () => Task;
  createExpert: () => Expert;
}): TaskDefinition {
  return {
    domain: 'metaworld',
    family: 'metaworld',
    benchmarks: ['cortexbench'],
    horizon: METAWORLD_HORIZON,
    timestep: METAWORLD_TIMESTEP,
    substeps: METAWORLD_SUBSTEPS,
    defaultCamera: DEFAULT_CAMERA,
    ...parts,
  };
}
