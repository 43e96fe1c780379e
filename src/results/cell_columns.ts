/** What every CSV row of a cell starts with (results.csv of `bench run` and of `bench sweep`), and number formatting. */
import { RESULTS_SCHEMA_VERSION, type CellResult } from './schema.js';

/** A number with `digits` decimals; empty for a non-finite one. */
export const formatNumber = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '');

/** The first columns of every cell CSV, as cellIdentityColumns fills them. */
export const CELL_IDENTITY_COLUMNS = ['schema', 'benchmark', 'family', 'task', 'task_version', 'encoder', 'encoder_digest'] as const;

/** The columns naming a row's results schema and its cell's benchmark, family, task and encoder (in this order). */
export function cellIdentityColumns(cell: CellResult): Record<(typeof CELL_IDENTITY_COLUMNS)[number], string | number> {
  return {
    schema: RESULTS_SCHEMA_VERSION,
    benchmark: cell.benchmark,
    family: cell.family,
    task: cell.task,
    task_version: cell.taskVersion,
    encoder: cell.encoder,
    encoder_digest: cell.encoderDigest.slice(0, 16),
  };
}
