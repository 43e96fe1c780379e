/**
 * Expert quality for every registered task: N seeded episodes at the full horizon each, reporting mean and minimum
 * return, success at the last step and the mean score in the family's metric, next to the reference the experts are
 * accepted against (CortexBench's released demo returns for DMC, scripted-policy success for MetaWorld), and the
 * demo cost: wall and CPU seconds per episode, and the CPU time of the paper profile's demos recorded by this
 * expert (lib/paper_demo_cost.ts; the total over the measured tasks is printed under the table). A distillation's
 * cost and the paper profile's choice of demo expert are measured by benchmarks/demo_cost.ts.
 *
 *   npx tsx benchmarks/experts.ts [--episodes 20] [--seed 0] [--task reacher-easy ...] [--expert task|distilled]
 *                                 [--cache-dir DIR] [--record [--workers N]] [--json out.json]
 *
 * Episode seeds are the demo seeds (demoEpisodeSeeds), so the numbers describe the demos `bench demos` records.
 * `--expert distilled` measures the expert the paper profile records with (a distilled student where it keeps
 * the bar; distilling first, or loading the distillation cached under --cache-dir).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerOption, seedOption } from '../src/cli/option_checks.js';
import { demoEpisodeSeeds, demoExpertFor, loadOrGenerateDemos, summarizeEpisodes, type DemoExpertSource, type ExpertSummary } from '../src/data/demos.js';
import { ExpertRollout, type DemoEpisode } from '../src/envs/expert_rollout.js';
import { getTask, listTasks } from '../src/envs/index.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { createProgress } from '../src/util/progress.js';
import { paperDemoCost } from './lib/paper_demo_cost.js';

/**
 * What the expert is accepted against: CortexBench's released demo returns (DMC), published scripted-policy
 * success (MetaWorld) and the bars for our Adroit-style experts.
 */
const REFERENCE: Record<string, string> = {
  'reacher-easy': 'return 963',
  'cheetah-run': 'return 759',
  'walker-stand': 'return 971',
  'walker-walk': 'return 918',
  'finger-spin': 'return 743',
  pen: 'success >= 80%',
  relocate: 'success >= 90%',
};
const FAMILY_REFERENCE: Record<string, string> = { metaworld: 'success 95-100%' };
const reference = (task: TaskDefinition): string => REFERENCE[task.name] ?? FAMILY_REFERENCE[task.family] ?? '-';

interface Row extends ExpertSummary {
  version: number;
  expert: string;
  horizon: number;
  mean_length: number;
  seconds_per_episode: number;
  /** Process CPU time per episode (user + system), the cost that does not depend on other load. */
  cpu_seconds_per_episode: number;
  /** CPU time of the paper profile's demos of this task recorded by this expert (lib/paper_demo_cost.ts). */
  paper_demos_cpu_seconds: number;
  reference: string;
}

/**
 * Plays the episodes, or with `record` takes them from the demo store (recording missing ones: the same
 * episodes, since rollouts are deterministic); seconds per episode then count only the recorded ones.
 */
async function measure(task: TaskDefinition, episodes: number, seed: number, record: { cacheDir?: string; workers: number } | null, expert?: DemoExpertSource): Promise<Row> {
  const played: DemoEpisode[] = [];
  const progress = createProgress({ label: task.name, total: episodes });
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let expertName: string;
  let generated = episodes;
  try {
    if (record) {
      const set = await loadOrGenerateDemos(task, { episodes, seed, cacheDir: record.cacheDir, workers: record.workers, expert, onProgress: (p) => progress.update(p.done) });
      played.push(...set.episodes);
      expertName = set.expert;
      generated = episodes - set.loaded;
    } else {
      const rollout = await ExpertRollout.create(task, undefined, expert?.create);
      try {
        for (const s of demoEpisodeSeeds(seed, episodes)) {
          played.push(rollout.episode(s));
          progress.update(played.length);
        }
      } finally {
        rollout.close();
      }
      expertName = rollout.expert.name;
    }
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  // Per recorded episode: with --record, episodes read from the cache cost nothing now (CPU-s include every thread).
  const cpuPerEpisode = generated > 0 ? (cpu.user + cpu.system) / 1e6 / generated : 0;
  return {
    ...summarizeEpisodes(task, played),
    version: task.version,
    expert: expertName,
    horizon: task.horizon,
    mean_length: played.reduce((sum, e) => sum + e.length, 0) / played.length,
    seconds_per_episode: generated > 0 ? seconds / generated : 0,
    cpu_seconds_per_episode: cpuPerEpisode,
    paper_demos_cpu_seconds: paperDemoCost(task, { cpuPerEpisode }).cpuSeconds,
    reference: reference(task),
  };
}

function table(rows: Row[]): string {
  const header = ['task', 'expert', 'episodes', 'mean return', 'min return', 'success', 'mean score', 'reference', 's/episode', 'CPU-s/episode', 'paper demos CPU-s'];
  const cells = rows.map((r) => [
    `${r.task} v${r.version}`,
    r.expert,
    String(r.episodes),
    r.mean_return.toFixed(1),
    r.min_return.toFixed(1),
    `${(100 * r.success_rate).toFixed(0)}%`,
    r.mean_score.toFixed(1),
    r.reference,
    r.seconds_per_episode.toFixed(2),
    r.cpu_seconds_per_episode.toFixed(2),
    r.paper_demos_cpu_seconds.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells].map((line) => line.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

const args = await yargs(hideBin(process.argv))
  .strict()
  .option('episodes', { default: 20, coerce: integerOption('episodes', 1, 100_000), describe: 'episodes per task' })
  .option('seed', { default: 0, coerce: seedOption(), describe: 'base seed of the demo seeds' })
  .option('task', { type: 'string', array: true, describe: 'only these tasks (default: every registered task)' })
  .option('expert', { choices: ['task', 'distilled'] as const, default: 'task' as const, describe: "the task's expert, or the paper profile's demo expert" })
  .option('cache-dir', { type: 'string', describe: 'cache root for distillations and --record (default: $BENCH_CACHE_DIR or .cache/bench)' })
  .option('record', { type: 'boolean', default: false, describe: 'take the episodes from the demo store, recording the missing ones' })
  .option('workers', { default: 1, coerce: integerOption('workers', 1, 64), describe: 'worker threads recording episodes (with --record)' })
  .option('json', { type: 'string', describe: 'also write the rows to this JSON file' })
  .parseAsync();

const tasks = args.task?.length ? args.task.map(getTask) : listTasks();
const rows: Row[] = [];
for (const task of tasks) {
  const cacheDir = args['cache-dir'];
  const expert = await demoExpertFor(task, args.expert, { cacheDir, onProgress: (m) => process.stderr.write(`${m}\n`) });
  rows.push(await measure(task, args.episodes, args.seed, args.record ? { cacheDir, workers: args.workers } : null, expert));
}
const paperTotal = rows.reduce((sum, r) => sum + r.paper_demos_cpu_seconds, 0);
process.stdout.write(`${table(rows)}\npaper profile demos of these tasks: ${(paperTotal / 3600).toFixed(2)} CPU-hours\n\n${JSON.stringify(rows, null, 2)}\n`);
if (args.json) writeFileAtomic(args.json, `${JSON.stringify(rows, null, 2)}\n`, 'benchmark results');
