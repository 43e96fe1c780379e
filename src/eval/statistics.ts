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

/** The standard normal quantile (inverse CDF) by Acklam's rational approximation (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const tail = (q: number): number =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * The (1 - alpha) confidence interval of a correlation r over n pairs by Fisher's z transform: atanh(r) is about
 * normal with standard error 1 / sqrt(n - 3) for Pearson's r, and sqrt(1.06 / (n - 3)) for Spearman's rho
 * (Fieller, Hartley & Pearson 1957). With n <= 3 nothing is known: [-1, 1]. NaN r gives [NaN, NaN].
 */
export function correlationInterval(r: number, n: number, alpha: number, kind: 'pearson' | 'spearman'): [number, number] {
  checkAlpha(alpha);
  if (Number.isNaN(r)) return [Number.NaN, Number.NaN];
  if (n <= 3) return [-1, 1];
  const se = Math.sqrt((kind === 'pearson' ? 1 : 1.06) / (n - 3));
  // atanh(+-1) is infinite; clamp so that a perfect correlation gives an interval ending at +-1.
  const z = Math.atanh(Math.max(-1 + 1e-15, Math.min(1 - 1e-15, r)));
  const half = normalQuantile(1 - alpha / 2) * se;
  return [Math.tanh(z - half), Math.tanh(z + half)];
}

/** The alpha/2 and 1 - alpha/2 percentiles of `samples` (linear interpolation between order statistics). */
export function percentileInterval(samples: ArrayLike<number>, alpha: number): [number, number] {
  checkAlpha(alpha);
  if (samples.length === 0) throw new Error('percentileInterval: needs at least one sample');
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => {
    const pos = q * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  };
  return [at(alpha / 2), at(1 - alpha / 2)];
}

export function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be in (0, 1), got ${alpha}`);
}
