/**
 * How a factor sweep (`bench sweep`) spends a profile: demos per training value (a training set of K values has
 * K x that many demos, Factor-World's fixed number per value) and evaluation episodes per split. Everything else
 * (horizons, epochs, image size, batch) is the profile's, as in `bench run`.
 */
import type { Profile, ProfileName } from './profiles.js';

export interface SweepProtocol {
  /** Demo episodes recorded under each training value. */
  demosPerValue: number;
  /** Evaluation episodes per split and evaluation point. */
  evalEpisodes: number;
}

const SWEEP_PROTOCOLS: Record<ProfileName, SweepProtocol> = {
  // 25 per value: K = 1 has the paper's 25 MetaWorld demos; Theia's 25 evaluation episodes per split.
  paper: { demosPerValue: 25, evalEpisodes: 25 },
  // 10 per value: K = 1 trains on 10 demos and K = 5 on 50 (twice `bench run` quick's 25), so the K = 5 cells
  // dominate a sweep's cost (benchmarks/sweep_quick.ts); 10 episodes per split as `bench run` quick.
  quick: { demosPerValue: 10, evalEpisodes: 10 },
  smoke: { demosPerValue: 1, evalEpisodes: 2 },
};

export function sweepProtocol(profile: Pick<Profile, 'name'>): SweepProtocol {
  return { ...SWEEP_PROTOCOLS[profile.name] };
}
