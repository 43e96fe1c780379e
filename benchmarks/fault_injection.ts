/**
 * Fault injection for `bench run`, through the real command (`node bin/bench.js`, rebuilt first): runs are killed
 * at random points and resumed, run under a small file-size limit (a full disk), rerun after one cache entry of
 * each kind was damaged, and run twice at once on one directory, with different and with identical
 * configurations. Every outcome must be the clean run's results exactly (timings aside) or a clear error naming a
 * file; anything else (a different number, an error naming nothing) is counted as WRONG and fails the script.
 *
 *   npx tsx benchmarks/fault_injection.ts [--kills 6] [--limits 4,80,90,1024] [--warm-limits 4] [--repeats 2] [--seed 1]
 *                                         [--tasks reacher-easy,button-press-topdown] [--encoders pixels]
 *                                         [--seeds 1,2] [--work DIR] [--keep] [--no-build]
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import { readCacheFile } from '../src/data/cache_file.js';
import type { RunResults } from '../src/results/schema.js';
import { Rng } from '../src/util/rng.js';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '6' },
    // KiB; with the default tasks 4 and 80 fail on a demo file, 90 on a feature file, 1024 on nothing; with a warm
    // cache 4 fails on results.json.
    limits: { type: 'string', default: '4,80,90,1024' },
    'warm-limits': { type: 'string', default: '4' },
    repeats: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    tasks: { type: 'string', default: 'reacher-easy,button-press-topdown' },
    encoders: { type: 'string', default: 'pixels' },
    seeds: { type: 'string', default: '1,2' },
    work: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});

const root = resolve(import.meta.dirname, '..');
const work = resolve(args.work ?? mkdtempSync(join(tmpdir(), 'bench-faults-')));
const rng = new Rng(Number(args.seed));
const runArgs = (out: string, cache: string, extra: string[] = []): string[] => [
  'run', '--suite', 'cortexbench', '--profile', 'smoke', '--tasks', args.tasks, '--encoders', args.encoders,
  '--seeds', args.seeds, '--out', join(work, out), '--cache-dir', join(work, cache), '--quiet', ...extra,
];
const cellCount = args.tasks.split(',').length * args.encoders.split(',').length * args.seeds.split(',').length;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `bench ARGS` (under a file-size limit in KiB, and killed with `kill` after `killAfterMs`, when given). */
function bench(benchArgs: string[], options: { limitKiB?: number; kill?: NodeJS.Signals; killAfterMs?: number } = {}): Promise<Outcome> {
  const command = [process.execPath, join(root, 'bin', 'bench.js'), ...benchArgs];
  const child =
    options.limitKiB === undefined
      ? spawn(command[0]!, command.slice(1), { cwd: work })
      : spawn('bash', ['-c', `ulimit -f ${options.limitKiB} && exec "$@"`, 'bash', ...command], { cwd: work });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = performance.now();
  const timer = options.kill ? setTimeout(() => child.kill(options.kill), options.killAfterMs ?? 0) : null;
  return new Promise((done) =>
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      done({ code, signal, stdout, stderr, ms: performance.now() - started });
    }),
  );
}

/** A run's numbers: results.json without the timings, which differ between identical runs. */
function numbers(out: string): unknown {
  const results = JSON.parse(readFileSync(join(work, out, 'results.json'), 'utf8')) as RunResults;
  return { ...results, cells: results.cells.map(({ timings: _timings, ...cell }) => cell) };
}

/** The error line of a failed command, if it names a file under the work folder. */
function namesAFile(outcome: Outcome): boolean {
  const line = outcome.stderr.trim().split('\n').pop() ?? '';
  return line.startsWith('bench: ') && line.includes(work);
}

function temporaries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.tmp-\d+-/.test(f));
}

/** Multiplies the stored actions of a demo file by `factor` in place, leaving its header (and hash) as it was. */
function scaleDemoActions(path: string, factor: number): void {
  const bytes = readFileSync(path);
  const { header, payload } = readCacheFile(path, 'demo file', 'BDEMO02\n');
  let offset = bytes.length - payload.length;
  const sizes: Record<string, number> = { float64: 8, float32: 4, uint8: 1 };
  for (const array of header.arrays as { name: string; dtype: string; shape: number[] }[]) {
    const length = array.shape.reduce((a, b) => a * b, 1) * sizes[array.dtype]!;
    if (array.name === 'actions') for (let i = offset; i < offset + length; i += 4) bytes.writeFloatLE(bytes.readFloatLE(i) * factor, i);
    offset += length + ((8 - (length % 8)) % 8);
  }
  writeFileSync(path, bytes);
}

const tally = new Map<string, { identical: number; namedError: number; wrong: string[] }>();
function record(scenario: string, kind: 'identical' | 'namedError' | 'wrong', detail = ''): void {
  const row = tally.get(scenario) ?? { identical: 0, namedError: 0, wrong: [] };
  if (kind === 'wrong') row.wrong.push(detail);
  else row[kind]++;
  tally.set(scenario, row);
  if (kind === 'wrong') console.log(`  WRONG (${scenario}): ${detail}`);
}

