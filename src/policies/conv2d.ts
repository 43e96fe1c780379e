/**
 * 2-D convolution (NHWC, square kernel, symmetric zero padding, PyTorch's floor output size) with a
 * hand-written backward pass built from plain matMuls.
 *
 * Why: tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter kernel (so tf's autodiff of conv2d throws on
 * wasm), and its Conv2DBackpropInput kernel is a naive loop. Here, with X(i, j) [N = B*Ho*Wo, Cin] the input
 * pixels read by kernel tap (i, j):
 *   dW[i, j] = X(i, j)^T dy             dx = col2im(dy [N, Cout] W^T [Cout, k*k*Cin])
 * where col2im is a sum of up to ceil(k/s)^2 gathers (wasm has no scatter-add kernel). Slices of large tensors
 * are avoided: the wasm backend's Slice/Unpack/Concat copy the whole input through JS for every call.
 * The forward pass uses tf.conv2d on the explicitly padded input.
 *
 * Weights are [k, k, Cin, Cout]; initialisation is PyTorch's default U(+-1/sqrt(Cin*k*k)) for weight and bias.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng.js';
import { fanInBound, uniformValues } from './init.js';

export interface Conv2dConfig {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

/**
 * Input columns of one kernel tap (i, j): X(i, j)^T [Cin, N = B*Ho*Wo], column n = (b*Ho + a)*Wo + c holding
 * the padded input pixel (s*a + i, s*c + j) of sample b (zeros where that pixel is padding).
 */
export type TapColumns = (i: number, j: number) => tf.Tensor2D;

export interface Conv2dCache {
  /** [B, H + 2p, W + 2p, Cin] */
  padded: tf.Tensor4D;
  inputShape: [number, number, number, number];
}

/** Output side of a convolution over `size` input pixels (PyTorch's floor rule); 0 if the kernel does not fit. */
export function convOutputSize(size: number, kernel: number, stride: number, padding: number): number {
  const span = size + 2 * padding - kernel;
  return span < 0 ? 0 : Math.floor(span / stride) + 1;
}

/**
 * A convolution's starting weight [k, k, Cin, Cout] and bias [Cout] drawn from `rng` (what `Conv2d` starts from,
 * so every engine starts from the same values); errors on a config that is not a convolution.
 */
