/**
 * Noise-injected demos (DART): the recorded labels are the expert's clean actions, the environment executes them
 * plus seeded Gaussian noise, the same seed gives the same demo, and bad noise settings are refused.
 */
import { describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { ExpertRollout } from '../src/envs/expert_rollout.js';
import { NoiseInjectedExpert } from '../src/envs/experts/noise_injected.js';
import type { Physics } from '../src/envs/mujoco.js';
import { getTask } from '../src/envs/registry.js';
import type { Expert } from '../src/envs/task.js';
import { Rng } from '../src/util/rng.js';

/** An expert that always asks for the same action, so its clean label is known without replaying it. */
class ConstantExpert implements Expert {
  readonly name = 'constant';
  constructor(private readonly action: Float64Array) {}
  reset(): void {}
  act(): Float64Array {
    return this.action;
  }
}

const noPhysics = null as unknown as Physics;

function executedActions(expert: NoiseInjectedExpert, label: Float64Array, seed: number, steps: number): Float64Array[] {
  expert.reset(noPhysics, new Rng(seed));
  return Array.from({ length: steps }, () => Float64Array.from(expert.actionToExecute(label)));
}

describe('NoiseInjectedExpert', () => {
  const label = Float64Array.from({ length: 4 }, (_, i) => 0.1 * i);

  it('executes the label plus zero-mean noise of the given std on the chosen components only', () => {
    const expert = new NoiseInjectedExpert(new ConstantExpert(label), { std: 0.2, components: [1, 3] }, 4, 'constant-dart');
    const steps = 4000;
    const executed = executedActions(expert, label, 7, steps);
    for (const c of [0, 2]) expect(executed.every((a) => a[c] === label[c]), `component ${c}`).toBe(true);
    for (const c of [1, 3]) {
      const noise = executed.map((a) => a[c]! - label[c]!);
      const mean = noise.reduce((s, x) => s + x, 0) / steps;
      const std = Math.sqrt(noise.reduce((s, x) => s + (x - mean) ** 2, 0) / steps);
      expect(Math.abs(mean), `component ${c} mean`).toBeLessThan(0.02);
      expect(std, `component ${c} std`).toBeGreaterThan(0.18);
      expect(std, `component ${c} std`).toBeLessThan(0.22);
    }
    // Components draw independently.
    expect(executed.filter((a) => a[1]! - label[1]! === a[3]! - label[3]!).length).toBeLessThan(5);
  });

  it('draws the same noise from the same seed and other noise from another seed', () => {
    const expert = new NoiseInjectedExpert(new ConstantExpert(label), { std: 0.1 }, 4, 'constant-dart');
    const first = executedActions(expert, label, 3, 20);
    expect(executedActions(expert, label, 3, 20)).toEqual(first);
    expect(executedActions(expert, label, 4, 20)).not.toEqual(first);
  });

  it('returns the inner expert clean action from act()', () => {
    const inner = new ConstantExpert(label);
    const expert = new NoiseInjectedExpert(inner, { std: 0.1 }, 4, 'constant-dart');
    expert.reset(noPhysics, new Rng(1));
    expect(expert.act(noPhysics, null as never, 0)).toEqual(label);
    expect(expert.name).toBe('constant-dart');
  });

  it.each([0, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses noise std %s', (std) => {
    expect(() => new NoiseInjectedExpert(new ConstantExpert(label), { std }, 4, 'x')).toThrow(/noise std must be a number in \(0, 1\]/);
  });

  it.each([[-1], [4], [0.5]])('refuses noise component %s of a 4-dimensional action', (c) => {
    expect(() => new NoiseInjectedExpert(new ConstantExpert(label), { std: 0.1, components: [c] }, 4, 'x')).toThrow(/noise components must be integers in \[0, 3\]/);
  });

  it('refuses to act before reset and a label of the wrong size', () => {
    const expert = new NoiseInjectedExpert(new ConstantExpert(label), { std: 0.1 }, 4, 'x');
    expect(() => expert.actionToExecute(label)).toThrow(/reset\(\) before acting/);
    expert.reset(noPhysics, new Rng(1));
    expect(() => expert.actionToExecute(new Float64Array(3))).toThrow(/label has 3 components, expected 4/);
  });
});

describe('an expert rollout with a noise-injected expert', () => {
  it('records the clean labels, visits other states than the clean expert, and repeats from the same seed', async () => {
    const task = getTask('reacher-easy');
    const clean = Float64Array.from({ length: 2 }, () => 0.3);
    const rollouts = await Promise.all([
      ExpertRollout.create(task, undefined, () => new ConstantExpert(clean)),
      ExpertRollout.create(task, undefined, () => new NoiseInjectedExpert(new ConstantExpert(clean), { std: 0.3 }, 2, 'constant-dart')),
    ]);
    try {
      const [plain, noisy] = rollouts;
      const steps = { maxSteps: 20 };
      const reference = plain!.episode(11, steps);
      const first = noisy!.episode(11, steps);
      // Labels: the clean action at every step (float32 as stored).
      expect(Array.from(first.actions)).toEqual(Array.from({ length: first.actions.length }, () => Math.fround(0.3)));
      // Same reset, so the first state agrees; the executed noise then moves the arm elsewhere.
      expect(first.states.subarray(0, first.stateSize)).toEqual(reference.states.subarray(0, reference.stateSize));
      expect(first.states).not.toEqual(reference.states);
      expect(noisy!.episode(11, steps).states).toEqual(first.states);
      expect(noisy!.episode(12, steps).states).not.toEqual(first.states);
    } finally {
      rollouts.forEach((r) => r.close());
    }
  });
});
