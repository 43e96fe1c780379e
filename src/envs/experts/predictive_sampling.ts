/**
 * Sampling-based model-predictive control on the simulator itself: predictive sampling (Howell et al., MJPC)
 * with an optional MPPI-style update. Every control step the nominal knot spline is shifted forward one step;
 * the nominal and `samples - 1` Gaussian perturbations of it are rolled out for `horizonSteps` steps from the
 * current state on a scratch MjData, stepped by `advance` exactly as the episode is; the next nominal is the best
 * rollout (or the return-weighted average of all of them) and its first action is applied. With `replanEvery` k > 1
 * the planner searches only every k-th control step and in between executes the plan it chose (receding-horizon
 * MPC: the plan is shifted by k steps before the next search), which divides the planning cost by k; `holding`
 * plans with fewer rollouts, and optionally less often, while the goal is already reached; `planningSubsteps` rolls
 * out on a coarser copy of the model (fewer, longer physics steps per control step). Cost = -objective,
 * the objective being the task reward unless the config shapes it. Gait-memory candidates can replay the executed
 * actions at given periods. Deterministic given the reset `rng`.
 */
import type { Rng } from '../../util/rng.js';
import type { Physics } from '../mujoco.js';
import { advance } from '../stepping.js';
import { clipToActionBounds, type Expert, type Task } from '../task.js';
import { RolloutData } from './rollout_data.js';
import { KnotSpline } from './spline.js';

export interface PredictiveSamplingConfig {
  /**
   * Expert name (default 'predictive-sampling'). Demo caches key on it, so a task bumps the version suffix of
   * its name whenever its planner settings change the demos.
   */
  name?: string;
  /** Policy steps simulated per rollout. */
  horizonSteps: number;
  /** Spline knots spanning the horizon (>= 2). */
  knots: number;
  /** Rollouts per control step, the unperturbed nominal included. */
  samples: number;
  /** Standard deviation of the knot perturbations, in action units. */
  noiseStd: number;
  /**
   * Control steps per planning step (default 1: plan every step). In between, the planner executes the actions of
   * the plan it chose for those steps, without rollouts or random draws.
   */
  replanEvery?: number;
  /**
   * Gait periods (control steps). For each period P the planner also rolls out, in place of a perturbed
   * sample, the plan that repeats the actions it executed P steps earlier: a memory of a periodic gait that
   * reaches beyond the horizon.
   */
  periodicCandidates?: readonly number[];
  /**
   * How the next nominal is chosen: the best rollout (predictive sampling), or an MPPI-style average of all
   * rollouts weighted by exp((return - best) / (temperature * std of returns)).
   */
  update?: { kind: 'best' } | { kind: 'mppi'; temperature: number };
  /**
   * Fewer rollouts while the goal is already reached: on steps where `reached(physics, task)` holds in the current
   * state, the planner rolls out `samples` plans (the nominal and samples - 1 perturbations) instead of the full
   * count; gait-memory candidates are left out then. Holding a reached goal needs less search than reaching it.
   * `replanEvery` (default: the config's `replanEvery`) is then the number of control steps the plan made in a
   * reached state is executed before the next search.
   */
  holding?: { samples: number; replanEvery?: number; reached: (physics: Physics, task: Task) => boolean };
  /**
   * Physics steps per control step in the rollouts (default: the episode's own substeps). Fewer plan on a copy of the
   * model whose timestep is the episode's x substeps / planningSubsteps, so a rollout spans the same control steps
   * at that fraction of the cost; the episode still runs on the true model and every search starts from its true
   * state, so replanning corrects what the coarser model gets wrong (a task adopts it only where its expert keeps the
   * bar).
   */
  planningSubsteps?: number;
  /**
   * Per-step objective maximised in rollouts; defaults to the task reward. A shaped objective may add terms
   * that make a short horizon less myopic (e.g. posture), as long as episodes are still scored by the task.
   */
  objective?: (physics: Physics, task: Task) => number;
  /**
   * Value of the state a rollout ends in, added once to its summed objective: what the horizon cuts off
   * (e.g. the momentum a runner carries past it). None when omitted.
   */
  terminalValue?: (physics: Physics, task: Task) => number;
}

