/**
 * The quick-profile sweep of issue #11's acceptance: 2 tasks x 2 factors x 2 built-in encoders x K in {1, 5} x
 * splits seen / unseen, from a cold cache (demos, features and policies all computed), in this process. Reports its
 * wall time, CPU time (user + system, all threads) and peak RSS, next to a baseline in the same script: one plain
 * `bench run` cell (the first task x the first encoder, quick profile, canonical scene, its own cold cache), so the
 * sweep's cost reads as a ratio on a noisy machine, and the load average before and after (on a shared machine
 * the CPU seconds decide the idle wall time: at least CPU / cores). Then prints the sweep summary and, per encoder
 * and factor, the seen - unseen gap.
 *
 *   npx tsx benchmarks/sweep_quick.ts [--tasks button-press-topdown,drawer-open] [--factors camera,table-texture]
 *     [--encoders pixels,vit-tiny-random] [--k 1,5] [--env-workers N] [--no-baseline] [--out DIR] [--json out.json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerListOption, integerOption, listOption } from '../src/cli/option_checks.js';
import '../src/envs/index.js';
import { parseFactorSet } from '../src/envs/factors/variant_sets.js';
import { getProfile } from '../src/protocol/profiles.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import { runBenchmark, type RunOptions, type RunReport } from '../src/run/runner.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const args = yargs(hideBin(process.argv))
  .option('tasks', { type: 'string', default: 'button-press-topdown,drawer-open', coerce: listOption('tasks') })
  .option('factors', { type: 'string', default: 'camera,table-texture', coerce: listOption('factors') })
  .option('encoders', { type: 'string', default: 'pixels,vit-tiny-random', coerce: listOption('encoders') })
  .option('k', { type: 'string', default: '1,5', coerce: integerListOption('k', 1) })
  .option('env-workers', { type: 'number', default: 0, describe: 'worker threads for the evaluation envs (bench run --env-workers)', coerce: integerOption('env-workers', 0, 64) })
  .option('baseline', { type: 'boolean', default: true, describe: 'also time one plain bench run cell (--no-baseline skips it)' })
  .option('out', { type: 'string', describe: 'keep the run directories and caches here (default: a temporary folder, removed)' })
  .option('json', { type: 'string', describe: 'also write the measurements and summary as JSON' })
  .strict()
  .parseSync();

interface Measurement {
  wallSeconds: number;
  cpuSeconds: number;
  cells: number;
}

const root = args.out ?? mkdtempSync(join(tmpdir(), 'bench-sweep-quick-'));
const profile = getProfile('quick');
const deps = defaultRunDependencies();

async function measured(options: Omit<RunOptions, 'profile' | 'deps' | 'quiet' | 'benchmark'>): Promise<{ report: RunReport; m: Measurement }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const report = await runBenchmark({ benchmark: 'factorworld', profile, deps, quiet: true, envWorkers: args['env-workers'], ...options });
  const used = process.cpuUsage(cpu);
  if (report.failed.length) throw new Error(`${report.failed.length} cells failed: ${report.failed.map((f) => f.error).join('; ')}`);
  return { report, m: { wallSeconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6, cells: report.ran } };
}

const describe = (name: string, m: Measurement): string =>
  `${name.padEnd(9)} ${String(m.cells).padStart(3)} cells  wall ${m.wallSeconds.toFixed(0).padStart(5)} s  CPU ${m.cpuSeconds.toFixed(0).padStart(5)} s`;

const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
const loadBefore = load();
console.log(`load average (1, 5, 15 min) before: ${loadBefore} on ${availableParallelism()} cores; env workers ${args['env-workers']}`);
try {
  let baseline: Measurement | null = null;
  if (args.baseline) {
    const { m } = await measured({ tasks: [args.tasks[0]!], encoders: [args.encoders[0]!], out: join(root, 'baseline'), cacheDir: join(root, 'baseline-cache'), log: () => {} });
    baseline = m;
    console.log(describe('baseline', m));
  }
  const { report, m: sweep } = await measured({
    tasks: args.tasks,
    encoders: args.encoders,
    out: join(root, 'sweep'),
    cacheDir: join(root, 'sweep-cache'),
    sweep: { factorSets: args.factors.map(parseFactorSet), ks: args.k, splits: ['seen', 'unseen'] },
  });
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(describe('sweep', sweep));
  if (baseline) console.log(`sweep / baseline: wall x${(sweep.wallSeconds / baseline.wallSeconds).toFixed(1)}, CPU x${(sweep.cpuSeconds / baseline.cpuSeconds).toFixed(1)}`);
  console.log(`peak RSS ${peakRssMiB.toFixed(0)} MiB (the whole process); target: the sweep within 20 minutes`);
  const loadAfter = load();
  console.log(`load average after: ${loadAfter}; CPU / ${availableParallelism()} cores = ${(sweep.cpuSeconds / availableParallelism()).toFixed(0)} s, the least wall time on an idle machine`);
  const summary = report.results.sweep!.summary;
  console.log('\nseen - unseen gap (points), mean over tasks:');
  for (const row of summary.filter((r) => r.task === '*')) {
    console.log(`  ${row.encoder.padEnd(16)} ${row.factors.padEnd(14)} K=${row.k}  seen ${row.splits.seen!.mean.toFixed(1).padStart(5)}  unseen ${row.splits.unseen!.mean.toFixed(1).padStart(5)}  gap ${row.gap!.mean.toFixed(1).padStart(6)}`);
  }
  if (args.json) writeFileAtomic(args.json, `${JSON.stringify({ baseline, sweep, peakRssMiB, loadBefore, loadAfter, envWorkers: args['env-workers'], summary }, null, 2)}\n`, 'sweep measurement');
} finally {
  if (!args.out) rmSync(root, { recursive: true, force: true });
}
