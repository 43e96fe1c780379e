/**
 * `VectorEnv` over worker threads: sub-env i lives in worker i mod W (as its local env floor(i / W)), each worker
 * with its own MuJoCo WASM instance running a `LocalVectorEnv` (vector_env_worker.ts), so the numbers are those of
 * one thread. A call is sent to every worker concerned at once and their replies merged in the caller's order;
 * frames come back in transferred buffers. `retask` gives the same threads the envs of another task, so a run needs
 * as many pools as it has cells in flight, not one per task (each pool is ~200-300 MB of threads and MuJoCo heaps).
 *
 * Shutdown: `close()` asks each worker to free its envs and exit, and terminates any that does not; an error in a
 * worker (a failed step, a crash) rejects the calls waiting on it with the worker's message and the pool refuses
 * further calls, so the owner closes it (`evaluateEpisodes`' callers do, also on Ctrl-C, through their finally).
 */
import { Worker } from 'node:worker_threads';
import { workerEntryCode } from '../util/worker_code.js';
import type { SceneVariant } from './factors/variant.js';
import type { StateFrame } from './expert_rollout.js';
import { checkReset, checkStep, type FrameRequest, type VectorEnv, type VectorObservation, type VectorStep } from './vector_env.js';

/** What a worker is started with (plain data). */
export interface WorkerInit {
  task: string;
  count: number;
}

export type WorkerRequest =
  | { op: 'reset'; id: number; indices: number[]; seeds: number[]; frame: FrameRequest; variants?: SceneVariant[] }
  | { op: 'step'; id: number; indices: number[]; actions: Float32Array; frame: FrameRequest | null }
  | { op: 'render'; id: number; states: StateFrame[]; frame: FrameRequest }
  | { op: 'make'; id: number; task: string; count: number }
  | { op: 'close' };

/** What a worker answers a request with: a reset's or step's results, or a render's frames alone. */
export type WorkerResult = VectorObservation | VectorStep | Pick<VectorObservation, 'frames'>;

export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string }
  /** `busyMs`: the worker's time on the request (from receiving it to posting the reply, less the posting). */
  | { kind: 'result'; id: number; result: WorkerResult; busyMs: number }
  | { kind: 'error'; id: number; message: string };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

class EnvWorker {
  private readonly thread: Worker;
  private readonly pending = new Map<number, { resolve: (r: WorkerResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  /** Milliseconds this worker spent on requests since it started (see WorkerVectorEnv.busySeconds). */
  busyMs = 0;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  running = true;

  constructor(init: WorkerInit, label: string) {
    this.thread = new Worker(workerEntryCode(import.meta.url, 'vector_env_worker'), { eval: true, workerData: init });
    this.exited = new Promise((resolve) =>
      this.thread.once('exit', () => {
        this.running = false;
        resolve();
      }),
    );
    this.ready = new Promise((resolve, reject) => {
      this.thread.on('message', (reply: WorkerReply) => {
        if (reply.kind === 'ready') resolve();
        else if (reply.kind === 'failed') reject(this.fail(new Error(`${label}: ${reply.message}`)));
        else this.settle(reply);
      });
      this.thread.on('error', (error) => reject(this.fail(new Error(`${label} crashed: ${error.message}`))));
      this.thread.once('exit', (code) => reject(this.fail(new Error(`${label} exited (code ${code})`))));
    });
    this.ready.catch(() => undefined); // observed through call() and create()
  }

  call(request: DistributiveOmit<Exclude<WorkerRequest, { op: 'close' }>, 'id'>): Promise<WorkerResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.thread.postMessage({ ...request, id });
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('VectorEnv: used after close()');
    this.thread.postMessage({ op: 'close' } satisfies WorkerRequest);
    // A worker that does not exit promptly (e.g. busy in a long step) is stopped.
    const timer = setTimeout(() => void this.thread.terminate(), 2000);
    await this.exited;
    clearTimeout(timer);
  }

  private settle(reply: Extract<WorkerReply, { id: number }>): void {
    const waiting = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.kind === 'result') {
      this.busyMs += reply.busyMs;
      waiting?.resolve(reply.result);
    }
    else waiting?.reject(this.fail(new Error(reply.message)));
  }

  /** Records the first failure and rejects every waiting call with it. */
  private fail(error: Error): Error {
    this.failure ??= error;
    for (const { reject } of this.pending.values()) reject(this.failure);
    this.pending.clear();
    return this.failure;
  }
}

/** Envs per worker when `size` envs are dealt over `threads` workers (env i to worker i mod threads). */
const envsOfWorker = (size: number, threads: number, w: number): number => Math.max(0, Math.ceil((size - w) / threads));

export class WorkerVectorEnv implements VectorEnv {
  readonly concurrent = true;
  private closed: Promise<void> | null = null;

  private constructor(
    private envCount: number,
    private taskName: string,
    private readonly workers: EnvWorker[],
  ) {}

  get size(): number {
    return this.envCount;
  }

  /** The task whose envs the pool holds. */
  get task(): string {
    return this.taskName;
  }

  /** Threads holding envs (all of them unless the pool holds fewer envs than threads). */
  private get active(): EnvWorker[] {
    return this.workers.slice(0, Math.min(this.workers.length, this.envCount));
  }

