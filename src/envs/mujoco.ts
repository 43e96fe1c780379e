/**
 * The MuJoCo layer: one WASM module per process, models compiled from MJCF strings, and owned model/data pairs
 * whose native memory is freed explicitly (the WASM heap is not garbage-collected).
 */
import loadMujocoModule from '@mujoco/mujoco';
import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';

export type Mujoco = MainModule;
export type { MjData, MjModel };

let modulePromise: Promise<Mujoco> | null = null;

/** Loads the MuJoCo WASM module once per process. */
export function loadMujoco(): Promise<Mujoco> {
  modulePromise ??= loadMujocoModule();
  return modulePromise;
}

/**
 * Bytes of the module's WASM memory: what MuJoCo's allocations have needed at most so far (the memory grows on
 * demand, never shrinks, and allocations fail beyond 2 GiB, e.g. "Could not allocate memory" when compiling).
 */
export function wasmHeapBytes(mj: Mujoco): number {
  // Any view into the heap shows its buffer; one double is the cheapest to allocate and free.
  const probe = new mj.DoubleBuffer(1);
  try {
    return (probe.GetView() as Float64Array).buffer.byteLength;
  } finally {
    probe.delete();
  }
}

/** Thrown when an MJCF model does not compile; the message names the task and quotes MuJoCo's compiler. */
export class ModelCompileError extends Error {
  constructor(
    readonly taskName: string,
    readonly compilerMessage: string,
  ) {
    super(`task '${taskName}': MJCF model does not compile: ${compilerMessage}`);
    this.name = 'ModelCompileError';
  }
}

/**
 * A compiled model with one data instance. `dispose()` frees both; the pair must not be used afterwards.
 * `physics.data` always matches `physics.model`. `substeps` is how many physics steps make one control step
 * (the task's `substeps`): `advance` (stepping.ts) reads it, so every caller steps the same system.
 */
export class Physics {
  private disposed = false;
  private dataViews: DataViews | null = null;

  constructor(
    readonly mj: Mujoco,
    readonly model: MjModel,
    readonly data: MjData,
    readonly substeps = 1,
  ) {
    if (!Number.isInteger(substeps) || substeps < 1) throw new Error(`physics substeps must be an integer >= 1, got ${substeps}`);
  }

  /** Physics state size for `mjSTATE_FULLPHYSICS` (time, qpos, qvel, act, mocap, ...). */
  get stateSize(): number {
    return this.mj.mj_stateSize(this.model, this.mj.mjtState.mjSTATE_FULLPHYSICS.value);
  }

  /** Copies the full physics state (time, qpos, qvel, act, warm start, mocap, ...) out of the simulator. */
  getState(out?: Float64Array): Float64Array {
    const size = this.stateSize;
    const state = out ?? new Float64Array(size);
    const buffer = new this.mj.DoubleBuffer(size);
    try {
      this.mj.mj_getState(this.model, this.data, buffer, this.mj.mjtState.mjSTATE_FULLPHYSICS.value);
      state.set(buffer.GetView() as Float64Array);
    } finally {
      buffer.delete();
    }
    return state;
  }

  /** Restores a state from `getState` and recomputes derived quantities (positions of bodies, sensors). */
  setState(state: Float64Array): void {
    this.mj.mj_setState(this.model, this.data, Array.from(state), this.mj.mjtState.mjSTATE_FULLPHYSICS.value);
    this.mj.mj_forward(this.model, this.data);
  }

  /** Cached live views of `data`'s hot arrays (cheaper than the embind getters in per-step code). */
  get views(): DataViews {
    this.dataViews ??= new DataViews(this.data);
    return this.dataViews;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.data.delete();
    this.model.delete();
  }
}

/**
 * Live views into an `MjData`'s arrays. Each embind getter (`data.qpos`, ...) builds a new typed-array view,
 * which costs a noticeable fraction of an `mj_step` on small models; these views are made once and re-made only
 * when the WASM memory grows (growth detaches the old buffer, and a detached view reads length 0; zero-length
 * arrays are simply fetched again each time).
 */
export class DataViews {
  private qposView: Float64Array | null = null;
  private qvelView: Float64Array | null = null;
  private actView: Float64Array | null = null;
  private ctrlView: Float64Array | null = null;
  private sensordataView: Float64Array | null = null;
  private xposView: Float64Array | null = null;
  private siteXposView: Float64Array | null = null;
  private mocapPosView: Float64Array | null = null;

