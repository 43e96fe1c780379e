/**
 * Noise-injected demonstrations (DART, Laskey et al. 2017): a closed-loop expert whose executed action is its own
 * action plus Gaussian noise, while the demo records the clean action as the label. The demos then visit the states
 * a slightly wrong policy drifts into and label them with the expert's correction, which plain demos never show.
 * The noise is drawn from a stream forked off the expert's episode stream, so a demo set stays a function of its
 * seeds; the noise level is part of the expert's name, which demo sets key on.
 */
import type { Rng } from '../../util/rng.js';
import type { Physics } from '../mujoco.js';
import type { Expert, Task } from '../task.js';

/** Label of the noise stream forked off the expert's episode stream ("DART" in ASCII). */
const NOISE_STREAM = 0x44415254;

export interface NoiseInjection {
  /** Standard deviation of the noise added to every action component, in action units (the [-1, 1] range). */
  std: number;
  /** Only these action components get noise (all when omitted), e.g. an arm's joints and not the fingers. */
  components?: readonly number[];
}

export function checkNoiseInjection(noise: NoiseInjection, actionDim: number): void {
  if (!(Number.isFinite(noise.std) && noise.std > 0 && noise.std <= 1)) {
    throw new Error(`noise std must be a number in (0, 1] (action units), got ${noise.std}`);
  }
  for (const c of noise.components ?? []) {
    if (!(Number.isInteger(c) && c >= 0 && c < actionDim)) {
      throw new Error(`noise components must be integers in [0, ${actionDim - 1}], got ${c}`);
    }
  }
}

export class NoiseInjectedExpert implements Expert {
  readonly name: string;
  private noiseRng: Rng | null = null;
  private readonly components: readonly number[];
  private readonly perturbed: Float64Array;

  /** `name`: the noisy expert's own name (demo sets key on it); it should say the inner expert and the noise. */
  constructor(
    private readonly inner: Expert,
    private readonly noise: NoiseInjection,
    actionDim: number,
    name: string,
  ) {
    checkNoiseInjection(noise, actionDim);
    this.name = name;
    this.components = noise.components ?? Array.from({ length: actionDim }, (_, i) => i);
    this.perturbed = new Float64Array(actionDim);
  }

  reset(physics: Physics, rng: Rng): void {
    this.noiseRng = rng.fork(NOISE_STREAM);
    this.inner.reset(physics, rng);
  }

  act(physics: Physics, task: Task, step: number): Float64Array {
    return this.inner.act(physics, task, step);
  }

  actionToExecute(label: Float64Array): Float64Array {
    if (!this.noiseRng) throw new Error(`expert '${this.name}': reset() before acting`);
    if (label.length !== this.perturbed.length) {
      throw new Error(`expert '${this.name}': label has ${label.length} components, expected ${this.perturbed.length}`);
    }
    this.perturbed.set(label);
    for (const c of this.components) this.perturbed[c] = label[c]! + this.noiseRng.normal(0, this.noise.std);
    return this.perturbed;
  }

  dispose(): void {
    this.inner.dispose?.();
  }
}
