/**
 * The run directory in-process: file names of sweep cells and frame strips, unreadable files moved aside, failure
 * records, cell claims, what `prepare` cleans up and which runs `beginRun` refuses. Locks of other processes are
 * written by hand: a live one names this process's parent, a dead one a pid no process has.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cellKeyOf, RunDir, type RunIdentity } from '../src/results/run_dir.js';
import type { CellFailure, RunResults } from '../src/results/schema.js';
import { isHeldLock } from '../src/util/lock_file.js';
import { cell, entropy } from './helpers/result_fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'bench-run-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A run directory under the test root that collects its warnings. */
function runDir(name: string): { dir: RunDir; warnings: string[] } {
  const warnings: string[] = [];
  return { dir: new RunDir(join(root, name), { warn: (line) => warnings.push(line) }), warnings };
}

/** A lock owner record of another process: alive (this process's parent) or dead (a pid beyond any pid_max). */
const ownerRecord = (alive: boolean, purpose = 'bench run: other'): string =>
  `${JSON.stringify({ pid: alive ? process.ppid : 2 ** 30, host: hostname(), started: '2026-01-01T00:00:00.000Z', purpose })}\n`;

const failure = (overrides: Partial<CellFailure> = {}): CellFailure => ({
  schema: 5,
  configDigest: 'c0ffee',
  task: 'drawer-open',
  taskVersion: 3,
  encoder: 'pixels',
  encoderDigest: 'd',
  seed: 1,
  error: 'out of memory',
  failedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

const identity = (configDigest: string): RunIdentity => ({ configDigest, profile: 'quick', head: 'mlp', shuffleActions: false });

describe('run directory files', () => {
  it('files a sweep cell under its factors and K, and a plain cell without', () => {
    const { dir } = runDir('names');
    const sweep = { factors: ['light', 'texture'], k: 3, demosPerValue: 1, splits: [] };
    expect(cellKeyOf(cell({ sweep }))).toEqual({ task: 'drawer-open', encoder: 'onnx:models/a,b.onnx', seed: 200, training: { factors: ['light', 'texture'], k: 3 } });
    expect(cellKeyOf(cell())).toEqual({ task: 'drawer-open', encoder: 'onnx:models/a,b.onnx', seed: 200 });
    dir.writeCell(cell({ sweep, encoder: 'pixels' }));
    expect(readdirSync(dir.cellsDir)).toEqual([expect.stringMatching(/^drawer-open__light\+texture-k3__pixels-[0-9a-f]{8}__s200\.json$/)]);
    expect(dir.readCell({ task: 'drawer-open', encoder: 'pixels', seed: 200 })).toBeNull();
    expect(dir.readCell(cellKeyOf(cell({ sweep, encoder: 'pixels' })))).toEqual(cell({ sweep, encoder: 'pixels' }));
    expect(dir.failurePath({ task: 't', encoder: 'pixels', seed: 2 })).toMatch(/names\/failed\/t__pixels-[0-9a-f]{8}__s2\.json$/);
    expect(dir.entropyPath('pixels')).toMatch(/names\/entropy\/pixels-[0-9a-f]{8}\.json$/);
  });

  it('reads only the JSON files of a folder, in name order, and writes whole files', () => {
    const { dir } = runDir('order');
    dir.writeCell(cell({ task: 'b', encoder: 'pixels' }));
    dir.writeCell(cell({ task: 'a', encoder: 'pixels' }));
    writeFileSync(join(dir.cellsDir, 'notes.txt'), 'not a cell');
    expect(dir.readCells().map((c) => c.task)).toEqual(['a', 'b']);
    expect(JSON.parse(readFileSync(dir.cellPath({ task: 'a', encoder: 'pixels', seed: 200 }), 'utf8'))).toEqual(cell({ task: 'a', encoder: 'pixels' }));
    expect(readFileSync(dir.cellPath({ task: 'a', encoder: 'pixels', seed: 200 }), 'utf8')).toBe(`${JSON.stringify(cell({ task: 'a', encoder: 'pixels' }), null, 2)}\n`);
  });

  it('moves an unreadable cell or entropy record aside with a warning and counts it as not done', () => {
    const { dir, warnings } = runDir('unreadable');
    const key = { task: 'drawer-open', encoder: 'pixels', seed: 1 };
    mkdirSync(dir.cellsDir, { recursive: true });
    writeFileSync(dir.cellPath(key), '{"schema": 5, "tas');
    dir.writeCell(cell({ task: 'assembly', encoder: 'pixels', seed: 1 }));
    expect(dir.readCells().map((c) => c.task)).toEqual(['assembly']);
    expect(existsSync(dir.cellPath(key))).toBe(false);
    expect(existsSync(`${dir.cellPath(key)}.unreadable`)).toBe(true);
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^warning: .*; moved it to ${dir.cellPath(key)}\\.unreadable and treating it as not done$`))]);
    writeFileSync(dir.cellPath(key), JSON.stringify({ ...cell(), schema: 9 }));
    expect(dir.readCell(key)).toBeNull();
    expect(warnings[1]).toBe(
      `warning: cell result '${dir.cellPath(key)}': cell result of schema 9; this version reads schemas 1 to 5; moved it to ${dir.cellPath(key)}.unreadable and treating it as not done`,
    );
    mkdirSync(dir.entropyDir, { recursive: true });
    writeFileSync(dir.entropyPath('pixels'), 'not json');
    expect(dir.readEntropy('pixels')).toBeNull();
    expect(existsSync(`${dir.entropyPath('pixels')}.unreadable`)).toBe(true);
    writeFileSync(dir.entropyPath('other'), '[');
    dir.writeEntropy(entropy('pixels', 2));
    expect(dir.readEntropyRecords()).toEqual([entropy('pixels', 2)]);
    expect(warnings).toHaveLength(4);
  });

  it('names what it could not write, and where', () => {
    const { dir } = runDir('blocked');
    const key = { task: 'drawer-open', encoder: 'pixels', seed: 200 };
    const strip = { task: 'reacher-easy', version: 1 };
    // A folder where each file should go makes its write fail.
    for (const path of [dir.cellPath(key), dir.failurePath(key), dir.entropyPath('pixels'), dir.frameStripPath(strip), join(dir.path, 'results.json')]) mkdirSync(path, { recursive: true });
    const refused = (write: () => void, what: string, path: string): void => expect(write).toThrow(`cannot write ${what} '${path}'`);
    refused(() => dir.writeCell(cell({ ...key })), 'cell result', dir.cellPath(key));
    refused(() => dir.writeFailure(failure({ ...key })), 'cell failure record', dir.failurePath(key));
    refused(() => dir.writeEntropy(entropy('pixels', 1)), 'entropy record', dir.entropyPath('pixels'));
    refused(() => dir.writeFrameStrip(strip, new Uint8Array([1])), 'frame strip', dir.frameStripPath(strip));
    const results = { schema: 5, cells: [], entropy: [], failures: [], sweep: { splits: [], summary: [] } } as unknown as RunResults;
    refused(() => dir.writeResults(results), 'run results', join(dir.path, 'results.json'));
    rmSync(join(dir.path, 'results.json'), { recursive: true });
    mkdirSync(join(dir.path, 'results.csv'));
    refused(() => dir.writeResults(results), 'run results CSV', join(dir.path, 'results.csv'));
    rmSync(join(dir.path, 'results.csv'), { recursive: true });
    mkdirSync(join(dir.path, 'sweep_summary.csv'));
    refused(() => dir.writeResults(results), 'sweep summary CSV', join(dir.path, 'sweep_summary.csv'));
    // A file where a folder should be.
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(() => new RunDir(file).prepare()).toThrow(`cannot create --out directory '${file}': '${file}' is a file, not a directory`);
    const { dir: cellsFile } = runDir('cells-file');
    cellsFile.prepare();
    rmSync(cellsFile.cellsDir, { recursive: true, force: true });
    writeFileSync(cellsFile.cellsDir, 'x');
    expect(() => cellsFile.claimCell(key, 'cell')).toThrow(`cannot create cells folder '${cellsFile.cellsDir}'`);
  });

  it('warns on stderr unless told otherwise', () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const dir = new RunDir(join(root, 'stderr'));
      mkdirSync(dir.cellsDir, { recursive: true });
      writeFileSync(join(dir.cellsDir, 'x.json'), '{');
      expect(dir.readCells()).toEqual([]);
      expect(spy).toHaveBeenCalledWith(expect.stringMatching(/^warning: .*x\.json\.unreadable and treating it as not done$/));
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps failure records until the cell succeeds, and sets unreadable ones aside', () => {
    const { dir, warnings } = runDir('failures');
    expect(dir.readFailures()).toEqual([]);
    dir.writeFailure(failure({ task: 'b' }));
    dir.writeFailure(failure({ task: 'a' }));
    expect(dir.readFailures().map((f) => f.task)).toEqual(['a', 'b']);
    writeFileSync(join(dir.failedDir, 'c.json'), '{');
    expect(dir.readFailures()).toEqual([failure({ task: 'a' }), failure({ task: 'b' })]);
    expect(warnings).toEqual([expect.stringContaining('c.json.unreadable')]);
    dir.writeCell(cell({ task: 'a', encoder: 'pixels', seed: 1 }));
    expect(dir.readFailures()).toEqual([failure({ task: 'b' })]);
  });

  it('names frame strips by task and version and reads them back in name order', () => {
    const { dir } = runDir('frames');
    expect(dir.readFrameStrips()).toEqual([]);
    const strip = { task: 'reacher-easy', version: 2 };
    expect(dir.hasFrameStrip(strip)).toBe(false);
    dir.writeFrameStrip(strip, new Uint8Array([1, 2, 3]));
    dir.writeFrameStrip({ task: 'cheetah-run', version: 11 }, new Uint8Array([4]));
    writeFileSync(join(dir.framesDir, 'notes.png.txt'), 'x');
    writeFileSync(join(dir.framesDir, 'old.v1.png.bak'), 'x');
    expect(dir.frameStripPath(strip)).toBe(join(dir.path, 'frames', 'reacher-easy.v2.png'));
    expect(dir.hasFrameStrip(strip)).toBe(true);
    expect(dir.readFrameStrips()).toEqual([
      { task: 'cheetah-run', version: 11, png: new Uint8Array([4]) },
      { task: 'reacher-easy', version: 2, png: new Uint8Array([1, 2, 3]) },
    ]);
  });

  it('writes a sweep\'s summary CSV beside its results, and reads older results.json as the current schema', () => {
    const { dir } = runDir('sweep');
    const summary = [{ task: '*', encoder: 'pixels', factors: 'light', k: 2, splits: { seen: { mean: 50, se: 1, n: 2 } }, gap: null, relativeDrop: null }];
    dir.writeResults({ schema: 5, cells: [], entropy: [], failures: [], sweep: { splits: ['seen'], summary } } as unknown as RunResults);
    expect(readFileSync(join(dir.path, 'sweep_summary.csv'), 'utf8').split('\n')[0]).toBe('task,encoder,factors,k,split,mean,se,seeds,gap,gap_se,relative_drop');
    const { dir: plain } = runDir('plain');
    plain.writeResults({ schema: 5, cells: [], entropy: [], failures: [] } as unknown as RunResults);
    expect(existsSync(join(plain.path, 'sweep_summary.csv'))).toBe(false);
    writeFileSync(join(plain.path, 'results.json'), JSON.stringify({ schema: 2, cells: [], summary: [], entropy: [], entropyCorrelation: null, profile: {} }));
    expect(plain.readResults()).toMatchObject({ schema: 5, failures: [], plan: { tasks: [], encoders: [], seeds: [] } });
    writeFileSync(join(plain.path, 'results.json'), JSON.stringify({ schema: 8, cells: [] }));
    expect(() => plain.readResults()).toThrow(`'${join(plain.path, 'results.json')}': results of schema 8; this version reads schemas 1 to 5`);
  });
});

describe('run directory claims and runs', () => {
  it('claims a cell with a lock beside its result, leaves one of a live process, and takes over a dead one', () => {
    const { dir, warnings } = runDir('claims');
    const key = { task: 'drawer-open', encoder: 'pixels', seed: 1 };
    const lockPath = dir.cellPath(key).replace(/\.json$/, '.lock');
    const mine = dir.claimCell(key, 'cell drawer-open');
    expect(isHeldLock(mine) && mine.path).toBe(lockPath);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, purpose: 'cell drawer-open' });
    if (isHeldLock(mine)) mine.release();
    writeFileSync(lockPath, ownerRecord(true, 'other cell'));
    expect(dir.claimCell(key, 'cell drawer-open')).toMatchObject({ pid: process.ppid, purpose: 'other cell' });
    writeFileSync(lockPath, ownerRecord(false, 'killed cell'));
    expect(isHeldLock(dir.claimCell(key, 'cell drawer-open'))).toBe(true);
    expect(warnings).toEqual([`note: taking over ${lockPath}, left by pid ${2 ** 30} on ${hostname()} since 2026-01-01T00:00:00.000Z (killed cell) that no longer runs`]);
    const x = { task: 'x', encoder: 'pixels', seed: 1 };
    writeFileSync(dir.cellPath(x).replace(/\.json$/, '.lock'), 'garbage');
    const other = dir.claimCell(x, 'cell x');
    expect(isHeldLock(other)).toBe(true);
    expect(warnings[1]).toMatch(/^note: taking over .*x__pixels-[0-9a-f]{8}__s1\.lock, left by an unreadable record that no longer runs$/);
  });

  it('prepares a directory: creates it, removes temporaries and run locks of dead processes, keeps live ones', () => {
    const { dir } = runDir('prepare');
    dir.prepare();
    expect(existsSync(dir.path)).toBe(true);
    mkdirSync(dir.activeDir, { recursive: true });
    mkdirSync(dir.cellsDir, { recursive: true });
    writeFileSync(join(dir.activeDir, 'a-1-0.lock'), ownerRecord(false));
    writeFileSync(join(dir.activeDir, 'b-1-0.lock'), ownerRecord(true));
    writeFileSync(join(dir.activeDir, 'notes'), 'kept');
    writeFileSync(join(dir.cellsDir, `x.json.tmp-${2 ** 30}-1`), 'half a cell');
    writeFileSync(join(dir.path, `results.json.tmp-${2 ** 30}-1`), 'half');
    writeFileSync(join(dir.cellsDir, `y.json.tmp-${process.pid}-1`), 'being written');
    dir.prepare();
    expect(readdirSync(dir.activeDir).sort()).toEqual(['b-1-0.lock', 'notes']);
    expect(readdirSync(dir.cellsDir)).toEqual([`y.json.tmp-${process.pid}-1`]);
    expect(readdirSync(dir.path).sort()).toEqual(['active', 'cells']);
  });

  it('begins a run with its own session lock, and refuses another configuration\'s cells, failures or live run', () => {
    const { dir } = runDir('begin');
    dir.prepare();
    const first = dir.beginRun(identity('aaa'));
    const second = dir.beginRun(identity('aaa'));
    expect(first.path).toMatch(new RegExp(`/begin/active/aaa-${process.pid}-\\d+\\.lock$`));
    expect(second.path).toMatch(new RegExp(`/begin/active/aaa-${process.pid}-\\d+\\.lock$`));
    expect(second.path).not.toBe(first.path);
    expect(JSON.parse(readFileSync(first.path, 'utf8')).purpose).toBe("bench run: profile 'quick', head mlp, shuffled actions false");
    first.release();
    second.release();
    expect(readdirSync(dir.activeDir)).toEqual([]);
    expect(existsSync(join(dir.path, 'config.lock'))).toBe(false);

    // A live run of another configuration is refused; a dead one, this one's own and other files are not.
    writeFileSync(join(dir.activeDir, 'bbb-7-0.lock'), ownerRecord(true, 'bench run: b'));
    writeFileSync(join(dir.activeDir, 'aaa-7-0.lock'), ownerRecord(true, 'bench run: a'));
    writeFileSync(join(dir.activeDir, 'ccc-7-0.lock'), ownerRecord(false));
    writeFileSync(join(dir.activeDir, 'ddd-7-0.txt'), ownerRecord(true));
    expect(() => dir.beginRun(identity('aaa'))).toThrow(
      `--out ${dir.path} is being written by a run of another configuration: pid ${process.ppid} on ${hostname()} since 2026-01-01T00:00:00.000Z (bench run: b); use a different --out directory`,
    );
    rmSync(join(dir.activeDir, 'bbb-7-0.lock'));
    expect(() => dir.beginRun(identity('ddd')).release()).toThrow(/\(bench run: a\)/);
    dir.beginRun(identity('aaa')).release();

    dir.writeFailure(failure({ configDigest: 'aaa' }));
    expect(() => dir.beginRun(identity('zzz'))).toThrow(
      `--out ${dir.path} holds results of another configuration (failed cells), e.g. ${dir.failurePath(failure())}; use a different --out directory`,
    );
    dir.writeCell(cell({ configDigest: 'aaa', encoder: 'pixels', seed: 1, task: 'drawer-open', shuffleActions: true }));
    expect(() => dir.beginRun(identity('zzz'))).toThrow(
      `--out ${dir.path} holds results of another configuration (profile 'quick', head mlp, shuffled actions true), e.g. ${dir.cellPath({ task: 'drawer-open', encoder: 'pixels', seed: 1 })}; use a different --out directory`,
    );
    dir.writeCell(cell({ configDigest: 'aaa', encoder: 'pixels', seed: 2 }));
    dir.writeFailure(failure({ configDigest: 'aaa', seed: 3 }));
    dir.beginRun(identity('aaa')).release();
  });
});
