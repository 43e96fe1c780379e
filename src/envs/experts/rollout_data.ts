/**
 * A second `MjData` on the same model for planning rollouts, with a fast copy of the simulation state from the
 * main data (one native call that copies time, qpos, qvel, act, warm start, ctrl, applied forces, mocap, ...).
 */
import { Physics } from '../mujoco.js';

export class RolloutData {
  /**
   * A `Physics` over the scratch data with the source's substeps, so task code (`reward`, `applyAction`) and
   * `advance` work on rollouts unchanged.
   */
  readonly physics: Physics;
  private readonly signature: number;
  private disposed = false;

  constructor(readonly source: Physics) {
    const data = new source.mj.MjData(source.model);
    this.physics = new Physics(source.mj, source.model, data, source.substeps);
    this.signature = source.mj.mjtState.mjSTATE_INTEGRATION.value;
  }

  /** Makes the scratch data continue exactly from the source's current state. */
  restoreFromSource(): void {
    this.source.mj.mj_copyState(this.source.model, this.source.data, this.physics.data, this.signature);
  }

  /** Frees the scratch data only; the model belongs to the source. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.physics.data.delete();
  }
}
