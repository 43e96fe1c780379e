/** `bench tasks`: every registered task (or a benchmark's) with its protocol facts, as a table or JSON. */
import type { CommandModule } from 'yargs';
import { taskFacts, type TaskFacts } from '../../envs/task_facts.js';
import { stringOption } from '../option_checks.js';

interface TasksArgs {
  suite?: string;
  json: boolean;
}

const COLUMNS: [string, (f: TaskFacts) => string][] = [
  ['task', (f) => f.task],
  ['family', (f) => f.family],
  ['horizon', (f) => String(f.horizon)],
  ['control', (f) => `${f.control_timestep} s (${f.timestep} x ${f.substeps})`],
  ['camera', (f) => f.camera],
  ['action', (f) => String(f.action_dim)],
  ['proprio', (f) => String(f.proprio_dim)],
  ['metric', (f) => f.metric],
  ['demos', (f) => String(f.paper_demos)],
  ['eval (VC-1/Theia)', (f) => `${f.paper_eval_episodes}/${f.theia_eval_episodes}`],
  ['expert', (f) => f.expert],
  ['version', (f) => String(f.version)],
];

export function formatTaskTable(facts: readonly TaskFacts[]): string {
  const rows = [COLUMNS.map(([name]) => name), ...facts.map((f) => COLUMNS.map(([, cell]) => cell(f)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export const tasksCommand: CommandModule<object, TasksArgs> = {
  command: 'tasks',
  describe: 'List the tasks with their protocol facts (family, horizon, control rate, camera, dims, metric, paper demos and episodes, expert, version)',
  builder: (yargs) =>
    yargs
      .option('suite', { alias: 'benchmark', type: 'string', requiresArg: true, describe: 'only the tasks of this benchmark, e.g. cortexbench', coerce: stringOption('suite') })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON array of task records' }),
  handler: async (args) => {
    const { listBenchmarks, listTasks } = await import('../../envs/index.js');
    const tasks = listTasks(args.suite);
    if (tasks.length === 0) throw new Error(`--suite: unknown benchmark '${args.suite}'; known: ${listBenchmarks().join(', ')}`);
    const facts = tasks.map(taskFacts);
    process.stdout.write(args.json ? `${JSON.stringify(facts, null, 2)}\n` : `${formatTaskTable(facts)}\n`);
  },
};
