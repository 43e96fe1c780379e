/**
 * cheetah-run's factors (colour, background) are visual only: its planner expert plans on the simulator state, so
 * under every split's values (colour graded 0.1, 0.2 and 0.3) its actions and states are bit-identical to the canonical scene's, and only the
 * pixels change.
 */
import { describe, expect, it } from 'vitest';
import '../src/envs/index.js';
import { ExpertRollout } from '../src/envs/expert_rollout.js';
import { factorSplits, type FactorName } from '../src/envs/factors/factor_table.js';
import { canonicalVariant, type SceneVariant } from '../src/envs/factors/variant.js';
import { evaluationSet } from '../src/envs/factors/variant_sets.js';
import { getTask } from '../src/envs/registry.js';

const STEPS = 3;

describe('cheetah-run under its DMC factors', () => {
  it('the expert acts and moves bit-identically under each factor value; only the pixels change', async () => {
    const task = getTask('cheetah-run');
    const rollout = await ExpertRollout.create(task, canonicalVariant(task));
    try {
      const play = (variant: SceneVariant) => {
        const episode = rollout.episode(11, { variant, maxSteps: STEPS });
        const pixels = Buffer.from(rollout.env.render({ width: 64, height: 64 }).rgb).toString('base64');
        return { states: Buffer.from(episode.states.buffer), actions: Buffer.from(episode.actions.buffer), rewards: Array.from(episode.rewards), pixels };
      };
      const canonical = play(canonicalVariant(task));
      const factors: FactorName[] = ['colour', 'background'];
      for (const factor of factors) {
        for (const split of factorSplits(factor)) {
          // Two values per split: colour's out-of-range alternates grades 0.2 and 0.3 (seen and unseen are 0.1).
          for (const variant of evaluationSet(task, [factor], 1, split, 2).variants) {
            const shifted = play(variant);
            const what = `${factor} ${split} ${JSON.stringify(variant.values)}`;
            expect(shifted.states.equals(canonical.states), what).toBe(true);
            expect(shifted.actions.equals(canonical.actions), what).toBe(true);
            expect(shifted.rewards, what).toEqual(canonical.rewards);
            expect(shifted.pixels, what).not.toBe(canonical.pixels);
          }
        }
      }
    } finally {
      rollout.close();
    }
  }, 120_000);
});
