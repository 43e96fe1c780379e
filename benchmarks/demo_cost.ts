/**
 * What demonstrations cost, per registered task and per profile:
 *
 *   1. CPU-seconds per full-horizon demo episode of each task's own expert (the baseline), and of the expert the
 *      `paper` profile records with (a distilled student where it keeps the bar), with the one-off distillation
 *      CPU-seconds (cached under --cache-dir; a cold cache counts them here);
 *   2. the total for the `paper` profile's demos of every task (lib/paper_demo_cost.ts): distillation + demos x
 *      CPU-s per episode, the teacher demos a distillation recorded counted once when they are also paper demos,
 *      and the student's evaluation episodes (kept as its first demos) once;
 *   3. with --quick, the wall time of a cold `quick`-profile demo generation of every task (a fresh cache:
 *      demo counts, step limits and worker threads as a `bench run --profile quick` records them).
 *
 *   npx tsx benchmarks/demo_cost.ts [--tasks a,b] [--episodes 2] [--cache-dir DIR] [--quick [--no-paper]] [--json out.json]
 *
 * `--no-paper` skips 1. and 2. (the planners' full-horizon episodes dominate them) to time only 3.
 *
 * CPU time is process.cpuUsage (user + system). Episodes use the demo seeds of base seed 0. Peak RSS is reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerOption, stringOption } from '../src/cli/option_checks.js';
import { demoEpisodeSeeds, loadOrGenerateDemos, taskExpert, distillationDemoStore, type DemoExpertSource } from '../src/data/demos.js';
import { ExpertRollout } from '../src/envs/expert_rollout.js';
import { resolveDemoExpert } from '../src/distill/index.js';
import { getTask, listTasks } from '../src/envs/index.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { DEMO_BASE_SEED } from '../src/protocol/seeds.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import { getProfile, taskProtocol } from '../src/protocol/profiles.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { paperDemoCost } from './lib/paper_demo_cost.js';

const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** CPU-seconds per full-horizon episode of `expert` (mean over `episodes` demo seeds) and the mean return. */
async function perEpisode(task: TaskDefinition, expert: DemoExpertSource, episodes: number): Promise<{ cpu: number; meanReturn: number }> {
  const rollout = await ExpertRollout.create(task, undefined, expert.create);
  try {
    const start = cpuSeconds();
    let total = 0;
    for (const seed of demoEpisodeSeeds(DEMO_BASE_SEED, episodes)) total += rollout.episode(seed).episodeReturn;
    return { cpu: (cpuSeconds() - start) / episodes, meanReturn: total / episodes };
  } finally {
    rollout.close();
  }
}

interface Row {
  task: string;
  /** CPU-s per full-horizon episode of the task's own expert. */
  own_cpu_per_episode: number;
  own_mean_return: number;
  /** The paper profile's demo expert, its CPU-s per episode and the distillation's CPU-s (0 when cached). */
  paper_expert: string;
  paper_cpu_per_episode: number;
  paper_mean_return: number;
  distill_cpu: number;
  student_mean_return: number | null;
  paper_demos: number;
  paper_total_cpu: number;
}

const args = await yargs(hideBin(process.argv))
  .strict()
  .option('tasks', { type: 'string', describe: 'comma-separated tasks (default: every registered task)', coerce: stringOption('tasks') })
  .option('episodes', { default: 2, coerce: integerOption('episodes', 1, 1000), describe: 'episodes per measurement' })
  .option('cache-dir', { type: 'string', describe: 'where distillations are cached (default: a fresh temporary directory: cold)', coerce: stringOption('cache-dir') })
  .option('quick', { type: 'boolean', default: false, describe: 'also time a cold quick-profile demo generation of every task' })
  .option('paper', { type: 'boolean', default: true, describe: 'measure per-episode costs and the paper total (--no-paper: only --quick)' })
  .option('workers', { default: defaultRunDependencies().demoWorkers ?? 1, coerce: integerOption('workers', 1, 64), describe: 'demo worker threads of the quick generation (default: as bench run)' })
  .option('json', { type: 'string', describe: 'also write the results to this JSON file' })
  .parseAsync();

