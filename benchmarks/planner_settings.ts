/**
 * Cheaper planner settings checked against a task's own planner: the same demo seeds played with the task's
 * predictive-sampling expert (the baseline) and with that expert's settings changed as given, reporting per seed the
 * return and CPU-seconds of each, then mean and minimum return and CPU-s per episode. This is the check a planner
 * setting must pass before a task adopts it (expert bars over 20 seeds: benchmarks/experts.ts's references).
 *
 *   npx tsx benchmarks/planner_settings.ts --task walker-walk [--replan-every 2] [--samples 8] [--holding-samples 8]
 *                                          [--holding-replan-every 2] [--planning-substeps 5] [--episodes 20] [--first 0] [--steps N]
 *                                          [--no-baseline] [--json out.json]
 *
 * `--planning-substeps N` rolls out on a copy of the model with N physics steps per control step (each of the
 * task's timestep x substeps / N). `--holding-samples N` plans with N rollouts while the task's success test holds, `--holding-replan-every K` then
 * searches every K control steps (the task's own planner's holding test, when it has one, is replaced by the
 * success test). `--first F` starts at the F-th
 * demo seed (to split a check over processes); `--steps N` stops episodes after N steps (a quick look, not a check).
 * CPU time is process.cpuUsage (user + system): on a shared machine compare settings by it, not by wall time.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerOption } from '../src/cli/option_checks.js';
import { demoEpisodeSeeds } from '../src/data/demos.js';
import { CHEETAH_PLANNER } from '../src/envs/domains/cheetah.js';
import { FINGER_PLANNER } from '../src/envs/domains/finger.js';
import { walkerPlanner, WALK_SPEED } from '../src/envs/domains/walker.js';
import { ExpertRollout } from '../src/envs/expert_rollout.js';
import { PredictiveSamplingExpert, type PredictiveSamplingConfig } from '../src/envs/experts/predictive_sampling.js';
import { getTask } from '../src/envs/index.js';
import type { Expert, TaskDefinition } from '../src/envs/task.js';
import { DEMO_BASE_SEED } from '../src/protocol/seeds.js';
import { writeFileAtomic } from '../src/util/atomic.js';

/** The planner settings of the tasks whose own expert is a PredictiveSamplingExpert. */
const PLANNERS: Readonly<Record<string, PredictiveSamplingConfig>> = {
  'walker-stand': walkerPlanner(0),
  'walker-walk': walkerPlanner(WALK_SPEED),
  'finger-spin': FINGER_PLANNER,
  'cheetah-run': CHEETAH_PLANNER,
};

interface Played {
  seed: number;
  episodeReturn: number;
  cpuSeconds: number;
}

const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

function play(rollout: ExpertRollout, seed: number, maxSteps: number | undefined): Played {
  const start = cpuSeconds();
  const { episodeReturn } = rollout.episode(seed, { maxSteps });
  return { seed, episodeReturn, cpuSeconds: cpuSeconds() - start };
}

function summary(played: readonly Played[]): { mean: number; min: number; cpuPerEpisode: number } {
  const returns = played.map((p) => p.episodeReturn);
  return {
    mean: returns.reduce((a, b) => a + b, 0) / returns.length,
    min: Math.min(...returns),
    cpuPerEpisode: played.reduce((s, p) => s + p.cpuSeconds, 0) / played.length,
  };
}

const args = await yargs(hideBin(process.argv))
  .strict()
  .option('task', { type: 'string', demandOption: true, choices: Object.keys(PLANNERS), describe: 'a task whose expert is a predictive-sampling planner' })
  .option('replan-every', { coerce: integerOption('replan-every', 1, 1000), describe: 'control steps per planning step' })
  .option('samples', { coerce: integerOption('samples', 1, 100_000), describe: 'rollouts per planning step' })
  .option('holding-samples', { coerce: integerOption('holding-samples', 1, 100_000), describe: "rollouts while the task's success test holds" })
  .option('holding-replan-every', { coerce: integerOption('holding-replan-every', 1, 1000), describe: "control steps per planning step while the task's success test holds" })
  .option('planning-substeps', { coerce: integerOption('planning-substeps', 1, 1000), describe: 'physics steps per control step in the rollouts (a coarser model copy)' })
  .option('episodes', { default: 20, coerce: integerOption('episodes', 1, 100_000), describe: 'demo seeds' })
  .option('first', { default: 0, coerce: integerOption('first', 0, 100_000), describe: 'index of the first demo seed' })
  .option('steps', { coerce: integerOption('steps', 1, 100_000), describe: 'stop episodes after this many steps' })
  .option('baseline', { type: 'boolean', default: true, describe: "also play the task's own planner on the same seeds" })
  .option('json', { type: 'string', describe: 'also write the results to this JSON file' })
  .parseAsync();

