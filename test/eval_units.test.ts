/**
 * Small evaluation helpers on hand-made inputs (src/eval/metrics.ts and friends). (test/run.test.ts checks the
 * best evaluation of real runs.)
 */
import { describe, expect, it } from 'vitest';
import { bestEvaluation } from '../src/eval/metrics.js';

describe('bestEvaluation', () => {
  it('is the highest score, the earliest epoch on ties, wherever it lies', () => {
    expect(bestEvaluation([{ epoch: 1, score: 10 }, { epoch: 2, score: 30 }, { epoch: 3, score: 20 }])).toEqual({ epoch: 2, score: 30 });
    expect(bestEvaluation([{ epoch: 1, score: 40 }, { epoch: 2, score: 30 }])).toEqual({ epoch: 1, score: 40 });
    expect(bestEvaluation([{ epoch: 1, score: 5 }, { epoch: 2, score: 50 }, { epoch: 3, score: 50 }, { epoch: 4, score: 7 }]).epoch).toBe(2);
    expect(bestEvaluation([{ epoch: 5, score: 0 }]).epoch).toBe(5);
  });

  it('refuses an empty list', () => {
    expect(() => bestEvaluation([])).toThrow('bestEvaluation: no evaluations');
  });
});
