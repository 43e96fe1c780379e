/**
 * The ONNX graph (opset 17, float32) of HF `DepthAnythingForDepthEstimation`: a DINOv2 backbone (vit_graph.ts) whose
 * stage outputs, each after the backbone's final LayerNorm, feed the DPT neck and the relative-depth head.
 *
 *   reassemble (per stage i): drop CLS -> [N, C, G, G] -> 1x1 projection -> resize by factor f
 *     (f > 1: ConvTranspose k=f s=f; f = 1: none; f < 1: Conv k3 s=1/f p1) -> neck.convs[i] (3x3, no bias)
 *   fusion, coarsest first: [+ residual1(stage map)] -> residual2 -> bilinear (align_corners) to the next stage's
 *     size (x2 for the last) -> 1x1 projection; a residual unit is ReLU -> conv3x3 -> ReLU -> conv3x3, plus the skip
 *   head on the last fused map: conv1 -> bilinear (align_corners) to (G*P, G*P) -> conv2 -> ReLU -> conv3 -> ReLU
 *
 * Canonical weights: the backbone's (vit_spec.ts), then, with i the stage and j the fusion layer:
 *   neck.reassemble.{i}.projection.{weight,bias}, neck.reassemble.{i}.resize.{weight,bias} (f != 1),
 *   neck.convs.{i}.weight, neck.fusion.{j}.projection.{weight,bias},
 *   neck.fusion.{j}.residual{1,2}.conv{1,2}.{weight,bias} (no residual1 for j = 0), head.conv{1,2,3}.{weight,bias}
 * Outputs: the backbone's (tokens, spatial, cls, pooled), and with the head
 *   predicted_depth [N, G*P, G*P]  relative depth (after the final ReLU)
 *   theia_target    [N, Ch, 64, 64] Theia's Depth-Anything distillation target: head.conv2's output BEFORE its ReLU,
 *                                  shrunk with torch's default 'nearest' (source index floor(d * in / 64))
 */
import type { VitSpec, WeightMap } from '../vit_spec.js';
import { GraphBuilder, int, ints } from '../../util/onnx_graph.js';
import { PIXEL_INPUT } from './pixel_input.js';
import { conv, resizeBilinearAlignCorners } from './layers.js';
import { VitTrunk } from './vit_graph.js';
import { WeightReader } from './weights.js';

export interface DepthAnythingSpec {
  family: 'depth_anything';
  /** The DINOv2 backbone at the input size. */
  backbone: VitSpec;
  /** Backbone layers (0-based) whose outputs feed the neck. */
  stageLayers: number[];
  /** Resize factor per stage (4, 2, 1, 0.5 in the released models). */
  reassembleFactors: number[];
  /** Channels per stage after the projection. */
  neckHiddenSizes: number[];
  fusionHiddenSize: number;
  /** Channels of head.conv2 (= of Theia's target). */
  headHiddenSize: number;
  /** Side of Theia's target grid. */
  theiaTargetGrid: number;
}

/** Spatial side after reassembling a G x G stage with factor f. */
function reassembledSide(grid: number, factor: number): number {
  if (factor > 1) return grid * factor;
  if (factor === 1) return grid;
  return Math.floor((grid + 2 - 3) / Math.round(1 / factor)) + 1;
}

/** Torch's legacy 'nearest' indices for in -> out: floor(d * in / out). */
function nearestIndices(inSize: number, outSize: number): number[] {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, d) => Math.min(Math.floor(d * scale), inSize - 1));
}

export function buildDepthAnythingGraph(spec: DepthAnythingSpec, weights: WeightMap, withHead: boolean): Uint8Array {
  const { backbone } = spec;
  const g = new GraphBuilder('depth_anything');
  const w = new WeightReader(weights, 'buildDepthAnythingGraph');
  const trunk = new VitTrunk(g, backbone, w);
  const pixels = g.input(PIXEL_INPUT, ['N', 3, backbone.imageSize, backbone.imageSize]);
  const { tokens, taps } = trunk.run(pixels, withHead ? spec.stageLayers : []);
  trunk.addOutputs(tokens);
  if (withHead) addDptHead(g, w, spec, taps);
  return g.toBytes();
}

