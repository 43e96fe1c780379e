/**
 * Aggregation (cortexbench.md): task score = mean over seeds of the best score; family ("suite" in the paper)
 * score = mean over its tasks; benchmark mean = mean over the families present. Plus the entropy correlation
 * across encoders and a printable table.
 */
import { mean, pearson, spearman } from '../eval/statistics.js';
import { FAMILIES, TASK_FAMILIES, type TaskFamily } from '../envs/families.js';
import { DEFAULT_ALPHA, withIntervals, type CellResult, type Correlation, type EncoderSummary, type EntropyRecord, type Timings } from './schema.js';

export function summarise(cells: readonly CellResult[], entropy: readonly EntropyRecord[]): EncoderSummary[] {
  const encoders = [...new Set(cells.map((c) => c.encoder))];
  return encoders.map((encoder) => {
    const mine = cells.filter((c) => c.encoder === encoder);
    const tasks: Record<string, number> = {};
    const taskFamily = new Map<string, TaskFamily>();
    for (const c of mine) taskFamily.set(c.task, c.family);
    for (const task of [...taskFamily.keys()]) tasks[task] = mean(mine.filter((c) => c.task === task).map((c) => c.bestScore));
    const families: Partial<Record<TaskFamily, number>> = {};
    const present = new Set(taskFamily.values());
    for (const family of TASK_FAMILIES.filter((f) => present.has(f))) {
      families[family] = mean([...taskFamily].filter(([, f]) => f === family).map(([t]) => tasks[t]!));
    }
    const e = entropy.find((r) => r.encoder === encoder);
    return {
      encoder,
      tasks,
      families,
      benchmarkMean: mean(Object.values(families)),
      entropy: e ? e.result.entropy : null,
      entropyNormalised: e ? e.result.entropyNormalised : null,
    };
  });
}

/**
 * Pearson/Spearman of entropy with benchmark mean and their (1 - alpha) Fisher-z intervals; null unless >= 3
 * encoders have both numbers.
 */
export function entropyCorrelation(summary: readonly EncoderSummary[], alpha = DEFAULT_ALPHA): Correlation | null {
  const pairs = summary.filter((s) => s.entropy !== null && Number.isFinite(s.benchmarkMean));
  if (pairs.length < 3) return null;
  const h = pairs.map((s) => s.entropy!);
  const score = pairs.map((s) => s.benchmarkMean);
  return withIntervals({ encoders: pairs.length, pearson: pearson(h, score), spearman: spearman(h, score) }, alpha);
}

/** Below this many encoders a correlation is reported with a warning: its interval is too wide to mean anything. */
export const MIN_ENCODERS_FOR_CORRELATION = 10;

/** The correlation line(s) of a summary: r with its interval, then a warning when n is small or r is undefined. */
export function formatCorrelation(correlation: Correlation | null): string[] {
  if (!correlation) return ['entropy vs benchmark mean: needs >= 3 encoders with an entropy and a score'];
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'undefined');
  const ci = ([lo, hi]: [number, number]): string => (Number.isFinite(lo) ? `[${f(lo)}, ${f(hi)}]` : '[undefined]');
  const level = `${Math.round((1 - correlation.alpha) * 100)}%`;
  const lines = [
    `entropy vs benchmark mean over ${correlation.encoders} encoders: Pearson ${f(correlation.pearson)} (${level} CI ${ci(correlation.pearsonInterval)}), ` +
      `Spearman ${f(correlation.spearman)} (${level} CI ${ci(correlation.spearmanInterval)})`,
  ];
  if (!Number.isFinite(correlation.pearson)) {
    lines.push('warning: the correlation is undefined because the entropies or the benchmark means are all equal');
  } else if (correlation.encoders < MIN_ENCODERS_FOR_CORRELATION) {
    lines.push(
      `warning: n = ${correlation.encoders} encoders is too few for this correlation to mean anything (its ${level} interval is ` +
        `${ci(correlation.pearsonInterval)}); read its sign only with >= ${MIN_ENCODERS_FOR_CORRELATION} encoders`,
    );
  }
  return lines;
}

/**
 * A plain-text table: one row per encoder, one column per task, family and the benchmark mean, entropy beside;
 * families in the paper's order, then a line saying how the mean is formed.
 */
export function formatSummary(summary: readonly EncoderSummary[], correlation: Correlation | null): string {
  if (summary.length === 0) return '(no finished cells)';
  const tasks = [...new Set(summary.flatMap((s) => Object.keys(s.tasks)))];
  const present = new Set(summary.flatMap((s) => Object.keys(s.families)));
  const families = TASK_FAMILIES.filter((f) => present.has(f));
  const header = ['encoder', ...tasks, ...families.map((f) => `[${f}]`), 'MEAN', 'H (nats)', 'H/ln(bins)'];
  const fmt = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
  const rows = summary.map((s) => [
    s.encoder,
    ...tasks.map((t) => fmt(s.tasks[t])),
    ...families.map((f) => fmt(s.families[f])),
    fmt(s.benchmarkMean),
    fmt(s.entropy, 3),
    fmt(s.entropyNormalised, 3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]): string => cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  out.push(`MEAN = mean over the families present (${families.map((f) => FAMILIES[f].title).join(', ')}) of the mean over each family's tasks`);
  out.push(...formatCorrelation(correlation));
  return out.join('\n');
}

/** The stages a cell's time goes to, with `other` the rest of its total (set-up, loading, writing). */
const STAGES = [
  ['demos', 'demosSeconds'],
  ['features', 'featuresSeconds'],
  ['train', 'trainSeconds'],
  ['eval', 'evalSeconds'],
] as const;

/**
 * Where the time of some cells went, e.g. "demos 1.0 s, features 3.2 s, train 4.1 s, eval 3.9 s, other 0.1 s;
 * most: train (33%)", so a user sees the bottleneck.
 */
export function formatStageTimes(timings: readonly Timings[]): string {
  const sum = (pick: (t: Timings) => number): number => timings.reduce((a, t) => a + pick(t), 0);
  const total = sum((t) => t.totalSeconds);
  const parts: [string, number][] = STAGES.map(([name, field]) => [name, sum((t) => t[field])]);
  parts.push(['other', Math.max(0, total - parts.reduce((a, [, s]) => a + s, 0))]);
  const [largest, seconds] = parts.reduce((best, part) => (part[1] > best[1] ? part : best));
  const share = total > 0 ? ` (${Math.round((100 * seconds) / total)}%)` : '';
  return `${parts.map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(', ')}; most: ${largest}${share}`;
}
