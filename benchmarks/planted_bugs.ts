/**
 * Plants bugs that would make a benchmark's numbers wrong without anyone noticing, one at a time, each in a
 * scratch copy of the working tree (the checkout itself is never touched), runs the test suite there and reports
 * which tests fail. Every bug must make at least one test fail; the script exits non-zero when one does not.
 *
 *   npx tsx benchmarks/planted_bugs.ts [--bugs name,name] [--tests test/a.test.ts,...]
 *
 * --tests restricts each run to some test files (quicker while iterating; the acceptance run uses the whole suite).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface PlantedBug {
  name: string;
  /** What a user would suffer. */
  what: string;
  file: string;
  /** Text replaced (must occur exactly once) and its replacement. */
  find: string;
  replace: string;
}

const BUGS: PlantedBug[] = [
  {
    name: 'final-as-best',
    what: 'the final evaluation recorded as the best',
    file: 'src/run/cell.ts',
    find: 'const best = bestEvaluation(evaluations);',
    replace: 'const best = evaluations[evaluations.length - 1]!;',
  },
  {
    name: 'eval-on-demo-seeds',
    what: 'evaluation episodes replay the demo seeds',
    file: 'src/run/cell.ts',
    find: 'const evalSeeds = evaluationSeeds(evalEpisodes(cell), demos.episodes.map((e) => e.seed));',
    replace: 'const evalSeeds = demos.episodes.map((e) => e.seed).slice(0, evalEpisodes(cell));',
  },
  {
    name: 'eval-seeds-ignore-demos',
    what: 'evaluation seeds no longer skip demo seeds',
    file: 'src/run/cell.ts',
    find: 'const evalSeeds = evaluationSeeds(evalEpisodes(cell), demos.episodes.map((e) => e.seed));',
    replace: 'const evalSeeds = evaluationSeeds(evalEpisodes(cell), []);',
  },
  {
    name: 'entropy-50-bins',
    what: '50 entropy bins instead of 100',
    file: 'src/eval/entropy.ts',
    find: 'export const ENTROPY_BINS = 100;',
    replace: 'export const ENTROPY_BINS = 50;',
  },
  {
    name: 'pooled-norms-of-scalars',
    what: 'the pooled-only entropy path takes norms of single values',
    file: 'src/eval/entropy.ts',
    find: 'return rowNorms(encoded.pooled, encoder.info.pooledDim);',
    replace: 'return rowNorms(encoded.pooled, 1);',
  },
  {
    name: 'cheetah-half-speed',
    what: "cheetah's reward reaches 1 at half the running speed",
    file: 'src/envs/domains/cheetah.ts',
    find: 'bounds: [RUN_SPEED, Infinity], margin: RUN_SPEED,',
    replace: 'bounds: [RUN_SPEED / 2, Infinity], margin: RUN_SPEED / 2,',
  },
  {
    name: 'drawer-2cm-success',
    what: 'drawer-open succeeds after 2 cm of its 20 cm travel',
    file: 'src/envs/domains/metaworld/drawer_open.ts',
    find: 'return DRAWER_TRAVEL - drawerHandles(physics).opening() <= OPEN_END_TOLERANCE;',
    replace: 'return drawerHandles(physics).opening() >= 0.02;',
  },
  {
    name: 'adam-tf-epsilon',
    what: "TensorFlow's Adam epsilon placement (outside the bias correction) instead of PyTorch's",
    file: 'src/policies/adam.ts',
    find: `    const sqrtScale = tf.scalar(1 / Math.sqrt(1 - beta2 ** this.step) / stepSize);
    const epsScaled = tf.scalar(this.options.epsilon / stepSize);`,
    replace: `    const tfStep = stepSize * Math.sqrt(1 - beta2 ** this.step);
    const sqrtScale = tf.scalar(1 / tfStep);
    const epsScaled = tf.scalar(this.options.epsilon / tfStep);`,
  },
  {
    name: 'clip-twice-low',
    what: 'actions below the bounds clipped to twice the lower bound',
    file: 'src/envs/task.ts',
    find: 'values[offset + i] = a < low[i]! ? low[i]! :',
    replace: 'values[offset + i] = a < low[i]! ? 2 * low[i]! :',
  },
  {
    name: 'infinite-actions',
    what: 'infinite actions accepted (and clipped)',
    file: 'src/envs/task.ts',
    find: 'if (!Number.isFinite(a)) throw',
    replace: 'if (Number.isNaN(a)) throw',
  },
];

const { values } = parseArgs({ options: { bugs: { type: 'string' }, tests: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const chosen = values.bugs ? values.bugs.split(',').map((n) => BUGS.find((b) => b.name === n) ?? fail(`--bugs: unknown bug '${n}'; bugs: ${BUGS.map((b) => b.name).join(', ')}`)) : BUGS;
const testFiles = values.tests ? values.tests.split(',') : [];

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const repo = resolve(new URL('..', import.meta.url).pathname);
/** Tracked and untracked-but-not-ignored files: the working tree as a fresh clone plus local edits would have it. */
const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: repo, encoding: 'utf8' }).split('\n').filter((f) => f && existsSync(join(repo, f)));

interface Outcome {
  bug: PlantedBug;
  failed: string[];
  seconds: number;
}

function plant(bug: PlantedBug): Outcome {
  const scratch = mkdtempSync(join(tmpdir(), `planted-${bug.name}-`));
  try {
    for (const f of files) {
      mkdirSync(dirname(join(scratch, f)), { recursive: true });
      cpSync(join(repo, f), join(scratch, f));
    }
    symlinkSync(join(repo, 'node_modules'), join(scratch, 'node_modules'));
    const path = join(scratch, bug.file);
    const text = readFileSync(path, 'utf8');
    const count = text.split(bug.find).length - 1;
    if (count !== 1) fail(`bug '${bug.name}': expected the text to replace exactly once in ${bug.file}, found it ${count} times`);
    writeFileSync(path, text.replace(bug.find, bug.replace));
    const report = join(scratch, 'vitest-report.json');
    const started = performance.now();
    spawnSync(process.execPath, [join(repo, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`, ...testFiles], { cwd: scratch, stdio: 'ignore' });
    const seconds = (performance.now() - started) / 1000;
    if (!existsSync(report)) fail(`bug '${bug.name}': vitest wrote no report`);
    const results = JSON.parse(readFileSync(report, 'utf8')) as { testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string }[] }[] };
    const failed = results.testResults.flatMap((file) => {
      const name = file.name.slice(scratch.length + 1);
      const tests = file.assertionResults.filter((t) => t.status === 'failed').map((t) => `${name} > ${t.fullName}`);
      return tests.length === 0 && file.status === 'failed' ? [`${name} (file failed: ${(file.message ?? '').split('\n')[0]})`] : tests;
    });
    return { bug, failed, seconds };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

let missed = 0;
for (const bug of chosen) {
  const { failed, seconds } = plant(bug);
  console.log(`\n${bug.name}: ${bug.what} (${bug.file}; suite ${seconds.toFixed(0)} s)`);
  if (failed.length === 0) {
    missed++;
    console.log('  NOT CAUGHT: every test passed');
  }
  for (const test of failed) console.log(`  caught by ${test}`);
}
console.log(`\n${chosen.length - missed} of ${chosen.length} planted bugs caught`);
process.exitCode = missed === 0 ? 0 : 1;
