import { getProfile, type Profile } from '../../src/protocol/profiles.js';

/** What a test may change of the tiny profile: whole profile fields, and the evaluation episodes per task. */
export type TinyProfileOverrides = Partial<Profile> & { evalEpisodes?: number };

/**
 * A profile for end-to-end runs in tests (seconds per run): the smoke profile with 2 demos of 20 steps per task,
 * 2 evaluation episodes (or `evalEpisodes`), 2 epochs evaluated after each, 64 px frames and seed 1; other
 * `overrides` replace whole fields.
 */
export function tinyProfile({ evalEpisodes = 2, ...overrides }: TinyProfileOverrides = {}): Profile {
  const family = { demos: 2, evalEpisodes, horizon: 20 };
  return {
    ...getProfile('smoke'),
    families: { dmc: family, metaworld: family, adroit: family },
    epochs: 2,
    evalEvery: 1,
    imageSize: 64,
    seeds: [1],
    ...overrides,
  };
}
