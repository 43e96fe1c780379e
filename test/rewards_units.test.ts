/**
 * The shared reward and action helpers pinned without physics: dm_control's `tolerance` at chosen points from its
 * documented formulas, MetaWorld's reach and fixture shaping, the action clip, and the family score formulas'
 * guards. (Quick on purpose: the `rewards-shared` mutation scope runs this file for every mutant.)
 */
import { describe, expect, it } from 'vitest';
import { reachTerm, fixtureReward } from '../src/envs/domains/metaworld/shaping.js';
import { episodeScore, isTaskFamily, metricName } from '../src/envs/families.js';
import { tolerance, type Sigmoid } from '../src/envs/rewards.js';
import { clipAction, clipToActionBounds, unitActionSpec, type ActionSpec } from '../src/envs/task.js';

describe('tolerance (dm_control rewards.tolerance)', () => {
  // value at margin v = 0.1 unless said; d = distance beyond the nearest bound / margin.
  const at = (d: number, sigmoid: Sigmoid, valueAtMargin = 0.1): number => tolerance(1 + d * 2, { bounds: [-1, 1], margin: 2, sigmoid, valueAtMargin });

  it('is 1 inside the bounds, at both bounds and for margin 0 nowhere else', () => {
    for (const x of [-1, -0.3, 0, 1]) expect(tolerance(x, { bounds: [-1, 1], margin: 0.5 })).toBe(1);
    expect(tolerance(0)).toBe(1);
    expect(tolerance(1e-9)).toBe(0);
    expect(tolerance(2, { bounds: [1, 3] })).toBe(1);
    expect(tolerance(0.999, { bounds: [1, 3] })).toBe(0);
    expect(tolerance(3.001, { bounds: [1, 3] })).toBe(0);
  });

  it('reaches value_at_margin at distance margin from either bound, for every sigmoid', () => {
    for (const sigmoid of ['gaussian', 'hyperbolic', 'long_tail', 'reciprocal', 'cosine', 'linear', 'quadratic', 'tanh_squared'] as const) {
      expect(at(1, sigmoid), sigmoid).toBeCloseTo(0.1, 12);
      expect(tolerance(-3, { bounds: [-1, 1], margin: 2, sigmoid, valueAtMargin: 0.25 }), sigmoid).toBeCloseTo(0.25, 12);
    }
  });

  it('matches the formulas at twice the margin and halfway', () => {
    // gaussian: exp(-(d s)^2 / 2) with s^2 = -2 ln v, so d = 2 gives v^4.
    expect(at(2, 'gaussian')).toBeCloseTo(1e-4, 15);
    expect(at(0.5, 'gaussian')).toBeCloseTo(0.1 ** 0.25, 12);
    // hyperbolic: 1 / cosh(d acosh(1/v)); cosh(2a) = 2 cosh(a)^2 - 1 = 199.
    expect(at(2, 'hyperbolic')).toBeCloseTo(1 / 199, 12);
    // long_tail: 1 / ((d s)^2 + 1) with s^2 = 1/v - 1 = 9.
    expect(at(2, 'long_tail')).toBeCloseTo(1 / 37, 12);
    expect(at(0.5, 'long_tail')).toBeCloseTo(1 / 3.25, 12);
    // reciprocal: 1 / (|d| s + 1) with s = 1/v - 1 = 9.
    expect(at(2, 'reciprocal')).toBeCloseTo(1 / 19, 12);
    // cosine: (1 + cos(pi d s)) / 2 with s = acos(2v - 1) / pi, 0 once d s >= 1.
    const cosScale = Math.acos(-0.8) / Math.PI;
    expect(at(0.5, 'cosine')).toBeCloseTo((1 + Math.cos((Math.PI * cosScale) / 2)) / 2, 12);
    expect(at(1 / cosScale, 'cosine')).toBe(0);
    expect(at(2, 'cosine')).toBe(0);
    // linear: 1 - d (1 - v), 0 once d (1 - v) >= 1; quadratic: 1 - (d s)^2 with s^2 = 1 - v.
    expect(at(0.5, 'linear')).toBeCloseTo(0.55, 12);
    expect(at(1 / 0.9, 'linear')).toBe(0);
    expect(at(2, 'linear')).toBe(0);
    expect(at(0.5, 'quadratic')).toBeCloseTo(0.775, 12);
    expect(at(2, 'quadratic')).toBe(0);
    // tanh_squared: 1 - tanh(d atanh(sqrt(1 - v)))^2.
    expect(at(2, 'tanh_squared')).toBeCloseTo(1 - Math.tanh(2 * Math.atanh(Math.sqrt(0.9))) ** 2, 12);
    // value_at_margin 0 (linear): dm_control's run-speed shape, 1 - d.
    expect(tolerance(2.5, { bounds: [10, Infinity], margin: 10, sigmoid: 'linear', valueAtMargin: 0 })).toBeCloseTo(0.25, 12);
  });

  it('falls off on the lower side by the distance below the lower bound', () => {
    expect(tolerance(0, { bounds: [1, 5], margin: 2, sigmoid: 'linear', valueAtMargin: 0 })).toBeCloseTo(0.5, 12);
    expect(tolerance(6, { bounds: [1, 5], margin: 2, sigmoid: 'linear', valueAtMargin: 0 })).toBeCloseTo(0.5, 12);
  });

  it('rejects inverted bounds and negative margins', () => {
    expect(() => tolerance(0, { bounds: [1, 0] })).toThrow(/lower bound 1 exceeds upper bound 0/);
    expect(() => tolerance(0, { margin: -1 })).toThrow(/margin must be >= 0, got -1/);
  });
});

