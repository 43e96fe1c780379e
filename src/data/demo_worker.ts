/** A demo worker thread (see demo_workers.ts): records its share of a set's episodes into the cache. */
import { parentPort, workerData } from 'node:worker_threads';
import { demoExpertByName } from '../distill/index.js';
import '../envs/domains/index.js';
import { getTask } from '../envs/registry.js';
import type { WorkerJob, WorkerMessage } from './demo_workers.js';
import { ExpertRollout } from '../envs/expert_rollout.js';
import { writeEpisodeFile } from './demo_file.js';

const job = workerData as WorkerJob;
const post = (message: WorkerMessage): void => parentPort!.postMessage(message);
try {
  const task = getTask(job.task);
  const rollout = await ExpertRollout.create(task, undefined, (await demoExpertByName(task, job.expert, job.cacheDir)).create);
  try {
    for (const { seed, variant, identity, path } of job.episodes) {
      const episode = rollout.episode(seed, { variant, maxSteps: job.maxSteps });
      writeEpisodeFile(path, identity, episode, job.what);
      post({ kind: 'episode', seed });
    }
  } finally {
    rollout.close();
  }
} catch (err) {
  post({ kind: 'error', message: `demo worker (task '${job.task}'): ${err instanceof Error ? err.message : String(err)}` });
}
