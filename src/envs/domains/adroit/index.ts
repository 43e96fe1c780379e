/**
 * The Adroit-style family: our dexterous hand (hand.ts) on a fixed forearm (pen) or on an arm (relocate), with
 * Adroit's timing (timestep 0.002, 5 physics steps per policy step), its camera `vil_camera` and its success rule
 * (the goal reached on more than `goalSteps` steps). Importing this module registers both tasks.
 */
import { registerBuiltInTask } from '../../registry.js';
import type { Expert, SceneOptions, Task, TaskDefinition } from '../../task.js';
import { PEN_HORIZON, PEN_SUCCESS_STEPS, PenTask, buildPenScene } from './pen.js';
import { createPenExpert } from './pen_expert.js';
import { RELOCATE_HORIZON, RELOCATE_SUCCESS_STEPS, RelocateTask, buildRelocateScene } from './relocate.js';
import { createRelocateExpert } from './relocate_expert.js';
import { ADROIT_SUBSTEPS, ADROIT_TIMESTEP, DEFAULT_CAMERA } from './scene.js';

function adroitTask(parts: {
  name: string;
  version: number;
  horizon: number;
  goalSteps: number;
  buildScene: (options?: SceneOptions) => string;
  createTask: () => Task;
  createExpert: () => Expert;
}): TaskDefinition {
  return {
    domain: 'adroit',
    family: 'adroit',
    benchmarks: ['cortexbench'],
    timestep: ADROIT_TIMESTEP,
    substeps: ADROIT_SUBSTEPS,
    defaultCamera: DEFAULT_CAMERA,
    ...parts,
  };
}

export const pen = adroitTask({
  name: 'pen',
  // 2: its planner rolls out on a model copy of 2 physics steps per control step.
  version: 2,
  horizon: PEN_HORIZON,
  goalSteps: PEN_SUCCESS_STEPS,
  buildScene: buildPenScene,
  createTask: () => new PenTask(),
  createExpert: createPenExpert,
});

export const relocate = adroitTask({
  name: 'relocate',
  // 2: the grasp point moved to the middle of where the grasp holds, and demos are recorded with DART noise.
  version: 2,
  horizon: RELOCATE_HORIZON,
  goalSteps: RELOCATE_SUCCESS_STEPS,
  buildScene: buildRelocateScene,
  createTask: () => new RelocateTask(),
  createExpert: createRelocateExpert,
});

registerBuiltInTask(pen);
registerBuiltInTask(relocate);
