/** A run's configuration (everything besides task, encoder and seed that determines a cell) and its digest. */
import { createHash } from 'node:crypto';
import type { PolicyHead } from '../policies/policy.js';
import type { Split } from '../envs/factors/factor_table.js';
import type { Profile } from '../protocol/profiles.js';
import { DEMO_BASE_SEED, EVAL_SEED_BASE } from '../protocol/seeds.js';
import { sweepProtocol, type SweepProtocol } from '../protocol/sweeps.js';

/** What a factor sweep adds to a run's configuration: the splits every cell is evaluated on, and its protocol. */
export interface SweepConfig extends SweepProtocol {
  splits: Split[];
}

/** The sweep configuration of a run of `profile` evaluated on `splits` (bench sweep, and bench merge reading one back). */
export function sweepConfig(splits: readonly Split[], profile: Pick<Profile, 'name'>): SweepConfig {
  return { splits: [...splits], ...sweepProtocol(profile) };
}

/** Everything besides task, training scenes, encoder and seed that determines a cell's numbers. */
export interface RunConfig {
  benchmark: string;
  profile: Profile;
  /** 'auto' = mlp, or conv for encoders that prefer spatial tokens (Theia) when the profile says so. */
  head: PolicyHead | 'auto';
  shuffleActions: boolean;
  /** Present for `bench sweep` (absent keeps a `bench run` configuration's digest as it was). */
  sweep?: SweepConfig;
}

/**
 * Schema 2: profiles gained policyInit and encoderPreprocessing, and entropy left the configuration (it is keyed on
 * the encoder and the probe set alone).
 */
export function configDigest(config: RunConfig): string {
  const identity = { schema: 2, demoBaseSeed: DEMO_BASE_SEED, evalSeedBase: EVAL_SEED_BASE, ...config, profile: { ...config.profile, seeds: undefined } };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}
