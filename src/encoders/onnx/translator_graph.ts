/**
 * Theia's 'lconv' feature-translator heads as ONNX nodes (theia.md): spatial tokens [N, g*g, C] on the g x g grid
 * -> `pad.1` ConvTranspose2d(k3, s1) to 16x16 -> `adapter` -> [N, H_t*W_t, C_t].
 *   16x16 target: LN -> Conv3x3 -> ReLU -> LN -> Conv3x3 -> ReLU -> LN -> Linear   (adapter.0, 1, 3, 4, 6, 8)
 *   64x64 target: LN -> ConvT(3, s2, p1) 16->31 -> ReLU -> LN -> ConvT(3, s2, op1) 31->64 -> ReLU -> LN -> Linear
 * Every LN normalises each sample over channels and space jointly ([C, H, W], affine [C, H, W], eps 1e-5).
 */
import type { TranslatorSpec } from '../vit_spec.js';
import { type GraphBuilder, int, ints } from '../../util/onnx_graph.js';
import { conv, type ConvOptions, linear } from './layers.js';
import type { WeightReader } from './weights.js';

/** torch.nn.LayerNorm's default eps, which the translator LNs use. */
const TRANSLATOR_LN_EPS = 1e-5;
const PAD_GRID = 16;

/** Adds one translator head reading `spatial` [N, grid*grid, channels]; returns its output value [N, H_t*W_t, C_t]. */
export function addTranslatorHead(
  g: GraphBuilder,
  w: WeightReader,
  spec: TranslatorSpec,
  spatial: string,
  grid: number,
  channels: number,
): string {
  const [targetChannels, targetH, targetW] = spec.targetShape;
  if (targetH !== targetW || (targetH !== 16 && targetH !== 64)) {
    throw new Error(`translator '${spec.teacherId}': target grid must be 16x16 or 64x64, got ${targetH}x${targetW}`);
  }
  if (grid + 2 !== PAD_GRID) {
    throw new Error(`translator '${spec.teacherId}': needs a 14x14 token grid (pad 14 -> 16), the backbone gives ${grid}x${grid}`);
  }
  const key = (rest: string): string => `translators.${spec.teacherId}.${rest}`;
  const hint = `tr_${spec.teacherId.replace(/[^A-Za-z0-9]/g, '_')}`;

  const padW = w.get(key('pad.1.weight'), [channels, -1, 3, 3]);
  const padChannels = padW.shape[1]!;
  const hidden = w.get(key('adapter.1.weight'), [-1, -1, 3, 3]);
  // Conv2d weights are [out, in, k, k]; ConvTranspose2d weights are [in, out, k, k].
  const hiddenChannels = targetH === 16 ? hidden.shape[0]! : hidden.shape[1]!;

  // LayerNorm over up to 64*64*C values per sample. ORT's LayerNormalization/ReduceMean sum such long rows in one
  // float32 accumulator (errors ~3e-4 on Theia's 64x64 head, torch gives ~3e-6), so the statistics are taken as a
  // mean over channels of means over rows of means over columns: each partial sum runs along one axis only, and the
  // groups are equal-sized, so the result is still the exact mean.
  const hierarchicalMean = (x: string, hintName: string): string => {
    let m = x;
    for (const axis of [3, 2, 1]) m = g.op('ReduceMean', [m], { axes: ints([axis]), keepdims: int(1) }, hintName);
    return m;
  };
  const layerNorm = (x: string, name: string, c: number, side: number): string => {
    const scale = w.get(key(`${name}.weight`), [c, side, side]);
    const bias = w.get(key(`${name}.bias`), [c, side, side]);
    const centred = g.op('Sub', [x, hierarchicalMean(x, `${hint}_mean`)], {}, `${hint}_centred`);
    const variance = hierarchicalMean(g.op('Mul', [centred, centred]), `${hint}_var`);
    const std = g.op('Sqrt', [g.op('Add', [variance, g.scalar(`${hint}_eps`, TRANSLATOR_LN_EPS)])]);
    const scaled = g.op('Mul', [g.op('Div', [centred, std]), g.floatTensor(`${hint}_${name}_w`, scale.data, scale.shape)]);
    return g.op('Add', [scaled, g.floatTensor(`${hint}_${name}_b`, bias.data, bias.shape)], {}, `${hint}_ln`);
  };
  const convNamed = (op: 'Conv' | 'ConvTranspose', x: string, name: string, shape: number[], options: ConvOptions): string => {
    const outChannels = op === 'Conv' ? shape[0]! : shape[1]!;
    return conv(g, op, x, w.get(key(`${name}.weight`), shape), w.get(key(`${name}.bias`), [outChannels]), `${hint}_${name}`, options);
  };

  // [N, T, C] -> [N, C, g, g] (tokens are the grid in row-major order).
  const nct = g.op('Transpose', [spatial], { perm: ints([0, 2, 1]) }, `${hint}_nct`);
  let x = g.op('Reshape', [nct, g.int64Tensor(`${hint}_grid_shape`, [0, channels, grid, grid])], {}, `${hint}_grid`);
  x = convNamed('ConvTranspose', x, 'pad.1', [channels, padChannels, 3, 3], {});
  x = layerNorm(x, 'adapter.0', padChannels, PAD_GRID);
  let side: number;
  if (targetH === 16) {
    x = g.op('Relu', [convNamed('Conv', x, 'adapter.1', [hiddenChannels, padChannels, 3, 3], { pad: 1 })]);
    x = layerNorm(x, 'adapter.3', hiddenChannels, 16);
    x = g.op('Relu', [convNamed('Conv', x, 'adapter.4', [hiddenChannels, hiddenChannels, 3, 3], { pad: 1 })]);
    side = 16;
  } else {
    x = convNamed('ConvTranspose', x, 'adapter.1', [padChannels, hiddenChannels, 3, 3], { stride: 2, pad: 1 });
    x = layerNorm(g.op('Relu', [x]), 'adapter.3', hiddenChannels, 31);
    x = convNamed('ConvTranspose', x, 'adapter.4', [hiddenChannels, hiddenChannels, 3, 3], { stride: 2, outputPadding: 1 });
    x = g.op('Relu', [x]);
    side = 64;
  }
  x = layerNorm(x, 'adapter.6', hiddenChannels, side);
  // [N, Ch, H, W] -> [N, H*W, Ch] -> Linear per token.
  const flat = g.op('Reshape', [x, g.int64Tensor(`${hint}_flat_shape`, [0, hiddenChannels, side * side])], {}, `${hint}_flat`);
  const tokens = g.op('Transpose', [flat], { perm: ints([0, 2, 1]) }, `${hint}_tokens`);
  return linear(g, tokens, w.get(key('adapter.8.weight'), [targetChannels, hiddenChannels]), w.get(key('adapter.8.bias'), [targetChannels]), `${hint}_linear`);
}
