/** `bench merge DIR... --out DIR`: joins shard outputs into one run directory (idempotent; refuses conflicts). */
import type { CommandModule } from 'yargs';
import { formatSummary } from '../../results/summary.js';
import { mergeRuns } from '../../run/merge.js';
import { requiredStringOption } from '../option_checks.js';

interface MergeArgs {
  shards: string[];
  out: string;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <shards..>',
  describe: 'Merge the output directories of `bench run --shard i/n` into one run directory',
  builder: (yargs) =>
    yargs
      .positional('shards', { type: 'string', array: true, demandOption: true, describe: 'shard output directories' })
      .option('out', requiredStringOption('out', 'the merged run directory (may already hold earlier merged shards)')),
  handler: (args) => {
    const report = mergeRuns(args.shards.map(String), args.out);
    const { plan, cells } = report.results;
    const planned = plan.tasks.length * plan.encoders.length * plan.seeds.length;
    console.log(
      `merged ${report.inputs.length} directories into ${args.out}: ${cells.length} of ${planned} planned cells` +
        (report.duplicates > 0 ? ` (${report.duplicates} identical duplicates kept once)` : ''),
    );
    if (report.missing.length > 0) {
      const shown = report.missing.slice(0, 5).map((c) => `${c.task} x ${c.encoder} x seed ${c.seed}`);
      console.log(`missing ${report.missing.length} cells (run their shards, then merge again): ${shown.join('; ')}${report.missing.length > 5 ? '; ...' : ''}`);
    }
    console.log('');
    console.log(formatSummary(report.results.summary, report.results.entropyCorrelation));
  },
};
