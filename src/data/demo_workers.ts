/**
 * Expert episodes (demos, entropy-probe rollouts) recorded in parallel worker threads, each with its own MuJoCo
 * instance (the WASM module is per thread). The episodes of a set are dealt round-robin to the workers; each worker
 * writes its episode files atomically, as a single process would, and reports each one, so the caller reads the set back from the cache
 * and an interrupted run keeps what was written. Workers find the task in the registry of built-in tasks and the
 * expert by its name (the task's own, or its cached distilled student), so only those can be recorded this way.
 */
import { Worker } from 'node:worker_threads';
import type { SceneVariant } from '../envs/factors/variant.js';
import { workerEntryCode } from '../util/worker_code.js';
import type { DemoIdentity } from './demo_file.js';

/**
 * One episode to record: its reset seed, the scene variant it is played in, the identity its file carries and the
 * file it is written to (the caller's store decides where: demo sets and entropy probes keep their own layouts).
 */
export interface WorkerEpisode {
  seed: number;
  variant: SceneVariant;
  identity: DemoIdentity;
  path: string;
}

/** What one worker is asked to record (everything in it is plain data: it crosses the thread boundary). */
export interface WorkerJob {
  task: string;
  expert: string;
  maxSteps?: number;
  cacheDir: string;
  /** How a failed write names the file (e.g. 'demo episode'). */
  what: string;
  episodes: WorkerEpisode[];
}

export type WorkerMessage = { kind: 'episode'; seed: number } | { kind: 'error'; message: string };

/**
 * Records `episodes` of `job` with `workers` threads; resolves when every episode file is written
 * (`onEpisode` sees each seed as it lands) and rejects with the first worker's error, or with the signal's reason
 * when it is aborted (the workers are stopped; episodes already written stay).
 */
export async function recordInWorkers(
  job: Omit<WorkerJob, 'episodes'>,
  episodes: readonly WorkerEpisode[],
  workers: number,
  onEpisode: (seed: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
  const shares = Array.from({ length: Math.min(workers, episodes.length) }, (_, w) => episodes.filter((_, i) => i % workers === w));
  signal?.throwIfAborted();
  const threads = shares.map((share) => new Worker(workerEntryCode(import.meta.url, 'demo_worker'), { eval: true, workerData: { ...job, episodes: share } satisfies WorkerJob }));
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const finished = Promise.all(
      threads.map(
        (thread) =>
          new Promise<void>((resolve, reject) => {
            thread.on('message', (message: WorkerMessage) => {
              if (message.kind === 'episode') onEpisode(message.seed);
              else reject(new Error(message.message));
            });
            thread.on('error', reject);
            thread.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`demo worker exited with code ${code}`))));
          }),
      ),
    );
    // Terminated workers exit non-zero after an abort: that rejection is expected and must not go unhandled.
    finished.catch(() => undefined);
    await (signal ? Promise.race([finished, aborted]) : finished);
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
