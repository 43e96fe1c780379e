/** An `Expert` that acts with a distilled state-feedback MLP: features of the privileged state in, action out. */
import type { Physics } from '../envs/mujoco.js';
import type { Expert, Task } from '../envs/task.js';
import { StateFeatures } from './state_features.js';
import type { StateMlp } from './state_mlp.js';

export class DistilledExpert implements Expert {
  private features: StateFeatures | null = null;
  private featureBuffer = new Float64Array(0);
  private readonly action: Float64Array;

  constructor(
    /** Demo caches key on it: it names the teacher and the digest of the distillation. */
    readonly name: string,
    private readonly mlp: StateMlp,
  ) {
    this.action = new Float64Array(mlp.config.outputDim);
  }

  reset(physics: Physics): void {
    if (!this.features) {
      this.features = new StateFeatures(physics);
      if (this.features.dim !== this.mlp.config.inputDim) {
        throw new Error(`distilled expert '${this.name}': the model has ${this.features.dim} state features, the network takes ${this.mlp.config.inputDim}`);
      }
      this.featureBuffer = new Float64Array(this.features.dim);
    }
  }

  act(physics: Physics, task: Task): Float64Array {
    if (!this.features) throw new Error(`distilled expert '${this.name}': call reset(physics, rng) before act()`);
    this.mlp.act(this.features.read(physics, this.featureBuffer), this.action);
    const { low, high } = task.actionSpec;
    for (let i = 0; i < this.action.length; i++) this.action[i] = Math.min(high[i]!, Math.max(low[i]!, this.action[i]!));
    return this.action;
  }
}
