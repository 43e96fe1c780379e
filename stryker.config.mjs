// Mutation testing (StrykerJS) of the modules that decide the harness's numbers. `npm run mutation`
// (benchmarks/mutation.ts) runs every scope below in turn and prints the score per module; one scope alone:
// `MUTATION_SCOPE=results npx stryker run`. Each scope keeps its report and its incremental file in
// reports/mutation/<scope>/ (git-ignored), so a rerun retests only mutants whose code or covering tests changed.
// Each mutant runs only the tests that reach it (per-test coverage), quick test files first
// (vitest.mutation.config.ts).
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

/** What each scope mutates. */
const SCOPES = {
  // Evaluation rollouts and metrics, feature-norm entropy and the statistics behind the correlations.
  eval: ['src/eval/metrics.ts', 'src/eval/rollout.ts', 'src/eval/entropy.ts', 'src/eval/statistics.ts'],
  // Result schema and upgrades, CSV, summaries, the run directory.
  results: ['src/results/*.ts'],
  // Cell planning, one cell, the entropy probe, profiles and the protocol's seeds.
  run: ['src/run/plan.ts', 'src/run/cell.ts', 'src/protocol/entropy_probe.ts', 'src/protocol/profiles.ts', 'src/protocol/seeds.ts'],
  // The shared reward helpers, the family metrics, action clipping, and every task's reward, success and reset code.
  rewards: [
    'src/envs/rewards.ts',
    'src/envs/families.ts',
    'src/envs/task.ts',
    'src/envs/domains/metaworld/shaping.ts',
    ...tsFiles('src/envs/domains').flatMap((file) => memberRanges(file, TASK_MEMBERS)),
  ],
  optimiser: ['src/policies/adam.ts'],
  preprocessing: ['src/encoders/preprocess/*.ts'],
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
  mutate: scope === 'all' ? Object.values(SCOPES).flat() : SCOPES[scope],
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
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
