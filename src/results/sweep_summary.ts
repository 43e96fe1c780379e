/**
 * The summary of a factor sweep (Factor-World's decomposition): per task, encoder, factor set and K the mean over
 * seeds of every split's score, the generalisation gap seen - unseen in points and the relative drop gap / seen,
 * each with the standard error over seeds; plus the same over all tasks (task '*': per seed, the mean over tasks).
 */
import { mean } from '../eval/statistics.js';
import type { CellResult, SweepSummaryRow } from './schema.js';

/** Standard error of the mean (sample standard deviation / sqrt(n)); 0 for a single value. */
export function standardError(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  const variance = values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (n - 1);
  return Math.sqrt(variance / n);
}

const stat = (values: readonly number[]): { mean: number; se: number; n: number } => ({ mean: mean(values), se: standardError(values), n: values.length });

/** Per seed, the score of each split (the cells of one group). */
function splitScores(cells: readonly CellResult[]): Map<number, Map<string, number>> {
  const bySeed = new Map<number, Map<string, number>>();
  for (const c of cells) bySeed.set(c.seed, new Map((c.sweep?.splits ?? []).map((s) => [s.split, s.score])));
  return bySeed;
}

function row(task: string, encoder: string, factors: string, k: number, bySeed: Map<number, Map<string, number>>, splits: readonly string[]): SweepSummaryRow {
  const perSplit: SweepSummaryRow['splits'] = {};
  for (const split of splits) {
    const values = [...bySeed.values()].map((m) => m.get(split)).filter((v): v is number => v !== undefined);
    if (values.length) perSplit[split] = stat(values);
  }
  const paired = [...bySeed.values()].filter((m) => m.has('seen') && m.has('unseen'));
  const gaps = paired.map((m) => m.get('seen')! - m.get('unseen')!);
  const gap = gaps.length ? { mean: mean(gaps), se: standardError(gaps) } : null;
  const seen = perSplit.seen?.mean;
  return { task, encoder, factors, k, splits: perSplit, gap, relativeDrop: gap && seen ? gap.mean / seen : null };
}

/** Rows in the cells' order: per task, then the mean over tasks ('*') for each encoder, factor set and K. */
export function summariseSweep(cells: readonly CellResult[], splits: readonly string[]): SweepSummaryRow[] {
  const sweepCells = cells.filter((c) => c.sweep);
  const group = (c: CellResult): string => `${c.encoder}\n${c.sweep!.factors.join('+')}\n${c.sweep!.k}`;
  const rows: SweepSummaryRow[] = [];
  const seenGroups = new Map<string, CellResult[]>();
  for (const c of sweepCells) {
    const key = `${c.task}\n${group(c)}`;
    if (seenGroups.has(key)) continue;
    const mine = sweepCells.filter((d) => d.task === c.task && group(d) === group(c));
    seenGroups.set(key, mine);
    rows.push(row(c.task, c.encoder, c.sweep!.factors.join('+'), c.sweep!.k, splitScores(mine), splits));
  }
  const tasks = new Set(sweepCells.map((c) => c.task));
  if (tasks.size < 2) return rows;
  const groups = [...new Set(sweepCells.map(group))];
  for (const g of groups) {
    const mine = sweepCells.filter((c) => group(c) === g);
    // Per seed: the mean over the tasks that ran it, split by split.
    const bySeed = new Map<number, Map<string, number>>();
    for (const seed of new Set(mine.map((c) => c.seed))) {
      const ofSeed = mine.filter((c) => c.seed === seed);
      if (new Set(ofSeed.map((c) => c.task)).size !== tasks.size) continue;
      const means = new Map<string, number>();
      for (const split of splits) {
        const values = ofSeed.map((c) => c.sweep!.splits.find((s) => s.split === split)?.score).filter((v): v is number => v !== undefined);
        if (values.length === ofSeed.length) means.set(split, mean(values));
      }
      bySeed.set(seed, means);
    }
    if (bySeed.size === 0) continue;
    const [encoder, factors, k] = g.split('\n') as [string, string, string];
    rows.push(row('*', encoder, factors, Number(k), bySeed, splits));
  }
  return rows;
}

/** A plain-text table of the summary: one row per task, encoder, factor set and K. */
export function formatSweepSummary(rows: readonly SweepSummaryRow[], splits: readonly string[]): string {
  if (rows.length === 0) return '(no finished sweep cells)';
  const pm = (v: { mean: number; se: number } | null | undefined): string => (v ? `${v.mean.toFixed(1)} +- ${v.se.toFixed(1)}` : '-');
  const header = ['task', 'encoder', 'factors', 'K', ...splits, 'gap (pts)', 'rel. drop', 'seeds'];
  const lines = rows.map((r) => [
    r.task,
    r.encoder,
    r.factors,
    String(r.k),
    ...splits.map((s) => pm(r.splits[s])),
    pm(r.gap),
    r.relativeDrop === null ? '-' : `${(100 * r.relativeDrop).toFixed(0)}%`,
    String(Math.max(0, ...Object.values(r.splits).map((s) => s.n))),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: string[]): string => cols.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    fmt(header),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...lines.map(fmt),
    'success in % (mean +- standard error over policy seeds); gap = seen - unseen in points; rel. drop = gap / seen; task * = mean over tasks',
  ].join('\n');
}
