/**
 * ONNX Runtime sessions for encoders: CPU by default with a chosen intra-op thread count, CUDA on request.
 * The npm package bundles CPU binaries only; asking for CUDA where its provider is not installed fails with an
 * error that says so instead of silently running on CPU.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';

export type OrtDevice = 'cpu' | 'cuda';
export const ORT_DEVICES: readonly OrtDevice[] = ['cpu', 'cuda'];

export interface OrtSessionOptions {
  /** Intra-op threads (default: all cores of this machine). */
  threads?: number;
  /** Execution provider (default 'cpu'). */
  device?: OrtDevice;
  /** CUDA device index (default 0). */
  deviceId?: number;
  /**
   * Whether idle intra-op pool threads spin-wait for the next call (default: the `BENCH_ORT_SPINNING` environment
   * variable, '1' or '0', else off; see SPINNING_DEFAULT).
   */
  spinning?: boolean;
}

/**
 * Idle pool threads sleep instead of spinning by default. After every encoder call ORT's spinning threads keep a
 * core busy while the harness needs it for the env workers, demo rendering and tfjs training of the same process.
 * Measured (benchmarks/ort_spinning.ts, vit-tiny-random at 96 px, 2 cores at load 17-26, alternated repetitions):
 * sleeping gave 1.85x / 1.47x the frames/s of spinning alone (batches of 10 / 64), one cell's evaluation in 0.44x
 * the wall time on the main thread and 0.31x pipelined on env workers, at 0.55-0.6x the CPU-seconds; a cold smoke
 * run used ~0.9x the CPU-seconds; features bit-identical. On an idle machine sleeping costs 3-8% of the encoder's
 * throughput instead (1.03-1.08x the wall time): a small loss where cores are idle against a large gain where they
 * are shared. The policies' sessions sleep too (src/policies/ort_sessions.ts).
 */
const SPINNING_DEFAULT = false;
export const SPINNING_ENV = 'BENCH_ORT_SPINNING';

/** The spinning setting in effect: the option, else the environment variable, else the default. */
export function resolveSpinning(option?: boolean): boolean {
  if (option !== undefined) return option;
  const value = process.env[SPINNING_ENV];
  if (value === undefined || value === '') return SPINNING_DEFAULT;
  if (value === '1') return true;
  if (value === '0') return false;
  throw new Error(`${SPINNING_ENV} must be '1' (idle ONNX Runtime threads spin) or '0' (they sleep), got '${value}'`);
}

/** Thread count to use when none is given: every core the process may use. */
export function defaultThreadCount(): number {
  return availableParallelism();
}

function checkProviderAvailable(device: OrtDevice): void {
  if (device === 'cpu') return;
  const backends = ort.listSupportedBackends();
  const entry = backends.find((b) => b.name === device);
  if (!entry || !entry.bundled) {
    const available = backends.filter((b) => b.bundled).map((b) => b.name);
    throw new Error(
      `ONNX Runtime device '${device}' is not available in this onnxruntime-node install ` +
        `(bundled execution providers: ${available.join(', ') || 'none'}). ` +
        `Install the CUDA provider binaries (onnxruntime-node's postinstall downloads them when online) or use device 'cpu'.`,
    );
  }
}

/** Resolved ORT session options for a device and thread count (validated). */
export function sessionOptions(options: OrtSessionOptions = {}): ort.InferenceSession.SessionOptions {
  const device = options.device ?? 'cpu';
  if (!ORT_DEVICES.includes(device)) {
    throw new Error(`ONNX Runtime device must be one of ${ORT_DEVICES.join(', ')}, got '${String(device)}'`);
  }
  const threads = options.threads ?? defaultThreadCount();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`ONNX Runtime threads must be a positive integer, got ${threads}`);
  }
  checkProviderAvailable(device);
  const providers: ort.InferenceSession.ExecutionProviderConfig[] =
    device === 'cuda' ? [{ name: 'cuda', deviceId: options.deviceId ?? 0 }, 'cpu'] : ['cpu'];
  return {
    executionProviders: providers,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: resolveSpinning(options.spinning) ? '1' : '0' } } },
  };
}

/**
 * A session over in-memory model bytes (e.g. from buildVitGraph) or an .onnx file path; `source` names the model
 * in errors (default: the path, or "an in-memory model").
 */
export async function createOrtSession(model: Uint8Array | string, options: OrtSessionOptions = {}, source?: string): Promise<ort.InferenceSession> {
  const resolved = sessionOptions(options);
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, resolved)
      : await ort.InferenceSession.create(model, resolved);
  } catch (err) {
    const what = source ?? (typeof model === 'string' ? `'${model}'` : `an in-memory model (${model.byteLength} bytes)`);
    throw new Error(`ONNX Runtime could not load ${what} on ${options.device ?? 'cpu'}: ${(err as Error).message}`);
  }
}

export { ort };