/** Judges a finished command against the clean numbers: identical results, or a failure naming a file. */
function judge(scenario: string, outcome: Outcome, out: string, reference: unknown, allowError: boolean): boolean {
  if (outcome.code === 0) {
    const same = isDeepStrictEqual(numbers(out), reference);
    record(scenario, same ? 'identical' : 'wrong', same ? '' : `${out}: exit 0 with results that differ from the clean run`);
    return same;
  }
  if (allowError && namesAFile(outcome)) {
    record(scenario, 'namedError');
    return false;
  }
  record(scenario, 'wrong', `${out}: exit ${outcome.code ?? outcome.signal}, stderr: ${outcome.stderr.trim().split('\n').pop() ?? ''}`);
  return false;
}

async function main(): Promise<void> {
  mkdirSync(work, { recursive: true });
  if (!args['no-build']) spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  console.log(`fault injection in ${work}: ${cellCount} cells per run (${args.tasks} x ${args.encoders} x seeds ${args.seeds})`);
  const started = performance.now();

  // Clean references: a normal run and a shuffled-action run, each from a cold cache.
  const clean = await bench(runArgs('clean', 'cache-clean'));
  const cleanShuffled = await bench(runArgs('clean-shuffled', 'cache-clean', ['--shuffle-actions']));
  if (clean.code !== 0 || cleanShuffled.code !== 0) throw new Error(`the clean runs failed:\n${clean.stderr}\n${cleanShuffled.stderr}`);
  const reference = numbers('clean');
  const referenceShuffled = numbers('clean-shuffled');
  console.log(`clean run: ${(clean.ms / 1000).toFixed(1)} s from a cold cache`);

  // 1. Kills at random points (SIGKILL, and SIGINT as Ctrl-C), each from a cold cache, then a resume.
  for (let i = 0; i < Number(args.kills); i++) {
    const signal: NodeJS.Signals = i % 3 === 2 ? 'SIGINT' : 'SIGKILL';
    const killAfterMs = Math.round(rng.uniform(0.05, 1) * clean.ms);
    const killed = await bench(runArgs(`kill-${i}`, `cache-kill-${i}`), { kill: signal, killAfterMs });
    let how = killed.code === 0 ? 'had finished' : 'stopped';
    if (signal === 'SIGINT' && killed.code !== 0) {
      // Handlers are installed once the command starts; before that Node's default (exit on SIGINT) applies.
      const graceful = killed.code === 130 && /Rerun the same command to resume/.test(killed.stdout);
      if (!graceful && killed.code !== 130 && killed.signal !== 'SIGINT') record('kill + resume', 'wrong', `SIGINT gave exit ${killed.code ?? killed.signal}: ${killed.stderr.trim()}`);
      how = graceful ? 'stopped with exit 130, saying how to resume' : 'stopped before the command started';
    }
    const resumed = await bench(runArgs(`kill-${i}`, `cache-kill-${i}`));
    const ok = judge('kill + resume', resumed, `kill-${i}`, reference, false);
    const left = temporaries(join(work, `kill-${i}`));
    if (left.length) record('kill + resume', 'wrong', `temporary files left in kill-${i}: ${left.join(', ')}`);
    console.log(`kill ${i}: ${signal} after ${killAfterMs} ms (${how}), resume ${ok ? 'identical' : 'NOT identical'}`);
  }

  // 2. A full disk: a file-size limit makes every larger write fail (EFBIG), then a resume without it. Cold caches
  //    fail on demo or feature files, a warm one (a copy of the clean cache) on the run's own files.
  const limits = [
    ...args.limits.split(',').map((kib) => ({ kib: Number(kib), warm: false })),
    ...args['warm-limits'].split(',').map((kib) => ({ kib: Number(kib), warm: true })),
  ];
  for (const { kib, warm } of limits) {
    const out = `full-${kib}${warm ? '-warm' : ''}`;
    const cacheName = `cache-${out}`;
    if (warm) cpSync(join(work, 'cache-clean'), join(work, cacheName), { recursive: true });
    const limited = await bench(runArgs(out, cacheName), { limitKiB: kib });
    judge('file-size limit', limited, out, reference, true);
    const left = temporaries(join(work, cacheName)).concat(temporaries(join(work, out)));
    if (left.length) record('file-size limit', 'wrong', `temporary files left after the failed writes: ${left.join(', ')}`);
    const resumed = await bench(runArgs(out, cacheName));
    judge('file-size limit, then resume', resumed, out, reference, false);
    console.log(`ulimit -f ${kib} KiB${warm ? ' (warm cache)' : ''}: ${limited.code === 0 ? 'finished' : limited.stderr.trim().split('\n').pop()}; resume exit ${resumed.code}`);
  }

  // 3. One damaged entry of each kind: a demo episode (actions x 37), a feature file (one value changed), a cell
  //    file and an entropy record (truncated) and results.json; the task's cells are removed so that its demos
  //    and features are read again.
  cpSync(join(work, 'clean'), join(work, 'damaged'), { recursive: true });
  cpSync(join(work, 'cache-clean'), join(work, 'cache-damaged'), { recursive: true });
  const task = args.tasks.split(',')[0]!;
  const cache = join(work, 'cache-damaged');
  const demo = (readdirSync(join(cache, 'demos', task), { recursive: true }) as string[]).find((f) => f.endsWith('.bdemo'))!;
  const feature = readdirSync(join(cache, 'features', task)).find((f) => f.endsWith('.bfeat'))!;
  const cellsDir = join(work, 'damaged', 'cells');
  const damaged = {
    demo: join(cache, 'demos', task, demo),
    feature: join(cache, 'features', task, feature),
    cell: join(cellsDir, readdirSync(cellsDir).find((f) => !f.startsWith(`${task}__`) && f.endsWith('.json'))!),
    entropy: join(work, 'damaged', 'entropy', readdirSync(join(work, 'damaged', 'entropy'))[0]!),
  };
  const flip = (path: string, at: (bytes: Buffer) => number, change: (bytes: Buffer, i: number) => void): void => {
    const bytes = readFileSync(path);
    change(bytes, at(bytes));
    writeFileSync(path, bytes);
  };
  scaleDemoActions(damaged.demo, 37);
  flip(damaged.feature, (b) => b.length - 2, (b, i) => (b[i] = b[i]! ^ 0x01));
  for (const path of [damaged.cell, damaged.entropy, join(work, 'damaged', 'results.json')]) {
    writeFileSync(path, readFileSync(path).subarray(0, statSync(path).size / 2));
  }
  for (const f of readdirSync(cellsDir).filter((f) => f.startsWith(`${task}__`))) rmSync(join(cellsDir, f));
  const repaired = await bench(runArgs('damaged', 'cache-damaged'));
  judge('damaged caches', repaired, 'damaged', reference, false);
  for (const [kind, path] of Object.entries(damaged)) {
    const warned = (repaired.stdout + repaired.stderr).includes(path);
    if (!warned) record('damaged caches', 'wrong', `the damaged ${kind} ${path} was not named in the output`);
    console.log(`damaged ${kind}: ${warned ? 'named in a warning and replaced' : 'NOT NAMED'}`);
  }

  // 4. Two concurrent runs of different configurations on one directory (warm cache, staggered starts).
  for (let r = 0; r < Number(args.repeats); r++) {
    const out = `mixed-${r}`;
    const delay = Math.round(rng.uniform(0, 1500));
    const [normal, shuffled] = await Promise.all([
      bench(runArgs(out, 'cache-clean')),
      new Promise<Outcome>((done) => setTimeout(() => void bench(runArgs(out, 'cache-clean', ['--shuffle-actions'])).then(done), delay)),
    ]);
    const winners = [normal, shuffled].filter((o) => o.code === 0).length;
    if (winners !== 1) record('different configs at once', 'wrong', `${out}: ${winners} of the 2 runs finished (expected exactly 1)`);
    const loser = normal.code === 0 ? shuffled : normal;
    if (!/is being written by a run of another configuration: pid \d+|holds results of another configuration .*cells\//.test(loser.stderr)) {
      record('different configs at once', 'wrong', `${out}: the refused run named neither the other run's pid nor its cells: ${loser.stderr.trim()}`);
    } else record('different configs at once', 'namedError');
    judge('different configs at once', normal.code === 0 ? normal : shuffled, out, normal.code === 0 ? reference : referenceShuffled, false);
    console.log(`different configs (second ${delay} ms later): ${normal.code === 0 ? 'normal' : 'shuffled'} ran, the other was refused`);
  }

  // 5. Two concurrent identical runs on one directory: they share the cells and both end with the clean results.
  for (let r = 0; r < Number(args.repeats); r++) {
    const out = `twins-${r}`;
    const twins = await Promise.all([bench(runArgs(out, 'cache-clean')), bench(runArgs(out, 'cache-clean'))]);
    const computed = twins.map((o) => (o.stdout.match(/^cell \d+\/\d+: .*: best /gm) ?? []).length);
    if (computed[0]! + computed[1]! !== cellCount) record('identical runs at once', 'wrong', `${out}: ${computed.join(' + ')} cells computed for ${cellCount} planned`);
    for (const outcome of twins) judge('identical runs at once', outcome, out, reference, false);
    console.log(`identical runs at once: cells computed ${computed.join(' + ')} of ${cellCount}`);
  }

  console.log(`\nscenario                        identical  named error  WRONG   (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  let wrong = 0;
  for (const [scenario, row] of tally) {
    wrong += row.wrong.length;
    console.log(`${scenario.padEnd(32)}${String(row.identical).padStart(9)}${String(row.namedError).padStart(13)}${String(row.wrong.length).padStart(7)}`);
  }
  if (!args.keep) rmSync(work, { recursive: true, force: true });
  if (wrong > 0) {
    console.log(`\n${wrong} WRONG outcomes`);
    process.exitCode = 1;
  } else console.log('\nevery outcome was the clean results or a clear error naming a file');
}

await main();
