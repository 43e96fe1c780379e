/**
 * The scenes of a cell: which scene variants its demos are recorded in (the training scenes: a factor set with K
 * training values, or the canonical scene of `bench run`) and which it is evaluated in (one variant set per split).
 * The run layer only asks envs/factors for variant sets; it never builds scenes itself.
 */
import type { FactorName, Split } from '../envs/factors/factor_table.js';
import { canonicalSet, evaluationSet, factorSetName, trainingSet, variantSetDigest, type VariantSet } from '../envs/factors/variant_sets.js';
import type { TaskDefinition } from '../envs/task.js';
import type { TaskProtocol } from '../protocol/profiles.js';
import type { SweepProtocol } from '../protocol/sweeps.js';

/** A sweep cell's training factors: a factor set (one factor or a pair) and K distinct training values. */
export interface TrainingFactors {
  factors: readonly FactorName[];
  k: number;
}

export interface TrainingScenes {
  /** The factor set and K; null for the canonical scene. */
  factors: TrainingFactors | null;
  set: VariantSet;
  /** Demo episodes: the profile's for the canonical scene, K x demos per value in a sweep. */
  demos: number;
  /** variantSetDigest of `set`: every result row names it. */
  digest: string;
}

export interface EvaluationScenes {
  /** The split ('seen' for the canonical scene of `bench run`). */
  split: Split;
  set: VariantSet;
  episodes: number;
  digest: string;
}

export function trainingScenes(task: TaskDefinition, protocol: TaskProtocol, factors: TrainingFactors | null, sweep: SweepProtocol | null): TrainingScenes {
  if (!factors) {
    const set = canonicalSet(task);
    return { factors: null, set, demos: protocol.demos, digest: variantSetDigest(set) };
  }
  if (!sweep) throw new Error('trainingScenes: a factor set needs the sweep protocol');
  const set = trainingSet(task, factors.factors, factors.k, sweep.demosPerValue);
  return { factors, set, demos: factors.k * sweep.demosPerValue, digest: variantSetDigest(set) };
}

/** The evaluation scenes of each split: for the canonical scene, one set (the canonical scene) of the profile's episodes. */
export function evaluationScenes(task: TaskDefinition, protocol: TaskProtocol, factors: TrainingFactors | null, splits: readonly Split[], sweep: SweepProtocol | null): EvaluationScenes[] {
  if (!factors) {
    const set = canonicalSet(task);
    return [{ split: 'seen', set, episodes: protocol.evalEpisodes, digest: variantSetDigest(set) }];
  }
  if (!sweep) throw new Error('evaluationScenes: a factor set needs the sweep protocol');
  return splits.map((split) => {
    const set = evaluationSet(task, factors.factors, factors.k, split, sweep.evalEpisodes);
    return { split, set, episodes: sweep.evalEpisodes, digest: variantSetDigest(set) };
  });
}

/** "light+camera-k5": a training's name in orderings and keys; '' for the canonical scene. */
export function trainingId(training: { factors: readonly string[]; k: number } | null | undefined): string {
  return training ? `${training.factors.join('+')}-k${training.k}` : '';
}

/** "light+camera, K=5" (logs). */
export function describeTraining(factors: TrainingFactors | null): string {
  return factors ? `${factorSetName(factors.factors)} K=${factors.k}` : 'canonical scene';
}
