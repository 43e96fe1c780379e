/**
 * `bench compare BASE NEW`: per cell, task, family and benchmark mean (per encoder), the difference NEW - BASE with a
 * seeded, paired bootstrap interval over policy seeds and evaluation episodes (eval/bootstrap.ts), and a verdict:
 *   identical       every episode score of every cell behind the row is equal (runs are deterministic, so the same
 *                   code and inputs give exactly this on one kind of CPU)
 *   within tolerance  not identical, but every episode score within `tolerance` of its pair (0: never). ONNX
 *                   Runtime's kernels differ by instruction set (AVX2, AVX-512), so a ViT's features, and the
 *                   returns of policies trained on them, differ in their last bits between CPU kinds
 *   better / worse  the (1 - alpha) interval lies wholly above / below zero
 *   same            the interval contains zero
 *   not comparable  the cells do not measure the same thing: another profile or protocol number, another task
 *                   version, another encoder digest, or a cell that only one run has (the reason is given)
 * The policy side (head, shuffled-action control), the code versions and the CPU kind may differ: that is what a
 * comparison is for; they are reported as notes. Exit code: 2 when any row is not comparable, else 1 when any row is worse (or,
 * with `failOnChange`, when any row is neither identical nor within tolerance), else 0.
 */
import { BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED, groupRng, meanOfReplicates, pairedTaskReplicates } from '../eval/bootstrap.js';
import { mean, percentileInterval } from '../eval/statistics.js';
import { TASK_FAMILIES, type TaskFamily } from '../envs/families.js';
import { PROTOCOL_FIELDS, type ScoredCell, type ScoredRun } from './scored_cells.js';

export type Verdict = 'identical' | 'within tolerance' | 'same' | 'better' | 'worse' | 'not comparable';
export type RowLevel = 'benchmark' | 'family' | 'task' | 'cell';

export interface ComparisonRow {
  level: RowLevel;
  encoder: string;
  /** null on benchmark rows. */
  family: TaskFamily | null;
  /** null on benchmark and family rows. */
  task: string | null;
  /** Policy seed of a cell row; null above. */
  seed: number | null;
  /** Scores; null where the row is not comparable. */
  base: number | null;
  new: number | null;
  difference: number | null;
  /** (1 - alpha) bootstrap interval of the difference. */
  interval: [number, number] | null;
  verdict: Verdict;
  /** Why a row is not comparable. */
  reason: string | null;
}

export interface CompareOptions {
  alpha: number;
  /** Count any row that is neither identical nor within tolerance as a failure (the CI gate against a committed baseline). */
  failOnChange?: boolean;
  /** Largest difference of an episode score, in score units, that still counts as no change (default 0: exact). */
  tolerance?: number;
  replicates?: number;
}

export interface Comparison {
  base: string;
  new: string;
  benchmark: string;
  alpha: number;
  replicates: number;
  bootstrapSeed: number;
  failOnChange: boolean;
  tolerance: number;
  rows: ComparisonRow[];
  /** Differences that do not stop a comparison: code versions, policy head, shuffled-action control. */
  notes: string[];
  counts: Record<Verdict, number>;
  exitCode: 0 | 1 | 2;
}

/** A row's numbers: scores, the replicates of their difference, and whether every episode was equal. */
interface Measured {
  base: number;
  new: number;
  diffs: Float64Array;
  identical: boolean;
  /** Every episode score within the tolerance of its pair (identical included). */
  withinTolerance: boolean;
}

type Outcome = { measured: Measured } | { reason: string };

const cellKey = (task: string, encoder: string, seed: number): string => `${task}\n${encoder}\n${seed}`;
const sameArray = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const unique = <T>(values: T[]): T[] => [...new Set(values)];

