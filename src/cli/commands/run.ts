/** `bench run`: train and evaluate BC policies on frozen-encoder features over a benchmark's cells; resumes. */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { TF_BACKEND_REQUESTS, type TfBackendRequest } from '../../policies/backend.js';
import { POLICY_INITS } from '../../policies/index.js';
import { getProfile, PROFILE_NAMES, withOverrides } from '../../protocol/profiles.js';
import { estimateBenchmark, runBenchmark, type RunOptions } from '../../run/runner.js';
import type { RunDependencies } from '../../run/deps.js';
import type { Shard } from '../../run/plan.js';
import { withInterrupts } from '../interrupt.js';
import { choiceOption, integerOption, listOption, seedListOption, shardOption, stringOption } from '../option_checks.js';

/**
 * Encoders of `bench run` when --encoders is not given: built in, no download or file needed, and of three
 * characters (no network, a random local CNN, a random global-attention ViT), so that the first run already shows
 * entropy against benchmark mean over three encoders.
 */
export const DEFAULT_RUN_ENCODERS = ['pixels', 'conv-random', 'vit-tiny-random'];

interface RunArgs {
  suite: string;
  tasks?: string[];
  encoders?: string[];
  profile: string;
  'eval-episodes'?: number;
  'policy-init'?: string;
  seeds?: number[];
  out?: string;
  head: string;
  backend: TfBackendRequest;
  threads?: number;
  'env-workers'?: number;
  jobs?: number;
  shard?: Shard;
  'shuffle-actions': boolean;
  'cache-dir'?: string;
  quiet: boolean;
  'dry-run': boolean;
}

/** `--env-workers` of `bench run` and `bench sweep`. */
export const ENV_WORKERS_OPTION = {
  type: 'number',
  requiresArg: true,
  describe: 'worker threads that step and render the evaluation envs and demo frames while the main thread encodes (default 0: the main thread; the numbers are the same)',
  coerce: integerOption('env-workers', 0, 64),
} as const;

