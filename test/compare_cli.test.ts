/**
 * `bench compare` end to end on real tiny runs (identical reruns, another profile, CSV input) and its bad-input
 * errors; the verdicts and intervals on constructed runs are in compare.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import '../src/envs/index.js';
import type { Profile } from '../src/protocol/profiles.js';
import type { Comparison } from '../src/results/compare.js';
import { runBenchmark } from '../src/run/runner.js';
import { tinyProfile } from './helpers/tiny_profile.js';
import { fakeEncoderDeps } from './helpers/fake_encoders.js';

const root = mkdtempSync(join(tmpdir(), 'bench-compare-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

describe('bench compare on real runs', () => {
  const tiny = tinyProfile({ evalEpisodes: 3, evalEvery: 2 });
  const dir = (name: string): string => join(root, name);
  const runInto = (name: string, profile: Profile) =>
    runBenchmark({
      benchmark: 'cortexbench',
      tasks: ['reacher-easy', 'button-press-topdown'],
      encoders: ['grid-2'],
      profile,
      out: dir(name),
      cacheDir: join(root, 'cache'),
      quiet: true,
      log: () => {},
      deps: fakeEncoderDeps,
    });

  beforeAll(async () => {
    await runInto('a', tiny);
    await runInto('b', tiny);
    await runInto('other-profile', { ...tiny, name: 'quick' });
  });

  /** Runs `bench compare` in-process: its stdout and the exit code it set. */
  async function compare(...args: string[]): Promise<{ out: string; code: number }> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await main(['compare', ...args]);
    } finally {
      spy.mockRestore();
    }
    return { out, code: Number(process.exitCode ?? 0) };
  }

  async function compareError(...args: string[]): Promise<{ message: string; exitCode: unknown }> {
    const err = await compare(...args).then(
      () => null,
      (e: unknown) => e as Error & { exitCode?: number },
    );
    expect(err, `bench compare ${args.join(' ')} should fail`).toBeInstanceOf(Error);
    return { message: err!.message, exitCode: err!.exitCode };
  }

  it('says identical for two runs of the same command, from directories and from CSV (exit 0)', async () => {
    const text = await compare(dir('a'), dir('b'));
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/grid-2\s+MEAN\s+[\d.]+\s+[\d.]+\s+\+0\.00\s+\[\+0\.00, \+0\.00\]\s+identical/);
    expect(text.out).toMatch(/exit 0: identical: every score is equal/);
    const json = await compare(join(dir('a'), 'results.csv'), dir('b'), '--json');
    const parsed = JSON.parse(json.out) as Comparison;
    expect(parsed.rows.map((r) => r.verdict)).toEqual(parsed.rows.map(() => 'identical'));
    expect(parsed.exitCode).toBe(0);
  });

  it('reads a CSV written before the CPU kind was recorded, and notes the CPU kinds as differing', async () => {
    const csv = readFileSync(join(dir('a'), 'results.csv'), 'utf8').split('\n').filter((l) => l !== '');
    const cpuColumn = csv[0]!.split(',').indexOf('cpu');
    expect(cpuColumn).toBeGreaterThan(0);
    // The cpu value has commas inside quotes, so cut the quoted last field instead of splitting.
    expect(cpuColumn).toBe(csv[0]!.split(',').length - 1);
    const withoutCpu = csv.map((l, i) => (i === 0 ? l.replace(/,cpu$/, '') : l.replace(/,"[^"]*"$/, ''))).join('\n');
    writeFileSync(join(root, 'no-cpu.csv'), withoutCpu);
    const json = JSON.parse((await compare(join(root, 'no-cpu.csv'), dir('b'), '--json')).out) as Comparison;
    expect(json.exitCode).toBe(0);
    expect(json.notes).toEqual([expect.stringMatching(/^CPU kinds differ: BASE not recorded; NEW .+ logical CPUs?\)\. ONNX Runtime picks its kernels/)]);
  });

  it('says not comparable for runs of different profiles (exit 2)', async () => {
    const { out, code } = await compare(dir('a'), dir('other-profile'));
    expect(code).toBe(2);
    expect(out).toMatch(/reacher-easy .*not comparable: other profile \(smoke vs quick\)/);
    expect(out).toMatch(/exit 2: not comparable/);
  });

  it('fails with a clear error and exit code 2 on bad input', async () => {
    expect(await compareError(dir('a'), join(root, 'nowhere'))).toEqual({
      message: `NEW '${join(root, 'nowhere')}': no such file or directory (expected a run directory, a results.json or a results.csv)`,
      exitCode: 2,
    });
    expect((await compareError(dir('a'))).message).toMatch(/needs two inputs: BASE NEW/);
    expect((await compareError(dir('a'), dir('b'), '--alpha', '2')).message).toMatch(/--alpha must be a number in \(0, 1\), got '2'/);
    expect((await compareError(dir('a'), dir('b'), '--tolerance', '-0.5')).message).toMatch(/--tolerance must be a number >= 0 \(score units\), got '-0.5'/);
    expect((await compareError(dir('a'), join(root, 'cache'))).message).toMatch(/NEW '.*cache': no results.json in/);

    // CSVs from before schema 4 (no schema and episode_scores columns): schema 3 (feature_dtype), schema 2 (without
    // it), and schema 1 (family under `suite`).
    const csv = readFileSync(join(dir('a'), 'results.csv'), 'utf8').split('\n').filter((l) => l !== '');
    const header = csv[0]!.split(',');
    const drop = (line: string, columns: string[]): string => line.split(',').filter((_, i) => !columns.includes(header[i]!)).join(',');
    const older = (columns: string[]): string => csv.map((l) => drop(l, columns)).join('\n');
    writeFileSync(join(root, 'v3.csv'), older(['schema', 'episode_scores']));
    expect(await compareError(join(root, 'v3.csv'), dir('b'))).toEqual({
      message: expect.stringMatching(/^BASE '.*v3\.csv': a results CSV of schema 3, which has no per-episode scores \(column 'episode_scores'\); export it again/),
      exitCode: 2,
    });
    const v2 = older(['schema', 'episode_scores', 'feature_dtype']);
    writeFileSync(join(root, 'v2.csv'), v2);
    expect((await compareError(join(root, 'v2.csv'), dir('b'))).message).toMatch(/a results CSV of schema 2/);
    writeFileSync(join(root, 'v1.csv'), v2.replace(/^benchmark,family,/, 'benchmark,suite,'));
    expect((await compareError(join(root, 'v1.csv'), dir('b'))).message).toMatch(/a results CSV of schema 1/);
    writeFileSync(join(root, 'notes.csv'), 'a,b\n1,2\n');
    expect((await compareError(join(root, 'notes.csv'), dir('b'))).message).toMatch(/not a bench results CSV/);

    // Mixed benchmarks in one input, and two inputs of different benchmarks.
    const mixed = [csv[0], csv[1], csv[2]!.replace(/^5,cortexbench,/, '5,factorworld,')].join('\n');
    writeFileSync(join(root, 'mixed.csv'), mixed);
    expect((await compareError(join(root, 'mixed.csv'), dir('b'))).message).toMatch(/BASE '.*mixed\.csv': mixes the benchmarks cortexbench, factorworld/);
    writeFileSync(join(root, 'fw.csv'), csv.map((l, i) => (i === 0 ? l : l.replace(/^5,cortexbench,/, '5,factorworld,'))).join('\n'));
    expect(await compareError(dir('a'), join(root, 'fw.csv'))).toEqual({ message: expect.stringMatching(/is benchmark 'cortexbench' but NEW .* is 'factorworld'/), exitCode: 2 });
  });
});