/** Why two cells with the same key do not measure the same thing, or null. */
function incomparability(base: ScoredCell, next: ScoredCell): string | null {
  if (base.protocol.profile !== next.protocol.profile) return `other profile (${base.protocol.profile} vs ${next.protocol.profile})`;
  if (base.taskVersion !== next.taskVersion) return `other task version (${base.taskVersion} vs ${next.taskVersion})`;
  if (base.encoderDigest !== next.encoderDigest) return `other encoder digest (${base.encoderDigest} vs ${next.encoderDigest})`;
  const fields = PROTOCOL_FIELDS.filter((f) => base.protocol[f] !== next.protocol[f]);
  if (fields.length > 0) return `other protocol (${fields.map((f) => `${f} ${base.protocol[f]} vs ${next.protocol[f]}`).join(', ')})`;
  if (base.episodeScores.length !== next.episodeScores.length) return `other number of episodes (${base.episodeScores.length} vs ${next.episodeScores.length})`;
  return null;
}

function verdictOf(measured: Measured, interval: [number, number]): Verdict {
  if (measured.identical) return 'identical';
  if (measured.withinTolerance) return 'within tolerance';
  if (interval[0] > 0) return 'better';
  if (interval[1] < 0) return 'worse';
  return 'same';
}

/** Cells of both runs by key, and the (1 - alpha) level and replicate count of every interval. */
interface Context {
  base: Map<string, ScoredCell>;
  next: Map<string, ScoredCell>;
  alpha: number;
  replicates: number;
  tolerance: number;
}

/** A row and the rows below it (a task's cells, a family's tasks, ...), the row first. */
interface Subtree {
  outcome: Outcome;
  rows: ComparisonRow[];
}

function makeRow(ctx: Context, level: RowLevel, at: Pick<ComparisonRow, 'encoder' | 'family' | 'task' | 'seed'>, outcome: Outcome): ComparisonRow {
  if ('reason' in outcome) return { level, ...at, base: null, new: null, difference: null, interval: null, verdict: 'not comparable', reason: outcome.reason };
  const m = outcome.measured;
  const interval = percentileInterval(m.diffs, ctx.alpha);
  return { level, ...at, base: m.base, new: m.new, difference: m.new - m.base, interval, verdict: verdictOf(m, interval), reason: null };
}

/** Scores and difference replicates of one task (or one cell: a single seed) over paired cells. */
function measure(ctx: Context, pairs: readonly [ScoredCell, ScoredCell][], group: string): Measured {
  const [rb, rn] = pairedTaskReplicates(
    [pairs.map(([b]) => b.episodeScores), pairs.map(([, n]) => n.episodeScores)],
    ctx.replicates,
    groupRng(BOOTSTRAP_SEED, group),
  );
  return {
    base: mean(pairs.map(([b]) => b.score)),
    new: mean(pairs.map(([, n]) => n.score)),
    diffs: rn!.map((v, i) => v - rb![i]!),
    identical: pairs.every(([b, n]) => sameArray(b.episodeScores, n.episodeScores)),
    withinTolerance: pairs.every(([b, n]) => b.episodeScores.every((v, i) => Math.abs(v - n.episodeScores[i]!) <= ctx.tolerance)),
  };
}

function compareTask(ctx: Context, encoder: string, family: TaskFamily, task: string, seeds: readonly number[]): Subtree {
  const cellRows: ComparisonRow[] = [];
  const pairs: [ScoredCell, ScoredCell][] = [];
  const reasons: string[] = [];
  for (const seed of seeds) {
    const key = cellKey(task, encoder, seed);
    const b = ctx.base.get(key);
    const n = ctx.next.get(key);
    const reason = !b ? 'only in NEW' : !n ? 'only in BASE' : incomparability(b, n);
    const at = { encoder, family, task, seed };
    if (reason !== null || !b || !n) {
      cellRows.push(makeRow(ctx, 'cell', at, { reason: reason! }));
      reasons.push(seeds.length > 1 ? `seed ${seed}: ${reason}` : reason!);
    } else {
      pairs.push([b, n]);
      cellRows.push(makeRow(ctx, 'cell', at, { measured: measure(ctx, [[b, n]], `cell\n${key}`) }));
    }
  }
  const outcome: Outcome = reasons.length > 0 ? { reason: unique(reasons).join('; ') } : { measured: measure(ctx, pairs, `task\n${task}\n${encoder}`) };
  return { outcome, rows: [makeRow(ctx, 'task', { encoder, family, task, seed: null }, outcome), ...cellRows] };
}

