/**
 * ONNX graphs of the BatchNorm-MLP trunk (batchnorm_mlp.ts) for ONNX Runtime: one training step and the
 * inference forward, for one trunk shape with a dynamic batch dimension B; and the pieces of both (the trunk's
 * training forward and backward, Adam, the running statistics, the inference forward) for graphs that hold the
 * trunk as a part (conv_head_graph.ts).
 *
 * The training step is the whole update of `MlpModel`'s tfjs path in one graph: training-mode forward, the
 * squared-error sum, the hand-written backward of batchnorm_mlp.ts (the data-input variant, without an input
 * gradient, or the one that also gives the input gradient), Adam (PyTorch's formula, adam.ts) and the
 * running-statistics update. Parameters, Adam moments and running statistics go in and their next values come
 * out, so the caller keeps them as host arrays (graph_training_state.ts). Adam sits in the graph because its
 * element-wise passes there run on every core; one fused float64 loop in JavaScript on the host took longer than
 * the graph's forward and backward together (5.4 ms against 5.1 at pixels' size).
 *
 * Reductions over the batch are products with a row of ones (or of 1/B), as in the tfjs trunk: MLAS never splits
 * a product's reduction over threads; reductions along a row are ReduceSum over the last axis, which ORT splits
 * over rows only. So the sums, and therefore every result, do not depend on the thread count (tested).
 *
 * Names: parameters `p0..pN` (the trunk's in `parameters()` order: gamma, beta, W1, b1, ...; a composed graph
 * numbers its own parameters first), moments `m0..mN`, `v0..vN`; outputs `next_p*`, `next_m*`, `next_v*`,
 * `next_running_mean`, `next_running_var` [Din], `squared_error_sum` [].
 */
import { GraphBuilder, int, ints } from '../util/onnx_graph.js';
import type { AdamOptions } from './adam.js';
import { BATCHNORM_EPS, BATCHNORM_MOMENTUM, type BatchNormMlpConfig, trunkLayerSizes } from './batchnorm_mlp.js';

/** Parameter shapes in `parameters()` order: gamma [Din], beta [Din], then [in, out] and [out] per layer. */
export function trunkParameterShapes(config: BatchNormMlpConfig): number[][] {
  const dims = trunkLayerSizes(config);
  const shapes: number[][] = [[config.inputDim], [config.inputDim]];
  for (let i = 0; i + 1 < dims.length; i++) shapes.push([dims[i]!, dims[i + 1]!], [dims[i + 1]!]);
  return shapes;
}

/**
 * The per-step inputs of a training step graph besides data, parameters and state: ones_row [1, B],
 * mean_row [1, B] (1/B each), grad_scale [] (2 / (B Dout): d mean-squared-error / d prediction), unbiased_scale []
 * (B / (B - 1)), adam_sqrt_scale [], adam_eps_scaled [] (adamStepScalars of this step).
 */
export interface StepInputs {
  onesRow: string;
  meanRow: string;
  gradScale: string;
  unbiasedScale: string;
  sqrtScale: string;
  epsScaled: string;
}

export function stepInputs(g: GraphBuilder): StepInputs {
  return {
    onesRow: g.input('ones_row', [1, 'B']),
    meanRow: g.input('mean_row', [1, 'B']),
    gradScale: g.input('grad_scale', []),
    unbiasedScale: g.input('unbiased_scale', []),
    sqrtScale: g.input('adam_sqrt_scale', []),
    epsScaled: g.input('adam_eps_scaled', []),
  };
}

/** [1, N] or [N, 1] -> [N]. */
export function toVector(g: GraphBuilder, value: string): string {
  return g.op('Reshape', [value, g.int64Tensor('vector_shape', [-1])]);
}

/** [rows, cols] -> [cols, rows]. */
export function transpose2d(g: GraphBuilder, value: string): string {
  return g.op('Transpose', [value], { perm: ints([1, 0]) });
}

/** 1 where `activation` > 0, else 0: ReLU's derivative read off its output (torch's gradient at 0 is 0). */
export function reluMask(g: GraphBuilder, activation: string): string {
  return g.op('Cast', [g.op('Greater', [activation, g.scalar('zero', 0)])], { to: int(1) });
}

/** What `trunkTrainPass` adds: gradients in `parameters()` order, dz [B, Din] when asked, batch statistics [1, Din]. */
export interface TrunkTrainPass {
  grads: string[];
  dz?: string;
  mean: string;
  variance: string;
}

/**
 * The trunk's training forward from z [B, Din] against targets y [B, Dout], the output `squared_error_sum`, and the
 * backward pass of batchnorm_mlp.ts (`BatchNormMlp.backward` with or without the input gradient). `params`: the
 * values of the trunk's parameters in `parameters()` order.
 */
