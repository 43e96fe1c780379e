/**
 * Layers shared by the graph builders (ViT, SAM, DPT, ResNet), each a few ONNX nodes over a GraphBuilder, with torch
 * weight layouts: Linear [out, in], Conv2d [out, in, kh, kw], ConvTranspose2d [in, out, kh, kw].
 */
import type { Tensor } from '../vit_spec.js';
import { float, type GraphBuilder, int, ints } from '../../util/onnx_graph.js';
import { transpose2d } from './weights.js';

const safe = (hint: string): string => hint.replace(/[^A-Za-z0-9_]/g, '_');

/** x [.., in] -> x W^T + b [.., out] (the weight stored transposed, so the MatMul reads it directly). */
export function linear(g: GraphBuilder, x: string, weight: Tensor, bias: Tensor | null, hint: string): string {
  const [out, inp] = weight.shape as [number, number];
  const h = safe(hint);
  const y = g.op('MatMul', [x, g.floatTensor(`${h}_wT`, transpose2d(weight), [inp, out])], {}, `${h}_mm`);
  return bias ? g.op('Add', [y, g.floatTensor(`${h}_b`, bias.data, [out])], {}, h) : y;
}

/** LayerNorm over the last axis, with per-channel affine parameters. */
export function layerNorm(g: GraphBuilder, x: string, weight: Tensor, bias: Tensor, eps: number, hint: string): string {
  const h = safe(hint);
  const C = weight.data.length;
  return g.op(
    'LayerNormalization',
    [x, g.floatTensor(`${h}_w`, weight.data, [C]), g.floatTensor(`${h}_b`, bias.data, [C])],
    { axis: int(-1), epsilon: float(eps) },
    `${h}_out`,
  );
}

/** Exact GELU: 0.5 * x * (1 + erf(x / sqrt 2)), in the form ORT's Gelu fusion recognises. */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.scalar('sqrt2', Math.SQRT2)])]);
  const onePlus = g.op('Add', [erf, g.scalar('one', 1)]);
  return g.op('Mul', [g.op('Mul', [x, onePlus]), g.scalar('half', 0.5)], {}, 'gelu');
}

/** CLIP's quick_gelu: x * sigmoid(1.702 x). */
export function quickGelu(g: GraphBuilder, x: string): string {
  const s = g.op('Sigmoid', [g.op('Mul', [x, g.scalar('qg_alpha', 1.702)])]);
  return g.op('Mul', [x, s], {}, 'quick_gelu');
}

export interface ConvOptions {
  stride?: number;
  /** Symmetric zero padding. */
  pad?: number;
  /** ConvTranspose only. */
  outputPadding?: number;
}

/** NCHW convolution (Conv or ConvTranspose) with a square kernel taken from the weight. */
export function conv(
  g: GraphBuilder,
  op: 'Conv' | 'ConvTranspose',
  x: string,
  weight: Tensor,
  bias: Tensor | null,
  hint: string,
  { stride = 1, pad = 0, outputPadding = 0 }: ConvOptions = {},
): string {
  const h = safe(hint);
  const k = weight.shape[2]!;
  const inputs = [x, g.floatTensor(`${h}_w`, weight.data, weight.shape)];
  if (bias) inputs.push(g.floatTensor(`${h}_b`, bias.data, bias.shape));
  const attrs = { kernel_shape: ints([k, k]), strides: ints([stride, stride]), pads: ints([pad, pad, pad, pad]) };
  return g.op(op, inputs, outputPadding ? { ...attrs, output_padding: ints([outputPadding, outputPadding]) } : attrs, h);
}

/**
 * Torch's bilinear resize with align_corners=True of an NCHW map [N, C, inH, inW] -> [N, C, outH, outW], as two
 * separable passes that gather both source lines of each output line and blend them with weights computed in
 * float64. Not ONNX Resize: ORT computes each source coordinate in float32 (x * (in - 1) / (out - 1)), so its blend
 * weights are off by up to half an ulp of the coordinate (7.6e-6 at 148 -> 296), and through the DPT neck's four
 * resizes that alone put predicted_depth 4e-5 from upstream (a float64 neck with those weights: 4.1e-5; with exact
 * ones: 4.9e-6, upstream's own float32 noise). Cost: the DPT neck and head of a Depth-Anything-small shape take
 * ~1.1x as long as with ONNX Resize (the backbone not included).
 */
export function resizeBilinearAlignCorners(
  g: GraphBuilder,
  x: string,
  [inH, inW]: [number, number],
  [outH, outW]: [number, number],
  hint: string,
): string {
  const h = safe(hint);
  // Each pass resizes axis 2, where a Gather copies whole rows (on the last axis it copies single values, ~1.5x
  // slower in all); the columns go first, transposed onto axis 2. Both taps come from one Gather: [N, C, 2, out, W].
  const pass = (value: string, inSize: number, outSize: number, which: string): string => {
    const { indices, weights } = alignCornersTaps(inSize, outSize);
    const both = g.op('Gather', [value, g.int64Tensor(`${h}_${which}_index`, indices)], { axis: int(2) });
    const split = g.op('Reshape', [both, g.int64Tensor(`${h}_${which}_split`, [0, 0, 2, outSize, -1])]);
    const weighted = g.op('Mul', [split, g.floatTensor(`${h}_${which}_weight`, weights, [2, outSize, 1])]);
    return g.op('ReduceSum', [weighted, g.int64Tensor(`${h}_${which}_axis`, [2])], { keepdims: int(0) }, `${h}_${which}`);
  };
  const swap = (value: string): string => g.op('Transpose', [value], { perm: ints([0, 1, 3, 2]) });
  const columns = swap(pass(swap(x), inW, outW, 'cols')); // [N, C, inH, outW]
  return pass(columns, inH, outH, 'rows');
}

/**
 * Source lines and blend weights [2, out] of a 1-D align_corners resize in -> out (source coordinate
 * d * (in - 1) / (out - 1)): the lower lines and their weights first, then the upper ones.
 */
function alignCornersTaps(inSize: number, outSize: number): { indices: number[]; weights: Float32Array } {
  const indices = new Array<number>(2 * outSize);
  const weights = new Float32Array(2 * outSize);
  for (let d = 0; d < outSize; d++) {
    const source = outSize > 1 ? (d * (inSize - 1)) / (outSize - 1) : 0;
    const lower = Math.min(Math.floor(source), inSize - 1);
    const lambda = source - lower;
    indices[d] = lower;
    indices[outSize + d] = Math.min(lower + 1, inSize - 1);
    weights[d] = 1 - lambda;
    weights[outSize + d] = lambda;
  }
  return { indices, weights };
}
