/**
 * The conv head's convolutions on ONNX Runtime's CPU kernels (MLAS): forward pass, weight gradient and input
 * gradient, on host arrays in tfjs's layouts.
 *
 * Why: the neck's convolutions are nearly all of the head's arithmetic (Theia-tiny's first one alone: 576 -> 256
 * channels, 4x4 taps at 7x7 outputs, ~0.23 GFLOP per sample each way). tfjs-backend-wasm runs them on one thread
 * of 128-bit SIMD, and its backward passes are built from gathers (conv2d.ts); MLAS uses the machine's widest
 * vectors (AVX2 / AVX-512) on every core and has the transposed convolution that the input gradient is.
 * LayerNorms, ReLUs and the trunk are small and stay in tfjs (conv_head.ts).
 *
 * Layouts: the weight is tfjs's [k, k, Cin, Cout] (the one Adam updates); the input is either FLARE-fused token
 * grids [B, 3, T, C] (the first convolution, Cin = 3C, channel k*C + c) or a map [B, H, W, Cin]; outputs and
 * gradients are NHWC. The weight gradient is itself a convolution (the standard identity): with the batch as
 * channels, the input xT [Cin, B, H, W] convolved with dyT [Cout, B, Ho, Wo] as kernel, dilated by the stride,
 * with the same padding, gives dW [Cin, Cout, k', k'] with k' = H + 2p - s(Ho - 1) >= k; taps beyond k read only
 * pixels the floor rule dropped from the forward pass and are cut off. The input gradient is ConvTranspose with
 * the output padding that restores H.
 *
 * Results do not depend on the thread count (ort_sessions.ts; test/policy.test.ts checks 1 against 2 threads).
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder, ints, type Dim } from '../util/onnx_graph.js';
import type { Conv2dConfig } from './conv2d.js';
import { convOutputSize } from './conv2d.js';
import { createPolicySession, defaultPolicyThreads } from './ort_sessions.js';

/** What a convolution reads: fused token grids [B, 3, g*g, C] (Cin = 3C) or a map [B, side, side, Cin]. */
export type ConvInput = { layout: 'tokens'; grid: number; channels: number } | { layout: 'nhwc'; side: number };

/** Forward pass and gradients of one convolution on ONNX Runtime; `create`, use, `release`. */
export class OrtConv {
  /** Output side Ho = Wo. */
  readonly outSide: number;
  private readonly inputSide: number;

  private constructor(
    private readonly input: ConvInput,
    private readonly config: Conv2dConfig,
    private readonly sessions: { forward: ort.InferenceSession; weightGradient: ort.InferenceSession; inputGradient: ort.InferenceSession | null },
  ) {
    this.inputSide = input.layout === 'tokens' ? input.grid : input.side;
    this.outSide = convOutputSize(this.inputSide, config.kernel, config.stride, config.padding);
  }

  /** `threads`: ONNX Runtime intra-op threads (default: every core this process may use). Token input has no input gradient. */
  static async create(input: ConvInput, config: Conv2dConfig, threads = defaultPolicyThreads()): Promise<OrtConv> {
    if (input.layout === 'tokens' && config.inChannels !== 3 * input.channels) {
      throw new Error(`OrtConv: the convolution takes ${config.inChannels} channels, a fused grid of ${input.channels} gives ${3 * input.channels}`);
    }
    const session = (graph: Uint8Array) => createPolicySession(graph, threads, 'OrtConv');
    const [forward, weightGradient, inputGradient] = await Promise.all([
      session(forwardGraph(input, config)),
      session(weightGradientGraph(input, config)),
      input.layout === 'nhwc' ? session(inputGradientGraph(input.side, config)) : null,
    ]);
    return new OrtConv(input, config, { forward, weightGradient, inputGradient });
  }