describe('tolerance defaults (bounds [0, 0], margin 0, gaussian, value 0.1 at the margin)', () => {
  it('uses the gaussian with value 0.1 at the margin when only a margin is given', () => {
    // gaussian at d = 2: v^4 = 1e-4; at d = 1: v.
    expect(tolerance(2, { margin: 1 })).toBeCloseTo(1e-4, 15);
    expect(tolerance(-1, { margin: 1 })).toBeCloseTo(0.1, 12);
    expect(tolerance(0, { margin: 1 })).toBe(1);
    // A point bound is allowed (lower == upper), and so is margin 0.
    expect(tolerance(5, { bounds: [5, 5], margin: 0 })).toBe(1);
    expect(tolerance(5.5, { bounds: [5, 5], margin: 1, sigmoid: 'linear', valueAtMargin: 0 })).toBeCloseTo(0.5, 12);
    // Margin 0 is the in-bounds indicator whatever the sigmoid and its value at the margin (dm_control checks it
    // first), even where the sigmoid's own scale would be 0 (value 1 at the margin).
    for (const sigmoid of ['gaussian', 'linear', 'long_tail', 'hyperbolic'] as const) {
      expect(tolerance(3, { bounds: [0, 1], margin: 0, sigmoid, valueAtMargin: 1 }), sigmoid).toBe(0);
      expect(tolerance(1, { bounds: [0, 1], margin: 0, sigmoid, valueAtMargin: 1 }), sigmoid).toBe(1);
    }
  });

  it('uses the distance beyond the NEAREST bound on either side of wide bounds', () => {
    // Wide bounds [-4, 10]: 1 below the lower bound and 1 above the upper one give the same value.
    for (const sigmoid of ['gaussian', 'long_tail', 'reciprocal', 'hyperbolic', 'tanh_squared'] as const) {
      const below = tolerance(-5, { bounds: [-4, 10], margin: 2, sigmoid });
      const above = tolerance(11, { bounds: [-4, 10], margin: 2, sigmoid });
      expect(below, sigmoid).toBeCloseTo(above, 12);
      expect(below, sigmoid).toBeLessThan(1);
      expect(below, sigmoid).toBeGreaterThan(0.1);
    }
    // reciprocal at d = 0.5, s = 9: 1 / 5.5; hyperbolic at d = 0.5: 1 / cosh(acosh(10) / 2) = 1 / sqrt((10 + 1) / 2).
    expect(tolerance(-5, { bounds: [-4, 10], margin: 2, sigmoid: 'reciprocal' })).toBeCloseTo(1 / 5.5, 12);
    expect(tolerance(11, { bounds: [-4, 10], margin: 2, sigmoid: 'hyperbolic' })).toBeCloseTo(1 / Math.sqrt(5.5), 12);
    // tanh_squared at d = 0.5: 1 - tanh(atanh(sqrt(0.9)) / 2)^2.
    expect(tolerance(11, { bounds: [-4, 10], margin: 2, sigmoid: 'tanh_squared' })).toBeCloseTo(1 - Math.tanh(Math.atanh(Math.sqrt(0.9)) / 2) ** 2, 12);
  });

  it('falls off monotonically just outside a bound for every sigmoid', () => {
    for (const sigmoid of ['gaussian', 'hyperbolic', 'long_tail', 'reciprocal', 'cosine', 'linear', 'quadratic', 'tanh_squared'] as const) {
      const near = tolerance(1.01, { bounds: [0, 1], margin: 1, sigmoid });
      const far = tolerance(1.5, { bounds: [0, 1], margin: 1, sigmoid });
      expect(near, sigmoid).toBeLessThan(1);
      expect(near, sigmoid).toBeGreaterThan(far);
      expect(far, sigmoid).toBeGreaterThan(0.1);
    }
  });
});

