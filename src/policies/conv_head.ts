/**
 * The 'conv' policy head for spatial tokens (Theia's CortexBench head):
 *   fused token grids [3, T, C] -> grid [g, g, 3C] (channel = k*C + c for history slot k, as torch.cat on dim 1)
 *   -> Conv2d(3C, 256, 4, stride 2, pad 1) -> LN -> ReLU      (14 -> 7; 16 -> 8)
 *   -> Conv2d(256, 256, 3, stride 2)       -> LN -> ReLU      (7 or 8 -> 3)
 *   -> Conv2d(256, 256, 3)                 -> LN -> ReLU      (3 -> 1)
 *   -> flatten -> concat proprio -> BatchNorm -> MLP(256, 256, 256) -> action
 * The neck is default-initialised; the trunk starts as `options.init` says (ConvBatchNormMLP builds mjrl's
 * BatchNormMLP, with its gamma = 0.01 quirk, and adds the neck afterwards).
 * Each LN normalises a sample jointly over channels and space with affine parameters of that full shape.
 * Layout is NHWC, so a flattened map of side > 1 orders its values (row, column, channel), not torch's
 * (channel, row, column); for the standard grids (14 and 16) the last map is 1x1 and the two agree.
 *
 * Trained with MSE and Adam through hand-written backward passes (see conv2d.ts, layernorm.ts,
 * batchnorm_mlp.ts): tfjs-backend-wasm cannot run tf's conv2d gradient. `ConvHeadModel` is the `PolicyEngine`
 * 'tfjs', every layer on the tfjs backend; the engine 'onnxruntime' (the default) trains and predicts the same head
 * as one ONNX Runtime graph per step (conv_head_ort.ts), from the same starting parameters (`convHeadLayout`,
 * `initialConvHeadParameters`).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import { Adam } from './adam.js';
import { BatchNormMlp, type BatchNormMlpConfig, initialTrunkParameters } from './batchnorm_mlp.js';
import { trunkParameterShapes } from './batchnorm_mlp_graph.js';
import type { Conv2dCache, Conv2dConfig } from './conv2d.js';
import { Conv2d, convOutputSize, initialConvParameters } from './conv2d.js';
import type { ConvInput } from './conv_graph.js';
import type { PolicyInit } from './init.js';
import type { LayerNormCache } from './layernorm.js';
import { JointLayerNorm } from './layernorm.js';
import { MLP_HIDDEN } from './mlp_policy.js';
import { meanSquaredError } from './mse.js';
import type { BcDataset, PolicySpec } from './policy.js';
import { tokenTapColumns } from './token_columns.js';
import type { BcModel, TrainingOptions } from './training.js';
import { featureRows, gatherRows, tensorCopies } from './training.js';

export const CONV_NECK_CHANNELS = 256;

/** (kernel, stride, padding) of the three neck convolutions. */
const NECK_LAYERS = [
  { kernel: 4, stride: 2, padding: 1 },
  { kernel: 3, stride: 2, padding: 0 },
  { kernel: 3, stride: 1, padding: 0 },
] as const;

/** Spatial side after each neck convolution for a g x g token grid (0 where a kernel no longer fits). */
export function convNeckSides(grid: number): number[] {
  const sides: number[] = [];
  let side = grid;
  for (const { kernel, stride, padding } of NECK_LAYERS) {
    side = convOutputSize(side, kernel, stride, padding);
    sides.push(side);
  }
  return sides;
}

/** Smallest token grid the neck accepts (the last convolution needs a 3x3 map). */
export const MIN_CONV_GRID = 14;

export function checkConvGrid(grid: number): number[] {
  if (!Number.isInteger(grid) || grid <= 0) throw new Error(`conv head: tokens.grid must be a positive integer, got ${grid}`);
  const sides = convNeckSides(grid);
  if (sides.some((s) => s < 1)) {
    throw new Error(
      `conv head: a ${grid}x${grid} token grid is too small for the neck (sides ${grid} -> ${sides.join(' -> ')}); ` +
        `grids of at least ${MIN_CONV_GRID} work (14 for patch 16 at 224, 16 for patch 14 at 224)`,
    );
  }
  return sides;
}

/** One neck stage: its convolution, what it reads, and its output side. */
export interface NeckStageLayout {
  conv: Conv2dConfig;
  input: ConvInput;
  side: number;
}

/** The head's shape for a spec: token grid, neck stages, flattened neck output [flatDim] and the trunk. */
export interface ConvHeadLayout {
  grid: number;
  channels: number;
  stages: NeckStageLayout[];
  flatDim: number;
  trunk: BatchNormMlpConfig;
}

