/**
 * The suite metrics (cortexbench.md), with one stated extension for shortened horizons:
 *   DMC: return / 10 over the paper's 1000 steps. With a horizon H < 1000 the score is scaled to 1000 steps,
 *        score = (return / H) * 100 = 100 x the mean per-step reward, which equals return / 10 when H = 1000.
 *   MetaWorld: success at the last step of the episode, in % (100 or 0 per episode).
 * Best-over-evaluations: the highest evaluation score, the earliest epoch on ties.
 */
import { episodeScore, type TaskFamily } from '../envs/task.js';

export const DMC_PAPER_HORIZON = 1000;

export function episodeMetricScore(family: TaskFamily, episodeReturn: number, successAtLastStep: boolean, horizon: number): number {
  if (family === 'dmc') return episodeScore('dmc', (episodeReturn * DMC_PAPER_HORIZON) / horizon, successAtLastStep);
  return episodeScore(family, episodeReturn, successAtLastStep);
}

export function metricName(family: TaskFamily, horizon: number): string {
  if (family === 'dmc') return horizon === DMC_PAPER_HORIZON ? 'return/10' : `return/10 scaled to 1000 steps (horizon ${horizon})`;
  return `success at last step % (horizon ${horizon})`;
}

/** The best evaluation (earliest on ties). */
export function bestEvaluation<T extends { epoch: number; score: number }>(evaluations: readonly T[]): T {
  if (evaluations.length === 0) throw new Error('bestEvaluation: no evaluations');
  return evaluations.reduce((best, e) => (e.score > best.score ? e : best));
}