export function trunkTrainPass(g: GraphBuilder, config: BatchNormMlpConfig, z: string, y: string, params: readonly string[], step: StepInputs, inputGradient: boolean): TrunkTrainPass {
  const layers = trunkLayerSizes(config).length - 1;
  const { onesRow, meanRow, gradScale } = step;
  const [gamma, beta] = [params[0]!, params[1]!];
  const weight = (i: number): string => params[2 + 2 * i]!;
  const bias = (i: number): string => params[3 + 2 * i]!;

  // Forward, training mode: batch mean and biased variance [1, Din].
  const mean = g.op('MatMul', [meanRow, z]);
  const centred = g.op('Sub', [z, mean]);
  const variance = g.op('MatMul', [meanRow, g.op('Mul', [centred, centred])]);
  const invStd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.scalar('eps', BATCHNORM_EPS)])])]);
  const xhat = g.op('Mul', [centred, invStd]);
  const y0 = g.op('Add', [g.op('Mul', [xhat, gamma]), beta]);
  const hiddens: string[] = [];
  let h = y0;
  for (let i = 0; i < layers - 1; i++) {
    h = g.op('Relu', [g.op('Add', [g.op('MatMul', [h, weight(i)]), bias(i)])]);
    hiddens.push(h);
  }
  const out = g.op('Add', [g.op('MatMul', [h, weight(layers - 1)]), bias(layers - 1)]);
  const diff = g.op('Sub', [out, y]);
  // [1, B] x [B, Dout] then a sum over the Dout (< 100) columns.
  g.output('squared_error_sum', g.op('ReduceSum', [g.op('MatMul', [onesRow, g.op('Mul', [diff, diff])]), g.int64Tensor('all_axes', [0, 1])], { keepdims: int(0) }), []);

  // Backward (batchnorm_mlp.ts: BatchNormMlp.backward).
  const column = (value: string): string => g.op('Reshape', [value, g.int64Tensor('column_shape', [-1, 1])]);
  const grads: string[] = new Array(params.length);
  let delta = g.op('Mul', [diff, gradScale]);
  for (let i = layers - 1; i >= 1; i--) {
    const input = hiddens[i - 1]!;
    grads[2 + 2 * i] = g.op('MatMul', [transpose2d(g, input), delta]);
    grads[3 + 2 * i] = toVector(g, g.op('MatMul', [onesRow, delta]));
    delta = g.op('Mul', [g.op('MatMul', [delta, transpose2d(g, weight(i))]), reluMask(g, input)]);
  }
  const db1 = g.op('MatMul', [onesRow, delta]); // [1, H1]
  grads[3] = toVector(g, db1);
  if (inputGradient) {
    grads[2] = g.op('MatMul', [transpose2d(g, y0), delta]);
    const dy0 = g.op('MatMul', [delta, transpose2d(g, weight(0))]); // [B, Din]
    const dGamma = g.op('MatMul', [onesRow, g.op('Mul', [dy0, xhat])]); // [1, Din]
    const dBeta = g.op('MatMul', [onesRow, dy0]);
    grads[0] = toVector(g, dGamma);
    grads[1] = toVector(g, dBeta);
    // dz = invStd (dxhat - mean_b dxhat - xhat mean_b(dxhat xhat)), dxhat = gamma dy0 (the tfjs trunk's formula,
    // its batch means taken here as products with the 1/B row).
    const dxhat = g.op('Mul', [dy0, gamma]);
    const meanDxhat = g.op('MatMul', [meanRow, dxhat]);
    const meanDxhatXhat = g.op('MatMul', [meanRow, g.op('Mul', [dxhat, xhat])]);
    const dz = g.op('Mul', [g.op('Sub', [g.op('Sub', [dxhat, meanDxhat]), g.op('Mul', [xhat, meanDxhatXhat])]), invStd]);
    return { grads, dz, mean, variance };
  }
  const gxd = g.op('MatMul', [transpose2d(g, xhat), delta]); // [Din, H1]
  grads[2] = g.op('Add', [g.op('Mul', [gxd, column(gamma)]), g.op('Mul', [column(beta), db1])]);
  // dgamma_j = sum_k W1[j, k] G[j, k], dbeta_j = sum_k W1[j, k] db1[k]: row sums, not [Din, H1] x [H1, 1] products
  // as in the tfjs trunk, because MLAS's single-column product computes its last row by another path whose
  // result depends on how the rows were split over threads (measured: dbeta's last element differed).
  const rowSums = (value: string): string => g.op('ReduceSum', [value, g.int64Tensor('last_axis', [1])], { keepdims: int(0) });
  grads[0] = rowSums(g.op('Mul', [weight(0), gxd]));
  grads[1] = rowSums(g.op('Mul', [weight(0), db1]));
  return { grads, mean, variance };
}

