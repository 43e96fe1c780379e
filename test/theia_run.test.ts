/** A run end to end with a Theia checkpoint feeding spatial tokens to the conv head (smoke profile). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '../src/envs/index.js';
import { getProfile } from '../src/protocol/profiles.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import { runBenchmark } from '../src/run/runner.js';
import { syntheticProbe } from './helpers/synthetic_probe.js';

const root = mkdtempSync(join(tmpdir(), 'bench-theia-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bench run --encoders theia:DIR --head conv', () => {
  it('trains and evaluates a conv-head policy on a fixture-sized Theia checkpoint', async () => {
    const out = join(root, 'out');
    const encoder = `theia:${join('test', 'fixtures', 'theia-micro')}`;
    // The protocol's entropy probe is tested in entropy_probe.test.ts; a small one keeps this run short.
    const { results } = await runBenchmark({
      benchmark: 'cortexbench', tasks: ['reacher-easy'], encoders: [encoder], profile: getProfile('smoke'), head: 'conv',
      out, cacheDir: join(root, 'cache'), quiet: true, log: () => {}, deps: { ...defaultRunDependencies(), entropyProbe: () => syntheticProbe() },
    });
    expect(results.cells).toHaveLength(1);
    const cell = results.cells[0]!;
    // The smoke profile hands frames to the processor; only paper takes Theia's bicubic path.
    expect(cell).toMatchObject({ task: 'reacher-easy', encoder, profile: 'smoke', head: 'conv', framePreprocessing: 'processor' });
    expect(Number.isFinite(cell.bestScore)).toBe(true);
    expect(results.entropy[0]!.result.source).toBe('spatial');
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain('conv');
  });
});
