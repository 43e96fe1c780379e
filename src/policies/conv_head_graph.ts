/**
 * ONNX graphs of the conv head (conv_head.ts) for ONNX Runtime: one whole training step and the inference forward,
 * for one head shape with a dynamic batch dimension B.
 *
 * The training step is `ConvHeadModel`'s tfjs step in one graph: the neck's forward (each convolution in
 * conv_graph.ts's layouts, joint LayerNorm, ReLU), flatten + proprio concat, the trunk's training forward and
 * backward with its input gradient (batchnorm_mlp_graph.ts), the neck's backward (LayerNorm and ReLU by the
 * formulas of layernorm.ts, each convolution's weight, bias and input gradient), Adam on every parameter and the
 * trunk's running statistics. One run replaces the per-stage host round trips between ONNX Runtime convolutions and
 * tfjs layers, and runs the LayerNorms, the trunk and Adam on every core too.
 *
 * Reductions over the batch are products with the ones row; the LayerNorms' reductions over a sample's features are
 * ReduceMean over the last axis, which ORT splits over rows only; a bias gradient sums a sample's pixels with a ones
 * row first. So no result depends on the thread count (tested), as in the trunk's graph.
 *
 * Names: data inputs `features` [B, 3, T, C], `proprio` [B, P] (when P > 0), `y` [B, A]; parameters `p*` in
 * `ConvHeadModel.parameters()` order (per stage conv weight [k, k, Cin, 256], bias [256], LN gamma and beta
 * [side * side * 256], NHWC order; then the trunk's); the rest as in batchnorm_mlp_graph.ts.
 */
import { GraphBuilder, int, ints } from '../util/onnx_graph.js';
import type { AdamOptions } from './adam.js';
import { adamUpdates, reluMask, runningStatisticsUpdate, stepInputs, type StepInputs, toVector, trunkPredictPass, trunkTrainPass } from './batchnorm_mlp_graph.js';
import { type ConvHeadLayout, convHeadParameterShapes } from './conv_head.js';
import { convChannelsFirst, convForward, convInputDims, convInputGradient, convWeightGradient, torchWeight } from './conv_graph.js';
import { LAYERNORM_EPS } from './layernorm.js';

/** Per-stage values of the neck's training forward, kept for its backward. */
interface StageForward {
  /** The stage's input as NCHW [B, Cin, H, W]. */
  input: string;
  /** The weight as [Cout, Cin, k, k]. */
  weightCoutFirst: string;
  /** [B, D] LayerNorm's normalised input and [B, 1] its 1 / sqrt(variance + eps). */
  xhat: string;
  invStd: string;
  /** [B, D] post-ReLU output. */
  activation: string;
}

/** The neck's three stages of parameters (weight, bias, gamma, beta) within `params`. */
function stageParams(params: readonly string[], k: number): { weight: string; bias: string; gamma: string; beta: string } {
  const [weight, bias, gamma, beta] = params.slice(4 * k, 4 * k + 4) as [string, string, string, string];
  return { weight, bias, gamma, beta };
}

/** The neck's forward from the token grids to its flattened output [B, flatDim]. */
function neckForward(g: GraphBuilder, layout: ConvHeadLayout, features: string, params: readonly string[]): { flat: string; stages: StageForward[] } {
  const stages: StageForward[] = [];
  let input = features;
  let flat = features;
  layout.stages.forEach(({ conv, input: inputLayout, side }, k) => {
    const { weight, bias, gamma, beta } = stageParams(params, k);
    const weightCoutFirst = torchWeight(g, weight);
    const inputChannelsFirst = convChannelsFirst(g, inputLayout, input);
    const y = g.op('Reshape', [convForward(g, conv, inputChannelsFirst, weightCoutFirst, bias), g.int64Tensor('flat_shape', [-1, side * side * conv.outChannels])]);
    // Joint LayerNorm over the sample's D features (layernorm.ts).
    const mean = g.op('ReduceMean', [y], { axes: ints([1]), keepdims: int(1) });
    const centred = g.op('Sub', [y, mean]);
    const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred])], { axes: ints([1]), keepdims: int(1) });
    const invStd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.scalar('ln_eps', LAYERNORM_EPS)])])]);
    const xhat = g.op('Mul', [centred, invStd]);
    const activation = g.op('Relu', [g.op('Add', [g.op('Mul', [xhat, gamma]), beta])]);
    stages.push({ input: inputChannelsFirst, weightCoutFirst, xhat, invStd, activation });
    flat = activation;
    if (k + 1 < layout.stages.length) input = g.op('Reshape', [activation, g.int64Tensor('map_shape', [-1, side, side, conv.outChannels])]);
  });
  return { flat, stages };
}

/** [B, flatDim] neck output ++ proprio [B, P] -> the trunk's input. */
function trunkInput(g: GraphBuilder, flat: string, proprio: string | null): string {
  return proprio === null ? flat : g.op('Concat', [flat, proprio], { axis: int(1) });
}

