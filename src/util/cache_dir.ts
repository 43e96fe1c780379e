import { resolve } from 'node:path';

/** Environment variable that moves every cache (demos, features) away from the working directory. */
export const CACHE_DIR_ENV = 'BENCH_CACHE_DIR';

/** The cache root: the explicit option, else $BENCH_CACHE_DIR, else `.cache/bench` under the working directory. */
export function resolveCacheDir(explicit?: string): string {
  if (explicit !== undefined && explicit.trim() === '') throw new Error('--cache-dir must not be empty');
  const fromEnv = process.env[CACHE_DIR_ENV];
  return resolve(explicit ?? (fromEnv && fromEnv.trim() !== '' ? fromEnv : '.cache/bench'));
}
