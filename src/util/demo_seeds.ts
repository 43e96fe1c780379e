/**
 * The reset seeds of demo episodes. Here, below data/ and distill/, because both need them: data/ records demos on
 * them and distill/ judges a distilled demo expert on the same episodes every expert's bar is measured on.
 */
import { checkSeed } from './rng.js';

/** The base seed every profile's demos use (protocol/seeds.ts re-exports it with the protocol's other seeds). */
export const DEMO_BASE_SEED = 0;

/** A bijective 32-bit integer hash (lowbias32): distinct inputs give distinct outputs. */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The reset seed of demo episode `index` of base seed `baseSeed`: mix32((mix32(base ^ 0x44454d4f) + index) mod 2^32).
 * Hashed rather than `base + index` so that demo episodes do not replay the small seeds evaluation uses; distinct
 * indices of one base seed always give distinct seeds because mix32 is a bijection. 0x44454d4f is "DEMO" in ASCII,
 * a fixed salt that keeps demo seeds apart from other streams hashed from the same base seed.
 */
export function demoEpisodeSeed(baseSeed: number, index: number): number {
  checkSeed('base seed', baseSeed);
  if (!Number.isInteger(index) || index < 0) throw new Error(`episode index must be a non-negative integer, got ${index}`);
  return mix32((mix32((baseSeed ^ 0x44454d4f) >>> 0) + index) >>> 0);
}

/** Reset seeds of the first `episodes` demo episodes of `baseSeed`. */
export function demoEpisodeSeeds(baseSeed: number, episodes: number): number[] {
  checkEpisodeCount(episodes);
  return Array.from({ length: episodes }, (_, i) => demoEpisodeSeed(baseSeed, i));
}

export function checkEpisodeCount(episodes: number): void {
  if (!Number.isInteger(episodes) || episodes < 1) throw new Error(`episodes must be a positive integer, got ${episodes}`);
}
