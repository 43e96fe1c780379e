/**
 * `bench compare BASE NEW`: two runs (directories, results.json or results.csv) side by side, with bootstrap
 * intervals and a verdict per row. Exit 0: no regression; 1: a regression (or, with --fail-on-change, any change
 * beyond --tolerance);
 * 2: not comparable or bad input.
 */
import type { CommandModule } from 'yargs';
import { compareRuns, formatComparison } from '../../results/compare.js';
import { DEFAULT_ALPHA } from '../../results/schema.js';
import { readScoredRun } from '../../results/scored_cells.js';
import { withExitCode } from '../command_error.js';

/** Exit code of bad input: the same as "not comparable", so that 1 always means a regression. */
export const BAD_INPUT_EXIT = 2;

interface CompareArgs {
  base?: string;
  new?: string;
  json: boolean;
  alpha: number;
  'fail-on-change': boolean;
  tolerance: number;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare [base] [new]',
  describe: 'Compare two runs (directories or results.csv): differences with bootstrap intervals and a verdict per cell, task, family and mean',
  builder: (yargs) =>
    yargs
      .positional('base', { type: 'string', describe: 'the reference run: a run directory, results.json or results.csv' })
      .positional('new', { type: 'string', describe: 'the run to judge against it' })
      .option('json', { type: 'boolean', default: false, describe: 'print the comparison as JSON' })
      .option('alpha', { type: 'number', default: DEFAULT_ALPHA, requiresArg: true, describe: 'intervals at level 1 - alpha; a row is better/worse when its interval excludes 0' })
      .option('fail-on-change', { type: 'boolean', default: false, describe: 'exit 1 when any row is neither identical nor within --tolerance (the CI gate against a committed baseline)' })
      .option('tolerance', {
        type: 'number',
        default: 0,
        requiresArg: true,
        describe: 'largest difference of an episode score (score units) that counts as unchanged; ONNX Runtime kernels differ in their last bits between CPU kinds',
      }),
  handler: (args) => {
    const comparison = withExitCode(BAD_INPUT_EXIT, () => {
      if (!args.base || !args.new) throw new Error('bench compare needs two inputs: BASE NEW (run directories, results.json or results.csv files)');
      if (!(args.alpha > 0 && args.alpha < 1)) throw new Error(`--alpha must be a number in (0, 1), got '${args.alpha}'`);
      if (!(Number.isFinite(args.tolerance) && args.tolerance >= 0)) throw new Error(`--tolerance must be a number >= 0 (score units), got '${args.tolerance}'`);
      return compareRuns(readScoredRun(args.base, 'BASE'), readScoredRun(args.new, 'NEW'), { alpha: args.alpha, failOnChange: args['fail-on-change'], tolerance: args.tolerance });
    });
    process.stdout.write(args.json ? `${JSON.stringify(comparison, null, 2)}\n` : `${formatComparison(comparison)}\n`);
    process.exitCode = comparison.exitCode;
  },
};
