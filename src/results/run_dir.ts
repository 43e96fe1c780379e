/**
 * The layout of a run's output directory, and the only code that reads or writes it:
 *
 *   DIR/cells/<task>__<encoder slug>__s<seed>.json   one CellResult per finished cell (task x encoder x seed)
 *   DIR/cells/<task>__<factors>-k<K>__<encoder slug>__s<seed>.json   the same for a sweep's training factors
 *   DIR/cells/<same name>.lock                       the claim of the process running that cell now (pid, host)
 *   DIR/failed/<same name>.json                      a CellFailure per cell whose last attempt failed
 *   DIR/entropy/<encoder slug>.json                  one EntropyRecord per encoder
 *   DIR/frames/<task>.v<task version>.png            a strip of demo frames per task, as the policy sees them
 *   DIR/active/<config digest>-<pid>-<n>.lock         one per run in progress (pid, host, configuration)
 *   DIR/results.json, DIR/results.csv                the joined RunResults, rebuilt from the folders above
 *   DIR/sweep_summary.csv                            a sweep's summary (seen, unseen, gap per factor set and K)
 *
 * Every file is written atomically, so a killed run leaves whole files only. A directory holds one configuration:
 * a run is refused when the directory has results of another, or a run of another in progress (checked under
 * DIR/config.lock), so of two concurrent runs of different configurations one is refused. Processes
 * running the same configuration share the work: each cell is claimed with a lock file before it runs, and a cell
 * claimed by a live process is left to it. A cell file that cannot be read (truncated, edited) is moved aside to
 * `*.unreadable` with a warning and counts as not done. Files of an older schema are read as the current one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDirectory, removeStaleTemporaries, writeFileAtomic } from '../util/atomic.js';
import { readJsonFile } from '../util/json_file.js';
import { describeOwner, isHeldLock, liveOwner, tryLock, withLock, type HeldLock, type LockOwner } from '../util/lock_file.js';
import { resultsToCsv } from './csv.js';
import { sweepSummaryToCsv } from './sweep_csv.js';
import { upgradeCellResult, upgradeEntropyRecord, upgradeRunResults, type CellFailure, type CellResult, type EntropyRecord, type RunResults } from './schema.js';

/** What names a cell: its task, encoder spec and policy seed, and in a sweep its training factors and K. */
export interface CellKey {
  task: string;
  encoder: string;
  seed: number;
  training?: { factors: readonly string[]; k: number };
}

/** The configuration of a run (see run/config.ts): its digest and, for messages, what tells it apart. */
export interface RunIdentity {
  configDigest: string;
  profile: string;
  head: string;
  shuffleActions: boolean;
}

/** Session locks taken by this process (their names must be unique). */
let sessions = 0;

/** Names a task's frame strip: frames change with the task's version. */
export interface FrameStripKey {
  task: string;
  version: number;
}

/** A file-name-safe name for an encoder spec: readable suffix + a hash so different specs never collide. */
export function encoderSlug(encoder: string): string {
  const readable = encoder.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(-40);
  const hash = createHash('sha256').update(encoder).digest('hex').slice(0, 8);
  return `${readable}-${hash}`;
}

const cellName = (key: CellKey): string => {
  const training = key.training ? `${key.training.factors.join('+')}-k${key.training.k}__` : '';
  return `${key.task}__${training}${encoderSlug(key.encoder)}__s${key.seed}`;
};
const toJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The key a finished cell is filed under. */
export function cellKeyOf(result: CellResult): CellKey {
  const { task, encoder, seed, sweep } = result;
  return sweep ? { task, encoder, seed, training: { factors: sweep.factors, k: sweep.k } } : { task, encoder, seed };
}

/** The JSON files of `dir` (absent dir: none), sorted by name so the order is stable. */
function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

const describeConfig = (c: Pick<RunIdentity, 'profile' | 'head' | 'shuffleActions'>): string =>
  `profile '${c.profile}', head ${c.head}, shuffled actions ${c.shuffleActions}`;

export interface RunDirOptions {
  /** Where warnings about unreadable files go (default: stderr). */
  warn?: (line: string) => void;
}

