/**
 * Run planning and profile overrides on small inputs (src/run/plan.ts, src/protocol/profiles.ts): sweep plans, the
 * empty-shard error, and the smallest evaluation-episode count. (test/run.test.ts checks shards end to end.)
 */
import { describe, expect, it } from 'vitest';
import { planCells } from '../src/run/plan.js';
import { getProfile, withOverrides } from '../src/protocol/profiles.js';

describe('planCells', () => {
  it('gives every sweep cell its training factors, trainings between task and encoder in the order', () => {
    const light = { factors: ['light' as const], k: 2 };
    const camera = { factors: ['camera' as const], k: 1 };
    const cells = planCells(['a'], ['e', 'f'], [1], undefined, [light, camera]);
    expect(cells).toEqual([
      { task: 'a', encoder: 'e', seed: 1, training: light },
      { task: 'a', encoder: 'f', seed: 1, training: light },
      { task: 'a', encoder: 'e', seed: 1, training: camera },
      { task: 'a', encoder: 'f', seed: 1, training: camera },
    ]);
    // The canonical scene (null) gives cells without a training entry.
    expect(planCells(['a'], ['e'], [1], undefined, [null, light])).toEqual([
      { task: 'a', encoder: 'e', seed: 1 },
      { task: 'a', encoder: 'e', seed: 1, training: light },
    ]);
  });

  it('refuses an empty shard, saying which shards have work', () => {
    expect(() => planCells(['a'], ['e'], [1, 2], { index: 2, count: 4 })).toThrow(
      '--shard 3/4 is empty: the plan has 2 cell(s), so only shards 1 to 2 of 4 have work; nothing to run',
    );
    expect(planCells(['a'], ['e'], [1, 2], { index: 1, count: 4 })).toEqual([{ task: 'a', encoder: 'e', seed: 2 }]);
  });
});

describe('withOverrides', () => {
  it('accepts one evaluation episode, the smallest count', () => {
    const profile = withOverrides(getProfile('smoke'), { evalEpisodes: 1 });
    expect(Object.values(profile.families).map((f) => f.evalEpisodes)).toEqual([1, 1, 1]);
    expect(() => withOverrides(getProfile('smoke'), { evalEpisodes: 0 })).toThrow('--eval-episodes: expected a positive integer, got 0');
  });
});
