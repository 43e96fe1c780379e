/** `bench run` end to end with a Theia checkpoint feeding spatial tokens to the conv head (smoke profile). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';

const root = mkdtempSync(join(tmpdir(), 'bench-theia-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bench run --encoders theia:DIR --head conv', () => {
  it('trains and evaluates a conv-head policy on a fixture-sized Theia checkpoint', async () => {
    const out = join(root, 'out');
    const encoder = `theia:${join('test', 'fixtures', 'theia-micro')}`;
    await main([
      'run', '--suite', 'cortexbench', '--tasks', 'reacher-easy', '--encoders', encoder, '--profile', 'smoke',
      '--head', 'conv', '--out', out, '--cache-dir', join(root, 'cache'), '--quiet',
    ]);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cells: Record<string, unknown>[] };
    expect(results.cells).toHaveLength(1);
    const cell = results.cells[0]!;
    expect(cell).toMatchObject({ task: 'reacher-easy', encoder, profile: 'smoke', head: 'conv' });
    expect(Number.isFinite(cell.bestScore as number)).toBe(true);
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain('conv');
  });
});
