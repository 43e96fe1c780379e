/**
 * Factors never break the task: the expert's success under every factor that applies to a task and every split
 * of that factor, over N seeded episodes at the full horizon, next to the canonical scene. `seen` plays the
 * training set of K values (N / K episodes per value, as a sweep's demos do); the other splits draw a fresh value
 * per episode. Also counts model rebuilds (one per value for rebuilding factors, none for the others), and gives
 * the mean return (the DMC tasks' metric).
 *
 *   npx tsx benchmarks/factor_experts.ts [--episodes 20] [--k 10] [--tasks a,b] [--factors f,g] [--horizon N] [--json out.json]
 *
 * Default tasks: the factorworld benchmark and reacher-easy. cheetah-run's planner expert costs ~25 CPU-s per
 * 1000-step episode, so it is measured on its own (`--tasks cheetah-run --episodes 5 --k 1 --horizon 100`); its
 * factors are visual only (test/factor_physics.test.ts: the same actions and states under every value), so every
 * split's return equals the canonical scene's. `--horizon` shortens every episode to N steps. Episode seeds are
 * the demo seeds (demoEpisodeSeeds).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerOption, listOption } from '../src/cli/option_checks.js';
import { demoEpisodeSeeds, summarizeEpisodes } from '../src/data/demos.js';
import { ExpertRollout, type DemoEpisode } from '../src/envs/expert_rollout.js';
import { FACTOR_NAMES, factorDefinition, factorSplits, type FactorName } from '../src/envs/factors/factor_table.js';
import { canonicalSet, evaluationSet, trainingSet, variantForEpisode, type VariantSet } from '../src/envs/factors/variant_sets.js';
import { getTask, listTasks } from '../src/envs/index.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { DEMO_BASE_SEED } from '../src/protocol/seeds.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const args = yargs(hideBin(process.argv))
  .option('episodes', { default: 20, coerce: integerOption('episodes', 1) })
  .option('k', { default: 10, describe: 'training values of the seen split', coerce: integerOption('k', 1) })
  .option('tasks', { type: 'string', coerce: listOption('tasks') })
  .option('factors', { type: 'string', coerce: listOption('factors') })
  .option('horizon', { type: 'number', describe: 'steps per episode (default: the task horizon)', coerce: integerOption('horizon', 1) })
  .option('json', { type: 'string', describe: 'also write the rows as JSON' })
  .strict()
  .parseSync();

interface Row {
  task: string;
  factor: string;
  split: string;
  episodes: number;
  success: number;
  meanReturn: number;
  steps: number;
  rebuilds: number;
  seconds: number;
}

async function measure(task: TaskDefinition, factor: string, set: VariantSet, seeds: readonly number[]): Promise<Row> {
  const rollout = await ExpertRollout.create(task, variantForEpisode(set, 0));
  const start = performance.now();
  const played: DemoEpisode[] = [];
  try {
    seeds.forEach((seed, i) => played.push(rollout.episode(seed, { variant: variantForEpisode(set, i), ...(args.horizon ? { maxSteps: args.horizon } : {}) })));
    const summary = summarizeEpisodes(task, played);
    return {
      task: task.name,
      factor,
      split: set.split === 'train' ? 'seen' : set.split,
      episodes: seeds.length,
      success: summary.success_rate,
      meanReturn: summary.mean_return,
      steps: Math.max(...played.map((e) => e.length)),
      rebuilds: rollout.env.rebuilds,
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    rollout.close();
  }
}

const tasks = args.tasks ? args.tasks.map(getTask) : [...listTasks('factorworld'), getTask('reacher-easy')];
const factors = (args.factors ?? FACTOR_NAMES) as FactorName[];
const seeds = demoEpisodeSeeds(DEMO_BASE_SEED, args.episodes);
const rows: Row[] = [];
const print = (r: Row): void =>
  console.log(
    `${r.task.padEnd(21)} ${r.factor.padEnd(16)} ${r.split.padEnd(13)} ${(100 * r.success).toFixed(0).padStart(4)}%  return ${r.meanReturn.toFixed(2).padStart(7)} over ${r.steps} steps  ` +
      `rebuilds ${String(r.rebuilds).padStart(3)}  ${r.seconds.toFixed(1)} s`,
  );

console.log(
  `expert success and mean return under each factor and split, ${args.episodes} episodes each (seen: K = ${args.k} training values)` +
    `${args.horizon ? `, episodes shortened to ${args.horizon} steps` : ''}`,
);
for (const task of tasks) {
  const row = await measure(task, 'canonical', canonicalSet(task), seeds);
  rows.push(row);
  print(row);
  for (const factor of factors) {
    if (factorDefinition(factor).missing(task.factorTargets)) continue;
    for (const split of factorSplits(factor)) {
      const set = split === 'seen' ? trainingSet(task, [factor], args.k, Math.ceil(args.episodes / args.k)) : evaluationSet(task, [factor], args.k, split, args.episodes);
      const r = await measure(task, factor, set, seeds);
      rows.push(r);
      print(r);
    }
  }
}
const worst = rows.reduce((a, b) => (b.success < a.success ? b : a));
console.log(`lowest: ${worst.task} ${worst.factor} ${worst.split} ${(100 * worst.success).toFixed(0)}%; rows below 90%: ${rows.filter((r) => r.success < 0.9).length} of ${rows.length}`);
if (args.json) writeFileAtomic(args.json, `${JSON.stringify(rows, null, 2)}\n`, 'factor expert table');
