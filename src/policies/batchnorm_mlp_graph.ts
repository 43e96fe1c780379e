/**
 * ONNX graphs of the BatchNorm-MLP trunk (batchnorm_mlp.ts) for ONNX Runtime: one training step and the
 * inference forward, for one trunk shape with a dynamic batch dimension B.
 *
 * The training step is the whole update of `MlpModel`'s tfjs path in one graph: training-mode forward, the
 * squared-error sum, the hand-written backward of batchnorm_mlp.ts (the data-input variant, without an input
 * gradient), Adam (PyTorch's formula, adam.ts) and the running-statistics update. Parameters, Adam moments and
 * running statistics go in and their next values come out, so the caller keeps them as host arrays. Adam sits
 * in the graph because its element-wise passes there run on every core; one fused float64 loop in JavaScript on
 * the host took longer than the graph's forward and backward together (5.4 ms against 5.1 at pixels' size).
 *
 * Reductions over the batch are products with a row of ones (or of 1/B), as in the tfjs trunk: MLAS never splits
 * a product's reduction over threads; reductions along a row are ReduceSum over the last axis, which ORT splits
 * over rows only. So the sums, and therefore every result, do not depend on the thread count (tested).
 *
 * Names: parameters `p0..pN` in `parameters()` order (gamma, beta, W1, b1, ...), moments `m0..mN`, `v0..vN`;
 * outputs `next_p*`, `next_m*`, `next_v*`, `next_running_mean`, `next_running_var` [Din], `squared_error_sum` [].
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
 * The training step. Inputs besides parameters, moments and running statistics:
 *   z [B, Din], y [B, Dout] (targets), ones_row [1, B], mean_row [1, B] (1/B each),
 *   grad_scale [] (2 / (B Dout): d mean-squared-error / d prediction), unbiased_scale [] (B / (B - 1)),
 *   adam_sqrt_scale [], adam_eps_scaled [] (adamStepScalars of this step).
 */
