/** The --task option of the task commands and its lookup. */
import { getTask } from '../envs/registry.js';
import type { TaskDefinition } from '../envs/task.js';
import { requiredStringOption } from './option_checks.js';

export const TASK_OPTION = requiredStringOption('task', 'task name, e.g. reacher-easy');

/** Tasks register themselves on import, which loads MuJoCo scene code: done on demand. */
export async function lookupTask(name: string): Promise<TaskDefinition> {
  await import('../envs/index.js');
  return getTask(name);
}
