/**
 * ONNX Runtime sessions for policy graphs (batchnorm_mlp_ort.ts, conv_head_ort.ts): CPU kernels (MLAS) on
 * `threads` intra-op threads. MLAS splits its products over output rows and columns, never over a reduction, and
 * element-wise kernels split over elements, so results do not depend on the thread count (tested).
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';

/** Thread count when none is given: every core this process may use. */
export function defaultPolicyThreads(): number {
  return availableParallelism();
}

/** A CPU session over in-memory graph bytes; `what` names the graph in errors. */
export async function createPolicySession(graph: Uint8Array, threads: number, what: string): Promise<ort.InferenceSession> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`${what}: threads must be a positive integer, got ${threads}`);
  return ort.InferenceSession.create(graph, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Idle pool threads sleep instead of spinning: on a shared machine spinning threads steal the cores the
    // busy ones need (measured: 2 spinning threads ran slower than 1 under load).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}
