/** The task registry: domains register their tasks here, tagged with the benchmarks they belong to (dm_control-style). */
import { FAMILIES, isTaskFamily } from './families.js';
import type { TaskDefinition } from './task.js';

const tasks = new Map<string, TaskDefinition>();

export function registerTask(definition: TaskDefinition): void {
  if (tasks.has(definition.name)) throw new Error(`task '${definition.name}' is registered twice`);
  checkDefinition(definition);
  tasks.set(definition.name, definition);
}

/** The protocol facts every other part reads from a definition, checked once at registration. */
function checkDefinition(d: TaskDefinition): void {
  const what = `task '${d.name}'`;
  if (!isTaskFamily(d.family)) throw new Error(`${what}: unknown family '${d.family}'; expected one of ${Object.keys(FAMILIES).join(', ')}`);
  for (const key of ['horizon', 'substeps', 'version'] as const) {
    if (!Number.isInteger(d[key]) || d[key] < 1) throw new Error(`${what}: ${key} must be an integer >= 1, got ${d[key]}`);
  }
  if (!(d.timestep > 0)) throw new Error(`${what}: timestep must be a positive number of seconds, got ${d.timestep}`);
  const needsGoalSteps = FAMILIES[d.family].metric === 'goal-steps';
  if (needsGoalSteps && !(Number.isInteger(d.goalSteps) && d.goalSteps! >= 0 && d.goalSteps! < d.horizon)) {
    throw new Error(`${what}: ${FAMILIES[d.family].title} tasks need goalSteps, an integer in [0, horizon ${d.horizon}), got ${d.goalSteps}`);
  }
  if (!needsGoalSteps && d.goalSteps !== undefined) throw new Error(`${what}: goalSteps belongs to goal-step metrics only (family ${d.family})`);
}

/** Names of the tasks this package defines (registered by the modules of `domains/`), as opposed to tasks added at run time. */
const builtIn = new Set<string>();

/**
 * Registers one of this package's own tasks: what the modules of `domains/` call, so that a fresh thread or process
 * that imports `domains/index.ts` finds it (`isBuiltInTask`). Tasks added at run time use `registerTask`.
 */
export function registerBuiltInTask(definition: TaskDefinition): void {
  registerTask(definition);
  builtIn.add(definition.name);
}

/** Whether a fresh thread or process that imports `domains/index.ts` finds the task (demo workers rebuild tasks so). */
export function isBuiltInTask(name: string): boolean {
  return builtIn.has(name);
}

export class UnknownTaskError extends Error {
  constructor(name: string) {
    super(`unknown task '${name}'; known tasks: ${[...tasks.keys()].sort().join(', ')}`);
    this.name = 'UnknownTaskError';
  }
}

export function getTask(name: string): TaskDefinition {
  const task = tasks.get(name);
  if (!task) throw new UnknownTaskError(name);
  return task;
}

/** Every registered task, or the tasks of one benchmark. */
export function listTasks(benchmark?: string): TaskDefinition[] {
  return [...tasks.values()].filter((t) => benchmark === undefined || t.benchmarks.includes(benchmark));
}

export function listBenchmarks(): string[] {
  return [...new Set([...tasks.values()].flatMap((t) => t.benchmarks))].sort();
}