/**
 * Adam (adam.ts) on every parameter: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p = p - m / (sqrt(v) sqrtScale + epsScaled). Declares the moment inputs `m{i}`, `v{i}` and the outputs
 * `next_p{i}`, `next_m{i}`, `next_v{i}` for parameter values `params[i]` (inputs `p{i}`) of `shapes[i]`.
 */
export function adamUpdates(g: GraphBuilder, adam: AdamOptions, shapes: readonly number[][], params: readonly string[], grads: readonly string[], step: StepInputs): void {
  const beta1 = g.scalar('beta1', adam.beta1);
  const oneMinusBeta1 = g.scalar('one_minus_beta1', 1 - adam.beta1);
  const beta2 = g.scalar('beta2', adam.beta2);
  const oneMinusBeta2 = g.scalar('one_minus_beta2', 1 - adam.beta2);
  shapes.forEach((shape, i) => {
    const grad = grads[i]!;
    const m = g.op('Add', [g.op('Mul', [g.input(`m${i}`, shape), beta1]), g.op('Mul', [grad, oneMinusBeta1])], {}, `next_m${i}`);
    const v = g.op('Add', [g.op('Mul', [g.input(`v${i}`, shape), beta2]), g.op('Mul', [g.op('Mul', [grad, grad]), oneMinusBeta2])], {}, `next_v${i}`);
    const denominator = g.op('Add', [g.op('Mul', [g.op('Sqrt', [v]), step.sqrtScale]), step.epsScaled]);
    const p = g.op('Sub', [params[i]!, g.op('Div', [m, denominator])], {}, `next_p${i}`);
    for (const value of [p, m, v]) g.outputValue(value, shape);
  });
}

/** Running statistics (torch: unbiased variance, momentum 0.1): inputs running_mean, running_var [Din], their next values out. */
export function runningStatisticsUpdate(g: GraphBuilder, din: number, batch: Pick<TrunkTrainPass, 'mean' | 'variance'>, step: StepInputs): void {
  const runningMean = g.input('running_mean', [din]);
  const runningVar = g.input('running_var', [din]);
  const momentum = g.scalar('momentum', BATCHNORM_MOMENTUM);
  const keepRate = g.scalar('keep_rate', 1 - BATCHNORM_MOMENTUM);
  const unbiased = g.op('Mul', [toVector(g, batch.variance), step.unbiasedScale]);
  g.output('next_running_mean', g.op('Add', [g.op('Mul', [runningMean, keepRate]), g.op('Mul', [toVector(g, batch.mean), momentum])]), [din]);
  g.output('next_running_var', g.op('Add', [g.op('Mul', [runningVar, keepRate]), g.op('Mul', [unbiased, momentum])]), [din]);
}

/** The training step: inputs z [B, Din], y [B, Dout] (targets), `stepInputs`, parameters, moments, running statistics. */
export function trainStepGraph(config: BatchNormMlpConfig, adam: AdamOptions): Uint8Array {
  const shapes = trunkParameterShapes(config);
  const g = new GraphBuilder('batchnorm_mlp_train_step');
  const z = g.input('z', ['B', config.inputDim]);
  const y = g.input('y', ['B', config.outputDim]);
  const step = stepInputs(g);
  const params = shapes.map((shape, i) => g.input(`p${i}`, shape));
  const pass = trunkTrainPass(g, config, z, y, params, step, false);
  adamUpdates(g, adam, shapes, params, pass.grads, step);
  runningStatisticsUpdate(g, config.inputDim, pass, step);
  return g.toBytes();
}

/** Inference forward of z [N, Din] from parameter values and running_mean, running_var [Din] -> [N, Dout]. */
export function trunkPredictPass(g: GraphBuilder, config: BatchNormMlpConfig, z: string, params: readonly string[]): string {
  const layers = trunkLayerSizes(config).length - 1;
  const runningMean = g.input('running_mean', [config.inputDim]);
  const runningVar = g.input('running_var', [config.inputDim]);
  const invStd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [runningVar, g.scalar('eps', BATCHNORM_EPS)])])]);
  let h = g.op('Add', [g.op('Mul', [g.op('Mul', [g.op('Sub', [z, runningMean]), invStd]), params[0]!]), params[1]!]);
  for (let i = 0; i < layers; i++) {
    h = g.op('Add', [g.op('MatMul', [h, params[2 + 2 * i]!]), params[3 + 2 * i]!]);
    if (i + 1 < layers) h = g.op('Relu', [h]);
  }
  return h;
}

/** Inference forward: z [N, Din], parameters, running_mean, running_var [Din] -> out [N, Dout]. */
export function predictGraph(config: BatchNormMlpConfig): Uint8Array {
  const g = new GraphBuilder('batchnorm_mlp_predict');
  const z = g.input('z', ['N', config.inputDim]);
  const params = trunkParameterShapes(config).map((shape, i) => g.input(`p${i}`, shape));
  g.output('out', trunkPredictPass(g, config, z, params), ['N', config.outputDim]);
  return g.toBytes();
}