export function trainStepGraph(config: BatchNormMlpConfig, adam: AdamOptions): Uint8Array {
  const dims = trunkLayerSizes(config);
  const shapes = trunkParameterShapes(config);
  const din = config.inputDim;
  const layers = dims.length - 1;
  const g = new GraphBuilder('batchnorm_mlp_train_step');
  const z = g.input('z', ['B', din]);
  const y = g.input('y', ['B', config.outputDim]);
  const onesRow = g.input('ones_row', [1, 'B']);
  const meanRow = g.input('mean_row', [1, 'B']);
  const gradScale = g.input('grad_scale', []);
  const unbiasedScale = g.input('unbiased_scale', []);
  const sqrtScale = g.input('adam_sqrt_scale', []);
  const epsScaled = g.input('adam_eps_scaled', []);
  const params = shapes.map((shape, i) => g.input(`p${i}`, shape));
  const runningMean = g.input('running_mean', [din]);
  const runningVar = g.input('running_var', [din]);
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

  // Backward (batchnorm_mlp.ts: BatchNormMlp.backward without the input gradient).
  const transpose = (value: string): string => g.op('Transpose', [value], { perm: ints([1, 0]) });
  const vectorShape = g.int64Tensor('vector_shape', [-1]);
  const columnShape = g.int64Tensor('column_shape', [-1, 1]);
  const zero = g.scalar('zero', 0);
  const rowToVector = (value: string): string => g.op('Reshape', [value, vectorShape]);
  const column = (value: string): string => g.op('Reshape', [value, columnShape]);
  const grads: string[] = new Array(params.length);
  let delta = g.op('Mul', [diff, gradScale]);
  for (let i = layers - 1; i >= 1; i--) {
    const input = hiddens[i - 1]!;
    grads[2 + 2 * i] = g.op('MatMul', [transpose(input), delta]);
    grads[3 + 2 * i] = rowToVector(g.op('MatMul', [onesRow, delta]));
    const dInput = g.op('MatMul', [delta, transpose(weight(i))]);
    // ReLU': the post-activation is > 0 exactly where the pre-activation is (torch's gradient at 0 is 0).
    delta = g.op('Mul', [dInput, g.op('Cast', [g.op('Greater', [input, zero])], { to: int(1) })]);
  }
  const db1 = g.op('MatMul', [onesRow, delta]); // [1, H1]
  grads[3] = rowToVector(db1);
  const gxd = g.op('MatMul', [transpose(xhat), delta]); // [Din, H1]
  grads[2] = g.op('Add', [g.op('Mul', [gxd, column(gamma)]), g.op('Mul', [column(beta), db1])]);
  // dgamma_j = sum_k W1[j, k] G[j, k], dbeta_j = sum_k W1[j, k] db1[k]: row sums, not [Din, H1] x [H1, 1] products
  // as in the tfjs trunk, because MLAS's single-column product computes its last row by another path whose
  // result depends on how the rows were split over threads (measured: dbeta's last element differed).
  const rowSums = (value: string): string => g.op('ReduceSum', [value, g.int64Tensor('last_axis', [1])], { keepdims: int(0) });
  grads[0] = rowSums(g.op('Mul', [weight(0), gxd]));
  grads[1] = rowSums(g.op('Mul', [weight(0), db1]));

  // Adam (adam.ts): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p = p - m / (sqrt(v) sqrtScale + epsScaled).
  const beta1 = g.scalar('beta1', adam.beta1);
  const oneMinusBeta1 = g.scalar('one_minus_beta1', 1 - adam.beta1);
  const beta2 = g.scalar('beta2', adam.beta2);
  const oneMinusBeta2 = g.scalar('one_minus_beta2', 1 - adam.beta2);
  shapes.forEach((shape, i) => {
    const grad = grads[i]!;
    const m = g.op('Add', [g.op('Mul', [g.input(`m${i}`, shape), beta1]), g.op('Mul', [grad, oneMinusBeta1])], {}, `next_m${i}`);
    const v = g.op('Add', [g.op('Mul', [g.input(`v${i}`, shape), beta2]), g.op('Mul', [g.op('Mul', [grad, grad]), oneMinusBeta2])], {}, `next_v${i}`);
    const denominator = g.op('Add', [g.op('Mul', [g.op('Sqrt', [v]), sqrtScale]), epsScaled]);
    const p = g.op('Sub', [params[i]!, g.op('Div', [m, denominator])], {}, `next_p${i}`);
    for (const value of [p, m, v]) g.outputValue(value, shape);
  });

  // Running statistics (torch: unbiased variance, momentum 0.1).
  const momentum = g.scalar('momentum', BATCHNORM_MOMENTUM);
  const keepRate = g.scalar('keep_rate', 1 - BATCHNORM_MOMENTUM);
  const unbiased = g.op('Mul', [rowToVector(variance), unbiasedScale]);
  g.output('next_running_mean', g.op('Add', [g.op('Mul', [runningMean, keepRate]), g.op('Mul', [rowToVector(mean), momentum])]), [din]);
  g.output('next_running_var', g.op('Add', [g.op('Mul', [runningVar, keepRate]), g.op('Mul', [unbiased, momentum])]), [din]);
  return g.toBytes();
}

/** Inference forward: z [N, Din], parameters, running_mean, running_var [Din] -> out [N, Dout]. */
export function predictGraph(config: BatchNormMlpConfig): Uint8Array {
  const dims = trunkLayerSizes(config);
  const layers = dims.length - 1;
  const g = new GraphBuilder('batchnorm_mlp_predict');
  const z = g.input('z', ['N', config.inputDim]);
  const params = trunkParameterShapes(config).map((shape, i) => g.input(`p${i}`, shape));
  const runningMean = g.input('running_mean', [config.inputDim]);
  const runningVar = g.input('running_var', [config.inputDim]);
  const invStd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [runningVar, g.scalar('eps', BATCHNORM_EPS)])])]);
  let h = g.op('Add', [g.op('Mul', [g.op('Mul', [g.op('Sub', [z, runningMean]), invStd]), params[0]!]), params[1]!]);
  for (let i = 0; i < layers; i++) {
    h = g.op('Add', [g.op('MatMul', [h, params[2 + 2 * i]!]), params[3 + 2 * i]!]);
    if (i + 1 < layers) h = g.op('Relu', [h]);
  }
  g.output('out', h, ['N', config.outputDim]);
  return g.toBytes();
}
