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
 * `physics.data` always matches `physics.model`.
 */
export class Physics {
  private disposed = false;

  constructor(
    readonly mj: Mujoco,
    readonly model: MjModel,
    readonly data: MjData,
  ) {}

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

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.data.delete();
    this.model.delete();
  }
}

/** Compiles MJCF from a string (no file system access) and returns a fresh `Physics`. */
export async function compilePhysics(taskName: string, mjcf: string): Promise<Physics> {
  const mj = await loadMujoco();
  let model: MjModel;
  try {
    model = mj.MjModel.from_xml_string(mjcf);
  } catch (err) {
    throw new ModelCompileError(taskName, errorText(err));
  }
  if (!model) throw new ModelCompileError(taskName, 'MuJoCo returned no model');
  const data = new mj.MjData(model);
  return new Physics(mj, model, data);
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/^MuJoCo Error:\s*/, '').trim();
  return String(err).trim();
}
