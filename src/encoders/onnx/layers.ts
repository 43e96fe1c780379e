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

/** Bilinear resize of an NCHW map to height x width, with torch's align_corners semantics. */
export function resizeBilinear(g: GraphBuilder, x: string, height: number, width: number, alignCorners: boolean, hint: string): string {
  const h = safe(hint);
  const sizes = g.op('Concat', [g.op('Shape', [x], { start: int(0), end: int(2) }, `${h}_nc`), g.int64Tensor(`${h}_hw`, [height, width])], { axis: int(0) });
  return g.op('Resize', [x, '', '', sizes], {
    mode: { string: 'linear' },
    coordinate_transformation_mode: { string: alignCorners ? 'align_corners' : 'half_pixel' },
  }, h);
}
