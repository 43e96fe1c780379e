/** The task registry: domains register their tasks here, tagged into suites (dm_control-style). */
import type { TaskDefinition } from './task.js';

const tasks = new Map<string, TaskDefinition>();

export function registerTask(definition: TaskDefinition): void {
  if (tasks.has(definition.name)) throw new Error(`task '${definition.name}' is registered twice`);
  tasks.set(definition.name, definition);
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

export function listTasks(suite?: string): TaskDefinition[] {
  return [...tasks.values()].filter((t) => suite === undefined || t.suites.includes(suite));
}

export function listSuites(): string[] {
  return [...new Set([...tasks.values()].flatMap((t) => t.suites))].sort();
}