export class RunDir {
  readonly cellsDir: string;
  readonly failedDir: string;
  readonly activeDir: string;
  readonly entropyDir: string;
  private readonly warn: (line: string) => void;
  readonly framesDir: string;

  constructor(
    readonly path: string,
    options: RunDirOptions = {},
  ) {
    this.cellsDir = join(path, 'cells');
    this.failedDir = join(path, 'failed');
    this.activeDir = join(path, 'active');
    this.entropyDir = join(path, 'entropy');
    this.framesDir = join(path, 'frames');
    this.warn = options.warn ?? ((line) => console.warn(line));
  }

  /** Creates the directory (or checks that it can be written) and removes what killed runs left behind. */
  prepare(): void {
    ensureDirectory(this.path, '--out directory');
    for (const dir of [this.path, this.cellsDir, this.failedDir, this.entropyDir, this.framesDir, this.activeDir]) removeStaleTemporaries(dir);
    for (const name of existsSync(this.activeDir) ? readdirSync(this.activeDir) : []) {
      if (name.endsWith('.lock') && liveOwner(join(this.activeDir, name)) === null) rmSync(join(this.activeDir, name), { force: true });
    }
  }

  /**
   * Starts a run of `identity`'s configuration in this directory, or refuses when the directory holds another
   * configuration: cells or failure records of it, or a run of it in progress. The check happens under a lock and
   * ends with this run's own session lock (DIR/active/<config digest>-<pid>-<n>.lock, released by the caller at
   * the end), so of two runs of different configurations started together exactly one proceeds.
   */
  beginRun(identity: RunIdentity): HeldLock {
    return withLock(join(this.path, 'config.lock'), 'checking the run configuration', () => {
      const cell = this.readCells().find((c) => c.configDigest !== identity.configDigest);
      const failure = cell ? undefined : this.readFailures().find((f) => f.configDigest !== identity.configDigest);
      if (cell || failure) {
        const example = cell ? `(${describeConfig(cell)}), e.g. ${this.cellPath(cell)}` : `(failed cells), e.g. ${this.failurePath(failure!)}`;
        throw new Error(`--out ${this.path} holds results of another configuration ${example}; use a different --out directory`);
      }
      for (const name of existsSync(this.activeDir) ? readdirSync(this.activeDir) : []) {
        if (!name.endsWith('.lock') || name.startsWith(`${identity.configDigest}-`)) continue;
        const owner = liveOwner(join(this.activeDir, name));
        if (owner) throw new Error(`--out ${this.path} is being written by a run of another configuration: ${describeOwner(owner)}; use a different --out directory`);
      }
      ensureDirectory(this.activeDir, 'folder of run locks');
      const session = tryLock(join(this.activeDir, `${identity.configDigest}-${process.pid}-${sessions++}.lock`), `bench run: ${describeConfig(identity)}`);
      if (!isHeldLock(session)) throw new Error(`cannot take the run lock in ${this.activeDir}: held by ${describeOwner(session)}`);
      return session;
    });
  }

  cellPath(key: CellKey): string {
    return join(this.cellsDir, `${cellName(key)}.json`);
  }

  /** The finished result of a cell, or null when it has none (or only an unreadable file, now moved aside). */
  readCell(key: CellKey): CellResult | null {
    const path = this.cellPath(key);
    return existsSync(path) ? this.readCellFile(path) : null;
  }

  private readCellFile(path: string): CellResult | null {
    try {
      return upgradeCellResult(readJsonFile(path, 'cell result') as CellResult, `cell result '${path}'`);
    } catch (error) {
      if (!existsSync(path)) return null; // replaced meanwhile by another process's atomic rename
      this.setAside(path, error);
      return null;
    }
  }

  /** Moves an unreadable file to `<path>.unreadable` (kept for inspection) so that it counts as missing. */
  private setAside(path: string, error: unknown): void {
    const aside = `${path}.unreadable`;
    try {
      renameSync(path, aside);
    } catch {
      // another process moved it first
    }
    this.warn(`warning: ${(error as Error).message}; moved it to ${aside} and treating it as not done`);
  }

  /** Writes a finished cell and clears its failure record. */
  writeCell(result: CellResult): void {
    const key = cellKeyOf(result);
    writeFileAtomic(this.cellPath(key), toJson(result), 'cell result');
    rmSync(this.failurePath(key), { force: true });
  }

