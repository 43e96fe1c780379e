/**
 * The scenes of a cell: which scene variants its demos are recorded in (the training scenes: a factor set with K
 * training values, or the canonical scene of `bench run`) and which it is evaluated in (one variant set per split).
 * The run layer only asks envs/factors for variant sets; it never builds scenes itself.
 */
import type { FactorName, Split } from '../envs/factors/factor_table.js';
import { variantDigest } from '../envs/factors/variant.js';
import { canonicalSet, evaluationSet, factorSetName, trainingSet, variantForEpisode, variantSetDigest, type VariantSet } from '../envs/factors/variant_sets.js';
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
  /**
   * A larger training of the same task in this run whose first `demos` episodes are exactly these (same seeds,
   * the same scene episode by episode: K = 1's value is K = 5's first, with as many demos per value). Its demo
   * features are computed once and this training takes their first frames (resources.ts); absent when none.
   */
  demoPrefixOf?: TrainingScenes;
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

/**
 * `trainings` (all of one task) with `demoPrefixOf` set to the largest of `sources` whose demo episodes start with
 * theirs. Demo episode i has the same seed in every set (data/demos.ts: demoEpisodeSeed(base, i)), so two sets
 * agree on their first n episodes exactly when their scenes of episodes 0..n-1 do.
 */
export function linkDemoPrefixes(trainings: readonly TrainingScenes[], sources: readonly TrainingScenes[] = trainings): TrainingScenes[] {
  const sceneOf = (t: TrainingScenes, episode: number): string => variantDigest(variantForEpisode(t.set, episode));
  const startsWith = (longer: TrainingScenes, shorter: TrainingScenes): boolean =>
    longer.demos > shorter.demos && Array.from({ length: shorter.demos }, (_, i) => i).every((i) => sceneOf(longer, i) === sceneOf(shorter, i));
  return trainings.map((training) => {
    const covering = sources.filter((source) => startsWith(source, training));
    if (covering.length === 0) return training;
    const largest = covering.reduce((a, b) => (b.demos > a.demos ? b : a));
    return { ...training, demoPrefixOf: largest };
  });
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
