/**
 * `bench baseline update`: reruns the smoke profile of the cortexbench benchmark with the default encoders from a
 * clean output directory and rewrites the committed baseline (results/smoke-baseline/results.{json,csv}) that CI
 * compares every change against (`bench compare results/smoke-baseline NEW --fail-on-change`). Run it on purpose,
 * when a change is meant to move scores, and commit the result with that change.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { getProfile } from '../../protocol/profiles.js';
import { compareRuns, formatComparison } from '../../results/compare.js';
import { DEFAULT_ALPHA } from '../../results/schema.js';
import { readScoredRun } from '../../results/scored_cells.js';
import type { RunDependencies } from '../../run/deps.js';
import { runBenchmark } from '../../run/runner.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { stringOption } from '../option_checks.js';
import { DEFAULT_RUN_ENCODERS } from './run.js';

/** The committed baseline, relative to the repository root (where CI and the command run). */
export const BASELINE_DIR = join('results', 'smoke-baseline');
export const BASELINE_BENCHMARK = 'cortexbench';
export const BASELINE_PROFILE = 'smoke';
/**
 * The policy backend of the baseline and of CI's smoke run: what 'auto' picks on a clean install (ONNX Runtime,
 * tfjs wasm as the tfjs backend), pinned because a native tfjs backend, where installed, would take
 * over 'auto' and train to other numbers.
 */
export const BASELINE_BACKEND = 'onnxruntime';

interface BaselineArgs {
  action: string;
  out: string;
  'cache-dir'?: string;
}

/** `bench baseline` on the pieces `deps` (main.ts passes the real ones). */
export const baselineCommand = (deps: RunDependencies): CommandModule<object, BaselineArgs> => ({
  command: 'baseline <action>',
  describe: `update: rerun the ${BASELINE_PROFILE} profile with the default encoders and rewrite the committed baseline (${BASELINE_DIR})`,
  builder: (yargs) =>
    yargs
      .positional('action', { type: 'string', choices: ['update'], demandOption: true })
      .option('out', { type: 'string', default: BASELINE_DIR, requiresArg: true, describe: 'the baseline directory', coerce: stringOption('out') })
      .option('cache-dir', { type: 'string', requiresArg: true, describe: 'cache root for demos and features (default: a fresh one, as on a clean clone)', coerce: stringOption('cache-dir') }),
  handler: async (args) => {
    await import('../../envs/index.js');
    const scratch = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
    try {
      const run = join(scratch, 'run');
      const report = await runBenchmark({
        benchmark: BASELINE_BENCHMARK,
        encoders: DEFAULT_RUN_ENCODERS,
        profile: getProfile(BASELINE_PROFILE),
        backend: BASELINE_BACKEND,
        out: run,
        cacheDir: args['cache-dir'] ?? join(scratch, 'cache'),
        quiet: true,
        deps,
      });
      const failures = [...report.failed.map((f) => `${f.task} x ${f.encoder} x seed ${f.seed}: ${f.error}`), ...report.entropyFailures.map((f) => `entropy of ${f.encoder}: ${f.error}`)];
      if (failures.length > 0) throw new Error(`the baseline run did not finish (${failures.length} failure(s), the first ${failures[0]}); the baseline is unchanged`);
      if (existsSync(join(args.out, 'results.json'))) {
        // The comparison is for the reader; an old baseline this version cannot read is replaced all the same.
        try {
          const comparison = compareRuns(readScoredRun(args.out, 'OLD'), readScoredRun(run, 'NEW'), { alpha: DEFAULT_ALPHA, failOnChange: true });
          console.log(`\nthe new baseline against the old one:\n${formatComparison(comparison)}`);
        } catch (error) {
          console.log(`\nthe old baseline cannot be compared with the new one (${error instanceof Error ? error.message : String(error)}); replacing it`);
        }
      }
      for (const file of ['results.json', 'results.csv']) writeFileAtomic(join(args.out, file), readFileSync(join(run, file)), `baseline ${file}`);
      console.log(`\nbaseline written to ${args.out}; commit it with the change that moved the scores`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
});