  /** Every readable finished cell, in file-name order. */
  readCells(): CellResult[] {
    return jsonFiles(this.cellsDir).flatMap((path) => this.readCellFile(path) ?? []);
  }

  /** Claims a cell for this process (a lock file beside its result), or returns the live process that has it. */
  claimCell(key: CellKey, purpose: string): HeldLock | LockOwner {
    ensureDirectory(this.cellsDir, 'cells folder');
    const path = join(this.cellsDir, `${cellName(key)}.lock`);
    return tryLock(path, purpose, (owner) => this.warn(`note: taking over ${path}, left by ${owner ? describeOwner(owner) : 'an unreadable record'} that no longer runs`));
  }

  failurePath(key: CellKey): string {
    return join(this.failedDir, `${cellName(key)}.json`);
  }

  writeFailure(failure: CellFailure): void {
    writeFileAtomic(this.failurePath(failure), toJson(failure), 'cell failure record');
  }

  /** Failure records of cells that have not succeeded since, in file-name order. */
  readFailures(): CellFailure[] {
    return jsonFiles(this.failedDir).flatMap((path) => {
      try {
        return [readJsonFile(path, 'cell failure record') as CellFailure];
      } catch (error) {
        this.setAside(path, error);
        return [];
      }
    });
  }

  entropyPath(encoder: string): string {
    return join(this.entropyDir, `${encoderSlug(encoder)}.json`);
  }

  /** The encoder's entropy record, or null (none, or an unreadable one, moved aside). */
  readEntropy(encoder: string): EntropyRecord | null {
    const path = this.entropyPath(encoder);
    return existsSync(path) ? this.readEntropyFile(path) : null;
  }

  private readEntropyFile(path: string): EntropyRecord | null {
    try {
      return upgradeEntropyRecord(readJsonFile(path, 'entropy record') as Parameters<typeof upgradeEntropyRecord>[0]);
    } catch (error) {
      if (!existsSync(path)) return null;
      this.setAside(path, error);
      return null;
    }
  }

  writeEntropy(record: EntropyRecord): void {
    writeFileAtomic(this.entropyPath(record.encoder), toJson(record), 'entropy record');
  }

  readEntropyRecords(): EntropyRecord[] {
    return jsonFiles(this.entropyDir).flatMap((path) => this.readEntropyFile(path) ?? []);
  }

  frameStripPath(strip: FrameStripKey): string {
    return join(this.framesDir, `${strip.task}.v${strip.version}.png`);
  }

  hasFrameStrip(strip: FrameStripKey): boolean {
    return existsSync(this.frameStripPath(strip));
  }

  writeFrameStrip(strip: FrameStripKey, png: Uint8Array): void {
    writeFileAtomic(this.frameStripPath(strip), png, 'frame strip');
  }

  /** Every frame strip (PNG bytes), in file-name order. */
  readFrameStrips(): (FrameStripKey & { png: Uint8Array })[] {
    if (!existsSync(this.framesDir)) return [];
    return readdirSync(this.framesDir)
      .sort()
      .flatMap((name) => {
        const m = /^(.+)\.v(\d+)\.png$/.exec(name);
        return m ? [{ task: m[1]!, version: Number(m[2]), png: new Uint8Array(readFileSync(join(this.framesDir, name))) }] : [];
      });
  }

  /** Writes results.json and results.csv (and a sweep's sweep_summary.csv). */
  writeResults(results: RunResults): void {
    writeFileAtomic(join(this.path, 'results.json'), toJson(results), 'run results');
    writeFileAtomic(join(this.path, 'results.csv'), resultsToCsv(results), 'run results CSV');
    if (results.sweep) writeFileAtomic(join(this.path, 'sweep_summary.csv'), sweepSummaryToCsv(results.sweep.summary), 'sweep summary CSV');
  }

  readResults(): RunResults {
    const path = join(this.path, 'results.json');
    if (!existsSync(path)) throw new Error(`no results.json in '${this.path}' (expected the --out directory of a bench run)`);
    return upgradeRunResults(readJsonFile(path, 'run results') as RunResults, `'${path}'`);
  }
}
