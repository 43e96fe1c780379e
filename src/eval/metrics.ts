/**
 * Best-over-evaluations: the highest evaluation score, the earliest epoch on ties. (An episode's score in its
 * family's metric, with the scaling for shortened DMC horizons, is envs/families.ts' episodeScore.)
 */

/** The best evaluation (earliest on ties). */
export function bestEvaluation<T extends { epoch: number; score: number }>(evaluations: readonly T[]): T {
  if (evaluations.length === 0) throw new Error('bestEvaluation: no evaluations');
  return evaluations.reduce((best, e) => (e.score > best.score ? e : best));
}