/** The mean of several rows (tasks of a family, families of a benchmark); not comparable if any part is not. */
function aggregate(parts: readonly [string, Outcome][]): Outcome {
  const bad = parts.find(([, o]) => 'reason' in o);
  if (bad) return { reason: `${bad[0]} not comparable` };
  const measured = parts.map(([, o]) => (o as { measured: Measured }).measured);
  return {
    measured: {
      base: mean(measured.map((m) => m.base)),
      new: mean(measured.map((m) => m.new)),
      diffs: meanOfReplicates(measured.map((m) => m.diffs)),
      identical: measured.every((m) => m.identical),
      withinTolerance: measured.every((m) => m.withinTolerance),
    },
  };
}

function compareEncoder(ctx: Context, encoder: string, cells: readonly ScoredCell[]): ComparisonRow[] {
  const below: ComparisonRow[] = [];
  const families: [string, Outcome][] = [];
  for (const family of TASK_FAMILIES.filter((f) => cells.some((c) => c.family === f))) {
    const tasks: Subtree[] = [];
    const names = unique(cells.filter((c) => c.family === family).map((c) => c.task));
    for (const task of names) {
      const seeds = unique(cells.filter((c) => c.task === task).map((c) => c.seed)).sort((a, b) => a - b);
      tasks.push(compareTask(ctx, encoder, family, task, seeds));
    }
    const outcome = aggregate(tasks.map((t, i) => [`task ${names[i]}`, t.outcome]));
    below.push(makeRow(ctx, 'family', { encoder, family, task: null, seed: null }, outcome), ...tasks.flatMap((t) => t.rows));
    families.push([`family ${family}`, outcome]);
  }
  return [makeRow(ctx, 'benchmark', { encoder, family: null, task: null, seed: null }, aggregate(families)), ...below];
}

export function compareRuns(base: ScoredRun, next: ScoredRun, options: CompareOptions): Comparison {
  if (base.benchmark !== next.benchmark) {
    throw new Error(`${base.source} is benchmark '${base.benchmark}' but ${next.source} is '${next.benchmark}'; compare runs of one benchmark`);
  }
  const tolerance = options.tolerance ?? 0;
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) throw new Error(`tolerance must be a finite number >= 0 (score units), got ${tolerance}`);
  const ctx: Context = {
    base: new Map(base.cells.map((c) => [cellKey(c.task, c.encoder, c.seed), c])),
    next: new Map(next.cells.map((c) => [cellKey(c.task, c.encoder, c.seed), c])),
    alpha: options.alpha,
    replicates: options.replicates ?? BOOTSTRAP_REPLICATES,
    tolerance,
  };
  const all = [...base.cells, ...next.cells];
  const rows = unique(all.map((c) => c.encoder)).flatMap((encoder) => compareEncoder(ctx, encoder, all.filter((c) => c.encoder === encoder)));
  const counts: Record<Verdict, number> = { identical: 0, 'within tolerance': 0, same: 0, better: 0, worse: 0, 'not comparable': 0 };
  for (const r of rows) counts[r.verdict]++;
  const changed = rows.some((r) => r.verdict !== 'identical' && r.verdict !== 'within tolerance');
  const exitCode = counts['not comparable'] > 0 ? 2 : counts.worse > 0 || (options.failOnChange && changed) ? 1 : 0;
  return {
    base: base.source,
    new: next.source,
    benchmark: base.benchmark,
    alpha: ctx.alpha,
    replicates: ctx.replicates,
    bootstrapSeed: BOOTSTRAP_SEED,
    failOnChange: options.failOnChange ?? false,
    tolerance,
    rows,
    notes: notes(base, next),
    counts,
    exitCode,
  };
}

