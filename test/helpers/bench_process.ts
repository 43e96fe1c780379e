/**
 * Runs the `bench` command line in a child process (TypeScript sources through tsx, so no build is needed), for
 * tests that need several processes at once (shards) or a real exit code.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ENTRY = resolve(import.meta.dirname, 'bench_entry.ts');

export interface BenchProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function benchProcess(args: readonly string[]): Promise<BenchProcessResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}
