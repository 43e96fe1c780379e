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

// yargs' CommandModule is generic over each command's own arguments; the list only needs the common shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const commands: CommandModule<any, any>[] = [
  runCommand,
  sweepCommand,
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
  baselineCommand,
];

export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv).scriptName('bench').strict().demandCommand(1, 'name a command (see --help)').help().version(false);
  for (const command of commands) cli = cli.command(command);
  await cli
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .parseAsync();
}
