/**
 * A real kill: `bench run` as a child process, SIGKILLed in the middle of a cell and in the middle of writing a
 * cell's result; the next run computes exactly the cells that are missing and ends with the CSV of an
 * uninterrupted run (timings aside); a cell file cut short is set aside and computed again.
 * test/helpers/crash_points.ts places the crashes deterministically.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv, withoutTimings } from './helpers/csv.js';

const root = mkdtempSync(join(tmpdir(), 'bench-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bench run` on one task, 4 policy seeds (4 cells), into `out`. `env` sets the crash points; `killOn` kills
 * the child from here when a stdout line matches.
 */
function benchRun(out: string, env: Record<string, string> = {}, killOn?: RegExp): Promise<Outcome> {
  const args = ['run', '--suite', 'cortexbench', '--profile', 'smoke', '--tasks', 'reacher-easy', '--encoders', 'pixels', '--seeds', '1,2,3,4'];
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/helpers/crash_points.ts', 'test/helpers/bench_entry.ts', ...args, '--out', join(root, out), '--cache-dir', join(root, 'cache')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (killOn?.test(stdout)) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const cellFiles = (out: string): string[] => readdirSync(join(root, out, 'cells')).filter((f) => f.endsWith('.json')).sort();
const csvOf = (out: string): Record<string, string>[] => withoutTimings(parseCsv(readFileSync(join(root, out, 'results.csv'), 'utf8')));
/** The cells a run started, as "i/n" of its plan. */
const started = (outcome: Outcome): string[] => [...outcome.stdout.matchAll(/^cell (\d+\/\d+): reacher-easy x pixels x seed \d+$/gm)].map((m) => m[1]!);

describe('bench run killed with SIGKILL', () => {
  // Five bench processes one after another: on a loaded 2-core machine they can outlast the default 120 s.
  it('resumes exactly the missing cells and ends with the uninterrupted CSV; a cut-short cell file is named and recomputed', { timeout: 300_000 }, async () => {
    const reference = await benchRun('reference');
    expect(reference.code, reference.stderr).toBe(0);
    expect(started(reference)).toEqual(['1/4', '2/4', '3/4', '4/4']);

    // Killed while writing the second cell's result: half a temporary file, the result never renamed into place.
    const inWrite = await benchRun('killed', { BENCH_TEST_CRASH_WRITE: 'cells/[^/]+\\.json$:2' });
    expect(inWrite.signal).toBe('SIGKILL');
    expect(started(inWrite)).toEqual(['1/4', '2/4']);
    expect(cellFiles('killed')).toHaveLength(1);
    expect(readdirSync(join(root, 'killed', 'cells')).some((f) => /\.tmp-/.test(f) && statSync(join(root, 'killed', 'cells', f)).size > 0)).toBe(true);
    expect(csvOf('killed')).toEqual(csvOf('reference').slice(0, 1));

    // Killed from outside in the middle of the third cell (held after its first evaluation).
    const hold = { BENCH_TEST_HOLD_LOG: '^  reacher-easy pixels seed 3: epoch 2 ' };
    const inCell = await benchRun('killed', hold, /seed 3: epoch 2 /);
    expect(inCell.signal).toBe('SIGKILL');
    expect(started(inCell)).toEqual(['2/4', '3/4']);
    expect(cellFiles('killed')).toHaveLength(2);

    const resumed = await benchRun('killed');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(started(resumed)).toEqual(['3/4', '4/4']);
    expect(resumed.stdout).toMatch(/skipped 2 finished cells/);
    expect(csvOf('killed')).toEqual(csvOf('reference'));

    // A cell file cut short (not by this harness, whose writes are atomic) is set aside, named, and computed again.
    const victim = join(root, 'killed', 'cells', cellFiles('killed')[0]!);
    truncateSync(victim, Math.floor(statSync(victim).size / 2));
    const truncated = await benchRun('killed');
    expect(truncated.code, truncated.stderr).toBe(0);
    expect(truncated.stdout).toContain(`cell result '${victim}' is not valid JSON`);
    expect(truncated.stdout).toContain(`moved it to ${victim}.unreadable`);
    expect(started(truncated)).toHaveLength(1);
    expect(csvOf('killed')).toEqual(csvOf('reference'));
  });
});