const tasks = args.tasks ? args.tasks.split(',').map((t) => getTask(t.trim())) : listTasks().filter((t) => !t.benchmarks.includes('test'));
const temp = mkdtempSync(join(tmpdir(), 'bench-demo-cost-'));
const cacheDir = args['cache-dir'] ?? temp;
const paper = getProfile('paper');
const rows: Row[] = [];
try {
  for (const task of args.paper ? tasks : []) {
    const own = taskExpert(task);
    const ownCost = await perEpisode(task, own, args.episodes);
    const distillStart = cpuSeconds();
    let teacherDemoCpu = 0;
    let keptEvaluationEpisodes = 0;
    const store = distillationDemoStore(task, cacheDir);
    const timedTeacherDemos = async (episodes: number) => {
      const start = cpuSeconds();
      const demos = await store.teacherDemos(episodes);
      teacherDemoCpu += cpuSeconds() - start;
      return demos;
    };
    const keepEvaluationEpisodes: typeof store.keepEvaluationEpisodes = (name, episodes) => {
      store.keepEvaluationEpisodes(name, episodes);
      keptEvaluationEpisodes += episodes.length;
    };
    const chosen =
      paper.demoExperts === 'distilled'
        ? await resolveDemoExpert(task, { cacheDir, teacherDemos: timedTeacherDemos, keepEvaluationEpisodes, onProgress: (m) => process.stderr.write(`${m}\n`) })
        : { ...own, seconds: 0 };
    const distillCpu = cpuSeconds() - distillStart;
    const paperCost = chosen.name === own.name ? ownCost : await perEpisode(task, chosen, args.episodes);
    const { demos, cpuSeconds: paperTotalCpu } = paperDemoCost(task, {
      cpuPerEpisode: paperCost.cpu,
      distillCpu,
      reusedTeacherDemoCpu: chosen.name === own.name ? teacherDemoCpu : 0,
      keptEvaluationEpisodes,
    });
    rows.push({
      task: task.name,
      own_cpu_per_episode: ownCost.cpu,
      own_mean_return: ownCost.meanReturn,
      paper_expert: chosen.name,
      paper_cpu_per_episode: paperCost.cpu,
      paper_mean_return: paperCost.meanReturn,
      distill_cpu: distillCpu,
      student_mean_return: 'evaluation' in chosen && chosen.evaluation ? chosen.evaluation.meanReturn : null,
      paper_demos: demos,
      paper_total_cpu: paperTotalCpu,
    });
    process.stderr.write(`${task.name}: ${JSON.stringify(rows.at(-1))}\n`);
  }

  let quick: { wall_seconds: number; cpu_seconds: number; per_task: Record<string, number> } | null = null;
  if (args.quick) {
    const profile = getProfile('quick');
    const quickCache = mkdtempSync(join(temp, 'quick-'));
    const wallStart = performance.now();
    const cpuStart = cpuSeconds();
    const perTask: Record<string, number> = {};
    for (const task of tasks) {
      const t0 = performance.now();
      await loadOrGenerateDemos(task, {
        episodes: taskProtocol(profile, task).demos,
        seed: DEMO_BASE_SEED,
        cacheDir: quickCache,
        maxSteps: taskProtocol(profile, task).horizon,
        workers: args.workers,
      });
      perTask[task.name] = (performance.now() - t0) / 1000;
    }
    quick = { wall_seconds: (performance.now() - wallStart) / 1000, cpu_seconds: cpuSeconds() - cpuStart, per_task: perTask };
  }

  const header = ['task', 'own expert CPU-s/ep', 'return', 'paper demo expert', 'CPU-s/ep', 'return', 'distill CPU-s', 'paper demos', 'paper CPU-s'];
  const cells = rows.map((r) => [
    r.task,
    r.own_cpu_per_episode.toFixed(2),
    r.own_mean_return.toFixed(1),
    r.paper_expert,
    r.paper_cpu_per_episode.toFixed(2),
    r.paper_mean_return.toFixed(1),
    r.distill_cpu.toFixed(0),
    String(r.paper_demos),
    r.paper_total_cpu.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const lines = (rows.length > 0 ? [header, ...cells] : []).map((line) => line.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  const paperTotal = rows.reduce((s, r) => s + r.paper_total_cpu, 0);
  const ownTotal = rows.reduce((s, r) => s + paperDemoCost(getTask(r.task), { cpuPerEpisode: r.own_cpu_per_episode }).cpuSeconds, 0);
  if (rows.length > 0) lines.push('', `paper profile demos, ${rows.length} tasks: ${paperTotal.toFixed(0)} CPU-s (${(paperTotal / 3600).toFixed(2)} CPU-h); with every task's own expert: ${ownTotal.toFixed(0)} CPU-s (${(ownTotal / paperTotal).toFixed(1)}x)`);
  if (quick) lines.push(`cold quick-profile demos: ${quick.wall_seconds.toFixed(0)} s wall, ${quick.cpu_seconds.toFixed(0)} CPU-s (${Object.entries(quick.per_task).map(([t, s]) => `${t} ${s.toFixed(0)}`).join(', ')})`);
  if (quick) lines.push(`  (${args.workers} demo worker threads; CPU-s include every thread)`);
  lines.push(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.json) writeFileAtomic(args.json, `${JSON.stringify({ rows, paper_total_cpu: paperTotal, own_total_cpu: ownTotal, quick }, null, 2)}\n`, 'demo cost results');
} finally {
  rmSync(temp, { recursive: true, force: true });
}
