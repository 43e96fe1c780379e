/** Small descriptive statistics used by the summaries and the entropy correlation. */

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Pearson's r; NaN when either series is constant (the correlation is undefined). */
export function pearson(x: readonly number[], y: readonly number[]): number {
  checkPaired('pearson', x, y);
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/** Ranks starting at 1; tied values share the average of the ranks they span. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]!.i] = rank;
    start = end + 1;
  }
  return ranks;
}

/** Spearman's rho = Pearson's r of the average ranks (handles ties). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  checkPaired('spearman', x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

function checkPaired(name: string, x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) throw new Error(`${name}: series must have equal length, got ${x.length} and ${y.length}`);
  if (x.length < 2) throw new Error(`${name}: needs at least 2 pairs, got ${x.length}`);
  for (const v of [...x, ...y]) if (!Number.isFinite(v)) throw new Error(`${name}: values must be finite, got ${v}`);
}
