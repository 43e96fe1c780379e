/**
 * Run-time choice of what trains the policies: the policy engine (training.ts: ONNX Runtime or tfjs) and the
 * TensorFlow.js backend for what runs on tfjs.
 *
 * Requests: 'onnxruntime' (the engine 'onnxruntime': both policy heads on ONNX Runtime's CPU
 * kernels, with tfjs wasm as the tfjs backend), 'node-gpu' (`@tensorflow/tfjs-node-gpu`,
 * CUDA), 'node' (`@tensorflow/tfjs-node`, native CPU), 'wasm' (`@tensorflow/tfjs-backend-wasm`), 'cpu' (plain JS);
 * these four train every layer on tfjs. 'auto': node-gpu, then node, the first that starts, else 'onnxruntime'.
 * The tfjs backend is chosen once per process; the engine follows each request, so 'wasm' and 'onnxruntime'
 * share one process (tests compare them). The two native packages download libtensorflow when installed, which fails offline, so they are optional
 * peers, loaded at run time only when installed in this project's own node_modules: Node's resolution also searches
 * every parent folder's node_modules (e.g. /tmp/node_modules, which any local user can write), so a package is
 * located from the project root and refused when its file lies outside the project's node_modules. What was found,
 * refused or failed to start is reported in `TfBackendInfo.notes`. The wasm backend is a dependency and always
 * works; in Node it loads its .wasm files relative to its own bundle, so the working directory does not matter.
 *
 * Threads: tfjs-backend-wasm 4.x disables its multi-threaded build under Node (its WASM_HAS_MULTITHREAD_SUPPORT
 * flag is false when IS_NODE), so the wasm backend runs single-threaded SIMD and `setThreadsCount` has no effect.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { PolicyEngine } from './training.js';

export type TfBackendRequest = 'auto' | 'onnxruntime' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
export const TF_BACKEND_REQUESTS: readonly TfBackendRequest[] = ['auto', 'onnxruntime', 'node-gpu', 'node', 'wasm', 'cpu'];

type NativePackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';

export interface TfBackendInfo {
  /** tfjs backend name as registered: 'tensorflow' (node / node-gpu), 'wasm' or 'cpu'. */
  backend: string;
  /** Which package provides it. */
  provider: NativePackage | '@tensorflow/tfjs-backend-wasm' | '@tensorflow/tfjs';
  /** Compute threads the backend uses, when known (wasm: 1 under Node, see above). */
  threads: number | null;
  /** Where the policies train: 'onnxruntime' or 'tfjs' (every layer on the tfjs backend). */
  engine: PolicyEngine;
  /**
   * What trains the policies, for the CLI and result rows (`tfjs_backend`), e.g. "onnxruntime (MLAS) + wasm (simd,
   * 1 thread)" or "wasm (simd, 1 thread)" (every layer on tfjs; the only form before the engine existed).
   */
  description: string;
  /** Native packages that were found and used, refused (outside the project) or failed to start; empty when none is installed. */
  notes: string[];
}

/** The folder of this package's package.json (src/policies or dist/policies, two levels down). */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let active: { request: TfBackendRequest; info: Promise<TfBackendInfo> } | null = null;

/**
 * Selects and initialises the tfjs backend once per process and describes what a policy trained for `request`
 * runs on. A request other than 'auto' forces its tfjs backend (an error if it cannot start, or if another one
 * already runs; 'onnxruntime' needs wasm); 'auto' walks the order above, or takes the running backend.
 */
export async function selectTfBackend(request: TfBackendRequest = 'auto'): Promise<TfBackendInfo> {
  if (!TF_BACKEND_REQUESTS.includes(request)) {
    throw new Error(`policy backend must be one of ${TF_BACKEND_REQUESTS.join(', ')}, got "${String(request)}"`);
  }
  if (active === null) {
    const info = initialise(request);
    active = { request, info };
    // A failed start must not poison later attempts (e.g. a forced native backend that is not installed).
    info.catch(() => {
      if (active?.info === info) active = null;
    });
    return withEngine(await info, request);
  }
  const info = await active.info;
  if (request !== 'auto' && !satisfies(info, request)) {
    throw new Error(`tfjs backend already initialised as ${info.description}, cannot switch to "${request}"`);
  }
  return withEngine(info, request);
}

