/** Versions recorded in every result row. */
import { readFileSync } from 'node:fs';
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

export function collectVersions(tfjsBackend: string): Versions {
  return {
    bench: benchVersion(),
    mujoco: packageVersion('@mujoco/mujoco'),
    onnxruntime: packageVersion('onnxruntime-node'),
    tfjs: packageVersion('@tensorflow/tfjs'),
    tfjsBackend,
  };
}