/** The head's layout for `spec`; errors naming the field of `spec.tokens` or `spec.featureDim` that does not fit. */
export function convHeadLayout(spec: PolicySpec, init: PolicyInit): ConvHeadLayout {
  if (!spec.tokens) throw new Error('conv head: spec.tokens ({ grid, channels }) is required');
  const { grid, channels } = spec.tokens;
  const sides = checkConvGrid(grid);
  if (!Number.isInteger(channels) || channels <= 0) {
    throw new Error(`conv head: tokens.channels must be a positive integer, got ${channels}`);
  }
  if (spec.featureDim !== 3 * grid * grid * channels) {
    throw new Error(
      `conv head: featureDim must be 3 * grid^2 * channels = ${3 * grid * grid * channels} for a ${grid}x${grid} grid of ` +
        `${channels} channels, got ${spec.featureDim}`,
    );
  }
  const stages = NECK_LAYERS.map((layer, index): NeckStageLayout => ({
    conv: { inChannels: index === 0 ? 3 * channels : CONV_NECK_CHANNELS, outChannels: CONV_NECK_CHANNELS, ...layer },
    input: index === 0 ? { layout: 'tokens', grid, channels } : { layout: 'nhwc', side: sides[index - 1]! },
    side: sides[index]!,
  }));
  const lastSide = sides[sides.length - 1]!;
  const flatDim = lastSide * lastSide * CONV_NECK_CHANNELS;
  return { grid, channels, stages, flatDim, trunk: { inputDim: flatDim + spec.proprioDim, hidden: MLP_HIDDEN, outputDim: spec.actionDim, init } };
}

/** Parameter shapes in `ConvHeadModel.parameters()` order: per stage conv weight, bias, LN gamma, beta; the trunk's. */
export function convHeadParameterShapes(layout: ConvHeadLayout): number[][] {
  return [
    ...layout.stages.flatMap(({ conv, side }) => {
      const normSize = side * side * conv.outChannels;
      return [[conv.kernel, conv.kernel, conv.inChannels, conv.outChannels], [conv.outChannels], [normSize], [normSize]];
    }),
    ...trunkParameterShapes(layout.trunk),
  ];
}

/** The starting parameters `ConvHeadModel` draws from `rng`, in its `parameters()` order (LayerNorms start at 1 and 0). */
export function initialConvHeadParameters(layout: ConvHeadLayout, rng: Rng): Float32Array[] {
  const neck = layout.stages.flatMap(({ conv, side }) => {
    const { weight, bias } = initialConvParameters(conv, rng);
    const normSize = side * side * conv.outChannels;
    return [weight, bias, new Float32Array(normSize).fill(1), new Float32Array(normSize)];
  });
  return [...neck, ...initialTrunkParameters(layout.trunk, rng).map((p) => p.values)];
}

interface NeckStage {
  conv: Conv2d;
  norm: JointLayerNorm;
  side: number;
}

interface NeckCache {
  conv: Conv2dCache;
  norm: LayerNormCache;
  /** [B, side * side * 256] post-ReLU output */
  activation: tf.Tensor2D;
}

/** The engine 'tfjs': every layer and Adam on the tfjs backend (the reference the ONNX Runtime engine is tested against). */
export class ConvHeadModel implements BcModel {
  readonly trunk: BatchNormMlp;
  private readonly spec: PolicySpec;
  private readonly grid: number;
  private readonly channels: number;
  private readonly stages: NeckStage[];
  private readonly flatDim: number;
  private readonly adam: Adam;

  constructor(spec: PolicySpec, seed: number, options: TrainingOptions) {
    const layout = convHeadLayout(spec, options.init);
    this.spec = spec;
    this.grid = layout.grid;
    this.channels = layout.channels;
    const rng = new Rng(seed);
    this.stages = layout.stages.map(({ conv, side }) => ({ conv: new Conv2d(conv, rng), norm: new JointLayerNorm(side * side * CONV_NECK_CHANNELS), side }));
    this.flatDim = layout.flatDim;
    this.trunk = new BatchNormMlp(layout.trunk, rng);
    this.adam = new Adam(
      this.parameters().map((p) => p.shape),
      options.adam,
    );
  }

  /** All trainable tensors: per stage conv weight, bias, LN gamma, beta; then the trunk's. */
  parameters(): tf.Tensor[] {
    return [...this.stages.flatMap((s) => [...s.conv.parameters(), ...s.norm.parameters()]), ...this.trunk.parameters()];
  }

  weights(): { shape: number[]; values: Float32Array }[] {
    return tensorCopies(this.parameters());
  }

