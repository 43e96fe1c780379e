/** `bench report DIR [--out FILE]`: a self-contained HTML page of a run (table, charts, frames). */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { buildReport } from '../../results/report.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { stringOption } from '../option_checks.js';

interface ReportArgs {
  dir: string;
  out?: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dir>',
  describe: 'Write one self-contained HTML report of a run directory (results table, charts, frames; no network)',
  builder: (yargs) =>
    yargs
      .positional('dir', { type: 'string', demandOption: true, describe: 'the --out directory of a bench run' })
      .option('out', { type: 'string', requiresArg: true, describe: 'output file (default: DIR/report.html)', coerce: stringOption('out') }),
  handler: async (args) => {
    const html = await buildReport(String(args.dir));
    const out = args.out ?? join(String(args.dir), 'report.html');
    writeFileAtomic(out, html, 'HTML report');
    console.log(`report: ${out} (${(html.length / 1024).toFixed(0)} KiB)`);
  },
};
