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