export class PredictiveSamplingExpert implements Expert {
  readonly name: string;
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
  /** [steps, dim] actions returned so far this episode (grows by doubling). */
  private executed = new Float64Array(0);
  private executedSteps = 0;
  /** The control step of the last search, and the number of steps its plan is executed before the next one. */
  private plannedAt = 0;
  private planFor = 1;

  constructor(readonly config: PredictiveSamplingConfig) {
    const { horizonSteps, knots, samples, noiseStd } = config;
    this.name = config.name ?? 'predictive-sampling';
    if (!Number.isInteger(horizonSteps) || horizonSteps < 1) throw new Error(`horizonSteps must be an integer >= 1, got ${horizonSteps}`);
    if (!Number.isInteger(knots) || knots < 2) throw new Error(`knots must be an integer >= 2, got ${knots}`);
    if (!Number.isInteger(samples) || samples < 1) throw new Error(`samples must be an integer >= 1, got ${samples}`);
    if (!(noiseStd >= 0)) throw new Error(`noiseStd must be a number >= 0, got ${JSON.stringify(noiseStd)}`);
    const replanEvery = config.replanEvery ?? 1;
    if (!Number.isInteger(replanEvery) || replanEvery < 1 || replanEvery > horizonSteps) {
      throw new Error(`replanEvery must be an integer in [1, horizonSteps = ${horizonSteps}], got ${JSON.stringify(config.replanEvery)}`);
    }
    const holding = config.holding;
    if (holding && !(Number.isInteger(holding.samples) && holding.samples >= 1 && holding.samples <= samples)) {
      throw new Error(`holding.samples must be an integer in [1, ${samples}], got ${holding.samples}`);
    }
    const holdingReplan = holding?.replanEvery;
    if (holdingReplan !== undefined && !(Number.isInteger(holdingReplan) && holdingReplan >= 1 && holdingReplan <= horizonSteps)) {
      throw new Error(`holding.replanEvery must be an integer in [1, horizonSteps = ${horizonSteps}], got ${JSON.stringify(holdingReplan)}`);
    }
    const planningSubsteps = config.planningSubsteps;
    if (planningSubsteps !== undefined && !(Number.isInteger(planningSubsteps) && planningSubsteps >= 1)) {
      throw new Error(`planningSubsteps must be an integer >= 1, got ${JSON.stringify(planningSubsteps)}`);
    }
    const periods = config.periodicCandidates ?? [];
    if (periods.length >= samples || !periods.every((p) => Number.isInteger(p) && p >= 1)) {
      throw new Error(
        `periodicCandidates must be fewer than samples (${samples}) integer periods >= 1, got ${JSON.stringify(periods)}`,
      );
    }
  }

