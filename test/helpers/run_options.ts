import { join } from 'node:path';
import type { RunOptions } from '../../src/run/runner.js';

/** What a test file fixes for all its runs: everything but the output folder. */
export type RunDefaults = Omit<RunOptions, 'out'>;

/**
 * The RunOptions builder of a test file: `options(out, extra)` runs into `<root>/<out>`, quietly and without log
 * lines unless `extra` says otherwise, with `defaults` for the rest; `extra` replaces whole fields for one run.
 */
export function runOptionsIn(root: string, defaults: RunDefaults): (out: string, extra?: Partial<RunOptions>) => RunOptions {
  return (out, extra = {}) => ({ quiet: true, log: () => {}, ...defaults, out: join(root, out), ...extra });
}
