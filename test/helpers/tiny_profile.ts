/** A profile for end-to-end runs in tests: 2 demos and 2 evaluation episodes of 20 steps, 2 epochs, 64 px frames. */
import { getProfile, type Profile } from '../../src/protocol/profiles.js';

export function tinyProfile(seeds: number[]): Profile {
  const family = { demos: 2, evalEpisodes: 2, horizon: 20 };
  return { ...getProfile('smoke'), families: { dmc: family, metaworld: family, adroit: family }, epochs: 2, evalEvery: 1, imageSize: 64, seeds };
}
