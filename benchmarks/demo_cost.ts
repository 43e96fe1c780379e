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
 *      demo counts, step limits, demo experts and worker threads as a `bench run --profile quick` records them);
 *   4. with --paper-whole, the same for the `paper` profile (distillations included): the measured total that 2.
 *      estimates from a few episodes per task (hours on a 2-core machine; with --cache-dir an interrupted one resumes).
 *
 *   npx tsx benchmarks/demo_cost.ts [--tasks a,b] [--episodes 2] [--cache-dir DIR] [--quick] [--paper-whole] [--no-paper]
 *                                   [--workers N] [--json out.json]
 *
 * `--no-paper` skips 1. and 2. (the planners' full-horizon episodes dominate them) to time only 3. or 4.
 *
 * CPU time is process.cpuUsage (user + system). Episodes use the demo seeds of base seed 0. Peak RSS is reported.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerOption, stringOption } from '../src/cli/option_checks.js';
import { demoEpisodeSeeds, demoExpertFor, loadOrGenerateDemos, summarizeEpisodes, taskExpert, distillationDemoStore, type DemoExpertSource } from '../src/data/demos.js';
import { ExpertRollout } from '../src/envs/expert_rollout.js';
import { resolveDemoExpert } from '../src/distill/index.js';
import { getTask, listTasks } from '../src/envs/index.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { DEMO_BASE_SEED } from '../src/protocol/seeds.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import { getProfile, taskProtocol } from '../src/protocol/profiles.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { createProgress } from '../src/util/progress.js';
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

/** A profile's demos of every task generated whole into one cache, as a run records them. */
interface Generation {
  profile: string;
  /** Whether the cache started empty (false when --cache-dir held part of it). */
  cold: boolean;
  wall_seconds: number;
  cpu_seconds: number;
  per_task: Record<string, { demos: number; steps: number; expert: string; mean_return: number; mean_score: number; wall_seconds: number; cpu_seconds: number }>;
}

/**
 * Generates `profile`'s demos of every task (its demo counts, steps and demo experts, distilling first where the
 * profile records with distilled experts) into a fresh cache, or into --cache-dir's `generation-<profile>` to resume
 * one, timing each task. CPU-s count every thread of this process (the demo workers too).
 */
async function wholeGeneration(profileName: 'quick' | 'paper'): Promise<Generation> {
  const profile = getProfile(profileName);
  const cache = args['cache-dir'] ? join(args['cache-dir'], `generation-${profileName}`) : mkdtempSync(join(temp, `${profileName}-`));
  mkdirSync(cache, { recursive: true });
  const cold = readdirSync(cache).length === 0;
  const wallStart = performance.now();
  const cpuStart = cpuSeconds();
  const perTask: Generation['per_task'] = {};
  for (const task of tasks) {
    const protocol = taskProtocol(profile, task);
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const log = (m: string) => process.stderr.write(`${profileName} ${task.name}: ${m}\n`);
    const expert = await demoExpertFor(task, protocol.demoExperts, { cacheDir: cache, workers: args.workers, onProgress: log });
    const progress = createProgress({ label: `${profileName} demos ${task.name}`, total: protocol.demos });
    let set;
    try {
      set = await loadOrGenerateDemos(task, {
        episodes: protocol.demos,
        seed: DEMO_BASE_SEED,
        cacheDir: cache,
        maxSteps: protocol.horizon,
        expert,
        workers: args.workers,
        onProgress: (p) => progress.update(p.done),
      });
    } finally {
      progress.stop();
    }
    const summary = summarizeEpisodes(task, set.episodes);
    perTask[task.name] = {
      demos: protocol.demos,
      steps: set.episodes.reduce((sum, e) => sum + e.length, 0),
      expert: set.expert,
      mean_return: summary.mean_return,
      mean_score: summary.mean_score,
      wall_seconds: (performance.now() - t0) / 1000,
      cpu_seconds: cpuSeconds() - c0,
    };
    log(JSON.stringify(perTask[task.name]));
  }
  return { profile: profileName, cold, wall_seconds: (performance.now() - wallStart) / 1000, cpu_seconds: cpuSeconds() - cpuStart, per_task: perTask };
}

function describeGeneration(g: Generation): string[] {
  const tasksText = Object.entries(g.per_task).map(([t, c]) => `${t} ${c.wall_seconds.toFixed(0)} s / ${c.cpu_seconds.toFixed(0)} CPU-s`);
  return [
    `${g.cold ? 'cold' : 'resumed'} ${g.profile}-profile demos: ${g.wall_seconds.toFixed(0)} s wall, ${g.cpu_seconds.toFixed(0)} CPU-s (${(g.cpu_seconds / 3600).toFixed(2)} CPU-h)`,
    `  ${tasksText.join(', ')}`,
    `  (${args.workers} demo worker threads; CPU-s include every thread)`,
  ];
}

const args = await yargs(hideBin(process.argv))
  .strict()
  .option('tasks', { type: 'string', describe: 'comma-separated tasks (default: every registered task)', coerce: stringOption('tasks') })
  .option('episodes', { default: 2, coerce: integerOption('episodes', 1, 1000), describe: 'episodes per measurement' })
  .option('cache-dir', { type: 'string', describe: 'where distillations and whole generations are cached (default: a fresh temporary directory: cold; a given one resumes an interrupted generation)', coerce: stringOption('cache-dir') })
  .option('quick', { type: 'boolean', default: false, describe: 'also time a cold quick-profile demo generation of every task' })
  .option('paper-whole', { type: 'boolean', default: false, describe: "also generate every task's paper-profile demos whole, timed (hours)" })
  .option('paper', { type: 'boolean', default: true, describe: 'measure per-episode costs and the paper total estimated from them (--no-paper: only --quick or --paper-whole)' })
  .option('workers', { default: defaultRunDependencies().demoWorkers ?? 1, coerce: integerOption('workers', 1, 64), describe: 'demo worker threads of the whole generations (default: as bench run)' })
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

  const quick = args.quick ? await wholeGeneration('quick') : null;
  const paperWhole = args['paper-whole'] ? await wholeGeneration('paper') : null;

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
  for (const generation of [quick, paperWhole]) if (generation) lines.push(...describeGeneration(generation));
  lines.push(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.json) writeFileAtomic(args.json, `${JSON.stringify({ rows, paper_total_cpu: paperTotal, own_total_cpu: ownTotal, quick, paper_whole: paperWhole }, null, 2)}\n`, 'demo cost results');
} finally {
  rmSync(temp, { recursive: true, force: true });
}
