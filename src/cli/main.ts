/** The `bench` command line: one module per sub-command under ./commands. */
import yargs from 'yargs';
import type { CommandModule } from 'yargs';
import { baselineCommand } from './commands/baseline.js';
import { compareCommand } from './commands/compare.js';
import { demosCommand } from './commands/demos.js';
import { encodeCommand } from './commands/encode.js';
import { encodersCommand } from './commands/encoders.js';
import { expertsCommand } from './commands/experts.js';
import { exportCommand } from './commands/export.js';
import { mergeCommand } from './commands/merge.js';
import { renderCommand } from './commands/render.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { sweepCommand } from './commands/sweep.js';
import { tasksCommand } from './commands/tasks.js';
import { defaultRunDependencies } from '../run/default_deps.js';
import type { RunDependencies } from '../run/deps.js';

/** Every command; those that run cells (run, sweep, baseline) on the pieces `deps`. */
// yargs' CommandModule is generic over each command's own arguments; the list only needs the common shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const commands = (deps: RunDependencies): CommandModule<any, any>[] => [
  runCommand(deps),
  sweepCommand(deps),
  tasksCommand,
  demosCommand,
  expertsCommand,
  renderCommand,
  encodeCommand,
  encodersCommand,
  exportCommand,
  compareCommand,
  mergeCommand,
  reportCommand,
  baselineCommand(deps),
];

/**
 * Runs the command line `argv`. `deps` are the pieces runs are built from: the real ones, unless a test swaps one
 * (e.g. a small entropy probe) as it does for runBenchmark.
 */
export async function main(argv: string[], deps: RunDependencies = defaultRunDependencies()): Promise<void> {
  let cli = yargs(argv).scriptName('bench').strict().demandCommand(1, 'name a command (see --help)').help().version(false);
  for (const command of commands(deps)) cli = cli.command(command);
  await cli
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .parseAsync();
}