/** The DPT neck and depth head on the backbone's stage tokens [N, 1 + G*G, C]; declares predicted_depth and theia_target. */
export function addDptHead(g: GraphBuilder, w: WeightReader, spec: DepthAnythingSpec, taps: string[]): void {
  const { backbone } = spec;
  const G = backbone.imageSize / backbone.patchSize;
  const C = backbone.hiddenSize;
  const get = (name: string) => w.get(name, [-1, -1, -1, -1]);
  const bias = (name: string) => w.get(name, [-1]);
  const convNamed = (x: string, name: string, options: { pad?: number; stride?: number } = {}, withBias = true): string =>
    conv(g, 'Conv', x, get(`${name}.weight`), withBias ? bias(`${name}.bias`) : null, name, options);

  // Reassemble: tokens [N, 1+T, C] -> [N, Ni, side, side].
  const stages = taps.map((stage, i) => {
    const patches = g.op('Slice', [stage, g.int64Tensor(`stage${i}_start`, [1]), g.int64Tensor(`stage${i}_end`, [1 + G * G]), g.int64Tensor(`stage${i}_axis`, [1])]);
    const nct = g.op('Transpose', [patches], { perm: ints([0, 2, 1]) });
    let x = g.op('Reshape', [nct, g.int64Tensor(`stage${i}_grid`, [0, C, G, G])], {}, `stage${i}_map`);
    x = convNamed(x, `neck.reassemble.${i}.projection`);
    const f = spec.reassembleFactors[i]!;
    const resize = `neck.reassemble.${i}.resize`;
    if (f > 1) x = conv(g, 'ConvTranspose', x, get(`${resize}.weight`), bias(`${resize}.bias`), resize, { stride: f });
    else if (f < 1) x = convNamed(x, resize, { stride: Math.round(1 / f), pad: 1 });
    return { map: convNamed(x, `neck.convs.${i}`, { pad: 1 }, false), side: reassembledSide(G, f) };
  });

  const residualUnit = (x: string, name: string): string => {
    let y = g.op('Relu', [x]);
    y = convNamed(y, `${name}.conv1`, { pad: 1 });
    y = g.op('Relu', [y]);
    y = convNamed(y, `${name}.conv2`, { pad: 1 });
    return g.op('Add', [y, x], {}, `${name.replace(/\./g, '_')}_out`);
  };
  const coarseFirst = [...stages].reverse();
  let fused = '';
  coarseFirst.forEach((stage, j) => {
    const name = `neck.fusion.${j}`;
    let x = j === 0 ? stage.map : g.op('Add', [fused, residualUnit(stage.map, `${name}.residual1`)]);
    x = residualUnit(x, `${name}.residual2`);
    const next = j + 1 < coarseFirst.length ? coarseFirst[j + 1]!.side : stage.side * 2;
    x = resizeBilinearAlignCorners(g, x, [stage.side, stage.side], [next, next], `${name}_resize`);
    fused = convNamed(x, `${name}.projection`);
  });

  const depthSide = G * backbone.patchSize;
  const fusedSide = coarseFirst[coarseFirst.length - 1]!.side * 2;
  let head = convNamed(fused, 'head.conv1', { pad: 1 });
  head = resizeBilinearAlignCorners(g, head, [fusedSide, fusedSide], [depthSide, depthSide], 'head_resize');
  const feature = convNamed(head, 'head.conv2', { pad: 1 }); // [N, Ch, depthSide, depthSide], before the ReLU
  const depth = g.op('Relu', [convNamed(g.op('Relu', [feature]), 'head.conv3')]);
  g.output('predicted_depth', g.op('Squeeze', [depth, g.int64Tensor('depth_axis', [1])]), ['N', depthSide, depthSide]);

  const T = spec.theiaTargetGrid;
  const indices = g.int64Tensor('theia_nearest', nearestIndices(depthSide, T));
  const rows = g.op('Gather', [feature, indices], { axis: int(2) }, 'theia_rows');
  g.output('theia_target', g.op('Gather', [rows, indices], { axis: int(3) }, 'theia_cols'), ['N', spec.headHiddenSize, T, T]);
}