export function initialConvParameters(config: Conv2dConfig, rng: Rng): { weight: Float32Array; bias: Float32Array } {
  const { inChannels, outChannels, kernel, stride, padding } = config;
  for (const [name, v] of Object.entries({ inChannels, outChannels, kernel, stride })) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`Conv2d: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`Conv2d: padding must be an integer >= 0, got ${padding}`);
  const fanIn = inChannels * kernel * kernel;
  const bound = fanInBound(fanIn);
  // Drawn in PyTorch's [Cout, Cin, k, k] order, then laid out as tfjs's [k, k, Cin, Cout].
  const torchOrder = uniformValues(rng, outChannels * fanIn, bound);
  const weight = new Float32Array(torchOrder.length);
  for (let o = 0; o < outChannels; o++) {
    for (let c = 0; c < inChannels; c++) {
      for (let i = 0; i < kernel; i++) {
        for (let j = 0; j < kernel; j++) {
          weight[((i * kernel + j) * inChannels + c) * outChannels + o] = torchOrder[((o * inChannels + c) * kernel + i) * kernel + j]!;
        }
      }
    }
  }
  return { weight, bias: uniformValues(rng, outChannels, bound) };
}

export class Conv2d {
  readonly config: Conv2dConfig;
  /** [k, k, Cin, Cout] */
  weight: tf.Tensor4D;
  /** [Cout] */
  bias: tf.Tensor1D;

  constructor(config: Conv2dConfig, rng: Rng) {
    const { weight, bias } = initialConvParameters(config, rng);
    const { inChannels, outChannels, kernel } = config;
    this.config = { ...config };
    this.weight = tf.tensor4d(weight, [kernel, kernel, inChannels, outChannels]);
    this.bias = tf.tensor1d(bias);
  }

  parameters(): tf.Tensor[] {
    return [this.weight, this.bias];
  }

  /** Takes [weight, bias]; disposes the old tensors. */
  setParameters([weight, bias]: readonly tf.Tensor[]): void {
    if (weight !== this.weight) this.weight.dispose();
    if (bias !== this.bias) this.bias.dispose();
    this.weight = weight as tf.Tensor4D;
    this.bias = bias as tf.Tensor1D;
  }

  /** Output [Ho, Wo] for an input of [H, W]. */
  outputSize(height: number, width: number): [number, number] {
    const { kernel, stride, padding } = this.config;
    return [convOutputSize(height, kernel, stride, padding), convOutputSize(width, kernel, stride, padding)];
  }

  /** x [B, H, W, Cin] -> y [B, Ho, Wo, Cout]; call inside a tidy. */
  forward(x: tf.Tensor4D): { y: tf.Tensor4D; cache: Conv2dCache } {
    const { inChannels, stride, padding } = this.config;
    const [batch, height, width, channels] = x.shape;
    if (channels !== inChannels) throw new Error(`Conv2d: input has ${channels} channels, expected ${inChannels}`);
    const [outH, outW] = this.outputSize(height, width);
    if (outH < 1 || outW < 1) {
      throw new Error(`Conv2d: input ${height}x${width} is too small for kernel ${this.config.kernel} with padding ${padding}`);
    }
    const padded =
      padding > 0
        ? tf.pad(x, [
            [0, 0],
            [padding, padding],
            [padding, padding],
            [0, 0],
          ])
        : x;
    const y = tf.add(tf.conv2d(padded, this.weight, stride, 'valid'), this.bias) as tf.Tensor4D;
    return { y, cache: { padded, inputShape: [batch, height, width, channels] } };
  }

  /** dy [B, Ho, Wo, Cout] -> dBias [Cout], the sum over batch and space; call inside a tidy. */
  biasGradient(dy: tf.Tensor4D): tf.Tensor1D {
    const rows = dy.shape[0] * dy.shape[1] * dy.shape[2];
    return tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(dy, [rows, this.config.outChannels])), [-1]);
  }

  /**
   * dy [B, Ho, Wo, Cout] -> [dWeight, dBias] and, when asked, dx [B, H, W, Cin]; call inside a tidy.
   * `tapColumns` may supply each tap's input columns from elsewhere (e.g. host memory when the input is data).
   */
  backward(
    cache: Conv2dCache,
    dy: tf.Tensor4D,
    needInputGradient: boolean,
    tapColumns?: TapColumns,
  ): { grads: tf.Tensor[]; dx?: tf.Tensor4D } {
    const { inChannels, outChannels, kernel } = this.config;
    const [batch, outH, outW] = dy.shape;
    const outPixels = outH * outW;
    const taps = kernel * kernel;
    const dy2 = tf.reshape(dy, [batch * outPixels, outChannels]);
    const dBias = this.biasGradient(dy);

    // dW[i, j] [Cin, Cout] = X(i, j)^T [Cin, N] dy [N, Cout]. Every tap shares the right operand dy, which
    // XNNPACK then packs once (a large im2col matrix as the right operand would be repacked in full).
    const columnsOf = tapColumns ?? ((i: number, j: number) => this.gatheredTapColumns(cache, batch, outH, outW, i, j));
    const tapGrads: tf.Tensor[] = [];
    for (let i = 0; i < kernel; i++) {
      for (let j = 0; j < kernel; j++) {
        // A nested tidy frees each tap's [Cin, N] columns as soon as its product is taken.
        tapGrads.push(tf.tidy(() => tf.matMul(columnsOf(i, j), dy2)));
      }
    }
    const dWeight = tf.reshape(tf.stack(tapGrads), [kernel, kernel, inChannels, outChannels]);
    if (!needInputGradient) return { grads: [dWeight, dBias] };

    // dColumns [B * (Ho*Wo + 1), k*k*Cin]: one extra all-zero output row per sample serves as the "no
    // contribution" source for the gathers below (col2im as a sum of gathers; no scatter-add kernel on wasm).
    const dyWithZeroRow = tf.pad(tf.reshape(dy, [batch, outPixels, outChannels]), [
      [0, 0],
      [0, 1],
      [0, 0],
    ]);
    const weightT = tf.transpose(tf.reshape(this.weight, [taps * inChannels, outChannels])); // [Cout, k*k*Cin]
    const dColumns = tf.reshape(tf.matMul(tf.reshape(dyWithZeroRow, [batch * (outPixels + 1), outChannels]), weightT), [
      batch * (outPixels + 1) * taps,
      inChannels,
    ]);
    const [, height, width] = cache.inputShape;
    const slots = this.col2imIndices(batch, height, width, outH, outW);
    const contributions = slots.map((slot) => tf.gather(dColumns, tf.tensor1d(slot, 'int32')));
    const dx = tf.reshape(contributions.length === 1 ? contributions[0]! : tf.addN(contributions), [batch, height, width, inChannels]);
    return { grads: [dWeight, dBias], dx: dx as tf.Tensor4D };
  }

  /** X(i, j)^T [Cin, B*Ho*Wo]: padded pixel (s*a + i, s*c + j) of every sample b, gathered and transposed. */
  private gatheredTapColumns(cache: Conv2dCache, batch: number, outH: number, outW: number, i: number, j: number): tf.Tensor2D {
    const { inChannels, stride } = this.config;
    const [, paddedH, paddedW] = cache.padded.shape;
    const rows = new Int32Array(batch * outH * outW);
    let n = 0;
    for (let b = 0; b < batch; b++) {
      for (let a = 0; a < outH; a++) {
        for (let c = 0; c < outW; c++) rows[n++] = (b * paddedH + stride * a + i) * paddedW + stride * c + j;
      }
    }
    const paddedRows = tf.reshape(cache.padded, [batch * paddedH * paddedW, inChannels]);
    return tf.transpose(tf.gather(paddedRows, tf.tensor1d(rows, 'int32'))) as tf.Tensor2D;
  }

  /**
   * col2im as gathers: for every unpadded input pixel (b, y, x), slot t lists the t-th row of dColumns
   * [B * (Ho*Wo + 1) * k*k, Cin] that read this pixel in the forward pass, or the sample's zero row when the
   * pixel has fewer than t + 1 readers. Summing the gathered slots gives dx.
   */
  private col2imIndices(batch: number, height: number, width: number, outH: number, outW: number): Int32Array[] {
    const { kernel, stride, padding } = this.config;
    const taps = kernel * kernel;
    const rowsPerSample = (outH * outW + 1) * taps;
    const zeroRow = outH * outW * taps;
    const readers: number[][] = [];
    let maxReaders = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const list: number[] = [];
        for (let i = 0; i < kernel; i++) {
          const rowSpan = y + padding - i;
          if (rowSpan < 0 || rowSpan % stride !== 0 || rowSpan / stride >= outH) continue;
          for (let j = 0; j < kernel; j++) {
            const colSpan = x + padding - j;
            if (colSpan < 0 || colSpan % stride !== 0 || colSpan / stride >= outW) continue;
            list.push(((rowSpan / stride) * outW + colSpan / stride) * taps + i * kernel + j);
          }
        }
        readers.push(list);
        maxReaders = Math.max(maxReaders, list.length);
      }
    }
    const slots: Int32Array[] = [];
    for (let t = 0; t < Math.max(1, maxReaders); t++) {
      const slot = new Int32Array(batch * height * width);
      for (let b = 0; b < batch; b++) {
        for (let p = 0; p < readers.length; p++) {
          slot[b * readers.length + p] = b * rowsPerSample + (readers[p]![t] ?? zeroRow);
        }
      }
      slots.push(slot);
    }
    return slots;
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}
