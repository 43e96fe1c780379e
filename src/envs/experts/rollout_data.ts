/**
 * A second `MjData` for planning rollouts, with a fast copy of the simulation state from the main data (one native
 * call that copies time, qpos, qvel, act, warm start, ctrl, applied forces, mocap, ...). It runs on the source's model,
 * or, with fewer planning substeps than the source's, on a copy of it whose timestep makes those substeps span the
 * same control step (the structure is the same, so the state copies over unchanged).
 */
import { Physics, type MjModel } from '../mujoco.js';

export class RolloutData {
  /**
   * A `Physics` over the scratch data (and the coarser model, if any) with the planning substeps, so task code
   * (`reward`, `applyAction`) and `advance` work on rollouts unchanged.
   */
  readonly physics: Physics;
  private readonly signature: number;
  /**
   * The coarser copy of the source's model, owned here; null when rollouts run on the source's model. A copy holds
   * the model's values of the moment it was made (tasks set some per episode, e.g. a goal), so make a new
   * RolloutData after each reset.
   */
  private readonly ownModel: MjModel | null;
  private disposed = false;

  constructor(
    readonly source: Physics,
    planningSubsteps = source.substeps,
  ) {
    const { mj } = source;
    if (!Number.isInteger(planningSubsteps) || planningSubsteps < 1) {
      throw new Error(`planning substeps must be an integer >= 1, got ${JSON.stringify(planningSubsteps)}`);
    }
    this.ownModel = planningSubsteps === source.substeps ? null : new mj.MjModel(source.model);
    if (this.ownModel) this.ownModel.opt.timestep = (source.model.opt.timestep * source.substeps) / planningSubsteps;
    const model = this.ownModel ?? source.model;
    this.physics = new Physics(mj, model, new mj.MjData(model), planningSubsteps);
    this.signature = mj.mjtState.mjSTATE_INTEGRATION.value;
  }

  /** Whether rollouts run on a copy of the source's model (made when this was constructed). */
  get copiesModel(): boolean {
    return this.ownModel !== null;
  }

  /** Makes the scratch data continue exactly from the source's current state. */
  restoreFromSource(): void {
    this.source.mj.mj_copyState(this.source.model, this.source.data, this.physics.data, this.signature);
  }

  /** Frees the scratch data and the coarser model; the source's model belongs to the source. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.physics.data.delete();
    this.ownModel?.delete();
  }
}
