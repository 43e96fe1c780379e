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
 * batchnorm_mlp.ts): tfjs-backend-wasm cannot run tf's conv2d gradient. The convolutions, nearly all of the
 * head's arithmetic, train on ONNX Runtime by default (conv_ort.ts; LayerNorms, ReLUs and the trunk stay in
 * tfjs); the `PolicyEngine` 'tfjs' keeps every layer on tfjs. Prediction runs the whole head in tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import { Adam } from './adam.js';
import { BatchNormMlp } from './batchnorm_mlp.js';
import type { Conv2dCache } from './conv2d.js';
import { Conv2d, convOutputSize } from './conv2d.js';
import type { LayerNormCache } from './layernorm.js';
import { JointLayerNorm } from './layernorm.js';
import { MLP_HIDDEN } from './mlp_policy.js';
import { meanSquaredError } from './mse.js';
import type { BcDataset, PolicySpec } from './policy.js';
import { tokenTapColumns } from './token_columns.js';
import { OrtConv } from './conv_ort.js';
import type { BcModel, PolicyEngine, TrainingOptions } from './training.js';
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

export class ConvHeadModel implements BcModel {
  readonly trunk: BatchNormMlp;
  private readonly spec: PolicySpec;
  private readonly grid: number;
  private readonly channels: number;
  private readonly stages: NeckStage[];
  private readonly flatDim: number;
  private readonly adam: Adam;
  private readonly engine: PolicyEngine;
  private readonly threads: number | undefined;
  private ortConvs: Promise<OrtConv[]> | null = null;