/** `bench run` on the pieces `deps` (main.ts passes the real ones). */
export const runCommand = (deps: RunDependencies): CommandModule<object, RunArgs> => ({
  command: 'run',
  describe: 'Run a benchmark: demos -> features -> BC training -> evaluation -> results.json/csv (resumes)',
  builder: (yargs) =>
    yargs
      .option('suite', {
        alias: 'benchmark',
        type: 'string',
        default: 'cortexbench',
        requiresArg: true,
        describe: 'the benchmark to run: a named collection of tasks in the task registry',
        coerce: stringOption('suite'),
      })
      .option('tasks', { type: 'string', requiresArg: true, describe: 'comma-separated task names (default: every task of the benchmark)', coerce: listOption('tasks') })
      .option('encoders', {
        type: 'string',
        requiresArg: true,
        describe: `comma-separated encoder specs: pixels, conv-random, vit-tiny-random, vit-small-random, onnx:FILE, tfjs:DIR, theia:DIR, hf:DIR, r3m:PATH, vc1:PATH (see bench encoders; default: ${DEFAULT_RUN_ENCODERS.join(',')})`,
        coerce: listOption('encoders'),
      })
      .option('profile', { type: 'string', default: 'quick', requiresArg: true, describe: `${PROFILE_NAMES.join(' | ')} (paper = the full protocol)`, coerce: stringOption('profile') })
      .option('eval-episodes', {
        type: 'number',
        requiresArg: true,
        describe: "evaluation episodes of every task (default: the profile's; paper = VC-1's 10 DMC / 25 others, Theia evaluates 25 everywhere)",
        coerce: integerOption('eval-episodes', 1, 10_000),
      })
      .option('policy-init', {
        type: 'string',
        requiresArg: true,
        describe: `how the policy trunk starts: ${POLICY_INITS.join(' | ')} (default: the profile's; paper = mjrl, what the reference code does)`,
        coerce: stringOption('policy-init'),
      })
      .option('seeds', { type: 'string', requiresArg: true, describe: 'comma-separated policy seeds (default: the profile\'s)', coerce: seedListOption('seeds') })
      .option('out', {
        type: 'string',
        requiresArg: true,
        describe: 'output directory: cells/, entropy/, results.json, results.csv (default: runs/BENCHMARK-PROFILE[-shuffled])',
        coerce: stringOption('out'),
      })
      .option('head', { type: 'string', default: 'auto', requiresArg: true, describe: 'policy head: mlp | conv | auto (conv for theia: encoders in the paper profile)', coerce: stringOption('head') })
      .option('backend', {
        type: 'string',
        default: 'auto',
        requiresArg: true,
        describe: 'what trains the policies: auto (node-gpu, node, else onnxruntime) | onnxruntime (ONNX Runtime, the conv head\'s other layers on tfjs wasm) | node-gpu | node | wasm (every layer on that tfjs backend); recorded in every row',
        coerce: choiceOption('backend', TF_BACKEND_REQUESTS.filter((r) => r !== 'cpu')),
      })
      .option('threads', { type: 'number', requiresArg: true, describe: 'encoder inference threads', coerce: integerOption('threads', 1, 1024) })
      .option('env-workers', ENV_WORKERS_OPTION)
      .option('jobs', {
        type: 'number',
        requiresArg: true,
        describe:
          'cells at once (never two of one task; the numbers are the same). Default: 2 with --env-workers on a multi-core machine, ' +
          'the cells of encoders that cost more per frame than rendering alone; else 1',
        coerce: integerOption('jobs', 1, 64),
      })
      .option('shard', { type: 'string', requiresArg: true, describe: 'run only shard i of n of the cell list, e.g. 2/4', coerce: shardOption('shard') })
      .option('shuffle-actions', { type: 'boolean', default: false, describe: 'control: train on actions shuffled across samples (should not learn)' })
      .option('cache-dir', { type: 'string', requiresArg: true, describe: 'cache root for demos and features (default: $BENCH_CACHE_DIR or .cache/bench)', coerce: stringOption('cache-dir') })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress bars' })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'measure each stage here on a few units of work and print what the run would cost (cells, frames to encode, policy steps, hours); writes nothing',
      }),
  handler: async (args) => {
    const profile = withOverrides(getProfile(args.profile), {
      ...(args['eval-episodes'] !== undefined ? { evalEpisodes: args['eval-episodes'] } : {}),
      ...(args['policy-init'] !== undefined ? { policyInit: args['policy-init'] } : {}),
    });
    if (!['mlp', 'conv', 'auto'].includes(args.head)) throw new Error(`--head: expected mlp, conv or auto, got '${args.head}'`);
    await import('../../envs/index.js');
    const log = (line: string): void => console.log(line);
    const out = args.out ?? `runs/${args.suite}-${profile.name}${args['shuffle-actions'] ? '-shuffled' : ''}`;
    const options = (signal: AbortSignal): RunOptions => ({
      benchmark: args.suite,
      ...(args.tasks !== undefined ? { tasks: args.tasks } : {}),
      encoders: args.encoders ?? DEFAULT_RUN_ENCODERS,
      profile,
      ...(args.seeds !== undefined ? { seeds: args.seeds } : {}),
      out,
      head: args.head as 'mlp' | 'conv' | 'auto',
      shuffleActions: args['shuffle-actions'],
      backend: args.backend,
      ...(args.threads !== undefined ? { threads: args.threads } : {}),
      ...(args['env-workers'] !== undefined ? { envWorkers: args['env-workers'] } : {}),
      ...(args.jobs !== undefined ? { jobs: args.jobs } : {}),
      ...(args.shard !== undefined ? { shard: args.shard } : {}),
      ...(args['cache-dir'] !== undefined ? { cacheDir: args['cache-dir'] } : {}),
      quiet: args.quiet,
      signal,
      log,
      deps,
    });
    if (args['dry-run']) {
      await withInterrupts(log, (signal) => estimateBenchmark(options(signal)));
      return;
    }
    const report = await withInterrupts(log, (signal) => runBenchmark(options(signal)));
    if (report.failed.length > 0) {
      const first = report.failed[0]!;
      throw new Error(
        `${report.failed.length} cell(s) failed, the first ${first.task} x ${first.encoder} x seed ${first.seed}: ${first.error.split('\n')[0]} ` +
          `(every error is under 'failures' in ${join(out, 'results.json')}; the other cells are kept; rerun the same command to retry)`,
      );
    }
    if (report.entropyFailures.length > 0) {
      const first = report.entropyFailures[0]!;
      throw new Error(`the feature-norm entropy of ${report.entropyFailures.length} encoder(s) could not be measured, the first ${first.encoder}: ${first.error.split('\n')[0]} (the cells are kept; rerun the same command to retry)`);
    }
  },
});
