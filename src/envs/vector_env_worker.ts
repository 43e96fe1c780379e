/**
 * Entry point of one `WorkerVectorEnv` thread (vector_env_workers.ts): builds `count` envs of the task in this
 * thread's own MuJoCo instance and answers reset/step/render requests with a `LocalVectorEnv` over them, frames returned
 * in transferred buffers, each with the time this thread spent on it; a 'make' request replaces the envs with those
 * of another task (the same MuJoCo instance, whose heap the old envs leave free). Protocol: `WorkerReply` 'ready'
 * (or 'failed') once, then one reply per request id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import './domains/index.js';
import { Env } from './env.js';
import { LocalVectorEnv } from './vector_env.js';
import type { WorkerInit, WorkerReply, WorkerRequest, WorkerResult } from './vector_env_workers.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

let envs: Env[] = [];
/** Null while this worker holds no env (a pool retasked to fewer envs than threads). */
let vector: LocalVectorEnv | null = null;

/** Replaces the envs with `count` of `task`: the old ones are freed first, so their heap is there for the new. */
async function make(task: string, count: number): Promise<void> {
  for (const env of envs) env.close();
  envs = [];
  vector = null;
  for (let i = 0; i < count; i++) envs.push(await Env.make(task));
  if (count > 0) vector = new LocalVectorEnv(envs);
}

function envsOf(op: string): LocalVectorEnv {
  if (!vector) throw new Error(`${op}: this worker holds no env`);
  return vector;
}

try {
  await make(init.task, init.count);
  // Requests are handled one at a time in arrival order: a 'make' finishes before the next request starts.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: WorkerRequest) => {
    queue = queue.then(() => handle(request));
  });
  port.postMessage({ kind: 'ready' } satisfies WorkerReply);
} catch (error) {
  for (const env of envs) env.close();
  port.postMessage({ kind: 'failed', message: message(error) } satisfies WorkerReply);
  port.close();
}

async function handle(request: WorkerRequest): Promise<void> {
  if (request.op === 'close') {
    for (const env of envs) env.close();
    port.close();
    return;
  }
  try {
    const start = performance.now();
    const result = await answer(request);
    const busyMs = performance.now() - start;
    port.postMessage({ kind: 'result', id: request.id, result, busyMs } satisfies WorkerReply, [result.frames.buffer as ArrayBuffer]);
  } catch (error) {
    port.postMessage({ kind: 'error', id: request.id, message: message(error) } satisfies WorkerReply);
  }
}

async function answer(request: Exclude<WorkerRequest, { op: 'close' }>): Promise<WorkerResult> {
  switch (request.op) {
    case 'make':
      await make(request.task, request.count);
      return { frames: new Uint8Array(0) };
    case 'reset':
      return envsOf('reset').resetNow(request.indices, request.seeds, request.frame, request.variants);
    case 'step':
      return envsOf('step').stepNow(request.indices, request.actions, request.frame);
    case 'render':
      return { frames: envsOf('render').renderStatesNow(request.states, request.frame) };
  }
}
