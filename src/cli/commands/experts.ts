/** `bench experts`: roll a task's expert out and report its quality in its family's metric (nothing is stored). */
import type { CommandModule } from 'yargs';
import { demoEpisodeSeeds, summarizeEpisodes } from '../../data/demos.js';
import { ExpertRollout, type DemoEpisode } from '../../envs/expert_rollout.js';
import { FAMILIES } from '../../envs/families.js';
import { createProgress } from '../../util/progress.js';
import { integerOption, seedOption } from '../option_checks.js';
import { lookupTask, TASK_OPTION } from '../task_lookup.js';

interface ExpertsArgs {
  task: string;
  episodes: number;
  seed: number;
  json: boolean;
  quiet: boolean;
}

export const expertsCommand: CommandModule<object, ExpertsArgs> = {
  command: 'experts',
  describe: "Roll a task's expert out over seeded episodes and report mean return, success rate and score",
  builder: (yargs) =>
    yargs
      .option('task', TASK_OPTION)
      .option('episodes', { default: 10, requiresArg: true, describe: 'number of episodes', coerce: integerOption('episodes', 1, 100_000) })
      .option('seed', { default: 0, requiresArg: true, describe: 'base seed (the same episode seeds as `bench demos`)', coerce: seedOption() })
      .option('json', { type: 'boolean', default: false, describe: 'print {task, episodes, mean_return, success_rate, mean_score} as JSON' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' }),
  handler: async (args) => {
    const task = await lookupTask(args.task);
    const seeds = demoEpisodeSeeds(args.seed, args.episodes);
    const rollout = await ExpertRollout.create(task);
    const progress = createProgress({ label: `expert ${task.name}`, total: seeds.length, quiet: args.quiet });
    const episodes: DemoEpisode[] = [];
    try {
      for (const seed of seeds) {
        episodes.push(rollout.episode(seed));
        progress.update(episodes.length);
      }
    } finally {
      progress.stop();
      rollout.close();
    }
    const summary = summarizeEpisodes(task, episodes);
    if (args.json) {
      const { task: name, episodes: n, mean_return, success_rate, mean_score } = summary;
      process.stdout.write(`${JSON.stringify({ task: name, episodes: n, mean_return, success_rate, mean_score })}\n`);
      return;
    }
    const rows: [string, string][] = [
      ['task', `${task.name} (v${task.version}, ${task.family}, horizon ${task.horizon})`],
      ['expert', rollout.expert.name],
      ['episodes', `${summary.episodes} (base seed ${args.seed})`],
      ['mean return', summary.mean_return.toFixed(2)],
      ['min return', summary.min_return.toFixed(2)],
      ['success rate', `${(100 * summary.success_rate).toFixed(1)}% (${FAMILIES[task.family].metric === 'goal-steps' ? `goal reached on > ${task.goalSteps} steps` : 'at the last step'})`],
      ['mean score', `${summary.mean_score.toFixed(2)} (${FAMILIES[task.family].metricName})`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n');
  },
};