  /** `size` envs of task `task` over `workers` threads (at most one per env). */
  static async create(task: string, size: number, workers: number): Promise<WorkerVectorEnv> {
    if (!Number.isInteger(size) || size < 1) throw new Error(`WorkerVectorEnv: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`WorkerVectorEnv: workers must be a positive integer, got ${workers}`);
    const count = Math.min(workers, size);
    const threads = Array.from(
      { length: count },
      (_, w) => new EnvWorker({ task, count: envsOfWorker(size, count, w) }, `env worker ${w + 1}/${count} (task '${task}')`),
    );
    const pool = new WorkerVectorEnv(size, task, threads);
    try {
      await Promise.all(threads.map((t) => t.ready));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /**
   * Replaces every env with a new one of `task`, `size` in all, on the same threads (what a fresh pool of that task
   * and size would hold: the same numbers). Not while a call is in flight.
   */
  async retask(task: string, size: number): Promise<void> {
    if (!Number.isInteger(size) || size < 1) throw new Error(`WorkerVectorEnv.retask: size must be a positive integer, got ${size}`);
    const W = this.workers.length;
    await Promise.all(this.workers.map((worker, w) => worker.call({ op: 'make', task, count: envsOfWorker(size, W, w) })));
    this.taskName = task;
    this.envCount = size;
  }

  async reset(indices: readonly number[], seeds: readonly number[], frame: FrameRequest, variants?: readonly SceneVariant[]): Promise<VectorObservation> {
    checkReset(indices, seeds, variants, this.size);
    const W = this.workers.length;
    const parts = await Promise.all(
      this.active.map((worker, w) => {
        const mine = [...indices.keys()].filter((k) => indices[k]! % W === w);
        if (mine.length === 0) return null;
        const myVariants = variants && mine.map((k) => variants[k]!);
        return worker.call({ op: 'reset', indices: mine.map((k) => Math.floor(indices[k]! / W)), seeds: mine.map((k) => seeds[k]!), frame, ...(myVariants ? { variants: myVariants } : {}) });
      }),
    );
    return this.merge(indices, parts, frame);
  }

  async step(indices: readonly number[], actions: Float32Array, frame: FrameRequest | null): Promise<VectorStep> {
    checkStep(indices, actions, this.size);
    const A = actions.length / indices.length;
    const W = this.workers.length;
    const parts = await Promise.all(
      this.active.map((worker, w) => {
        const mine = indices.map((i, k) => [i, k] as const).filter(([i]) => i % W === w);
        if (mine.length === 0) return null;
        const local = new Float32Array(mine.length * A);
        mine.forEach(([, k], r) => local.set(actions.subarray(k * A, (k + 1) * A), r * A));
        return worker.call({ op: 'step', indices: mine.map(([i]) => Math.floor(i / W)), actions: local, frame });
      }),
    );
    return this.merge(indices, parts, frame);
  }

  /** Contiguous runs of `states` on each worker's first env (so an episode's run resets it once), merged in order. */
  async renderStates(states: readonly StateFrame[], frame: FrameRequest): Promise<Uint8Array> {
    const active = this.active;
    const W = active.length;
    const bytes = frame.width * frame.height * 3;
    const bounds = Array.from({ length: W + 1 }, (_, w) => Math.floor((w * states.length) / W));
    const parts = await Promise.all(
      active.map((worker, w) => {
        if (bounds[w] === bounds[w + 1]) return null;
        // Each state copied out of its episode's array: a posted view would clone the whole buffer behind it.
        const mine = states.slice(bounds[w], bounds[w + 1]).map((s) => ({ ...s, state: s.state.slice() }));
        return worker.call({ op: 'render', states: mine, frame });
      }),
    );
    const frames = new Uint8Array(states.length * bytes);
    parts.forEach((part, w) => part && frames.set(part.frames, bounds[w]! * bytes));
    return frames;
  }

  /**
   * Seconds each worker has spent on requests since the pool started: against a call's wall time, what the workers
   * did vs what went to messaging, copying and waiting (benchmarks/vector_env.ts).
   */
  busySeconds(): number[] {
    return this.workers.map((w) => w.busyMs / 1000);
  }

  /** Worker threads that have not exited yet (0 after `close()`). */
  get runningThreads(): number {
    return this.workers.filter((w) => w.running).length;
  }

  close(): Promise<void> {
    this.closed ??= Promise.all(this.workers.map((w) => w.close())).then(() => undefined);
    return this.closed;
  }

  /** The workers' replies (each in its own listed order) back in the order of `indices`. */
  private merge(indices: readonly number[], replies: readonly (WorkerResult | null)[], frame: FrameRequest | null): VectorStep {
    // Replies to reset and step requests (render requests are merged by renderStates).
    const parts = replies as readonly (VectorStep | VectorObservation | null)[];
    const W = this.workers.length;
    const bytes = frame ? frame.width * frame.height * 3 : 0;
    const out: VectorStep = { proprio: [], success: [], reward: [], terminated: [], truncated: [], frames: new Uint8Array(indices.length * bytes) };
    const taken = new Array<number>(W).fill(0);
    indices.forEach((i, k) => {
      const w = i % W;
      const part = parts[w]!;
      const r = taken[w]!++;
      out.proprio.push(part.proprio[r]!);
      out.success.push(part.success[r]!);
      if ('reward' in part) {
        out.reward.push(part.reward[r]!);
        out.terminated.push(part.terminated[r]!);
        out.truncated.push(part.truncated[r]!);
      }
      if (bytes) out.frames.set(part.frames.subarray(r * bytes, (r + 1) * bytes), k * bytes);
    });
    return out;
  }
}
