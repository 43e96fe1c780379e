/**
 * The shuffled-action control: trains the same cells twice, once on the demo actions and once on actions shuffled
 * across samples (`--shuffle-actions`), and prints both scores side by side. A policy that learns from the
 * observations should beat its control clearly; a control that scores as well points at a leak or a trivial task.
 * With several policy inits (`--policy-init mjrl,last-layer-0.01`) every init gets its pair of runs, in one table.
 *
 *   npx tsx benchmarks/bc_control.ts [--profile quick] [--tasks reacher-easy,button-press-topdown]
 *                                    [--encoders pixels] [--policy-init mjrl,last-layer-0.01] [--seeds 100,200]
 *                                    [--out runs/bc-control]
 * Every run resumes like `bench run` (directories OUT/normal and OUT/shuffled, or OUT/<init>/normal and
 * OUT/<init>/shuffled with --policy-init); demos and features are cached, so only the first run pays for them.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import '../src/envs/index.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import { listOption, seedListOption } from '../src/cli/option_checks.js';
import { getProfile, withOverrides } from '../src/protocol/profiles.js';
import type { CellResult } from '../src/results/schema.js';
import { runBenchmark } from '../src/run/runner.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'quick' },
    tasks: { type: 'string', default: 'reacher-easy,button-press-topdown' },
    encoders: { type: 'string', default: 'pixels' },
    'policy-init': { type: 'string' },
    seeds: { type: 'string' },
    out: { type: 'string', default: 'runs/bc-control' },
  },
});

const inits: (string | null)[] = values['policy-init'] ? listOption('policy-init')(values['policy-init']) : [null];
const base = {
  benchmark: 'cortexbench',
  tasks: listOption('tasks')(values.tasks),
  encoders: listOption('encoders')(values.encoders),
  ...(values.seeds ? { seeds: seedListOption('seeds')(values.seeds) } : {}),
  deps: defaultRunDependencies(),
};

/** Per init: the normal and the control cells. */
const pairs: { init: string; normal: CellResult[]; control: CellResult[] }[] = [];
for (const init of inits) {
  const profile = withOverrides(getProfile(values.profile), init ? { policyInit: init } : {});
  const out = init ? join(values.out, init) : values.out;
  const normal = await runBenchmark({ ...base, profile, out: join(out, 'normal') });
  const control = await runBenchmark({ ...base, profile, out: join(out, 'shuffled'), shuffleActions: true });
  pairs.push({ init: profile.policyInit, normal: normal.results.cells, control: control.results.cells });
}

const fmt = (cell: CellResult | undefined): string => (cell ? `${cell.bestScore.toFixed(1)} / ${cell.finalScore.toFixed(1)}` : '-').padStart(13);
const same = (a: CellResult) => (b: CellResult): boolean => a.task === b.task && a.encoder === b.encoder && a.seed === b.seed;
console.log(`\nscores best / final, profile ${values.profile}`);
console.log(`${'task'.padEnd(22)}${'encoder'.padEnd(18)}${'seed'.padEnd(6)}${pairs.map((p) => `${`${p.init} normal`.padStart(24)}${'shuffled'.padStart(14)}`).join('')}`);
for (const cell of pairs[0]!.normal) {
  const columns = pairs.map((p) => `${fmt(p.normal.find(same(cell))).padStart(24)}${fmt(p.control.find(same(cell))).padStart(14)}`);
  console.log(`${cell.task.padEnd(22)}${cell.encoder.padEnd(18)}${String(cell.seed).padEnd(6)}${columns.join('')}`);
}
