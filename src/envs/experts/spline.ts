export type SplineInterpolation = 'linear' | 'cubic';

/**
 * Action sequences parameterised by a few knots: knot k holds an action vector at time k * span / (knots - 1)
 * and actions in between are interpolated linearly or by a cubic Hermite curve (Catmull-Rom slopes, one-sided
 * at the ends). Few parameters make sampling-based planners efficient.
 */
export class KnotSpline {
  /** [knots, dim] row-major knot values. */
  readonly values: Float64Array;
  /** Steps by which time 0 lies past knot 0 (0 <= offset < knot spacing); moved by `advance`. */
  offset = 0;

  constructor(
    readonly knots: number,
    readonly dim: number,
    /** Time (in steps) covered from the first to the last knot. */
    readonly span: number,
    readonly interpolation: SplineInterpolation = 'linear',
  ) {
    if (!Number.isInteger(knots) || knots < 2) throw new Error(`KnotSpline: knots must be an integer >= 2, got ${knots}`);
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`KnotSpline: dim must be a positive integer, got ${dim}`);
    if (!(span > 0)) throw new Error(`KnotSpline: span must be > 0 steps, got ${span}`);
    if (interpolation !== 'linear' && interpolation !== 'cubic') {
      throw new Error(`KnotSpline: interpolation must be 'linear' or 'cubic', got '${String(interpolation)}'`);
    }
    this.values = new Float64Array(knots * dim);
  }

  /** Writes the action at time `t` (steps; clamped to [0, span]) into `out` ([dim]). */
  evaluate(t: number, out: Float64Array): void {
    const { knots, dim, values } = this;
    const u = Math.min(((Math.min(Math.max(t, 0), this.span) + this.offset) / this.span) * (knots - 1), knots - 1);
    const k = Math.min(Math.floor(u), knots - 2);
    const w = u - k;
    const a = k * dim;
    const b = a + dim;
    if (this.interpolation === 'linear') {
      for (let i = 0; i < dim; i++) out[i] = (1 - w) * values[a + i]! + w * values[b + i]!;
      return;
    }
    // Hermite basis on [k, k + 1] with slopes (in knot units) from the neighbouring knots.
    const w2 = w * w;
    const w3 = w2 * w;
    const h00 = 2 * w3 - 3 * w2 + 1;
    const h10 = w3 - 2 * w2 + w;
    const h01 = -2 * w3 + 3 * w2;
    const h11 = w3 - w2;
    const prev = k > 0 ? a - dim : a;
    const next = k + 2 < knots ? b + dim : b;
    const prevSpan = k > 0 ? 2 : 1;
    const nextSpan = k + 2 < knots ? 2 : 1;
    for (let i = 0; i < dim; i++) {
      const pa = values[a + i]!;
      const pb = values[b + i]!;
      const ma = (pb - values[prev + i]!) / prevSpan;
      const mb = (values[next + i]! - pa) / nextSpan;
      out[i] = h00 * pa + h10 * ma + h01 * pb + h11 * mb;
    }
  }

  /** Re-samples the spline so that its new time 0 is the old time `shift` (the tail holds the last knot). */
  shift(shift: number, scratch: Float64Array): void {
    const { knots, dim, values } = this;
    const step = this.span / (knots - 1);
    for (let k = 0; k < knots; k++) this.evaluate(k * step + shift, scratch.subarray(k * dim, (k + 1) * dim));
    values.set(scratch.subarray(0, knots * dim));
  }

  /**
   * Moves time 0 forward by `steps` without re-sampling: knots keep their absolute times, so the plan is not
   * blurred by repeated interpolation; a knot that falls behind is dropped and the last knot is repeated.
   * The end of the span may then hold the last knot's value for up to one knot spacing.
   */
  advance(steps: number): void {
    const { knots, dim, values } = this;
    const spacing = this.span / (knots - 1);
    this.offset += steps;
    while (this.offset >= spacing - 1e-9) {
      values.copyWithin(0, dim);
      this.offset -= spacing;
    }
    if (this.offset < 0) this.offset = 0;
  }

  copyFrom(other: KnotSpline): void {
    this.values.set(other.values);
    this.offset = other.offset;
  }
}
