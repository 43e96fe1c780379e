/**
 * Action sequences parameterised by a few knots: knot k holds an action vector at time k * span / (knots - 1)
 * and actions in between are interpolated linearly. Few parameters make sampling-based planners efficient.
 */
export class KnotSpline {
  /** [knots, dim] row-major knot values. */
  readonly values: Float64Array;

  constructor(
    readonly knots: number,
    readonly dim: number,
    /** Time (in steps) covered from the first to the last knot. */
    readonly span: number,
  ) {
    if (!Number.isInteger(knots) || knots < 2) throw new Error(`KnotSpline: knots must be an integer >= 2, got ${knots}`);
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`KnotSpline: dim must be a positive integer, got ${dim}`);
    if (!(span > 0)) throw new Error(`KnotSpline: span must be > 0 steps, got ${span}`);
    this.values = new Float64Array(knots * dim);
  }

  /** Writes the action at time `t` (steps; clamped to [0, span]) into `out` ([dim]). */
  evaluate(t: number, out: Float64Array): void {
    const { knots, dim, values } = this;
    const u = Math.min((Math.min(Math.max(t, 0), this.span) / this.span) * (knots - 1), knots - 1);
    const k = Math.min(Math.floor(u), knots - 2);
    const w = u - k;
    const a = k * dim;
    const b = a + dim;
    for (let i = 0; i < dim; i++) out[i] = (1 - w) * values[a + i]! + w * values[b + i]!;
  }

  /** Re-samples the spline so that its new time 0 is the old time `shift` (the tail holds the last knot). */
  shift(shift: number, scratch: Float64Array): void {
    const { knots, dim, values } = this;
    const step = this.span / (knots - 1);
    for (let k = 0; k < knots; k++) this.evaluate(k * step + shift, scratch.subarray(k * dim, (k + 1) * dim));
    values.set(scratch.subarray(0, knots * dim));
  }

  copyFrom(other: KnotSpline): void {
    this.values.set(other.values);
  }
}
