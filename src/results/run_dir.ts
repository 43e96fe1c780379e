/**
 * The layout of a run's output directory, and the only code that reads or writes it:
 *
 *   DIR/cells/<task>__<encoder slug>__s<seed>.json   one CellResult per finished cell (task x encoder x seed)
 *   DIR/entropy/<encoder slug>.json                  one EntropyRecord per encoder
 *   DIR/results.json, DIR/results.csv                the joined RunResults, rebuilt from the two folders above
 *
 * Every file is written atomically, so a killed run leaves whole files only; cell files and results.json of an
 * older schema are read as the current one (schema.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { resultsToCsv } from './csv.js';
import { upgradeCellResult, upgradeRunResults, type CellResult, type EntropyRecord, type RunResults } from './schema.js';

/** What names a cell: its task, encoder spec and policy seed. */
export interface CellKey {
  task: string;
  encoder: string;
  seed: number;
}

/** A file-name-safe name for an encoder spec: readable suffix + a hash so different specs never collide. */
export function encoderSlug(encoder: string): string {
  const readable = encoder.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(-40);
  const hash = createHash('sha256').update(encoder).digest('hex').slice(0, 8);
  return `${readable}-${hash}`;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const writeJson = (path: string, value: unknown): void => writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);

/** The JSON files of `dir` (absent dir: none), sorted by name so the order is stable. */
function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

export class RunDir {
  readonly cellsDir: string;
  readonly entropyDir: string;

  constructor(readonly path: string) {
    this.cellsDir = join(path, 'cells');
    this.entropyDir = join(path, 'entropy');
  }

  cellPath(key: CellKey): string {
    return join(this.cellsDir, `${key.task}__${encoderSlug(key.encoder)}__s${key.seed}.json`);
  }

  /** The finished result of a cell, or null when it has none. */
  readCell(key: CellKey): CellResult | null {
    const path = this.cellPath(key);
    return existsSync(path) ? upgradeCellResult(readJson(path), path) : null;
  }

  writeCell(result: CellResult): void {
    writeJson(this.cellPath(result), result);
  }

  /** Every finished cell, in file-name order. */
  readCells(): CellResult[] {
    return jsonFiles(this.cellsDir).map((path) => upgradeCellResult(readJson(path), path));
  }

  entropyPath(encoder: string): string {
    return join(this.entropyDir, `${encoderSlug(encoder)}.json`);
  }

  readEntropy(encoder: string): EntropyRecord | null {
    const path = this.entropyPath(encoder);
    return existsSync(path) ? readJson<EntropyRecord>(path) : null;
  }

  writeEntropy(record: EntropyRecord): void {
    writeJson(this.entropyPath(record.encoder), record);
  }

  readEntropyRecords(): EntropyRecord[] {
    return jsonFiles(this.entropyDir).map((path) => readJson<EntropyRecord>(path));
  }

  /** Writes results.json and results.csv. */
  writeResults(results: RunResults): void {
    writeJson(join(this.path, 'results.json'), results);
    writeFileAtomic(join(this.path, 'results.csv'), resultsToCsv(results));
  }

  readResults(): RunResults {
    const path = join(this.path, 'results.json');
    if (!existsSync(path)) throw new Error(`no results.json in '${this.path}' (expected the --out directory of a bench run)`);
    return upgradeRunResults(readJson(path), `'${path}'`);
  }
}