  /** x (the input layout), weight [k, k, Cin, Cout], bias [Cout] -> y [B, Ho, Wo, Cout]. */
  async forward(x: Float32Array, batch: number, weight: Float32Array, bias: Float32Array): Promise<Float32Array> {
    const out = await this.sessions.forward.run({ x: this.inputTensor(x, batch), weight: this.weightTensor(weight), bias: new ort.Tensor('float32', bias, [this.config.outChannels]) });
    return out.y!.data as Float32Array;
  }

  /** x (the input layout), dy [B, Ho, Wo, Cout] -> dWeight [k, k, Cin, Cout]. */
  async weightGradient(x: Float32Array, batch: number, dy: Float32Array): Promise<Float32Array> {
    const out = await this.sessions.weightGradient.run({ x: this.inputTensor(x, batch), dy: this.outputTensor(dy, batch) });
    return out.dweight!.data as Float32Array;
  }

  /** dy [B, Ho, Wo, Cout], weight [k, k, Cin, Cout] -> dx [B, H, W, Cin] (map input only). */
  async inputGradient(dy: Float32Array, batch: number, weight: Float32Array): Promise<Float32Array> {
    if (!this.sessions.inputGradient) throw new Error('OrtConv: token-grid input is data; it has no input gradient');
    const out = await this.sessions.inputGradient.run({ dy: this.outputTensor(dy, batch), weight: this.weightTensor(weight) });
    return out.dx!.data as Float32Array;
  }

  async release(): Promise<void> {
    const { forward, weightGradient, inputGradient } = this.sessions;
    await Promise.all([forward.release(), weightGradient.release(), inputGradient?.release()]);
  }

  private inputTensor(x: Float32Array, batch: number): ort.Tensor {
    const dims = inputDims(this.input, this.config, batch);
    const size = (dims as number[]).reduce((a, b) => a * b, 1);
    if (x.length !== size) throw new Error(`OrtConv: the input must hold [${dims}] = ${size} values, got ${x.length}`);
    return new ort.Tensor('float32', x, dims as number[]);
  }

  private outputTensor(dy: Float32Array, batch: number): ort.Tensor {
    const dims = [batch, this.outSide, this.outSide, this.config.outChannels];
    if (dy.length !== batch * this.outSide * this.outSide * this.config.outChannels) {
      throw new Error(`OrtConv: dy must hold [${dims}] values, got ${dy.length}`);
    }
    return new ort.Tensor('float32', dy, dims);
  }

  private weightTensor(weight: Float32Array): ort.Tensor {
    const { kernel, inChannels, outChannels } = this.config;
    return new ort.Tensor('float32', weight, [kernel, kernel, inChannels, outChannels]);
  }
}

function inputDims(input: ConvInput, config: Conv2dConfig, batch: Dim): Dim[] {
  return input.layout === 'tokens' ? [batch, 3, input.grid * input.grid, input.channels] : [batch, input.side, input.side, config.inChannels];
}

/** The input as NCHW [B, Cin, H, W] (batch first) or [Cin, B, H, W] (batch as channels, for the weight gradient). */
function channelsFirst(g: GraphBuilder, input: ConvInput, config: Conv2dConfig, batchFirst: boolean): string {
  const x = g.input('x', inputDims(input, config, 'B'));
  if (input.layout === 'nhwc') return g.op('Transpose', [x], { perm: ints(batchFirst ? [0, 3, 1, 2] : [3, 0, 1, 2]) });
  const { grid, channels } = input;
  const grids = g.op('Reshape', [x, g.int64Tensor('grid_shape', [-1, 3, grid, grid, channels])]);
  // [B, 3, g, g, C] -> [B, 3, C, g, g] or [3, C, B, g, g]
  const moved = g.op('Transpose', [grids], { perm: ints(batchFirst ? [0, 1, 4, 2, 3] : [1, 4, 0, 2, 3]) });
  return g.op('Reshape', [moved, g.int64Tensor('channels_shape', batchFirst ? [-1, 3 * channels, grid, grid] : [3 * channels, -1, grid, grid])]);
}