/** What differs on the policy side, in the code or in the CPU, said once per run pair (with why it matters, where it is not obvious). */
function notes(base: ScoredRun, next: ScoredRun): string[] {
  const out: string[] = [];
  const describe = (run: ScoredRun, field: (c: ScoredCell) => string): string => unique(run.cells.map(field)).join(' + ');
  const fields: [string, (c: ScoredCell) => string, string?][] = [
    ['versions', (c) => c.versions],
    [
      'CPU kinds',
      (c) => c.cpu,
      'ONNX Runtime picks its kernels by instruction set, so what it encoded or trained may differ by float rounding (see --tolerance)',
    ],
    ['policy head', (c) => c.head],
    ['shuffled-action control', (c) => (c.shuffleActions ? 'on' : 'off')],
  ];
  for (const [name, field, why] of fields) {
    const [b, n] = [describe(base, field), describe(next, field)];
    if (b !== n) out.push(`${name} differ: BASE ${b}; NEW ${n}${why ? `. ${why}` : ''}`);
  }
  return out;
}

/**
 * The comparison as a table: one block per encoder (benchmark mean, then each family and its tasks; cell rows only
 * for tasks with several seeds or rows of their own), then the counts and what the exit code means.
 */
export function formatComparison(c: Comparison): string {
  const level = `${Math.round((1 - c.alpha) * 1000) / 10}%`;
  const f = (v: number | null): string => (v === null ? '-' : v.toFixed(2));
  const signed = (v: number | null): string => (v === null ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);
  const seedsPerTask = new Map<string, number>();
  for (const r of c.rows) if (r.level === 'cell') seedsPerTask.set(`${r.encoder}\n${r.task}`, (seedsPerTask.get(`${r.encoder}\n${r.task}`) ?? 0) + 1);
  const shown = c.rows.filter((r) => r.level !== 'cell' || seedsPerTask.get(`${r.encoder}\n${r.task}`)! > 1);
  const header = ['encoder', 'row', 'BASE', 'NEW', 'NEW-BASE', `${level} interval`, 'verdict'];
  const lines = shown.map((r) => [
    r.encoder,
    r.level === 'benchmark' ? 'MEAN' : r.level === 'family' ? `[${r.family}]` : r.level === 'task' ? `  ${r.task}` : `    seed ${r.seed}`,
    f(r.base),
    f(r.new),
    signed(r.difference),
    r.interval ? `[${signed(r.interval[0])}, ${signed(r.interval[1])}]` : '-',
    r.verdict === 'not comparable' ? `not comparable: ${r.reason}` : r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: string[]): string =>
    cols
      .map((col, i) => (i === cols.length - 1 ? col : i <= 1 ? col.padEnd(widths[i]!) : col.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [
    `compare ${c.benchmark}: ${c.base} vs ${c.new}`,
    `NEW - BASE per row, ${level} intervals from ${c.replicates} paired bootstrap replicates over policy seeds and evaluation episodes (seed ${c.bootstrapSeed})` +
      (c.tolerance > 0 ? `; episode scores within ${c.tolerance} of their pair count as unchanged` : ''),
    '',
    fmt(header),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...lines.map(fmt),
    '',
    ...c.notes.map((n) => `note: ${n}`),
    `rows (cells included): ${Object.entries(c.counts)
      .filter(([, n]) => n > 0)
      .map(([v, n]) => `${n} ${v}`)
      .join(', ')}`,
    `exit ${c.exitCode}: ${
      c.exitCode === 2
        ? 'not comparable (see the reasons above)'
        : c.exitCode === 1
          ? c.counts.worse > 0
            ? 'regression: NEW is worse beyond the interval'
            : 'scores changed (--fail-on-change): update the baseline on purpose if the change is intended'
          : c.counts.identical === c.rows.length
            ? 'identical: every score is equal'
            : c.counts.identical + c.counts['within tolerance'] === c.rows.length
              ? `unchanged within tolerance: every episode score is within ${c.tolerance} of its pair`
              : 'no regression'
    }`,
  ];
  return out.join('\n');
}
