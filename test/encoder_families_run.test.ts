/**
 * `bench run` end to end with the encoder families read from PyTorch checkpoints, HF SAM and TensorFlow.js, on
 * fixture-sized models (one task, the smoke profile; entropy on a small synthetic probe, not the protocol's).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { syntheticProbeDeps } from './helpers/synthetic_probe.js';
import { writeSmallTfjsEncoder } from './helpers/tfjs_model.js';

const root = mkdtempSync(join(tmpdir(), 'bench-families-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bench run --encoders r3m:...,vc1:...,hf:<sam>,tfjs:... --profile smoke', () => {
  it('trains and evaluates a policy on each encoder', async () => {
    const tfjsDir = join(root, 'tfjs');
    mkdirSync(tfjsDir);
    await writeSmallTfjsEncoder(tfjsDir);
    const fixtures = join('test', 'fixtures');
    const encoders = [
      `r3m:${join(fixtures, 'r3m-resnet-micro', 'model.pt')}`,
      `vc1:${join(fixtures, 'vc1-mae-vit-micro', 'model.pth')}`,
      `hf:${join(fixtures, 'sam-vision-micro')}`,
      `tfjs:${tfjsDir}`,
    ];
    const out = join(root, 'out');
    await main([
      'run', '--suite', 'cortexbench', '--tasks', 'reacher-easy', '--encoders', encoders.join(','), '--profile', 'smoke',
      '--threads', '1', '--out', out, '--cache-dir', join(root, 'cache'), '--quiet',
    ], syntheticProbeDeps);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cells: Record<string, unknown>[] };
    expect(results.cells.map((c) => c.encoder)).toEqual(encoders);
    for (const cell of results.cells) {
      expect(cell).toMatchObject({ task: 'reacher-easy', profile: 'smoke', head: 'mlp' });
      expect(Number.isFinite(cell.bestScore as number)).toBe(true);
    }
    expect(readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + encoders.length);
  });
});
