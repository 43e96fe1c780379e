/** `bench export`: writes a finished (or partial) run's results in another format. */
import type { CommandModule } from 'yargs';
import { resultsToCsv } from '../../results/csv.js';
import { RunDir } from '../../results/run_dir.js';
import { prepareOutputFile, writeFileAtomic } from '../../util/atomic.js';
import { requiredStringOption, stringOption } from '../option_checks.js';

const FORMATS = ['csv', 'json'] as const;

interface ExportArgs {
  in: string;
  format: string;
  out?: string;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'Export the results of a run directory (csv: one row per task x encoder x seed; json: everything)',
  builder: (yargs) =>
    yargs
      .option('in', requiredStringOption('in', 'the --out directory of a bench run'))
      .option('format', { type: 'string', default: 'csv', requiresArg: true, describe: FORMATS.join(' | '), coerce: stringOption('format') })
      .option('out', { type: 'string', requiresArg: true, describe: 'output file (default: stdout)', coerce: stringOption('out') }),
  handler: (args) => {
    if (!(FORMATS as readonly string[]).includes(args.format)) throw new Error(`--format: expected ${FORMATS.join(' or ')}, got '${args.format}'`);
    if (args.out) prepareOutputFile(args.out, '--out file');
    const results = new RunDir(args.in).readResults();
    const text = args.format === 'csv' ? resultsToCsv(results) : `${JSON.stringify(results, null, 2)}\n`;
    if (args.out) writeFileAtomic(args.out, text, `exported results (${args.format})`);
    else process.stdout.write(text);
  },
};