  constructor(readonly data: MjData) {}

  get qpos(): Float64Array {
    const v = this.qposView;
    return v !== null && v.length !== 0 ? v : (this.qposView = this.data.qpos as Float64Array);
  }
  get qvel(): Float64Array {
    const v = this.qvelView;
    return v !== null && v.length !== 0 ? v : (this.qvelView = this.data.qvel as Float64Array);
  }
  get act(): Float64Array {
    const v = this.actView;
    return v !== null && v.length !== 0 ? v : (this.actView = this.data.act as Float64Array);
  }
  get ctrl(): Float64Array {
    const v = this.ctrlView;
    return v !== null && v.length !== 0 ? v : (this.ctrlView = this.data.ctrl as Float64Array);
  }
  get sensordata(): Float64Array {
    const v = this.sensordataView;
    return v !== null && v.length !== 0 ? v : (this.sensordataView = this.data.sensordata as Float64Array);
  }
  /** [nbody, 3] world positions of the body frames. */
  get xpos(): Float64Array {
    const v = this.xposView;
    return v !== null && v.length !== 0 ? v : (this.xposView = this.data.xpos as Float64Array);
  }
  /** [nsite, 3] world positions of the sites. */
  get siteXpos(): Float64Array {
    const v = this.siteXposView;
    return v !== null && v.length !== 0 ? v : (this.siteXposView = this.data.site_xpos as Float64Array);
  }
  /** [nmocap, 3] positions of the mocap bodies. */
  get mocapPos(): Float64Array {
    const v = this.mocapPosView;
    return v !== null && v.length !== 0 ? v : (this.mocapPosView = this.data.mocap_pos as Float64Array);
  }
}

export interface CompileOptions {
  /** Physics steps per control step (see `Physics`). */
  substeps?: number;
  /**
   * Files the MJCF reads (e.g. PNG textures) by relative path, written into the WASM module's in-memory file
   * system before compiling (the real file system is never read).
   */
  files?: ReadonlyMap<string, Uint8Array>;
}

/** Compiles MJCF from a string and returns a fresh `Physics` stepped `substeps` at a time. */
export async function compilePhysics(taskName: string, mjcf: string, options: CompileOptions = {}): Promise<Physics> {
  return compilePhysicsWith(await loadMujoco(), taskName, mjcf, options);
}

/** The in-memory files already written per module, so each is copied in once per process. */
const writtenFiles = new WeakMap<Mujoco, Map<string, Uint8Array>>();

/**
 * Makes `files` readable by the compiler at their relative paths (the module's in-memory file system, rooted at
 * '/'). MuJoCo's virtual-file-system API copies bytes one by one through the binding (~1 s for the texture pools);
 * the emscripten file system takes a whole typed array at once.
 */
function provideFiles(mj: Mujoco, files: ReadonlyMap<string, Uint8Array>): void {
  let written = writtenFiles.get(mj);
  if (!written) writtenFiles.set(mj, (written = new Map()));
  for (const [path, bytes] of files) {
    if (written.get(path) === bytes) continue;
    if (path.startsWith('/') || path.split('/').includes('..')) throw new Error(`model file '${path}' must be a relative path without '..'`);
    const dirs = path.split('/').slice(0, -1);
    for (let i = 1; i <= dirs.length; i++) {
      const dir = `/${dirs.slice(0, i).join('/')}`;
      if (!mj.FS.analyzePath(dir, false).exists) mj.FS.mkdir(dir);
    }
    mj.FS.writeFile(`/${path}`, bytes);
    written.set(path, bytes);
  }
}

/** `compilePhysics` with the module already loaded: synchronous, for a scene rebuilt at reset. */
export function compilePhysicsWith(mj: Mujoco, taskName: string, mjcf: string, { substeps = 1, files }: CompileOptions = {}): Physics {
  let model: MjModel;
  try {
    if (files) provideFiles(mj, files);
    model = mj.MjModel.from_xml_string(mjcf);
  } catch (err) {
    throw new ModelCompileError(taskName, errorText(err));
  }
  if (!model) throw new ModelCompileError(taskName, 'MuJoCo returned no model');
  const data = new mj.MjData(model);
  try {
    return new Physics(mj, model, data, substeps);
  } catch (err) {
    data.delete();
    model.delete();
    throw err;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/^MuJoCo Error:\s*/, '').trim();
  return String(err).trim();
}
