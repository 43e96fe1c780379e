/**
 * What every MetaWorld-style task shares: the 4-D arm action (mocap deltas + gripper), the 4-D proprio, the hand
 * workspace, the timing and camera of the tabletop scene, and the benchmark tags. A task adds its layout (where
 * everything starts), reward and success test.
 */
import type { Physics } from '../../mujoco.js';
import type { Quat, Vec3 } from '../../scene.js';
import type { Rng } from '../../../util/rng.js';
import type { ActionSpec, Expert, FactorTargets, Placement, SceneOptions, Task, TaskDefinition } from '../../task.js';
import { ARM_PROPRIO_DIM, armActionSpec, armHandles, DEFAULT_WORKSPACE, type Workspace } from './arm.js';
import { placeFreeBody, placeStaticBody } from '../../positions.js';
import { DEFAULT_CAMERA, METAWORLD_HORIZON, METAWORLD_SUBSTEPS, METAWORLD_TIMESTEP, TABLE_BODY, TABLE_CENTRE, TABLE_HALF } from './tabletop.js';

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

/** An xy box (world, metres) that the object-position factor keeps the shifted object's origin inside. */
export interface ObjectArea {
  x: [number, number];
  y: [number, number];
}

/** Where a moved object may go by default: within the hand's reach on the table, clear of its edges. */
export const DEFAULT_OBJECT_AREA: ObjectArea = { x: [-0.35, 0.35], y: [0.45, 0.9] };

const add = (a: Vec3, b: readonly number[]): Vec3 => [a[0] + b[0]!, a[1] + b[1]!, a[2] + (b[2] ?? 0)];
const clamp = (v: number, [lo, hi]: [number, number]): number => Math.min(hi, Math.max(lo, v));

/**
 * The layout with a placement applied: the object shift moves the free objects (or, for tasks without one, the
 * fixtures that carry the manipulated part) and keeps them inside `area`; the table shift moves everything on the
 * table and the hand start; the hand shift moves the hand start.
 */
export function placeLayout(layout: ArmLayout, placement: Placement, area: ObjectArea): ArmLayout {
  const { table = [0, 0, 0], object, hand = [0, 0, 0] } = placement;
  const moved = Object.keys(layout.objects).length > 0 ? 'objects' : 'fixtures';
  const shiftObject = (p: Vec3): Vec3 => (object ? [clamp(p[0] + object[0], area.x), clamp(p[1] + object[1], area.y), p[2]] : p);
  const fixtures: Record<string, Vec3> = {};
  for (const [body, pos] of Object.entries(layout.fixtures)) fixtures[body] = add(moved === 'fixtures' ? shiftObject(pos) : pos, table);
  const objects: ArmLayout['objects'] = {};
  for (const [joint, pose] of Object.entries(layout.objects)) objects[joint] = { ...pose, pos: add(shiftObject(pose.pos), table) };
  return { hand: add(add(layout.hand, table), hand), fixtures, objects };
}

export abstract class ArmTask implements Task {
  readonly actionSpec: ActionSpec = armActionSpec();
  readonly proprioDim = ARM_PROPRIO_DIM;
  readonly actionMovesMocap = true;
  /** The hand's box this episode: the task's workspace, moved with the table. */
  private episodeWorkspace: Workspace;

  constructor(
    readonly workspace: Workspace = DEFAULT_WORKSPACE,
    /** Where the object-position factor may move the object (or its fixture). */
    readonly objectArea: ObjectArea = DEFAULT_OBJECT_AREA,
  ) {
    this.episodeWorkspace = workspace;
  }

  /**
   * The episode's layout; every random draw comes from `rng`. `physics` is the freshly reset model, for sizes the
   * layout depends on (an object rests on the table at its own, possibly scaled, half height).
   */
  abstract sampleLayout(rng: Rng, physics: Physics): ArmLayout;
  abstract reward(physics: Physics): number;
  abstract success(physics: Physics): boolean;

  initializeEpisode(physics: Physics, rng: Rng, placement: Placement = {}): void {
    const layout = placeLayout(this.sampleLayout(rng, physics), placement, this.objectArea);
    const table = placement.table ?? [0, 0, 0];
    // The table body rests at the origin; it is written every episode, so a shift never outlives its episode.
    placeStaticBody(physics, TABLE_BODY, table);
    this.episodeWorkspace = { low: add(this.workspace.low, table), high: add(this.workspace.high, table) };
    for (const [body, pos] of Object.entries(layout.fixtures)) placeStaticBody(physics, body, pos);
    for (const [joint, { pos, quat }] of Object.entries(layout.objects)) placeFreeBody(physics, joint, pos, quat);
    armHandles(physics).reset(layout.hand, this.episodeWorkspace);
  }

  applyAction(physics: Physics, action: Float64Array): void {
    armHandles(physics).apply(action, this.episodeWorkspace);
  }

  proprio(physics: Physics): Float32Array {
    return armHandles(physics).proprio();
  }
}

/** The CortexBench MetaWorld tasks (also in the Factor-World benchmark) and the Factor-World-only ones. */
export const CORTEXBENCH_AND_FACTORWORLD = ['cortexbench', 'factorworld'] as const;
export const FACTORWORLD_ONLY = ['factorworld'] as const;

/**
 * What the factors address in every MetaWorld-style scene: the tabletop's named materials, top_cap2 orbiting the
 * table centre, the table top, placements and the object scale.
 */
export const TABLETOP_FACTOR_TARGETS: FactorTargets = {
  materials: { table: 'table', floor: 'floor', object: 'object' },
  orbit: { camera: DEFAULT_CAMERA, lookAt: TABLE_CENTRE },
  tableTop: { body: TABLE_BODY, centre: TABLE_CENTRE, half: [TABLE_HALF[0], TABLE_HALF[1]] },
  placement: true,
  objectScale: [0.5, 1.8],
};

/** A MetaWorld-style task definition with the shared timing, camera and factor targets. */
export function metaworldTask(parts: {
  name: string;
  version: number;
  benchmarks: readonly string[];
  buildScene: (options?: SceneOptions) => string;
  createTask: () => Task;
  createExpert: () => Expert;
  /** The tabletop's factor targets unless a task narrows them (e.g. the object scales it can be solved at). */
  factorTargets?: FactorTargets;
}): TaskDefinition {
  return {
    domain: 'metaworld',
    family: 'metaworld',
    horizon: METAWORLD_HORIZON,
    timestep: METAWORLD_TIMESTEP,
    substeps: METAWORLD_SUBSTEPS,
    defaultCamera: DEFAULT_CAMERA,
    factorTargets: TABLETOP_FACTOR_TARGETS,
    ...parts,
  };
}
