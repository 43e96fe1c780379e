/** `bench demos`: generate (or resume) a task's expert demonstrations in the demo cache. */
import { availableParallelism } from 'node:os';
import type { CommandModule } from 'yargs';
import { defaultDemoEpisodes, demoExpertFor, loadOrGenerateDemos, summarizeEpisodes } from '../../data/demos.js';
import { createProgress } from '../../util/progress.js';
import type { Shard } from '../../run/plan.js';
import { integerOption, seedOption, shardOption, stringOption } from '../option_checks.js';
import { lookupTask, TASK_OPTION } from '../task_lookup.js';

interface DemosArgs {
  task: string;
  episodes?: number;
  seed: number;
  'cache-dir'?: string;
  shard?: Shard;
  expert: 'task' | 'distilled';
  steps?: number;
  workers: number;
  quiet: boolean;
}

export const demosCommand: CommandModule<object, DemosArgs> = {
  command: 'demos',
  describe: 'Generate expert demonstrations (states and actions, no pixels) into the demo cache; resumes',
  builder: (yargs) =>
    yargs
      .option('task', TASK_OPTION)
      .option('episodes', {
        requiresArg: true,
        describe: 'number of episodes (default: the paper\'s, 100 for DMC and Adroit tasks, 25 for MetaWorld)',
        coerce: integerOption('episodes', 1, 100_000),
      })
      .option('seed', { default: 0, requiresArg: true, describe: 'base seed; episode i resets with demoEpisodeSeed(seed, i)', coerce: seedOption() })
      .option('cache-dir', { type: 'string', requiresArg: true, describe: 'cache root (default: $BENCH_CACHE_DIR or .cache/bench)', coerce: stringOption('cache-dir') })
      .option('shard', {
        type: 'string',
        requiresArg: true,
        describe: 'generate only shard i of n of the episodes (e.g. 2/4), to fill one cache from several processes',
        coerce: shardOption('shard'),
      })
      .option('expert', {
        choices: ['task', 'distilled'] as const,
        default: 'task' as const,
        describe: "who records: the task's expert, or a state policy distilled from it (cached; used when it keeps the bar)",
      })
      .option('steps', { requiresArg: true, describe: 'record only the first N steps of each episode', coerce: integerOption('steps', 1, 100_000) })
      .option('workers', {
        default: 1,
        requiresArg: true,
        describe: `worker threads recording episodes in parallel, each its own MuJoCo instance (built-in tasks; this machine has ${availableParallelism()} cores)`,
        coerce: integerOption('workers', 1, 64),
      })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' }),
  handler: async (args) => {
    const task = await lookupTask(args.task);
    const total = args.episodes ?? defaultDemoEpisodes(task.family);
    const { shard } = args;
    // Episodes of this shard: indices i < total with i % count === index.
    const episodes = shard ? Math.ceil((total - shard.index) / shard.count) : total;
    if (episodes < 1) throw new Error(`--shard ${shard!.index + 1}/${shard!.count} holds no episodes of ${total}`);
    const expert = await demoExpertFor(task, args.expert, {
      cacheDir: args['cache-dir'],
      workers: args.workers,
      onProgress: args.quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
    });
    const progress = createProgress({ label: `demos ${task.name}`, total: episodes, quiet: args.quiet });
    let set;
    try {
      set = await loadOrGenerateDemos(task, {
        episodes: total,
        seed: args.seed,
        cacheDir: args['cache-dir'],
        shard,
        maxSteps: args.steps,
        expert,
        workers: args.workers,
        onProgress: (p) => progress.update(p.done, `(${p.loaded} from cache)`),
      });
    } finally {
      progress.stop();
    }
    const summary = summarizeEpisodes(task, set.episodes);
    const steps = set.episodes.reduce((sum, e) => sum + e.length, 0);
    process.stdout.write(
      [
        `demos ${task.name} v${task.version}, expert '${set.expert}', base seed ${args.seed}: ` +
          `${episodes} episodes${shard ? ` (shard ${shard.index + 1}/${shard.count} of ${total})` : ''}, ${steps} steps ` +
          `(${set.loaded} read from cache, ${episodes - set.loaded} generated)`,
        `  mean return ${summary.mean_return.toFixed(1)} (min ${summary.min_return.toFixed(1)}), success at last step ` +
          `${(100 * summary.success_rate).toFixed(0)}%, mean score ${summary.mean_score.toFixed(1)}`,
        `  stored in ${set.dir}`,
        `  demo set key ${set.key}`,
        '',
      ].join('\n'),
    );
  },
};
