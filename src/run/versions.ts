/** Versions (and the CPU kind) recorded in every result row. */
import { existsSync, readFileSync } from 'node:fs';
import { arch, availableParallelism, cpus } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Versions } from '../results/schema.js';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    // Some packages do not export package.json; walk up from the resolved entry point instead.
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // not here; keep walking up
      }
      dir = dirname(dir);
    }
  } catch {
    // not installed
  }
  return 'unknown';
}

function benchVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The widest SIMD instruction set ONNX Runtime's CPU kernels (MLAS) can use here: 'avx512', 'avx2' or 'sse' on
 * x64 (read from /proc/cpuinfo's flags, so only on Linux), else none.
 */
function simdLevel(flags: string | null): string | null {
  if (flags === null) return null;
  const names = new Set(flags.trim().split(/\s+/));
  if (names.has('avx512f')) return 'avx512';
  if (names.has('avx2')) return 'avx2';
  return 'sse';
}

function cpuFlags(): string | null {
  if (arch() !== 'x64' || !existsSync('/proc/cpuinfo')) return null;
  const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
  return line ? line.slice(line.indexOf(':') + 1) : null;
}

/**
 * The CPU kind, e.g. "AMD EPYC (x64, avx512, 2 logical CPUs)": ONNX Runtime picks its kernels by instruction set, so
 * encoder features (and the scores built on them) can differ in float rounding between CPU kinds.
 */
export function describeCpu(model = cpus()[0]?.model.trim() || 'unknown CPU', flags = cpuFlags(), logical = availableParallelism()): string {
  const simd = simdLevel(flags);
  return `${model} (${arch()}${simd ? `, ${simd}` : ''}, ${logical} logical CPU${logical === 1 ? '' : 's'})`;
}

export function collectVersions(tfjsBackend: string): Versions {
  return {
    bench: benchVersion(),
    mujoco: packageVersion('@mujoco/mujoco'),
    onnxruntime: packageVersion('onnxruntime-node'),
    tfjs: packageVersion('@tensorflow/tfjs'),
    tfjsBackend,
    cpu: describeCpu(),
  };
}
