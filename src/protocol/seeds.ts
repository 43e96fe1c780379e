/**
 * The protocol's fixed seeds.
 *
 * Demos use base seed DEMO_BASE_SEED (episode seeds are 32-bit hashes, see data/demos.ts). Evaluation episode k of
 * every cell uses reset seed EVAL_SEED_BASE + k, skipping any value that is a demo episode seed of the task, so
 * evaluation never replays a training episode; all encoders and policy seeds meet the same episodes. Policy seed s
 * initialises the network from s and shuffles epoch e with seed epochSeed(s, e).
 */

export { DEMO_BASE_SEED } from '../util/demo_seeds.js';
export const EVAL_SEED_BASE = 1000;

/** s * 100003 + e mod 2^32: 100003 (a prime above any epoch count) keeps (seed, epoch) pairs apart. */
export function epochSeed(policySeed: number, epoch: number): number {
  return (Math.imul(policySeed, 100_003) + epoch) >>> 0;
}

/** The first `count` evaluation seeds from EVAL_SEED_BASE that are not in `demoSeeds`. */
export function evaluationSeeds(count: number, demoSeeds: readonly number[]): number[] {
  const taken = new Set(demoSeeds);
  const seeds: number[] = [];
  for (let s = EVAL_SEED_BASE; seeds.length < count; s++) if (!taken.has(s)) seeds.push(s);
  return seeds;
}
