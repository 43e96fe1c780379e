/**
 * `bench merge`: joins the output directories of shards (`bench run --shard i/n`, one per scheduler task) into one
 * run directory whose results equal those of one unsharded run (timings aside). Refuses shards of another
 * configuration or plan, and duplicate cells or entropy records that disagree; identical duplicates (a shard run
 * twice, or a merge repeated over its own output) are kept once, so merging is idempotent.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { RunDir, type CellKey, type FrameStripKey } from '../results/run_dir.js';
import type { CellResult, EntropyRecord, RunResults } from '../results/schema.js';
import { configDigest, type RunConfig } from './config.js';
import { joinResults } from './join.js';
import { planCells } from './plan.js';

export interface MergeReport {
  results: RunResults;
  /** Input directories read (the output first when it already held results). */
  inputs: string[];
  /** Cells that more than one input held, identically. */
  duplicates: number;
  /** Planned cells that no input has finished. */
  missing: CellKey[];
}

interface ShardInput {
  path: string;
  dir: RunDir;
  results: RunResults;
  config: RunConfig;
  digest: string;
}

const describeCell = (c: CellKey): string => `${c.task} x ${c.encoder} x seed ${c.seed}`;

function readShard(path: string): ShardInput {
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new Error(`bench merge: '${path}' is not a directory (expected the --out directory of a bench run shard)`);
  const dir = new RunDir(path);
  const results = dir.readResults();
  const config: RunConfig = { benchmark: results.benchmark, profile: results.profile, head: results.head, shuffleActions: results.shuffleActions };
  return { path, dir, results, config, digest: configDigest(config) };
}

/** What makes two shards parts of the same run: configuration, plan and policy backend. */
function checkSameRun(first: ShardInput, other: ShardInput): void {
  const differs = (what: string, a: unknown, b: unknown): Error =>
    new Error(`bench merge: shard '${other.path}' is of another run than '${first.path}' (${what}: ${JSON.stringify(b)} vs ${JSON.stringify(a)}); merge only shards of one command`);
  const a = first.results;
  const b = other.results;
  if (a.benchmark !== b.benchmark) throw differs('benchmark', a.benchmark, b.benchmark);
  if (a.profile.name !== b.profile.name) throw differs('profile', a.profile.name, b.profile.name);
  if (first.digest !== other.digest) throw differs('configuration (profile numbers, head or shuffled-action control)', first.config, other.config);
  if (JSON.stringify(a.plan) !== JSON.stringify(b.plan)) throw differs('plan', a.plan, b.plan);
  if (a.tfjsBackend !== b.tfjsBackend) throw differs('tfjs backend', a.tfjsBackend, b.tfjsBackend);
  const foreign = other.dir.readCells().find((c) => c.configDigest !== other.digest);
  if (foreign) throw new Error(`bench merge: shard '${other.path}' holds cell ${describeCell(foreign)} of another configuration than its results.json`);
}

/** JSON of a cell without its timings: what must agree between two copies of one cell. */
const cellContent = (c: CellResult): string => JSON.stringify({ ...c, timings: undefined });

/** The first top-level field in which two copies of a cell differ, with both values, for the error message. */
function firstDifference(a: CellResult, b: CellResult): string {
  for (const key of Object.keys(a) as (keyof CellResult)[]) {
    if (key !== 'timings' && JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
      const show = (v: unknown): string => (typeof v === 'number' || typeof v === 'string' ? String(v) : JSON.stringify(v).slice(0, 60));
      return `${key} ${show(a[key])} vs ${show(b[key])}`;
    }
  }
  return 'content';
}

export function mergeRuns(paths: readonly string[], out: string): MergeReport {
  if (paths.length === 0) throw new Error('bench merge: name at least one shard directory');
  // The output joins as the first input when it already holds results, so that a repeated merge keeps what it had.
  const outHasResults = existsSync(resolve(out, 'results.json'));
  const ordered = [...(outHasResults ? [out] : []), ...paths];
  const seen = new Set<string>();
  const inputs = ordered.filter((p) => !seen.has(resolve(p)) && seen.add(resolve(p))).map(readShard);
  const first = inputs[0]!;
  for (const input of inputs.slice(1)) checkSameRun(first, input);

  const cells = new Map<string, { cell: CellResult; from: string }>();
  const entropy = new Map<string, { record: EntropyRecord; from: string }>();
  let duplicates = 0;
  for (const input of inputs) {
    for (const cell of input.dir.readCells()) {
      const key = describeCell(cell);
      const known = cells.get(key);
      if (!known) cells.set(key, { cell, from: input.path });
      else if (cellContent(known.cell) === cellContent(cell)) duplicates++;
      else {
        throw new Error(
          `bench merge: conflicting results for cell ${key}: shard '${input.path}' differs from '${known.from}' (${firstDifference(known.cell, cell)}); ` +
            'drop or rerun one of them',
        );
      }
    }
    for (const record of input.dir.readEntropyRecords().filter((r) => r.configDigest === input.digest)) {
      const known = entropy.get(record.encoder);
      if (!known) entropy.set(record.encoder, { record, from: input.path });
      else if (JSON.stringify(known.record) !== JSON.stringify(record)) {
        throw new Error(`bench merge: conflicting feature-norm entropy of encoder '${record.encoder}': shard '${input.path}' differs from '${known.from}'`);
      }
    }
  }

  const strips = new Map<string, { key: FrameStripKey; png: Uint8Array; from: string }>();
  for (const input of inputs) {
    for (const { png, ...key } of input.dir.readFrameStrips()) {
      const name = `${key.task} (version ${key.version})`;
      const known = strips.get(name);
      if (!known) strips.set(name, { key, png, from: input.path });
      else if (Buffer.compare(known.png, png) !== 0) throw new Error(`bench merge: conflicting frame strips of task ${name}: shard '${input.path}' differs from '${known.from}'`);
    }
  }

  // The output is written like a run directory: refused when it holds another configuration, locked meanwhile.
  const target = new RunDir(out);
  target.prepare();
  const session = target.beginRun({ configDigest: first.digest, profile: first.config.profile.name, head: first.config.head, shuffleActions: first.config.shuffleActions });
  const { plan } = first.results;
  let results: RunResults;
  try {
    for (const { key, png } of strips.values()) if (!target.hasFrameStrip(key)) target.writeFrameStrip(key, png);
    for (const { cell } of cells.values()) if (!sameFile(target.readCell(cell), cell)) target.writeCell(cell);
    for (const { record } of entropy.values()) {
      const existing = target.readEntropy(record.encoder);
      if (!existing || JSON.stringify(existing) !== JSON.stringify(record)) target.writeEntropy(record);
    }
    results = joinResults(target, first.config, first.results.tfjsBackend, plan);
  } finally {
    session.release();
  }
  const missing = planCells(plan.tasks, plan.encoders, plan.seeds).filter((c) => !cells.has(describeCell(c)));
  return { results, inputs: inputs.map((i) => i.path), duplicates, missing };
}

const sameFile = (a: CellResult | null, b: CellResult): boolean => a !== null && JSON.stringify(a) === JSON.stringify(b);