/** The neck's backward from dFlat [B, flatDim]: gradients of every neck parameter in `params` order. */
function neckBackward(g: GraphBuilder, layout: ConvHeadLayout, params: readonly string[], stages: readonly StageForward[], dFlatLast: string, step: StepInputs): string[] {
  const grads: string[] = new Array(4 * layout.stages.length);
  let dFlat = dFlatLast;
  for (let k = layout.stages.length - 1; k >= 0; k--) {
    const { conv, input: inputLayout, side } = layout.stages[k]!;
    const { gamma } = stageParams(params, k);
    const forward = stages[k]!;
    // ReLU, then LayerNorm (layernorm.ts: JointLayerNorm.backward).
    const dNorm = g.op('Mul', [dFlat, reluMask(g, forward.activation)]);
    grads[4 * k + 2] = toVector(g, g.op('MatMul', [step.onesRow, g.op('Mul', [dNorm, forward.xhat])]));
    grads[4 * k + 3] = toVector(g, g.op('MatMul', [step.onesRow, dNorm]));
    const dxhat = g.op('Mul', [dNorm, gamma]);
    const meanDxhat = g.op('ReduceMean', [dxhat], { axes: ints([1]), keepdims: int(1) });
    const meanDxhatXhat = g.op('ReduceMean', [g.op('Mul', [dxhat, forward.xhat])], { axes: ints([1]), keepdims: int(1) });
    const dConv = g.op('Mul', [g.op('Sub', [g.op('Sub', [dxhat, meanDxhat]), g.op('Mul', [forward.xhat, meanDxhatXhat])]), forward.invStd]);
    const pixels = side * side;
    const dy = g.op('Reshape', [dConv, g.int64Tensor('dy_shape', [-1, side, side, conv.outChannels])]);
    grads[4 * k] = convWeightGradient(g, inputLayout, conv, forward.input, dy);
    // dBias: each sample's pixels summed ([1, HW] x [HW, Cout] per sample), then the batch (the ones row).
    const perSample = g.op('MatMul', [g.floatTensor('pixel_ones', new Float32Array(pixels).fill(1), [1, pixels]), g.op('Reshape', [dConv, g.int64Tensor('pixels_shape', [-1, pixels, conv.outChannels])])]);
    grads[4 * k + 1] = toVector(g, g.op('MatMul', [step.onesRow, g.op('Reshape', [perSample, g.int64Tensor('sample_rows', [-1, conv.outChannels])])]));
    if (k > 0) {
      const previous = layout.stages[k - 1]!;
      const dx = convInputGradient(g, previous.side, conv, dy, forward.weightCoutFirst);
      dFlat = g.op('Reshape', [dx, g.int64Tensor('flat_shape', [-1, previous.side * previous.side * previous.conv.outChannels])]);
    }
  }
  return grads;
}

function dataInputs(g: GraphBuilder, layout: ConvHeadLayout, batch: string): { features: string; proprio: string | null } {
  const first = layout.stages[0]!;
  const proprioDim = layout.trunk.inputDim - layout.flatDim;
  return { features: g.input('features', convInputDims(first.input, first.conv, batch)), proprio: proprioDim > 0 ? g.input('proprio', [batch, proprioDim]) : null };
}

/** The training step: `features`, `proprio`, `y` [B, A] (targets), the step inputs, parameters, moments, running statistics. */
export function convHeadTrainStepGraph(layout: ConvHeadLayout, adam: AdamOptions): Uint8Array {
  const shapes = convHeadParameterShapes(layout);
  const neckParams = 4 * layout.stages.length;
  const g = new GraphBuilder('conv_head_train_step');
  const { features, proprio } = dataInputs(g, layout, 'B');
  const y = g.input('y', ['B', layout.trunk.outputDim]);
  const step = stepInputs(g);
  const params = shapes.map((shape, i) => g.input(`p${i}`, shape));
  const neck = neckForward(g, layout, features, params);
  const trunk = trunkTrainPass(g, layout.trunk, trunkInput(g, neck.flat, proprio), y, params.slice(neckParams), step, true);
  const dFlat = proprio === null ? trunk.dz! : g.op('Slice', [trunk.dz!, g.int64Tensor('flat_start', [0]), g.int64Tensor('flat_end', [layout.flatDim]), g.int64Tensor('column_axis', [1])]);
  const grads = [...neckBackward(g, layout, params, neck.stages, dFlat, step), ...trunk.grads];
  adamUpdates(g, adam, shapes, params, grads, step);
  runningStatisticsUpdate(g, layout.trunk.inputDim, trunk, step);
  return g.toBytes();
}

/** Inference forward (BatchNorm from running statistics): `features`, `proprio` of N samples, parameters -> out [N, A]. */
export function convHeadPredictGraph(layout: ConvHeadLayout): Uint8Array {
  const shapes = convHeadParameterShapes(layout);
  const neckParams = 4 * layout.stages.length;
  const g = new GraphBuilder('conv_head_predict');
  const { features, proprio } = dataInputs(g, layout, 'N');
  const params = shapes.map((shape, i) => g.input(`p${i}`, shape));
  const neck = neckForward(g, layout, features, params);
  g.output('out', trunkPredictPass(g, layout.trunk, trunkInput(g, neck.flat, proprio), params.slice(neckParams)), ['N', layout.trunk.outputDim]);
  return g.toBytes();
}