const task: TaskDefinition = getTask(args.task);
const own = PLANNERS[args.task]!;
const changed: PredictiveSamplingConfig = {
  ...own,
  ...(args['replan-every'] !== undefined && { replanEvery: args['replan-every'] }),
  ...(args.samples !== undefined && { samples: args.samples }),
  ...(args['planning-substeps'] !== undefined && { planningSubsteps: args['planning-substeps'] }),
};
if (args['holding-samples'] !== undefined || args['holding-replan-every'] !== undefined) {
  // Unset holding values keep the task's own (its holding settings, else its full search).
  const samples = args['holding-samples'] ?? own.holding?.samples ?? changed.samples;
  const replanEvery = args['holding-replan-every'] ?? own.holding?.replanEvery;
  changed.holding = { samples, ...(replanEvery !== undefined && { replanEvery }), reached: (physics, t) => t.success(physics) };
}
const holdingText = (holding: PredictiveSamplingConfig['holding']): string =>
  holding ? `, ${holding.samples} while holding${holding.replanEvery !== undefined ? `, replanning every ${holding.replanEvery}` : ''}` : '';
const settings = (config: PredictiveSamplingConfig): string =>
  `samples ${config.samples}, replan every ${config.replanEvery ?? 1}${holdingText(config.holding)}, planning substeps ${config.planningSubsteps ?? task.substeps}`;
const seeds = demoEpisodeSeeds(DEMO_BASE_SEED, args.first + args.episodes).slice(args.first);
const create = async (config: PredictiveSamplingConfig): Promise<ExpertRollout> =>
  ExpertRollout.create(task, undefined, (): Expert => new PredictiveSamplingExpert(config));
const changedRollout = await create(changed);
const baselineRollout = args.baseline ? await create(own) : null;
const results: { changed: Played[]; baseline: Played[] } = { changed: [], baseline: [] };
try {
  for (const [i, seed] of seeds.entries()) {
    // Alternating which plays first spreads the one-off warm-up (and drifts in machine load) over both.
    const order = i % 2 === 0 ? (['changed', 'baseline'] as const) : (['baseline', 'changed'] as const);
    for (const which of order) {
      const rollout = which === 'changed' ? changedRollout : baselineRollout;
      if (rollout) results[which].push(play(rollout, seed, args.steps));
    }
    const line = (p: Played | undefined): string => (p ? `${p.episodeReturn.toFixed(1)} (${p.cpuSeconds.toFixed(1)} CPU-s)` : '-');
    process.stderr.write(`${task.name} seed ${seed}: changed ${line(results.changed.at(-1))}, own ${line(results.baseline.at(-1))}\n`);
  }
} finally {
  changedRollout.close();
  baselineRollout?.close();
}
const lines = [`${task.name}, ${seeds.length} demo seeds from #${args.first}${args.steps ? `, ${args.steps} steps` : ', full horizon'}:`];
for (const [label, config, played] of [
  ['changed', changed, results.changed],
  ['own', own, results.baseline],
] as const) {
  if (played.length === 0) continue;
  const s = summary(played);
  lines.push(`  ${label.padEnd(7)} (${settings(config)}): mean return ${s.mean.toFixed(1)}, min ${s.min.toFixed(1)}, ${s.cpuPerEpisode.toFixed(2)} CPU-s per episode`);
}
if (results.baseline.length > 0) {
  lines.push(`  CPU ratio changed / own: ${(summary(results.changed).cpuPerEpisode / summary(results.baseline).cpuPerEpisode).toFixed(2)}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
if (args.json) writeFileAtomic(args.json, `${JSON.stringify({ task: task.name, settings: { changed: settings(changed), own: settings(own) }, ...results }, null, 2)}\n`, 'planner settings results');
