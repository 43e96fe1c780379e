/**
 * Entry point of one `WorkerVectorEnv` thread (vector_env_workers.ts): builds `count` envs of the task in this
 * thread's own MuJoCo instance and answers reset/step/render requests with a `LocalVectorEnv` over them, frames returned
 * in transferred buffers, each with the time this thread spent on it. Protocol: `WorkerReply` 'ready' (or 'failed')
 * once, then one reply per request id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import './domains/index.js';
import { Env } from './env.js';
import { LocalVectorEnv } from './vector_env.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './vector_env_workers.js';

const port = parentPort!;
const { task, count } = workerData as WorkerInit;
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const envs: Env[] = [];
try {
  for (let i = 0; i < count; i++) envs.push(await Env.make(task));
  const vector = new LocalVectorEnv(envs);
  port.on('message', (request: WorkerRequest) => {
    if (request.op === 'close') {
      for (const env of envs) env.close();
      port.close();
      return;
    }
    try {
      const start = performance.now();
      const result =
        request.op === 'reset'
          ? vector.resetNow(request.indices, request.seeds, request.frame, request.variants)
          : request.op === 'step'
            ? vector.stepNow(request.indices, request.actions, request.frame)
            : { frames: vector.renderStatesNow(request.states, request.frame) };
      const busyMs = performance.now() - start;
      port.postMessage({ kind: 'result', id: request.id, result, busyMs } satisfies WorkerReply, [result.frames.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ kind: 'error', id: request.id, message: message(error) } satisfies WorkerReply);
    }
  });
  port.postMessage({ kind: 'ready' } satisfies WorkerReply);
} catch (error) {
  for (const env of envs) env.close();
  port.postMessage({ kind: 'failed', message: message(error) } satisfies WorkerReply);
  port.close();
}