  constructor(spec: PolicySpec, seed: number, options: TrainingOptions) {
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
    this.spec = spec;
    this.grid = grid;
    this.channels = channels;
    this.engine = options.engine ?? 'onnxruntime';
    this.threads = options.threads;
    const rng = new Rng(seed);
    let inChannels = 3 * channels;
    this.stages = NECK_LAYERS.map((layer, index) => {
      const conv = new Conv2d({ inChannels, outChannels: CONV_NECK_CHANNELS, ...layer }, rng);
      inChannels = CONV_NECK_CHANNELS;
      const side = sides[index]!;
      return { conv, norm: new JointLayerNorm(side * side * CONV_NECK_CHANNELS), side };
    });
    const lastSide = sides[sides.length - 1]!;
    this.flatDim = lastSide * lastSide * CONV_NECK_CHANNELS;
    this.trunk = new BatchNormMlp(
      { inputDim: this.flatDim + spec.proprioDim, hidden: MLP_HIDDEN, outputDim: spec.actionDim, init: options.init },
      rng,
    );
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

  async trainBatch(data: BcDataset, indices: Int32Array): Promise<number> {
    const batch = indices.length;
    const features = featureRows(data.features, this.spec.featureDim, indices);
    const proprio = gatherRows(data.proprio, this.spec.proprioDim, indices);
    const actions = gatherRows(data.actions, this.spec.actionDim, indices);
    return this.engine === 'onnxruntime' ? this.trainBatchOrt(features, proprio, actions, batch) : this.trainBatchTfjs(features, proprio, actions, batch);
  }

  /** The reference engine: every layer on the tfjs backend, in one tidy. */
  private trainBatchTfjs(features: Float32Array, proprio: Float32Array, actions: Float32Array, batch: number): number {
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

  /**
   * The default engine: each convolution's forward pass, weight gradient and input gradient on ONNX Runtime
   * (host arrays in, host arrays out), LayerNorms, ReLUs, the trunk and Adam on tfjs. The same arithmetic as
   * `trainBatchTfjs`, in the same order.
   */
  private async trainBatchOrt(features: Float32Array, proprio: Float32Array, actions: Float32Array, batch: number): Promise<number> {
    const convs = await this.convsOnOrt();
    // Tensors that live across awaits (a tidy cannot span one), disposed at the end whatever happens.
    const held: tf.Tensor[] = [];
    const hold = <T extends tf.Tensor[]>(tensors: T): T => {
      held.push(...tensors);
      return tensors;
    };
    try {
      // Forward: stage k reads inputs[k] (the tokens, then the previous stage's activation as host data).
      const inputs: Float32Array[] = [features];
      const weights = this.stages.map((s) => s.conv.weight.dataSync() as Float32Array);
      const normCaches: LayerNormCache[] = [];
      const activations: tf.Tensor2D[] = [];
      for (const [k, stage] of this.stages.entries()) {
        const y = await convs[k]!.forward(inputs[k]!, batch, weights[k]!, stage.conv.bias.dataSync() as Float32Array);
        const [xhat, invStd, onesRow, activation] = hold(
          tf.tidy(() => {
            const norm = stage.norm.forward(tf.tensor2d(y, [batch, y.length / batch]));
            return [norm.cache.xhat, norm.cache.invStd, norm.cache.onesRow, tf.relu(norm.y)] as tf.Tensor2D[];
          }),
        );
        normCaches.push({ xhat: xhat!, invStd: invStd!, onesRow: onesRow! });
        activations.push(activation!);
        if (k + 1 < this.stages.length) inputs.push(activation!.dataSync() as Float32Array);
      }
      const [sum, dLast, ...trunkGrads] = hold(
        tf.tidy(() => {
          const flat = activations[activations.length - 1]!;
          const z = this.spec.proprioDim > 0 ? tf.concat([flat, tf.tensor2d(proprio, [batch, this.spec.proprioDim])], 1) : flat;
          const { out, cache } = this.trunk.forwardTrain(z);
          const { sum, dOut } = meanSquaredError(out, tf.tensor2d(actions, [batch, this.spec.actionDim]));
          const grads = this.trunk.backward(cache, dOut, true);
          this.trunk.updateRunningStatistics(cache);
          const dFlat = this.spec.proprioDim > 0 ? tf.slice(grads.input!, [0, 0], [batch, this.flatDim]) : grads.input!;
          return [sum, dFlat, ...grads.params];
        }),
      );
      // Backward, last stage first.
      const neckGrads: tf.Tensor[][] = new Array(this.stages.length);
      let dFlat = dLast!;
      for (let k = this.stages.length - 1; k >= 0; k--) {
        const stage = this.stages[k]!;
        const [dConv, dGamma, dBeta] = hold(
          tf.tidy(() => {
            const norm = stage.norm.backward(normCaches[k]!, tf.mul(dFlat, tf.step(activations[k]!)) as tf.Tensor2D);
            return [norm.dx, ...norm.grads];
          }),
        );
        const dy = dConv!.dataSync() as Float32Array;
        const [dWeight, dBias] = hold([
          tf.tensor4d(await convs[k]!.weightGradient(inputs[k]!, batch, dy), stage.conv.weight.shape),
          tf.tidy(() => stage.conv.biasGradient(tf.reshape(dConv!, [batch, stage.side, stage.side, CONV_NECK_CHANNELS]))),
        ]);
        neckGrads[k] = [dWeight!, dBias!, dGamma!, dBeta!];
        if (k > 0) {
          const dx = await convs[k]!.inputGradient(dy, batch, weights[k]!);
          dFlat = hold([tf.tensor2d(dx, [batch, dx.length / batch])])[0]!;
        }
      }
      this.setParameters(this.adam.apply(this.parameters(), [...neckGrads.flat(), ...trunkGrads]));
      return sum!.dataSync()[0]!;
    } finally {
      tf.dispose(held);
    }
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
    const convs = this.ortConvs;
    this.ortConvs = null;
    // Sessions hold native memory only; a failed creation has nothing to release.
    void convs?.then((list) => Promise.all(list.map((c) => c.release()))).catch(() => undefined);
  }

  /** The neck's convolutions on ONNX Runtime, created on first use (a failed start is retried next batch). */
  private convsOnOrt(): Promise<OrtConv[]> {
    if (!this.ortConvs) {
      const created = Promise.all(
        this.stages.map((stage, k) =>
          OrtConv.create(
            k === 0 ? { layout: 'tokens', grid: this.grid, channels: this.channels } : { layout: 'nhwc', side: this.stages[k - 1]!.side },
            stage.conv.config,
            this.threads,
          ),
        ),
      );
      created.catch(() => {
        if (this.ortConvs === created) this.ortConvs = null;
      });
      this.ortConvs = created;
    }
    return this.ortConvs;
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
