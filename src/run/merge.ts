/**
 * `bench merge`: joins the output directories of shards (`bench run --shard i/n`, one per scheduler task) into one
 * run directory whose results equal those of one unsharded run (timings aside). Refuses shards of another
 * configuration or plan, and duplicate cells or entropy records that disagree; identical duplicates (a shard run
 * twice, or a merge repeated over its own output) are kept once, so merging is idempotent.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Split } from '../envs/factors/factor_table.js';
import { checkSplit, parseFactorSet } from '../envs/factors/variant_sets.js';
import { cellKeyOf, RunDir, type CellKey, type FrameStripKey } from '../results/run_dir.js';
import type { CellFailure, CellResult, EntropyRecord, RunResults } from '../results/schema.js';
import { configDigest, sweepConfig, type RunConfig } from './config.js';
import { isCurrentEntropy, joinResults } from './join.js';
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

const describeCell = (c: CellKey): string => `${c.task}${c.training ? ` x ${c.training.factors.join('+')} K=${c.training.k}` : ''} x ${c.encoder} x seed ${c.seed}`;

/** A split named in a results file, checked. */
function checkedSplit(split: string): Split {
  checkSplit([], split);
  return split;
}

function readShard(path: string): ShardInput {
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new Error(`bench merge: '${path}' is not a directory (expected the --out directory of a bench run shard)`);
  const dir = new RunDir(path);
  const results = dir.readResults();
  const config: RunConfig = {
    benchmark: results.benchmark,
    profile: results.profile,
    head: results.head,
    shuffleActions: results.shuffleActions,
    ...(results.sweep ? { sweep: sweepConfig(results.sweep.splits.map(checkedSplit), results.profile) } : {}),
  };
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
  if (foreign) throw new Error(`bench merge: shard '${other.path}' holds cell ${describeCell(cellKeyOf(foreign))} of another configuration than its results.json`);
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

/** One copy per key across shards: the first is kept; a later copy must agree, else the merge stops, naming both. */
class AgreeingCopies<T> {
  private readonly items = new Map<string, { value: T; from: string }>();
  duplicates = 0;

  constructor(
    private readonly what: string,
    private readonly same: (a: T, b: T) => boolean,
    private readonly detail: (a: T, b: T) => string = () => '',
  ) {}

  add(key: string, value: T, from: string): void {
    const known = this.items.get(key);
    if (!known) this.items.set(key, { value, from });
    else if (this.same(known.value, value)) this.duplicates++;
    else {
      const detail = this.detail(known.value, value);
      throw new Error(`bench merge: conflicting ${this.what} ${key}: shard '${from}' differs from '${known.from}'${detail ? ` (${detail})` : ''}; drop or rerun one of them`);
    }
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  values(): T[] {
    return [...this.items.values()].map((i) => i.value);
  }
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

  const cells = new AgreeingCopies<CellResult>('results for cell', (a, b) => cellContent(a) === cellContent(b), firstDifference);
  const entropy = new AgreeingCopies<EntropyRecord>('feature-norm entropy of encoder', (a, b) => JSON.stringify(a) === JSON.stringify(b));
  const strips = new AgreeingCopies<FrameStripKey & { png: Uint8Array }>('frame strips of task', (a, b) => Buffer.compare(a.png, b.png) === 0);
  const failures = new Map<string, CellFailure>();
  for (const input of inputs) {
    for (const cell of input.dir.readCells()) cells.add(describeCell(cellKeyOf(cell)), cell, input.path);
    for (const record of input.dir.readEntropyRecords().filter((r) => isCurrentEntropy(r, r.probe))) entropy.add(`'${record.encoder}'`, record, input.path);
    for (const strip of input.dir.readFrameStrips()) strips.add(`${strip.task} (version ${strip.version})`, strip, input.path);
  }

  // The output is written like a run directory: refused when it holds another configuration, locked meanwhile.
  const target = new RunDir(out);
  target.prepare();
  const session = target.beginRun({ configDigest: first.digest, profile: first.config.profile.name, head: first.config.head, shuffleActions: first.config.shuffleActions });
  const { plan } = first.results;
  let results: RunResults;
  try {
    for (const { png, ...key } of strips.values()) if (!target.hasFrameStrip(key)) target.writeFrameStrip(key, png);
    for (const cell of cells.values()) if (!sameJson(target.readCell(cell), cell)) target.writeCell(cell);
    for (const record of entropy.values()) if (!sameJson(target.readEntropy(record.encoder), record)) target.writeEntropy(record);
    for (const failure of failures.values()) if (!cells.has(describeCell(failure)) && !existsSync(target.failurePath(failure))) target.writeFailure(failure);
    results = joinResults(target, first.config, first.results.tfjsBackend, plan, null);
  } finally {
    session.release();
  }
  const trainings = plan.trainings?.map((t) => ({ factors: parseFactorSet(t.factors.join('+')), k: t.k }));
  const missing = planCells(plan.tasks, plan.encoders, plan.seeds, undefined, trainings).filter((c) => !cells.has(describeCell(c)));
  return { results, inputs: inputs.map((i) => i.path), duplicates: cells.duplicates, missing };
}

/** Whether the file already holds exactly this value (then it is not rewritten). */
const sameJson = <T>(existing: T | null, value: T): boolean => existing !== null && JSON.stringify(existing) === JSON.stringify(value);
