/**
 * Run-time choice of the TensorFlow.js backend for policy training.
 *
 * Order: `@tensorflow/tfjs-node-gpu` (CUDA), `@tensorflow/tfjs-node` (native CPU), `@tensorflow/tfjs-backend-wasm`.
 * The two native packages download libtensorflow when installed, which fails offline, so they are optional
 * peers: imported dynamically and skipped when absent or broken. The wasm backend is a dependency and always
 * works; in Node it loads its .wasm files relative to its own bundle, so the working directory does not matter.
 *
 * Threads: tfjs-backend-wasm 4.x disables its multi-threaded build under Node (its WASM_HAS_MULTITHREAD_SUPPORT
 * flag is false when IS_NODE), so the wasm backend runs single-threaded SIMD and `setThreadsCount` has no effect.
 */
import * as tf from '@tensorflow/tfjs';

export type TfBackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface TfBackendInfo {
  /** tfjs backend name as registered: 'tensorflow' (node / node-gpu), 'wasm' or 'cpu'. */
  backend: string;
  /** Which package provides it. */
  provider: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node' | '@tensorflow/tfjs-backend-wasm' | '@tensorflow/tfjs';
  /** Compute threads the backend uses, when known (wasm: 1 under Node, see above). */
  threads: number | null;
  /** Human-readable summary for the CLI, e.g. "wasm (simd, 1 thread)". */
  description: string;
  /** Why the preferred native backends were skipped (empty when one of them was used). */
  skipped: string[];
}

const CHOICES: readonly TfBackendChoice[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

let active: { choice: TfBackendChoice; info: Promise<TfBackendInfo> } | null = null;

/**
 * Selects and initialises the tfjs backend once per process; later calls return the same result.
 * `choice` forces one backend (an error if it cannot start); 'auto' walks the order above.
 */
export function selectTfBackend(choice: TfBackendChoice = 'auto'): Promise<TfBackendInfo> {
  if (!CHOICES.includes(choice)) {
    throw new Error(`selectTfBackend: backend must be one of ${CHOICES.join(', ')}, got "${String(choice)}"`);
  }
  if (active !== null) {
    if (choice !== 'auto' && active.choice !== choice) {
      throw new Error(`selectTfBackend: backend already initialised as "${active.choice}", cannot switch to "${choice}"`);
    }
    return active.info;
  }
  const info = initialise(choice);
  active = { choice, info };
  // A failed start must not poison later attempts (e.g. a forced native backend that is not installed).
  info.catch(() => {
    if (active?.info === info) active = null;
  });
  return info;
}

async function initialise(choice: TfBackendChoice): Promise<TfBackendInfo> {
  const skipped: string[] = [];
  if (choice === 'auto' || choice === 'tensorflow-gpu') {
    const info = await tryNative('@tensorflow/tfjs-node-gpu', skipped);
    if (info) return info;
    if (choice === 'tensorflow-gpu') throw new Error(`selectTfBackend: tensorflow-gpu unavailable (${skipped.join('; ')})`);
  }
  if (choice === 'auto' || choice === 'tensorflow') {
    const info = await tryNative('@tensorflow/tfjs-node', skipped);
    if (info) return info;
    if (choice === 'tensorflow') throw new Error(`selectTfBackend: tensorflow unavailable (${skipped.join('; ')})`);
  }
  if (choice === 'cpu') {
    await activate('cpu');
    return { backend: 'cpu', provider: '@tensorflow/tfjs', threads: 1, description: 'cpu (plain JS)', skipped };
  }
  await import('@tensorflow/tfjs-backend-wasm');
  await activate('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const threads = multithread ? null : 1;
  const description = `wasm (${simd ? 'simd' : 'no simd'}, ${threads === 1 ? '1 thread' : 'multi-threaded'})`;
  return { backend: 'wasm', provider: '@tensorflow/tfjs-backend-wasm', threads, description, skipped };
}

async function tryNative(
  pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node',
  skipped: string[],
): Promise<TfBackendInfo | null> {
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const specifier: string = pkg;
    await import(specifier);
    await activate('tensorflow');
    const description = `tensorflow (${pkg === '@tensorflow/tfjs-node-gpu' ? 'CUDA' : 'native CPU'})`;
    return { backend: 'tensorflow', provider: pkg, threads: null, description, skipped };
  } catch (error) {
    skipped.push(`${pkg}: ${firstLine(error)}`);
    return null;
  }
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend "${name}" failed to initialise`);
  await tf.ready();
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
