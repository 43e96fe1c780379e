// Mutation testing (StrykerJS) of the modules that decide the harness's numbers. `npm run mutation`
// (benchmarks/mutation.ts) runs every scope below in turn and prints the score per module; one scope alone:
// `MUTATION_SCOPE=results-csv npx stryker run`. Each scope keeps its report and its incremental file in
// reports/mutation/<scope>/ (git-ignored), so a rerun retests only mutants whose code or covering tests changed.
// Each mutant runs only the tests that reach it (per-test coverage), quick test files first
// (vitest.mutation.config.ts), from the test files the scope names.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** Functions and methods of a task domain that decide its numbers: reward, success and reset code. */
const TASK_MEMBERS = new Set(['reward', 'success', 'terminated', 'initializeEpisode', 'sampleLayout']);

/** `file:start-end` line ranges (1-based, inclusive) of the functions and methods of `file` named in `names`. */
function memberRanges(file, names) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const ranges = [];
  const visit = (node) => {
    const named = ts.isMethodDeclaration(node) || ts.isFunctionDeclaration(node);
    if (named && node.name && node.body && names.has(node.name.getText(source))) {
      const line = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
      ranges.push(`${file}:${line(node.body.getStart(source))}-${line(node.body.getEnd())}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return ranges;
}

const tsFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });

/**
 * What each scope mutates (`mutate`) and the only test files its mutants run (`tests`, vitest.mutation.config.ts):
 * the quick unit-test files that pin that code's numbers. End-to-end files (kill, merge, hardening, whole `bench run`
 * processes) also reach most of this code, but at a minute per mutant; a scope's score counts only what its unit
 * tests detect. Big areas are split into one scope per module or two, so each scope finishes (and resumes) alone.
 */
export const SCOPES = {
  optimiser: { mutate: ['src/policies/adam.ts'], tests: ['test/optimiser.test.ts'] },
  // Evaluation rollouts and metrics, feature-norm entropy and the statistics behind the correlations.
  eval: {
    mutate: ['src/eval/metrics.ts', 'src/eval/rollout.ts', 'src/eval/entropy.ts', 'src/eval/statistics.ts'],
    // compare_cli.test.ts is the end-to-end half of what compare.test.ts was when this scope was measured.
    tests: ['test/entropy.test.ts', 'test/rollout.test.ts', 'test/families.test.ts', 'test/compare.test.ts', 'test/compare_cli.test.ts', 'test/eval_units.test.ts', 'test/rollout_units.test.ts'],
  },
  // Result schema and upgrades, the result columns of a cell.
  'results-schema': {
    mutate: ['src/results/schema.ts', 'src/results/cell_columns.ts'],
    tests: ['test/results.test.ts', 'test/results_units.test.ts'],
  },
  // The results CSV file.
  'results-csv': {
    mutate: ['src/results/csv.ts'],
    tests: ['test/results.test.ts', 'test/results_units.test.ts'],
  },
  // Summaries (benchmark and family means) and the scored cells `bench compare` reads.
  'results-summary': {
    mutate: ['src/results/summary.ts', 'src/results/scored_cells.ts'],
    tests: ['test/results.test.ts', 'test/results_units.test.ts'],
  },
  // A sweep's summary (split means, gaps, relative drops over seeds and tasks) and its CSV files.
  'results-sweep': { mutate: ['src/results/sweep_summary.ts', 'src/results/sweep_csv.ts'], tests: ['test/sweep_summary.test.ts'] },
  // `bench compare`: paired differences, intervals, the change verdicts.
  'results-compare': {
    mutate: ['src/results/compare.ts'],
    tests: ['test/compare.test.ts'],
  },
  // The run directory: layout, locks, per-cell claims and records.
  'results-run-dir': { mutate: ['src/results/run_dir.ts'], tests: ['test/results.test.ts', 'test/run_dir.test.ts'] },
  // Cell planning, profiles and the protocol's seeds.
  run: {
    mutate: ['src/run/plan.ts', 'src/protocol/profiles.ts', 'src/protocol/seeds.ts'],
    tests: ['test/protocol.test.ts', 'test/results.test.ts', 'test/families.test.ts', 'test/run_units.test.ts'],
  },
  // One cell and the entropy probe, pinned by unit tests with a stub encoder and tiny data.
  cell: {
    mutate: ['src/run/cell.ts', 'src/protocol/entropy_probe.ts'],
    tests: ['test/cell.test.ts', 'test/probe_set.test.ts'],
  },
  // The shared reward helpers (dm_control's tolerance, MetaWorld's shaping), the family metrics and action clipping:
  // pinned without physics in rewards_units.test.ts; metaworld_success.test.ts sets states for the grasp reward.
  'rewards-shared': {
    mutate: ['src/envs/rewards.ts', 'src/envs/families.ts', 'src/envs/task.ts', 'src/envs/domains/metaworld/shaping.ts'],
    tests: ['test/rewards_units.test.ts', 'test/families.test.ts', 'test/metaworld_success.test.ts'],
  },
  // Every task's reward, success and reset code (the methods TASK_MEMBERS names in each domain file): the state-set
  // reward and success files, the reset distributions (task_resets) and Adroit's rule edges (adroit_thresholds). Not
  // the files that run experts for whole episodes or child processes (dmc_tasks, metaworld_tasks, metaworld_env, env):
  // a minute or more per mutant.
  'rewards-tasks': {
    mutate: tsFiles('src/envs/domains').flatMap((file) => memberRanges(file, TASK_MEMBERS)),
    tests: [
      'test/rewards.test.ts',
      'test/metaworld_success.test.ts',
      'test/task_resets.test.ts',
      'test/adroit_thresholds.test.ts',
      'test/walker.test.ts',
      'test/finger.test.ts',
      'test/adroit_tasks.test.ts',
    ],
  },
  // Image preprocessing: PIL-exact resizing and the frame resize.
  'preprocessing-resize': {
    mutate: ['src/encoders/preprocess/pil_resize.ts', 'src/encoders/preprocess/frame_resize.ts'],
    tests: ['test/preprocess.test.ts', 'test/processor_config.test.ts', 'test/frame_resize.test.ts'],
  },
  // Pixel values (rescale, normalise, layout) and the processor configs that choose them.
  'preprocessing-values': {
    mutate: [
      'src/encoders/preprocess/pixel_values.ts',
      'src/encoders/preprocess/processor_config.ts',
      'src/encoders/preprocess/recipe_preprocessor.ts',
    ],
    tests: ['test/preprocess.test.ts', 'test/processor_config.test.ts'],
  },
};

const scope = process.env.MUTATION_SCOPE ?? 'all';
if (scope !== 'all' && !(scope in SCOPES)) throw new Error(`MUTATION_SCOPE: unknown scope '${scope}'; expected one of ${Object.keys(SCOPES).join(', ')}`);
const reports = `reports/mutation/${scope}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: scope === 'all' ? Object.values(SCOPES).flatMap((s) => s.mutate) : SCOPES[scope].mutate,
  // Static mutants (module-level constants) would each rerun every test that imports their module; the tests pin
  // those constants directly instead (see the README).
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `${reports}/incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${reports}/index.html` },
  jsonReporter: { fileName: `${reports}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // Two shared cores: one test process at a time; a busy machine needs generous timeouts before a mutant counts as
  // an infinite loop.
  concurrency: 1,
  timeoutMS: 30_000,
  // The initial run executes every related test once with coverage; on a loaded machine that exceeds the default 5 min.
  dryRunTimeoutMinutes: 30,
  // One sandbox per scope, so two scopes can run at the same time.
  tempDirName: `.stryker-tmp/${scope}`,
  // Not copied into a sandbox: other scopes' sandboxes, reports, run outputs and caches.
  ignorePatterns: ['/.stryker-tmp/', '/reports/', '/results/runs/', '/runs/', '/.cache/', '/dist/'],
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
