/** Public surface of the environments package; importing it registers all tasks. */
import './domains/index.js';

export { Env } from './env.js';
export type { EnvOptions, Observation, StepResult, StepInfo, ObservationSpec, PixelOptions } from './env.js';
export { getTask, listTasks, listBenchmarks, UnknownTaskError } from './registry.js';
export { FAMILIES, TASK_FAMILIES, episodeScore, episodeSucceeded, metricName } from './families.js';
export type { EpisodeTally, FamilyFacts, MetricKind, TaskFamily } from './families.js';
export { clipAction } from './task.js';
export type { TaskDefinition, Task, Expert, ActionSpec, SceneOptions } from './task.js';
export { loadMujoco, compilePhysics, Physics, ModelCompileError } from './mujoco.js';
export type { RenderOptions, RenderResult, Supersample, TextureFilter } from './render/types.js';