describe('MetaWorld shaping', () => {
  it('reach term: 1 within 2 cm, 0.1 at 32 cm, long tail 1 / (9 d^2 + 1) with d = (distance - 2 cm) / 30 cm', () => {
    expect(reachTerm(0)).toBe(1);
    expect(reachTerm(0.02)).toBe(1);
    expect(reachTerm(0.32)).toBeCloseTo(0.1, 12);
    expect(reachTerm(0.17)).toBeCloseTo(1 / (9 * 0.25 + 1), 12);
  });

  it('fixture reward: 2 reach + 8 reach x progress', () => {
    expect(fixtureReward(0.01, 1)).toBe(10);
    expect(fixtureReward(0.01, 0)).toBe(2);
    expect(fixtureReward(0.01, 0.25)).toBe(4);
    const reach = 1 / (9 * 0.25 + 1);
    expect(fixtureReward(0.17, 0.5)).toBeCloseTo(2 * reach + 4 * reach, 12);
  });
});

describe('action clipping', () => {
  it('clips each component to its own bounds, with asymmetric bounds', () => {
    const spec: ActionSpec = { dim: 3, low: Float64Array.of(-2, 0, 1), high: Float64Array.of(-1, 3, 5) };
    const out = new Float64Array(3);
    expect([...clipAction(spec, [-7, -7, -7], out, 'test')]).toEqual([-2, 0, 1]);
    expect([...clipAction(spec, [9, 9, 9], out, 'test')]).toEqual([-1, 3, 5]);
    expect([...clipAction(spec, [-1.5, 2.5, 1], out, 'test')]).toEqual([-1.5, 2.5, 1]);
    expect([...clipAction(spec, [-2, 3, 5], out, 'test')]).toEqual([-2, 3, 5]);
    expect(() => clipAction(spec, [0, 0], out, "step: task 'x'")).toThrow("step: task 'x' expects an action of length 3, got 2");
    expect(() => clipAction(spec, [0, 0, Infinity], out, 'test')).toThrow('test: action[2] is Infinity; actions must be finite numbers');
  });

  it('clips in place from an offset, leaving the values around the window alone', () => {
    const spec: ActionSpec = { dim: 2, low: Float64Array.of(-1, 0), high: Float64Array.of(1, 2) };
    const values = Float64Array.of(9, -9, 5, -5, 9);
    clipToActionBounds(spec, values, 1);
    expect([...values]).toEqual([9, -1, 2, -5, 9]);
    clipToActionBounds(spec, values);
    expect([...values]).toEqual([1, 0, 2, -5, 9]);
  });

  it('the unit action box is [-1, 1] on every dimension', () => {
    const spec = unitActionSpec(3);
    expect(spec.dim).toBe(3);
    expect([...spec.low]).toEqual([-1, -1, -1]);
    expect([...spec.high]).toEqual([1, 1, 1]);
  });

  it('copies a valid action into out unchanged when inside the bounds', () => {
    const spec = unitActionSpec(2);
    const out = Float64Array.of(7, 7);
    const result = clipAction(spec, [0.5, -0.25], out, 'test');
    expect(result).toBe(out);
    expect([...out]).toEqual([0.5, -0.25]);
    expect(() => clipAction(spec, [Number.NaN, 0], out, 'test')).toThrow('test: action[0] is NaN; actions must be finite numbers');
    expect(() => clipAction(spec, [0, 0, 0], out, 'test')).toThrow('test expects an action of length 2, got 3');
  });
});

describe('family scores', () => {
  it('knows the three families and nothing else', () => {
    for (const name of ['dmc', 'metaworld', 'adroit']) expect(isTaskFamily(name), name).toBe(true);
    for (const name of ['robosuite', 'DMC', '']) expect(isTaskFamily(name), name).toBe(false);
  });

  it('refuses to score an Adroit task without goalSteps, naming the family', () => {
    const episode = { episodeReturn: 0, successAtLastStep: true, successSteps: 50 };
    expect(() => episodeScore({ family: 'adroit', horizon: 100 }, episode)).toThrow('Adroit tasks need goalSteps (their success rule)');
    expect(() => metricName({ family: 'adroit', horizon: 100 })).toThrow('Adroit tasks need goalSteps');
  });

  it('scales a DMC return over a longer horizon down, and names the horizon', () => {
    expect(episodeScore({ family: 'dmc', horizon: 1000 }, { episodeReturn: 800, successAtLastStep: false, successSteps: 0 }, 2000)).toBe(40);
    expect(metricName({ family: 'metaworld', horizon: 500 })).toBe('success at last step % (horizon 500)');
    expect(metricName({ family: 'adroit', horizon: 200, goalSteps: 25 }, 50)).toBe('success if goal reached on > 25 steps % (horizon 50)');
  });
});
