/**
 * Sampling-based model-predictive control on the simulator itself: predictive sampling (Howell et al., MJPC)
 * with an optional MPPI-style update. Every control step the nominal knot spline is shifted forward one step;
 * the nominal and `samples - 1` Gaussian perturbations of it are rolled out for `horizonSteps` steps from the
 * current state on a scratch MjData; the next nominal is the best rollout (or the return-weighted average of
 * all of them) and its first action is applied. Cost = -objective, the objective being the task reward unless
 * the config shapes it. Deterministic given the reset `rng`.
 */
import type { Rng } from '../../util/rng.js';
import type { Physics } from '../mujoco.js';
import type { Expert, Task } from '../task.js';
import { RolloutData } from './rollout_data.js';
import { KnotSpline } from './spline.js';

export interface PredictiveSamplingConfig {
  /** Policy steps simulated per rollout. */
  horizonSteps: number;
  /** Spline knots spanning the horizon (>= 2). */
  knots: number;
  /** Rollouts per control step, the unperturbed nominal included. */
  samples: number;
  /** Standard deviation of the knot perturbations, in action units. */
  noiseStd: number;
  /** Physics steps per policy step (the task definition's substeps). */
  substeps?: number;
  /**
   * How the next nominal is chosen: the best rollout (predictive sampling), or an MPPI-style average of all
   * rollouts weighted by exp((return - best) / (temperature * std of returns)).
   */
  update?: { kind: 'best' } | { kind: 'mppi'; temperature: number };
  /**
   * Per-step objective maximised in rollouts; defaults to the task reward. A shaped objective may add terms
   * that make a short horizon less myopic (e.g. posture), as long as episodes are still scored by the task.
   */
  objective?: (physics: Physics, task: Task) => number;
}

export class PredictiveSamplingExpert implements Expert {
  readonly name = 'predictive-sampling';
  private rollout: RolloutData | null = null;
  private rng: Rng | null = null;
  private nominal: KnotSpline | null = null;
  private candidate: KnotSpline | null = null;
  private best: KnotSpline | null = null;
  private samplePlans: KnotSpline[] = [];
  /** [samples] return of each rollout at the current step. */
  private returns = new Float64Array(0);
  private scratch = new Float64Array(0);
  private action = new Float64Array(0);
  private rolloutAction = new Float64Array(0);

  constructor(readonly config: PredictiveSamplingConfig) {
    const { horizonSteps, knots, samples, noiseStd } = config;
    if (!Number.isInteger(horizonSteps) || horizonSteps < 1) throw new Error(`horizonSteps must be an integer >= 1, got ${horizonSteps}`);
    if (!Number.isInteger(knots) || knots < 2) throw new Error(`knots must be an integer >= 2, got ${knots}`);
    if (!Number.isInteger(samples) || samples < 1) throw new Error(`samples must be an integer >= 1, got ${samples}`);
    if (!(noiseStd >= 0)) throw new Error(`noiseStd must be >= 0, got ${noiseStd}`);
  }

  reset(physics: Physics, rng: Rng): void {
    if (this.rollout?.source !== physics) {
      this.rollout?.dispose();
      this.rollout = new RolloutData(physics);
    }
    this.rng = rng;
    this.nominal = null;
  }

  /** Frees the planner's scratch simulation data. */
  dispose(): void {
    this.rollout?.dispose();
    this.rollout = null;
  }

  act(physics: Physics, task: Task): Float64Array {
    const rollout = this.rollout;
    const rng = this.rng;
    if (!rollout || !rng || rollout.source !== physics) throw new Error('predictive sampling: call reset(physics, rng) before act()');
    const { dim, low, high } = task.actionSpec;
    const { horizonSteps, samples, noiseStd } = this.config;
    if (!this.nominal || this.nominal.dim !== dim) this.allocate(dim);
    else this.nominal.shift(1, this.scratch);
    const nominal = this.nominal!;
    const candidate = this.candidate!;
    const best = this.best!;

    let bestReturn = -Infinity;
    const returns = this.returns;
    for (let s = 0; s < samples; s++) {
      candidate.copyFrom(nominal);
      if (s > 0) {
        const v = candidate.values;
        for (let i = 0; i < v.length; i++) {
          const lo = low[i % dim]!;
          const hi = high[i % dim]!;
          const x = v[i]! + noiseStd * rng.normal();
          v[i] = x < lo ? lo : x > hi ? hi : x;
        }
      }
      const ret = this.simulate(candidate, task, rollout, horizonSteps);
      returns[s] = ret;
      this.samplePlans[s]!.copyFrom(candidate);
      if (ret > bestReturn) {
        bestReturn = ret;
        best.copyFrom(candidate);
      }
    }
    const update = this.config.update ?? { kind: 'best' };
    if (update.kind === 'best') nominal.copyFrom(best);
    else this.weightedAverage(update.temperature, bestReturn, nominal);
    nominal.evaluate(0, this.action);
    return this.action;
  }

  /** Summed reward of following `plan` for `horizonSteps` policy steps from the source's current state. */
  private simulate(plan: KnotSpline, task: Task, rollout: RolloutData, horizonSteps: number): number {
    rollout.restoreFromSource();
    const sim = rollout.physics;
    const { mj, model, data } = sim;
    const substeps = this.config.substeps ?? 1;
    const objective = this.config.objective;
    let total = 0;
    for (let t = 0; t < horizonSteps; t++) {
      plan.evaluate(t, this.rolloutAction);
      task.applyAction(sim, this.rolloutAction);
      for (let i = 0; i < substeps; i++) mj.mj_step(model, data);
      total += objective ? objective(sim, task) : task.reward(sim);
    }
    return total;
  }

  /** nominal = sum_i w_i plan_i / sum_i w_i with w_i = exp((R_i - R_best) / (temperature * std(R))). */
  private weightedAverage(temperature: number, bestReturn: number, nominal: KnotSpline): void {
    const returns = this.returns;
    const n = returns.length;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += returns[i]!;
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (returns[i]! - mean) ** 2;
    const scale = temperature * Math.sqrt(variance / n) + 1e-9;
    const values = nominal.values;
    values.fill(0);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.exp((returns[i]! - bestReturn) / scale);
      total += w;
      const plan = this.samplePlans[i]!.values;
      for (let j = 0; j < values.length; j++) values[j] += w * plan[j]!;
    }
    for (let j = 0; j < values.length; j++) values[j] /= total;
  }

  private allocate(dim: number): void {
    const { horizonSteps, knots } = this.config;
    const span = Math.max(horizonSteps - 1, 1);
    this.nominal = new KnotSpline(knots, dim, span);
    this.candidate = new KnotSpline(knots, dim, span);
    this.best = new KnotSpline(knots, dim, span);
    this.samplePlans = Array.from({ length: this.config.samples }, () => new KnotSpline(knots, dim, span));
    this.returns = new Float64Array(this.config.samples);
    this.scratch = new Float64Array(knots * dim);
    this.action = new Float64Array(dim);
    this.rolloutAction = new Float64Array(dim);
  }
}
