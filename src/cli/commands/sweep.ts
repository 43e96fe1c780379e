/** `bench sweep`: Factor-World-style generalisation sweeps over visual factors, on the run machinery (resumes, shards). */
import type { CommandModule } from 'yargs';
import { FACTOR_NAMES, SPLITS, type Split } from '../../envs/factors/factor_table.js';
import { checkSplit, parseFactorSet } from '../../envs/factors/variant_sets.js';
import { getProfile, PROFILE_NAMES } from '../../protocol/profiles.js';
import type { RunDependencies } from '../../run/deps.js';
import type { Shard } from '../../run/plan.js';
import { runBenchmark } from '../../run/runner.js';
import { integerListOption, integerOption, listOption, seedListOption, shardOption, stringOption } from '../option_checks.js';
import { DEFAULT_RUN_ENCODERS, ENV_WORKERS_OPTION } from './run.js';

interface SweepArgs {
  suite: string;
  tasks?: string[];
  factors: string[];
  k: number[];
  splits: string[];
  encoders?: string[];
  profile: string;
  seeds?: number[];
  out?: string;
  head: string;
  threads?: number;
  'env-workers'?: number;
  shard?: Shard;
  'cache-dir'?: string;
  quiet: boolean;
}

/** `bench sweep` on the pieces `deps` (main.ts passes the real ones). */
export const sweepCommand = (deps: RunDependencies): CommandModule<object, SweepArgs> => ({
  command: 'sweep',
  describe: 'Generalisation sweep: demos under K training values of each factor (set), evaluation on seen / unseen / out-of-range / novel-asset scenes (resumes)',
  builder: (yargs) =>
    yargs
      .option('suite', {
        alias: 'benchmark',
        type: 'string',
        default: 'factorworld',
        requiresArg: true,
        describe: 'the benchmark whose tasks to sweep',
        coerce: stringOption('suite'),
      })
      .option('tasks', { type: 'string', requiresArg: true, describe: 'comma-separated task names (default: every task of the benchmark)', coerce: listOption('tasks') })
      .option('factors', {
        type: 'string',
        demandOption: true,
        requiresArg: true,
        describe: `comma-separated factor sets, a pair joined by + (e.g. camera,table-texture,light+camera); factors: ${FACTOR_NAMES.join(', ')}`,
        coerce: listOption('factors'),
      })
      .option('k', { type: 'string', default: '1', requiresArg: true, describe: 'comma-separated numbers of distinct training values (e.g. 1,5)', coerce: integerListOption('k', 1) })
      .option('splits', { type: 'string', default: 'seen,unseen', requiresArg: true, describe: `comma-separated splits: ${SPLITS.join(', ')}`, coerce: listOption('splits') })
      .option('encoders', { type: 'string', requiresArg: true, describe: `comma-separated encoder specs (see bench encoders; default: ${DEFAULT_RUN_ENCODERS.join(',')})`, coerce: listOption('encoders') })
      .option('profile', { type: 'string', default: 'quick', requiresArg: true, describe: `${PROFILE_NAMES.join(' | ')}`, coerce: stringOption('profile') })
      .option('seeds', { type: 'string', requiresArg: true, describe: "comma-separated policy seeds (default: the profile's)", coerce: seedListOption('seeds') })
      .option('out', { type: 'string', requiresArg: true, describe: 'output directory (default: runs/sweep-SUITE-PROFILE)', coerce: stringOption('out') })
      .option('head', { type: 'string', default: 'auto', requiresArg: true, describe: 'policy head: mlp | conv | auto', coerce: stringOption('head') })
      .option('threads', { type: 'number', requiresArg: true, describe: 'encoder inference threads', coerce: integerOption('threads', 1, 1024) })
      .option('env-workers', ENV_WORKERS_OPTION)
      .option('shard', { type: 'string', requiresArg: true, describe: 'run only shard i of n of the cell list, e.g. 2/4', coerce: shardOption('shard') })
      .option('cache-dir', { type: 'string', requiresArg: true, describe: 'cache root for demos and features (default: $BENCH_CACHE_DIR or .cache/bench)', coerce: stringOption('cache-dir') })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress bars' }),
  handler: async (args) => {
    const profile = getProfile(args.profile);
    if (!['mlp', 'conv', 'auto'].includes(args.head)) throw new Error(`--head: expected mlp, conv or auto, got '${args.head}'`);
    const factorSets = args.factors.map(parseFactorSet);
    const names = factorSets.map((f) => f.join('+'));
    const duplicate = names.findIndex((n, i) => names.indexOf(n) !== i);
    if (duplicate >= 0) throw new Error(`--factors: '${args.factors[duplicate]}' is the same factor set as '${args.factors[names.indexOf(names[duplicate]!)]}'`);
    for (const factors of factorSets) for (const split of args.splits) checkSplit(factors, split);
    await import('../../envs/index.js');
    await runBenchmark({
      benchmark: args.suite,
      ...(args.tasks !== undefined ? { tasks: args.tasks } : {}),
      encoders: args.encoders ?? DEFAULT_RUN_ENCODERS,
      profile,
      ...(args.seeds !== undefined ? { seeds: args.seeds } : {}),
      out: args.out ?? `runs/sweep-${args.suite}-${profile.name}`,
      head: args.head as 'mlp' | 'conv' | 'auto',
      ...(args.threads !== undefined ? { threads: args.threads } : {}),
      ...(args['env-workers'] !== undefined ? { envWorkers: args['env-workers'] } : {}),
      ...(args.shard !== undefined ? { shard: args.shard } : {}),
      ...(args['cache-dir'] !== undefined ? { cacheDir: args['cache-dir'] } : {}),
      quiet: args.quiet,
      deps,
      sweep: { factorSets, ks: args.k, splits: args.splits as Split[] },
    });
  },
});
