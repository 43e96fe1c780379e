/**
 * Worker-thread entry of benchmarks/vector_env.ts's parallel ceiling: builds `count` envs of `task` and, on each
 * `steps` message, steps and renders them that many times with seeded random actions on this thread alone (no
 * message per step), answering with the milliseconds it took. Several of these started at once show what this
 * machine's cores give to independent rollouts, the bound for any transport between threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import '../../src/envs/index.js';
import { Env } from '../../src/envs/env.js';
import { getTask } from '../../src/envs/registry.js';
import { LocalVectorEnv, type FrameRequest } from '../../src/envs/vector_env.js';
import { Rng } from '../../src/util/rng.js';

export interface RolloutThreadInit {
  task: string;
  count: number;
  frame: FrameRequest;
  seed: number;
}

const port = parentPort!;
const { task, count, frame, seed } = workerData as RolloutThreadInit;
const definition = getTask(task);
const envs = await Promise.all(Array.from({ length: count }, () => Env.make(definition)));
const vector = new LocalVectorEnv(envs);
const all = [...envs.keys()];
const A = envs[0]!.actionSpec.dim;
port.on('message', (steps: number | 'close') => {
  if (steps === 'close') {
    for (const env of envs) env.close();
    port.close();
    return;
  }
  const rng = new Rng(seed);
  vector.resetNow(all, all.map((i) => seed + i), frame);
  const start = performance.now();
  for (let t = 0; t < steps; t++) vector.stepNow(all, Float32Array.from({ length: count * A }, () => rng.uniform(-1, 1)), frame);
  port.postMessage(performance.now() - start);
});
port.postMessage('ready');