  trainBatch(data: BcDataset, indices: Int32Array): number {
    const batch = indices.length;
    const features = featureRows(data.features, this.spec.featureDim, indices);
    const proprio = gatherRows(data.proprio, this.spec.proprioDim, indices);
    const actions = gatherRows(data.actions, this.spec.actionDim, indices);
    const squaredErrorSum = tf.tidy(() => {
      const { z, caches } = this.neckForward(features, proprio, batch);
      const { out, cache } = this.trunk.forwardTrain(z);
      const { sum, dOut } = meanSquaredError(out, tf.tensor2d(actions, [batch, this.spec.actionDim]));
      const trunkGrads = this.trunk.backward(cache, dOut, true);
      const neckGrads = this.neckBackward(caches, trunkGrads.input!, features, batch);
      const next = this.adam.apply(this.parameters(), [...neckGrads, ...trunkGrads.params]);
      this.setParameters(next);
      this.trunk.updateRunningStatistics(cache);
      return sum;
    });
    const value = squaredErrorSum.dataSync()[0]!;
    squaredErrorSum.dispose();
    return value;
  }

  predict(features: Float32Array, proprio: Float32Array, n: number): Float32Array {
    return tf.tidy(() => {
      const { z } = this.neckForward(features, proprio, n);
      return this.trunk.predict(z).dataSync() as Float32Array;
    });
  }

  dispose(): void {
    for (const stage of this.stages) {
      stage.conv.dispose();
      stage.norm.dispose();
    }
    this.trunk.dispose();
    this.adam.dispose();
  }

  /** features [n, 3, T, C] and proprio [n, P] -> trunk input [n, flatDim + P]; call inside a tidy. */
  private neckForward(features: Float32Array, proprio: Float32Array, n: number): { z: tf.Tensor2D; caches: NeckCache[] } {
    const { grid, channels } = this;
    const tokens = tf.tensor4d(features, [n, 3, grid * grid, channels]);
    let x = tf.reshape(tf.transpose(tokens, [0, 2, 1, 3]), [n, grid, grid, 3 * channels]) as tf.Tensor4D;
    const caches: NeckCache[] = [];
    let flat: tf.Tensor2D | null = null;
    for (const stage of this.stages) {
      const conv = stage.conv.forward(x);
      const norm = stage.norm.forward(tf.reshape(conv.y, [n, -1]));
      flat = tf.relu(norm.y);
      caches.push({ conv: conv.cache, norm: norm.cache, activation: flat });
      x = tf.reshape(flat, [n, stage.side, stage.side, CONV_NECK_CHANNELS]);
    }
    const z = this.spec.proprioDim > 0 ? tf.concat([flat!, tf.tensor2d(proprio, [n, this.spec.proprioDim])], 1) : flat!;
    return { z, caches };
  }

  /**
   * dz [B, flatDim + P] -> gradients of every neck parameter, in `parameters()` order; call inside a tidy.
   * `features` [B, 3, T, C] (host memory) feeds the first convolution's weight gradient directly.
   */
  private neckBackward(caches: NeckCache[], dz: tf.Tensor2D, features: Float32Array, batch: number): tf.Tensor[] {
    let dFlat: tf.Tensor2D = this.spec.proprioDim > 0 ? tf.slice(dz, [0, 0], [batch, this.flatDim]) : dz;
    const grads: tf.Tensor[][] = new Array(this.stages.length);
    for (let k = this.stages.length - 1; k >= 0; k--) {
      const stage = this.stages[k]!;
      const cache = caches[k]!;
      const dNorm = tf.mul(dFlat, tf.step(cache.activation)) as tf.Tensor2D;
      const norm = stage.norm.backward(cache.norm, dNorm);
      const dConv = tf.reshape(norm.dx, [batch, stage.side, stage.side, CONV_NECK_CHANNELS]) as tf.Tensor4D;
      const hostColumns =
        k === 0
          ? tokenTapColumns(
              features,
              { batch, grid: this.grid, channels: this.channels },
              { stride: stage.conv.config.stride, padding: stage.conv.config.padding, outSide: stage.side },
            )
          : undefined;
      const conv = stage.conv.backward(cache.conv, dConv, k > 0, hostColumns);
      grads[k] = [...conv.grads, ...norm.grads];
      if (k > 0) dFlat = tf.reshape(conv.dx!, [batch, -1]);
    }
    return grads.flat();
  }

  private setParameters(next: tf.Tensor[]): void {
    let offset = 0;
    for (const stage of this.stages) {
      stage.conv.setParameters(next.slice(offset, offset + 2));
      stage.norm.setParameters(next.slice(offset + 2, offset + 4));
      offset += 4;
    }
    this.trunk.setParameters(next.slice(offset));
  }
}
