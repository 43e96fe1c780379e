/**
 * Scale-out end to end: one unsharded run and 4 shards of the same command in parallel processes, then
 * `bench merge`: the merged directory equals the unsharded one (timings aside), merging again changes nothing,
 * and shards that conflict or belong to another run are refused with a message naming them.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { TIMING_COLUMNS } from '../src/results/csv.js';
import type { CellResult, RunResults } from '../src/results/schema.js';
import { benchProcess } from './helpers/bench_process.js';

const root = mkdtempSync(join(tmpdir(), 'bench-merge-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = (name: string): string => join(root, name);
const shards = [1, 2, 3, 4].map((i) => dir(`shard${i}`));

const RUN = [
  'run',
  '--suite',
  'cortexbench',
  '--profile',
  'smoke',
  '--tasks',
  'reacher-easy,button-press-topdown',
  '--encoders',
  'pixels,conv-random',
  '--cache-dir',
  dir('cache'),
  '--quiet',
];

/** Every file under `path` by relative name, with its content. */
function snapshot(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string): void => {
    for (const name of readdirSync(p).sort()) {
      const full = join(p, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(path, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(path);
  return out;
}

const readResults = (path: string): RunResults => JSON.parse(readFileSync(join(path, 'results.json'), 'utf8')) as RunResults;
const withoutTimings = (r: RunResults): unknown => ({ ...r, cells: r.cells.map((c) => ({ ...c, timings: undefined })) });
const csvWithoutTimings = (path: string): string[][] => {
  const rows = readFileSync(join(path, 'results.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const keep = rows[0]!.map((name, i) => (TIMING_COLUMNS.includes(name) ? -1 : i)).filter((i) => i >= 0);
  return rows.map((r) => keep.map((i) => r[i]!));
};

async function merge(...args: string[]): Promise<void> {
  const log = console.log;
  console.log = () => {};
  try {
    await main(['merge', ...args]);
  } finally {
    console.log = log;
  }
}

describe('shards -> bench merge', () => {
  beforeAll(async () => {
    // The unsharded run first, so that the shards share its demo and feature cache (as shards on a shared volume do).
    const whole = await benchProcess([...RUN, '--out', dir('whole')]);
    expect(whole.code, whole.stderr).toBe(0);
    const results = await Promise.all(shards.map((out, i) => benchProcess([...RUN, '--shard', `${i + 1}/4`, '--out', out])));
    results.forEach((r, i) => expect(r.code, `shard ${i + 1}: ${r.stderr}`).toBe(0));
  }, 300_000);

  it('ran each of the 4 cells in exactly one shard', () => {
    const cells = shards.map((s) => readdirSync(join(s, 'cells')));
    expect(cells.map((c) => c.length)).toEqual([1, 1, 1, 1]);
    expect(new Set(cells.flat()).size).toBe(4);
  });

  it('merges the shards into exactly the results of the unsharded run, timing columns aside', async () => {
    await merge(...shards, '--out', dir('merged'));
    expect(withoutTimings(readResults(dir('merged')))).toEqual(withoutTimings(readResults(dir('whole'))));
    expect(csvWithoutTimings(dir('merged'))).toEqual(csvWithoutTimings(dir('whole')));
    expect(readdirSync(join(dir('merged'), 'cells'))).toEqual(readdirSync(join(dir('whole'), 'cells')));
    expect(snapshot(join(dir('merged'), 'entropy'))).toEqual(snapshot(join(dir('whole'), 'entropy')));
    expect(snapshot(join(dir('merged'), 'frames'))).toEqual(snapshot(join(dir('whole'), 'frames')));
  });

  it('is idempotent: merging again, or merging the output with its shards, changes nothing', async () => {
    const before = snapshot(dir('merged'));
    await merge(...shards, '--out', dir('merged'));
    expect(snapshot(dir('merged'))).toEqual(before);
    await merge(dir('merged'), shards[0]!, '--out', dir('merged'));
    expect(snapshot(dir('merged'))).toEqual(before);
  });

  it('refuses a conflicting duplicate cell, naming the shard and the cell', async () => {
    const conflict = dir('conflict');
    cpSync(shards[1]!, conflict, { recursive: true });
    const [name] = readdirSync(join(conflict, 'cells'));
    const path = join(conflict, 'cells', name!);
    const cell = JSON.parse(readFileSync(path, 'utf8')) as CellResult;
    writeFileSync(path, JSON.stringify({ ...cell, bestScore: cell.bestScore + 1 }));
    await expect(merge(...shards, conflict, '--out', dir('merged-conflict'))).rejects.toThrow(
      new RegExp(`conflicting results for cell ${cell.task} x ${cell.encoder} x seed ${cell.seed}: shard '${conflict}' differs from '${shards[1]}' \\(bestScore`),
    );
  });

  it('refuses shards of another configuration or plan, naming them', async () => {
    const edit = (name: string, change: (r: RunResults) => RunResults): string => {
      const copy = dir(name);
      cpSync(shards[2]!, copy, { recursive: true });
      writeFileSync(join(copy, 'results.json'), JSON.stringify(change(readResults(copy))));
      return copy;
    };
    const epochs = edit('other-config', (r) => ({ ...r, profile: { ...r.profile, epochs: 99 } }));
    await expect(merge(shards[0]!, epochs, '--out', dir('merged-config'))).rejects.toThrow(new RegExp(`shard '${epochs}' is of another run than '${shards[0]}' \\(configuration`));
    const plan = edit('other-plan', (r) => ({ ...r, plan: { ...r.plan, seeds: [100, 200] } }));
    await expect(merge(shards[0]!, plan, '--out', dir('merged-plan'))).rejects.toThrow(/shard '.*other-plan' is of another run than .* \(plan: /);
    await expect(merge(shards[0]!, dir('nowhere'), '--out', dir('merged-none'))).rejects.toThrow(/bench merge: '.*nowhere' is not a directory/);
  });
});
