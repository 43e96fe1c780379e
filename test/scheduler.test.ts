/** The cell scheduler's rules: at most `jobs` at once, never two of one task, heavy cells alone, errors. */
import { describe, expect, it } from 'vitest';
import { defaultJobs, encoderLoad, runScheduled, type CellSchedule } from '../src/run/scheduler.js';

interface FakeCell {
  name: string;
  task: string;
  heavy?: boolean;
}

/** Runs `cells` (each taking `ticks` event-loop turns) and records which ran at the same time. */
async function trace(cells: FakeCell[], jobs: number, fail?: string): Promise<{ starts: string[]; overlaps: string[][]; error?: unknown }> {
  const schedule: CellSchedule<FakeCell> = { jobs, taskOf: (c) => c.task, alone: (c) => c.heavy === true };
  const running = new Set<string>();
  const starts: string[] = [];
  const overlaps: string[][] = [];
  try {
    await runScheduled(cells, schedule, async (cell) => {
      running.add(cell.name);
      starts.push(cell.name);
      overlaps.push([...running].sort());
      for (let t = 0; t < 3; t++) await new Promise((resolve) => setImmediate(resolve));
      running.delete(cell.name);
      if (cell.name === fail) throw new Error(`cell ${cell.name} broke`);
    });
  } catch (error) {
    return { starts, overlaps, error };
  }
  return { starts, overlaps };
}

describe('runScheduled', () => {
  it('runs cells one at a time in plan order with one job', async () => {
    const { starts, overlaps } = await trace([{ name: 'a', task: 'x' }, { name: 'b', task: 'y' }, { name: 'c', task: 'x' }], 1);
    expect(starts).toEqual(['a', 'b', 'c']);
    expect(overlaps.every((o) => o.length === 1)).toBe(true);
  });

  it('runs cells of different tasks together, never two of one task, and lets a blocked cell be overtaken', async () => {
    const cells = [{ name: 'a1', task: 'a' }, { name: 'a2', task: 'a' }, { name: 'b1', task: 'b' }, { name: 'c1', task: 'c' }];
    const { starts, overlaps } = await trace(cells, 2);
    // a2 waits for a1; b1 overtakes it.
    expect(starts.slice(0, 2)).toEqual(['a1', 'b1']);
    expect(starts.sort()).toEqual(['a1', 'a2', 'b1', 'c1']);
    expect(Math.max(...overlaps.map((o) => o.length))).toBe(2);
    for (const o of overlaps) expect(new Set(o.map((n) => n[0])).size).toBe(o.length);
  });

  it('runs a heavy cell alone', async () => {
    const cells = [{ name: 'p1', task: 'a' }, { name: 'h1', task: 'b', heavy: true }, { name: 'p2', task: 'c' }, { name: 'p3', task: 'd' }];
    const { overlaps } = await trace(cells, 3);
    const heavyStart = overlaps.find((o) => o.includes('h1'))!;
    expect(heavyStart).toEqual(['h1']);
    expect(overlaps.some((o) => o.length > 1 && o.includes('h1'))).toBe(false);
  });

  it('starts no cell after a failure, lets the running ones finish and throws the first error', async () => {
    const cells = [{ name: 'a', task: 'a' }, { name: 'b', task: 'b' }, { name: 'c', task: 'c' }];
    const { starts, error } = await trace(cells, 2, 'a');
    expect(starts).toEqual(['a', 'b']);
    expect(String(error)).toContain('cell a broke');
    await expect(runScheduled([], { jobs: 0, taskOf: () => '', alone: () => false }, async () => {})).rejects.toThrow('--jobs: expected a positive integer, got 0');
  });

  it('calls an encoder cheap when a frame encodes faster than it renders, and runs 2 jobs only with env workers on 2+ cores', () => {
    expect(encoderLoad('pixels', 0.0001, 0.003).cheap).toBe(true);
    expect(encoderLoad('vit-tiny-random', 0.01, 0.003).cheap).toBe(false);
    expect([defaultJobs(0, 8), defaultJobs(2, 1), defaultJobs(2, 2)]).toEqual([1, 1, 2]);
  });
});
