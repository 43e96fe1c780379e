/**
 * Fixed seeds of the protocol and the digest of a run's configuration.
 *
 * Seeds: demos use base seed DEMO_BASE_SEED (episode seeds are 32-bit hashes, see data/demos.ts). Evaluation
 * episode k of every cell uses reset seed EVAL_SEED_BASE + k, skipping any value that is a demo episode seed of
 * the task, so evaluation never replays a training episode; all encoders and policy seeds meet the same episodes.
 * Policy seed s initialises the network from s and shuffles epoch e with seed epochSeed(s, e).
 */
import { createHash } from 'node:crypto';
import type { PolicyHead } from '../policies/policy.js';
import type { Profile } from './profiles.js';

export const DEMO_BASE_SEED = 0;
export const EVAL_SEED_BASE = 1000;

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

/** Everything besides task, encoder and seed that determines a cell's numbers. */
export interface RunConfig {
  benchmark: string;
  profile: Profile;
  /** 'auto' = mlp, or conv for theia: encoders when the profile says so. */
  head: PolicyHead | 'auto';
  shuffleActions: boolean;
}

export function configDigest(config: RunConfig): string {
  const identity = { schema: 1, demoBaseSeed: DEMO_BASE_SEED, evalSeedBase: EVAL_SEED_BASE, ...config, profile: { ...config.profile, seeds: undefined } };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}

/** The head a cell uses. */
export function resolveHead(config: RunConfig, encoder: string): PolicyHead {
  if (config.head !== 'auto') return config.head;
  return config.profile.convHeadForTheia && encoder.startsWith('theia:') ? 'conv' : 'mlp';
}
