/**
 * The ONNX graph (opset 17, float32) of a torchvision ResNet (BasicBlock: ResNet-18/34, Bottleneck v1.5 with the
 * stride on the 3x3 conv: ResNet-50/101/152) up to the global average pool, BatchNorm in eval mode.
 *   conv1 7x7 s2 p3 -> bn1 -> ReLU -> maxpool 3x3 s2 p1 -> layer1..4 -> global average pool
 * ONNX Runtime folds each BatchNormalization into the convolution before it.
 *
 * Canonical weights = torchvision's state-dict names without any prefix (conv1.weight, bn1.{weight, bias,
 * running_mean, running_var}, layerS.B.conv{1,2[,3]}.weight, layerS.B.bn{1,2[,3]}.*, layerS.B.downsample.{0,1}.*).
 * Outputs: `pooled` [N, C] (the flattened average pool, R3M's features), `spatial` [N, h*w, C] (the last stage's
 * map as row-major tokens), `feature_map` [N, C, h, w].
 */
import type { Tensor, WeightMap } from '../vit_spec.js';
import { GraphBuilder, float, int, ints } from '../../util/onnx_graph.js';
import { PIXEL_INPUT } from './pixel_input.js';
import { conv } from './layers.js';
import { WeightReader } from './weights.js';

export interface ResNetStage {
  blocks: number;
  /** torchvision's `planes`: the 3x3 convs' width; a stage outputs planes * expansion channels. */
  planes: number;
  /** Stride of the stage's first block. */
  stride: number;
}

export interface ResNetSpec {
  family: 'r3m';
  /** Side of the square input. */
  imageSize: number;
  block: 'basic' | 'bottleneck';
  /** Channels of the stem conv. */
  stemChannels: number;
  stages: ResNetStage[];
  batchNormEps: number;
}

export function expansion(block: ResNetSpec['block']): number {
  return block === 'basic' ? 1 : 4;
}

/** Side of the last stage's map for `spec`'s input. */
export function resnetOutputSide(spec: ResNetSpec): number {
  const down = (n: number, k: number, s: number, p: number): number => Math.floor((n + 2 * p - k) / s) + 1;
  let side = down(down(spec.imageSize, 7, 2, 3), 3, 2, 1);
  for (const stage of spec.stages) side = down(side, 3, stage.stride, 1);
  return side;
}

/** Whether block b of a stage needs a projection on its skip path (torchvision's rule). */
export function hasDownsample(spec: ResNetSpec, stageIndex: number, block: number): boolean {
  if (block > 0) return false;
  const stage = spec.stages[stageIndex]!;
  const inChannels = stageIndex === 0 ? spec.stemChannels : spec.stages[stageIndex - 1]!.planes * expansion(spec.block);
  return stage.stride !== 1 || inChannels !== stage.planes * expansion(spec.block);
}

export function buildResNetGraph(spec: ResNetSpec, weights: WeightMap): Uint8Array {
  const g = new GraphBuilder(`resnet_${spec.block}`);
  const w = new WeightReader(weights, 'buildResNetGraph');
  const any4 = (name: string): Tensor => w.get(name, [-1, -1, -1, -1]);
  const batchNorm = (x: string, name: string): string => {
    const p = (k: string): string => g.floatTensor(`${name}_${k}`.replace(/\./g, '_'), w.get(`${name}.${k}`, [-1]).data, [w.get(`${name}.${k}`, [-1]).data.length]);
    return g.op('BatchNormalization', [x, p('weight'), p('bias'), p('running_mean'), p('running_var')], { epsilon: float(spec.batchNormEps) }, name.replace(/\./g, '_'));
  };
  const convBn = (x: string, convName: string, bnName: string, stride: number, pad: number): string =>
    batchNorm(conv(g, 'Conv', x, any4(`${convName}.weight`), null, convName, { stride, pad }), bnName);

  const pixels = g.input(PIXEL_INPUT, ['N', 3, spec.imageSize, spec.imageSize]);
  let x = g.op('Relu', [convBn(pixels, 'conv1', 'bn1', 2, 3)]);
  x = g.op('MaxPool', [x], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }, 'maxpool');
  spec.stages.forEach((stage, s) => {
    for (let b = 0; b < stage.blocks; b++) {
      const p = `layer${s + 1}.${b}`;
      const stride = b === 0 ? stage.stride : 1;
      let y: string;
      if (spec.block === 'basic') {
        y = g.op('Relu', [convBn(x, `${p}.conv1`, `${p}.bn1`, stride, 1)]);
        y = convBn(y, `${p}.conv2`, `${p}.bn2`, 1, 1);
      } else {
        y = g.op('Relu', [convBn(x, `${p}.conv1`, `${p}.bn1`, 1, 0)]);
        y = g.op('Relu', [convBn(y, `${p}.conv2`, `${p}.bn2`, stride, 1)]);
        y = convBn(y, `${p}.conv3`, `${p}.bn3`, 1, 0);
      }
      const skip = hasDownsample(spec, s, b) ? convBn(x, `${p}.downsample.0`, `${p}.downsample.1`, stride, 0) : x;
      x = g.op('Relu', [g.op('Add', [y, skip])], {}, `${p.replace('.', '_')}_out`);
    }
  });
  const C = spec.stages[spec.stages.length - 1]!.planes * expansion(spec.block);
  const side = resnetOutputSide(spec);
  g.output('feature_map', x, ['N', C, side, side]);
  const flat = g.op('Reshape', [x, g.int64Tensor('map_flat', [0, C, side * side])]);
  g.output('spatial', g.op('Transpose', [flat], { perm: ints([0, 2, 1]) }, 'spatial_tokens'), ['N', side * side, C]);
  g.output('pooled', g.op('ReduceMean', [flat], { axes: ints([2]), keepdims: int(0) }, 'avgpool'), ['N', C]);
  return g.toBytes();
}
