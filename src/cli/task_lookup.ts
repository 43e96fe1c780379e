/** Task lookup for commands. Tasks register themselves on import, which loads MuJoCo scene code: done on demand. */
import { getTask } from '../envs/registry.js';
import type { TaskDefinition } from '../envs/task.js';

export async function lookupTask(name: string): Promise<TaskDefinition> {
  await import('../envs/index.js');
  return getTask(name);
}
