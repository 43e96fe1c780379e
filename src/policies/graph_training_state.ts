/**
 * Host-side state of a policy that trains by one ONNX Runtime graph run per step (batchnorm_mlp_graph.ts names:
 * `p*`, `m*`, `v*`, the step inputs, running statistics in, their `next_*` values out): parameters, Adam moments,
 * the step count and the trunk's BatchNorm running statistics, as host Float32Arrays.
 *
 * A step's feeds are built from the state and its outputs replace it only once the run succeeded, so a failed run
 * leaves the policy as it was.
 */
import * as ort from 'onnxruntime-node';
import { type AdamOptions, adamStepScalars } from './adam.js';

export class GraphTrainingState {
  readonly shapes: readonly number[][];
  private params: Float32Array[];
  private moments: { m: Float32Array[]; v: Float32Array[] };
  private steps = 0;
  private runningMean: Float32Array;
  private runningVar: Float32Array;
  /** [1, B] rows of ones and of 1/B, per batch size. */
  private readonly batchRows = new Map<number, { ones: ort.Tensor; mean: ort.Tensor }>();

  /** `params` in the graph's `p*` order with `shapes`; running statistics [runningDim] start at 0 and 1 (torch). */
  constructor(
    shapes: readonly number[][],
    params: Float32Array[],
    private readonly adam: AdamOptions,
    runningDim: number,
  ) {
    this.shapes = shapes.map((shape) => [...shape]);
    this.params = params;
    this.moments = { m: params.map((p) => new Float32Array(p.length)), v: params.map((p) => new Float32Array(p.length)) };
    this.runningMean = new Float32Array(runningDim);
    this.runningVar = new Float32Array(runningDim).fill(1);
  }

  /** The feeds of the next training step on a batch of `batch` rows with `outputDim` targets each, data aside. */
  stepFeeds(batch: number, outputDim: number): Record<string, ort.Tensor> {
    const scalars = adamStepScalars(this.adam, this.steps + 1);
    const rows = this.rows(batch);
    const scalar = (value: number): ort.Tensor => new ort.Tensor('float32', Float32Array.of(value), []);
    const feeds: Record<string, ort.Tensor> = {
      ...this.predictFeeds(),
      ones_row: rows.ones,
      mean_row: rows.mean,
      grad_scale: scalar(2 / (batch * outputDim)),
      unbiased_scale: scalar(batch / (batch - 1)),
      adam_sqrt_scale: scalar(scalars.sqrtScale),
      adam_eps_scaled: scalar(scalars.epsScaled),
    };
    this.shapes.forEach((shape, i) => {
      feeds[`m${i}`] = new ort.Tensor('float32', this.moments.m[i]!, shape);
      feeds[`v${i}`] = new ort.Tensor('float32', this.moments.v[i]!, shape);
    });
    return feeds;
  }

  /** Parameters and running statistics, the state an inference graph reads. */
  predictFeeds(): Record<string, ort.Tensor> {
    const dim = [this.runningMean.length];
    const feeds: Record<string, ort.Tensor> = {
      running_mean: new ort.Tensor('float32', this.runningMean, dim),
      running_var: new ort.Tensor('float32', this.runningVar, dim),
    };
    this.shapes.forEach((shape, i) => (feeds[`p${i}`] = new ort.Tensor('float32', this.params[i]!, shape)));
    return feeds;
  }

  /** Takes a step's outputs as the new state; returns its `squared_error_sum`. */
  accept(out: ort.InferenceSession.ReturnType): number {
    const data = (name: string): Float32Array => out[name]!.data as Float32Array;
    this.params = this.shapes.map((_, i) => data(`next_p${i}`));
    this.moments = { m: this.shapes.map((_, i) => data(`next_m${i}`)), v: this.shapes.map((_, i) => data(`next_v${i}`)) };
    this.runningMean = data('next_running_mean');
    this.runningVar = data('next_running_var');
    this.steps += 1;
    return data('squared_error_sum')[0]!;
  }

  /** The trainable parameters in the graph's order (the state's own arrays: do not modify). */
  parameters(): { shape: number[]; values: Float32Array }[] {
    return this.shapes.map((shape, i) => ({ shape: [...shape], values: this.params[i]! }));
  }

  /** Running statistics (the state's own arrays: do not modify). */
  runningStatistics(): { mean: Float32Array; variance: Float32Array } {
    return { mean: this.runningMean, variance: this.runningVar };
  }

  /** Adam's first and second moments in `parameters()` order (the state's own arrays: do not modify). */
  adamMoments(): { m: Float32Array[]; v: Float32Array[] } {
    return this.moments;
  }

  private rows(batch: number): { ones: ort.Tensor; mean: ort.Tensor } {
    let rows = this.batchRows.get(batch);
    if (!rows) {
      rows = {
        ones: new ort.Tensor('float32', new Float32Array(batch).fill(1), [1, batch]),
        mean: new ort.Tensor('float32', new Float32Array(batch).fill(1 / batch), [1, batch]),
      };
      this.batchRows.set(batch, rows);
    }
    return rows;
  }
}
