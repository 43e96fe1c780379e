/**
 * The shuffled-action control: trains the same cells twice, once on the demo actions and once on actions shuffled
 * across samples (`--shuffle-actions`), and prints both scores side by side. A policy that learns from the
 * observations should beat its control clearly; a control that scores as well points at a leak or a trivial task.
 *
 *   npx tsx benchmarks/bc_control.ts [--profile quick] [--tasks reacher-easy,button-press-topdown]
 *                                    [--encoders pixels] [--policy-init mjrl|last-layer-0.01] [--seeds 100,200]
 *                                    [--out runs/bc-control]
 * Both runs resume like `bench run` (their directories are OUT/normal and OUT/shuffled).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import '../src/envs/index.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import { listOption, seedListOption } from '../src/cli/option_checks.js';
import { getProfile, withOverrides } from '../src/protocol/profiles.js';
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

const base = {
  benchmark: 'cortexbench',
  tasks: listOption('tasks')(values.tasks),
  encoders: listOption('encoders')(values.encoders),
  profile: withOverrides(getProfile(values.profile), values['policy-init'] ? { policyInit: values['policy-init'] } : {}),
  ...(values.seeds ? { seeds: seedListOption('seeds')(values.seeds) } : {}),
  deps: defaultRunDependencies(),
};
const normal = await runBenchmark({ ...base, out: join(values.out, 'normal') });
const control = await runBenchmark({ ...base, out: join(values.out, 'shuffled'), shuffleActions: true });

console.log('\ntask                  encoder           seed   normal (best/final)   shuffled (best/final)');
for (const cell of normal.results.cells) {
  const twin = control.results.cells.find((c) => c.task === cell.task && c.encoder === cell.encoder && c.seed === cell.seed);
  const fmt = (best: number, final: number): string => `${best.toFixed(1).padStart(6)} / ${final.toFixed(1).padStart(6)}`;
  console.log(
    `${cell.task.padEnd(22)}${cell.encoder.padEnd(18)}${String(cell.seed).padEnd(7)}${fmt(cell.bestScore, cell.finalScore).padEnd(22)}` +
      `${twin ? fmt(twin.bestScore, twin.finalScore) : '-'}`,
  );
}