/** weight [k, k, Cin, Cout] -> [Cout, Cin, k, k], the layout of Conv's and ConvTranspose's weight here. */
function torchWeight(g: GraphBuilder, { kernel, inChannels, outChannels }: Conv2dConfig): string {
  return g.op('Transpose', [g.input('weight', [kernel, kernel, inChannels, outChannels])], { perm: ints([3, 2, 0, 1]) });
}

function sides(input: ConvInput, config: Conv2dConfig): { side: number; outSide: number } {
  const side = input.layout === 'tokens' ? input.grid : input.side;
  return { side, outSide: convOutputSize(side, config.kernel, config.stride, config.padding) };
}

function forwardGraph(input: ConvInput, config: Conv2dConfig): Uint8Array {
  const { kernel, stride, padding, outChannels } = config;
  const { outSide } = sides(input, config);
  const g = new GraphBuilder('conv_forward');
  const y = g.op('Conv', [channelsFirst(g, input, config, true), torchWeight(g, config), g.input('bias', [outChannels])], {
    kernel_shape: ints([kernel, kernel]),
    strides: ints([stride, stride]),
    pads: ints([padding, padding, padding, padding]),
  });
  g.output('y', g.op('Transpose', [y], { perm: ints([0, 2, 3, 1]) }), ['B', outSide, outSide, outChannels]);
  return g.toBytes();
}

/** dy [B, Ho, Wo, Cout] -> dyT [Cout, B, Ho, Wo] (batch first: [B, Cout, Ho, Wo]). */
function outputChannelsFirst(g: GraphBuilder, outSide: number, outChannels: number, batchFirst: boolean): string {
  return g.op('Transpose', [g.input('dy', ['B', outSide, outSide, outChannels])], { perm: ints(batchFirst ? [0, 3, 1, 2] : [3, 0, 1, 2]) });
}

function weightGradientGraph(input: ConvInput, config: Conv2dConfig): Uint8Array {
  const { kernel, stride, padding, inChannels, outChannels } = config;
  const { side, outSide } = sides(input, config);
  const reach = side + 2 * padding - stride * (outSide - 1);
  const g = new GraphBuilder('conv_weight_gradient');
  let dW = g.op('Conv', [channelsFirst(g, input, config, false), outputChannelsFirst(g, outSide, outChannels, false)], {
    kernel_shape: ints([outSide, outSide]),
    dilations: ints([stride, stride]),
    pads: ints([padding, padding, padding, padding]),
  });
  if (reach > kernel) {
    dW = g.op('Slice', [dW, g.int64Tensor('tap_start', [0, 0]), g.int64Tensor('tap_end', [kernel, kernel]), g.int64Tensor('tap_axes', [2, 3])]);
  }
  g.output('dweight', g.op('Transpose', [dW], { perm: ints([2, 3, 0, 1]) }), [kernel, kernel, inChannels, outChannels]);
  return g.toBytes();
}

function inputGradientGraph(side: number, config: Conv2dConfig): Uint8Array {
  const { kernel, stride, padding, inChannels, outChannels } = config;
  const outSide = convOutputSize(side, kernel, stride, padding);
  // ConvTranspose gives s(Ho - 1) + op + k - 2p pixels per side; op restores the rows the floor rule dropped.
  const outputPadding = side - (stride * (outSide - 1) + kernel - 2 * padding);
  const g = new GraphBuilder('conv_input_gradient');
  const dx = g.op('ConvTranspose', [outputChannelsFirst(g, outSide, outChannels, true), torchWeight(g, config)], {
    kernel_shape: ints([kernel, kernel]),
    strides: ints([stride, stride]),
    pads: ints([padding, padding, padding, padding]),
    output_padding: ints([outputPadding, outputPadding]),
  });
  g.output('dx', g.op('Transpose', [dx], { perm: ints([0, 2, 3, 1]) }), ['B', side, side, inChannels]);
  return g.toBytes();
}