  reset(physics: Physics, rng: Rng): void {
    // A coarser model copy is made again each episode: it must carry the values the task set at this reset.
    if (this.rollout?.source !== physics || this.rollout.copiesModel) {
      this.rollout?.dispose();
      this.rollout = new RolloutData(physics, this.config.planningSubsteps);
    }
    this.rng = rng;
    this.nominal = null;
    this.executedSteps = 0;
    this.plannedAt = 0;
    this.planFor = 1;
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
    const spec = task.actionSpec;
    const { dim } = spec;
    const { horizonSteps, samples, noiseStd } = this.config;
    const sincePlan = this.executedSteps - this.plannedAt;
    if (this.nominal && this.nominal.dim === dim && sincePlan < this.planFor) return this.execute(this.nominal, sincePlan);
    if (!this.nominal || this.nominal.dim !== dim) this.allocate(dim);
    else this.nominal.shift(sincePlan, this.scratch);
    const nominal = this.nominal!;
    const candidate = this.candidate!;
    const best = this.best!;

    let bestReturn = -Infinity;
    const holding = this.config.holding;
    const replanEvery = this.config.replanEvery ?? 1;
    const holdingNow = holding?.reached(physics, task) ? holding : null;
    const count = holdingNow ? holdingNow.samples : samples;
    this.plannedAt = this.executedSteps;
    this.planFor = holdingNow?.replanEvery ?? replanEvery;
    const returns = this.returns.subarray(0, count);
    const periods = count === samples ? (this.config.periodicCandidates ?? []) : [];
    for (let s = 0; s < count; s++) {
      candidate.copyFrom(nominal);
      const periodIndex = s - (samples - periods.length);
      if (periodIndex >= 0 && this.periodicPlan(periods[periodIndex]!, candidate)) {
        // the gait-memory candidate replaces this perturbed sample
      } else if (s > 0) {
        const v = candidate.values;
        for (let i = 0; i < v.length; i++) v[i] = v[i]! + noiseStd * rng.normal();
        for (let k = 0; k < candidate.knots; k++) clipToActionBounds(spec, v, k * dim);
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
    else this.weightedAverage(returns, update.temperature, bestReturn, nominal);
    return this.execute(nominal, 0);
  }

  /** The nominal's action `t` steps after it was planned, recorded for the gait memory. */
  private execute(nominal: KnotSpline, t: number): Float64Array {
    nominal.evaluate(t, this.action);
    this.record(this.action);
    return this.action;
  }

  private record(action: Float64Array): void {
    const dim = action.length;
    if ((this.executedSteps + 1) * dim > this.executed.length) {
      const grown = new Float64Array(Math.max(1024 * dim, this.executed.length * 2));
      grown.set(this.executed);
      this.executed = grown;
    }
    this.executed.set(action, this.executedSteps * dim);
    this.executedSteps++;
  }

  /**
   * Writes into `plan` the knots of "repeat the actions executed `period` steps before": the action at future
   * time t is the one executed at step now - period + (t mod period). False when the history is too short.
   */
  private periodicPlan(period: number, plan: KnotSpline): boolean {
    const now = this.executedSteps;
    if (now < period) return false;
    const { knots, dim, span, values } = plan;
    for (let k = 0; k < knots; k++) {
      const t = Math.max(0, Math.round((k * span) / (knots - 1)));
      const step = now - period + (t % period);
      values.set(this.executed.subarray(step * dim, (step + 1) * dim), k * dim);
    }
    return true;
  }

  /**
   * Summed objective of following `plan` for `horizonSteps` policy steps from the source's current state, stepped
   * by `advance` as Env.step does, so the objective sees the state after each step as the episode's rewards do.
   * The copied state (integration state only) gets its mj_step1 first, as the source had.
   */
  private simulate(plan: KnotSpline, task: Task, rollout: RolloutData, horizonSteps: number): number {
    rollout.restoreFromSource();
    const sim = rollout.physics;
    const objective = this.config.objective;
    sim.mj.mj_step1(sim.model, sim.data);
    let total = 0;
    for (let t = 0; t < horizonSteps; t++) {
      plan.evaluate(t, this.rolloutAction);
      task.applyAction(sim, this.rolloutAction);
      advance(sim, task);
      total += objective ? objective(sim, task) : task.reward(sim);
    }
    const terminal = this.config.terminalValue;
    return terminal ? total + terminal(sim, task) : total;
  }

  /** nominal = sum_i w_i plan_i / sum_i w_i with w_i = exp((R_i - R_best) / (temperature * std(R))). */
  private weightedAverage(returns: Float64Array, temperature: number, bestReturn: number, nominal: KnotSpline): void {
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
    const spline = () => new KnotSpline(knots, dim, span);
    this.nominal = spline();
    this.candidate = spline();
    this.best = spline();
    this.samplePlans = Array.from({ length: this.config.samples }, spline);
    this.returns = new Float64Array(this.config.samples);
    this.scratch = new Float64Array(knots * dim);
    this.action = new Float64Array(dim);
    this.rolloutAction = new Float64Array(dim);
  }
}