/** The tfjs backend's info with the engine `request` trains on: ONNX Runtime for 'onnxruntime', and for 'auto' on wasm. */
function withEngine(tfjs: TfBackendInfo, request: TfBackendRequest): TfBackendInfo {
  const onOrt = request === 'onnxruntime' || (request === 'auto' && tfjs.provider === '@tensorflow/tfjs-backend-wasm');
  if (!onOrt) return { ...tfjs, engine: 'tfjs' };
  return { ...tfjs, engine: 'onnxruntime', description: `onnxruntime (MLAS) + ${tfjs.description}` };
}

/** Whether the running backend is the one `request` names. */
function satisfies(info: TfBackendInfo, request: Exclude<TfBackendRequest, 'auto'>): boolean {
  const provider: Record<typeof request, TfBackendInfo['provider']> = {
    onnxruntime: '@tensorflow/tfjs-backend-wasm',
    'node-gpu': '@tensorflow/tfjs-node-gpu',
    node: '@tensorflow/tfjs-node',
    wasm: '@tensorflow/tfjs-backend-wasm',
    cpu: '@tensorflow/tfjs',
  };
  return info.provider === provider[request];
}

/**
 * Where `pkg` resolves from `projectRoot`: its entry file when it lies inside `projectRoot`'s node_modules, null
 * when it is not installed, or the reason it is refused (it resolves outside, e.g. to a parent folder's node_modules).
 */
export function locateOptionalPackage(pkg: string, projectRoot: string): { path: string } | { refused: string } | null {
  let resolved: string;
  try {
    resolved = createRequire(join(projectRoot, 'package.json')).resolve(pkg);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    return { refused: `cannot be resolved (${firstLine(error)})` };
  }
  // The project's node_modules may itself be a link (a shared install); what counts is where it leads.
  let own = join(projectRoot, 'node_modules');
  try {
    own = realpathSync(own);
  } catch {
    // no node_modules of its own: every resolution lies outside
  }
  const real = realpathSync(resolved);
  const inside = relative(own, real);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    return { refused: `resolves to ${real}, outside this project's node_modules (${own}); not loading code from there` };
  }
  return { path: real };
}

async function initialise(request: TfBackendRequest): Promise<TfBackendInfo> {
  const notes: string[] = [];
  for (const [name, pkg] of [['node-gpu', '@tensorflow/tfjs-node-gpu'], ['node', '@tensorflow/tfjs-node']] as const) {
    if (request !== 'auto' && request !== name) continue;
    const info = await tryNative(pkg, notes);
    if (info) return info;
    if (request === name) {
      throw new Error(`tfjs backend ${name} is unavailable: ${notes.length ? notes.join('; ') : `${pkg} is not installed in this project (npm install ${pkg})`}`);
    }
  }
  if (request === 'cpu') {
    await activate('cpu');
    return { backend: 'cpu', provider: '@tensorflow/tfjs', threads: 1, engine: 'tfjs', description: 'cpu (plain JS)', notes };
  }
  await import('@tensorflow/tfjs-backend-wasm');
  await activate('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const threads = multithread ? null : 1;
  const description = `wasm (${simd ? 'simd' : 'no simd'}, ${threads === 1 ? '1 thread' : 'multi-threaded'})`;
  return { backend: 'wasm', provider: '@tensorflow/tfjs-backend-wasm', threads, engine: 'tfjs', description, notes };
}

/** Starts a native backend installed in this project, or returns null: not installed, or why not in `notes`. */
async function tryNative(pkg: NativePackage, notes: string[]): Promise<TfBackendInfo | null> {
  const located = locateOptionalPackage(pkg, PROJECT_ROOT);
  if (located === null) return null;
  if ('refused' in located) {
    notes.push(`${pkg}: REFUSED: ${located.refused}`);
    return null;
  }
  try {
    await import(pathToFileURL(located.path).href);
    await activate('tensorflow');
  } catch (error) {
    notes.push(`${pkg}: found at ${located.path} but it failed to start: ${firstLine(error)}`);
    return null;
  }
  notes.push(`${pkg}: using ${located.path}`);
  const description = `tensorflow (${pkg === '@tensorflow/tfjs-node-gpu' ? 'CUDA' : 'native CPU'})`;
  return { backend: 'tensorflow', provider: pkg, threads: null, engine: 'tfjs', description, notes };
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
