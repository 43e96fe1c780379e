/**
 * Does a learned terminal value make a planner expert less myopic? Fits a state-value MLP V(s) to the discounted
 * returns-to-go of the task's own (planner) demos, then runs the planner with V added at the end of every rollout
 * and compares its returns with the plain planner on the same episode seeds (the baseline, in the same script).
 *
 *   npx tsx benchmarks/terminal_value.ts [--task cheetah-run] [--demos 20] [--episodes 5] [--gamma 0.98]
 *                                        [--weights 0.5,1] [--cache-dir DIR]
 *
 * Demos come from the demo cache (base seed 0; recorded if missing). Evaluation episodes use demo seeds past the
 * training demos, so V never saw them.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerOption, stringOption } from '../src/cli/option_checks.js';
import { demoEpisodeSeeds, loadOrGenerateDemos } from '../src/data/demos.js';
import { expertRng, restoreDemoState } from '../src/envs/expert_rollout.js';
import { StateFeatures } from '../src/distill/state_features.js';
import { StateMlp } from '../src/distill/state_mlp.js';
import { Env, getTask } from '../src/envs/index.js';
import { PredictiveSamplingExpert } from '../src/envs/experts/predictive_sampling.js';
import type { Physics } from '../src/envs/mujoco.js';
import type { Expert, TaskDefinition } from '../src/envs/task.js';

const args = await yargs(hideBin(process.argv))
  .strict()
  .option('task', { default: 'cheetah-run', coerce: stringOption('task') })
  .option('demos', { default: 20, coerce: integerOption('demos', 2, 1000), describe: 'planner demos V is fitted on' })
  .option('episodes', { default: 5, coerce: integerOption('episodes', 1, 1000), describe: 'evaluation episodes per variant' })
  .option('gamma', { default: 0.98, type: 'number', describe: 'discount of the returns-to-go V regresses' })
  .option('weights', { default: '0.5,1', coerce: stringOption('weights'), describe: 'scales of V tried as the terminal value' })
  .option('cache-dir', { type: 'string', coerce: stringOption('cache-dir') })
  .parseAsync();

const task = getTask(args.task);
const planner = task.createExpert();
if (!(planner instanceof PredictiveSamplingExpert)) throw new Error(`task '${task.name}' has no planner expert (its expert is '${planner.name}')`);
const base = planner.config;

// 1. Returns-to-go of the planner's demos, as (state features, G_t) pairs. Steps whose discounted tail is cut off
// by the horizon (the last ~4 / (1 - gamma) steps) are left out.
const set = await loadOrGenerateDemos(task, { episodes: args.demos, seed: 0, cacheDir: args['cache-dir'] });
const env = await Env.make(task);
const features = new StateFeatures(env.physics);
const cutoff = Math.ceil(4 / (1 - args.gamma));
const inputs: number[] = [];
const targets: number[] = [];
for (const episode of set.episodes) {
  const returns = new Float64Array(episode.length);
  let g = 0;
  for (let t = episode.length - 1; t >= 0; t--) returns[t] = g = episode.rewards[t]! + args.gamma * g;
  for (let t = 0; t + cutoff < episode.length; t++) {
    restoreDemoState(env, episode, t);
    inputs.push(...features.read(env.physics, new Float64Array(features.dim)));
    targets.push(returns[t]!);
  }
}
env.close();
const count = targets.length;
const { model: value, losses } = StateMlp.train(
  { inputDim: features.dim, hidden: [256, 256], outputDim: 1 },
  { count, inputs: Float64Array.from(inputs), targets: Float64Array.from(targets) },
  { epochs: 40, batchSize: 256, learningRate: 1e-3, seed: 1 },
);
const meanTarget = targets.reduce((a, b) => a + b, 0) / count;
const variance = targets.reduce((a, b) => a + (b - meanTarget) ** 2, 0) / count;
process.stdout.write(`V fitted on ${count} states of ${set.episodes.length} demos: return-to-go mean ${meanTarget.toFixed(1)}, ` + `explained variance ${(1 - losses.at(-1)! / variance).toFixed(3)}\n`);

// 2. The planner with and without V as its terminal value, on unseen demo seeds.
function valueTerm(weight: number): (physics: Physics) => number {
  const buffer = new Float64Array(features.dim);
  const out = new Float64Array(1);
  return (physics) => weight * value.act(features.read(physics, buffer), out)[0]!;
}

async function returns(definition: TaskDefinition, makeExpert: () => Expert, seeds: number[]): Promise<number[]> {
  const e = await Env.make(definition);
  const expert = makeExpert();
  try {
    return seeds.map((seed) => {
      e.reset({ seed });
      expert.reset(e.physics, expertRng(seed));
      let total = 0;
      for (let t = 0; t < definition.horizon; t++) total += e.step(expert.act(e.physics, e.task, t)).reward;
      return total;
    });
  } finally {
    expert.dispose?.();
    e.close();
  }
}

const seeds = demoEpisodeSeeds(0, args.demos + args.episodes).slice(args.demos);
const summary = (r: number[]): string => `mean ${(r.reduce((a, b) => a + b, 0) / r.length).toFixed(1)} [${r.map((x) => x.toFixed(0)).join(' ')}]`;
const baseline = await returns(task, () => new PredictiveSamplingExpert(base), seeds);
process.stdout.write(`planner without terminal value: ${summary(baseline)}\n`);
for (const weight of args.weights.split(',').map(Number)) {
  const r = await returns(task, () => new PredictiveSamplingExpert({ ...base, terminalValue: valueTerm(weight) }), seeds);
  process.stdout.write(`planner + ${weight} x V at the horizon: ${summary(r)}\n`);
}
