/**
 * The scheduler examples in examples/scale-out run the right bench commands: each Slurm array task and each
 * Kubernetes index runs a distinct shard i/n (1-based) into its own directory, and the merge step joins them all.
 * `npx` is replaced by a stub on PATH that records its arguments.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const EXAMPLES = resolve(import.meta.dirname, '..', 'examples', 'scale-out');
const root = mkdtempSync(join(tmpdir(), 'bench-examples-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const stubs = join(root, 'bin');
const calls = join(root, 'calls.txt');
execFileSync('mkdir', ['-p', stubs]);
writeFileSync(join(stubs, 'npx'), `#!/usr/bin/env bash\necho "$*" >> '${calls}'\n`);
chmodSync(join(stubs, 'npx'), 0o755);
const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ PATH: `${stubs}:${process.env.PATH}`, SHARED: join(root, 'shared'), BENCH_REPO: root, ...extra });
const recorded = (): string[] => readFileSync(calls, 'utf8').trim().split('\n');

describe('scale-out examples', () => {
  it('slurm_shard.sh: array task i of n runs shard i/n into $SHARED/shards/i with the shared cache', () => {
    writeFileSync(calls, '');
    for (const id of ['1', '2', '3']) execFileSync('bash', [join(EXAMPLES, 'slurm_shard.sh')], { env: env({ SLURM_ARRAY_TASK_ID: id, SLURM_ARRAY_TASK_COUNT: '3', SLURM_CPUS_PER_TASK: '4' }) });
    const shared = join(root, 'shared');
    expect(recorded()).toEqual(
      ['1', '2', '3'].map((i) => `bench run --suite cortexbench --profile paper --shard ${i}/3 --out ${shared}/shards/${i} --cache-dir ${shared}/cache --threads 4`),
    );
    expect(() => execFileSync('bash', [join(EXAMPLES, 'slurm_shard.sh')], { env: env({}), stdio: 'pipe' })).toThrow(/run this script as a Slurm array job/);
  });

  it('kubernetes.yaml: index k of the Indexed Job runs shard k+1 of the completion count; the merge Job joins every shard', () => {
    const manifest = readFileSync(join(EXAMPLES, 'kubernetes.yaml'), 'utf8');
    const completions = Number(/completions: (\d+)/.exec(manifest)![1]);
    expect(Number(/parallelism: (\d+)/.exec(manifest)![1])).toBe(completions);
    expect(Number(/name: SHARDS\s+value: "(\d+)"/.exec(manifest)![1])).toBe(completions);
    // The container's command: the folded (>-) scalar under args, joined with spaces as YAML folds it.
    const folded = /args:\n\s+- >-\n((?:\s{14}.*\n)+)/.exec(manifest)![1]!.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
    writeFileSync(calls, '');
    for (let k = 0; k < completions; k++) execFileSync('bash', ['-c', folded], { env: env({ JOB_COMPLETION_INDEX: String(k), SHARDS: String(completions) }) });
    const shards = recorded().map((line) => /--shard (\d+)\/(\d+) --out \/results\/shards\/(\d+)/.exec(line)!.slice(1).map(Number));
    expect(shards).toEqual(Array.from({ length: completions }, (_, k) => [k + 1, completions, k]));
    expect(readFileSync(join(EXAMPLES, 'kubernetes-merge.yaml'), 'utf8')).toContain('npx bench merge /results/shards/* --out /results/merged');
  });
});
