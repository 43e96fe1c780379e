/**
 * The conv head's convolutions as ONNX graph pieces for ONNX Runtime's CPU kernels (MLAS): forward pass, weight
 * gradient and input gradient, on values in tfjs's layouts, added to a graph that holds them (conv_head_graph.ts).
 *
 * Why: the neck's convolutions are nearly all of the head's arithmetic (Theia-tiny's first one alone: 576 -> 256
 * channels, 4x4 taps at 7x7 outputs, ~0.23 GFLOP per sample each way). tfjs-backend-wasm runs them on one thread
 * of 128-bit SIMD, and its backward passes are built from gathers (conv2d.ts); MLAS uses the machine's widest
 * vectors (AVX2 / AVX-512) on every core and has the transposed convolution that the input gradient is.
 *
 * Layouts: the weight is tfjs's [k, k, Cin, Cout] (the one Adam updates); the input is either FLARE-fused token
 * grids [B, 3, T, C] (the first convolution, Cin = 3C, channel k*C + c) or a map [B, H, W, Cin]; outputs and
 * gradients are NHWC. The weight gradient is itself a convolution (the standard identity): with the batch as
 * channels, the input xT [Cin, B, H, W] convolved with dyT [Cout, B, Ho, Wo] as kernel, dilated by the stride,
 * with the same padding, gives dW [Cin, Cout, k', k'] with k' = H + 2p - s(Ho - 1) >= k; taps beyond k read only
 * pixels the floor rule dropped from the forward pass and are cut off. The input gradient is ConvTranspose with
 * the output padding that restores H.
 *
 * MLAS splits a convolution over images and output channels, never over its reduction, so results do not depend
 * on the thread count (ort_sessions.ts; tested).
 */
import { type Dim, type GraphBuilder, ints } from '../util/onnx_graph.js';
import type { Conv2dConfig } from './conv2d.js';
import { convOutputSize } from './conv2d.js';

/** What a convolution reads: fused token grids [B, 3, g*g, C] (Cin = 3C) or a map [B, side, side, Cin]. */
export type ConvInput = { layout: 'tokens'; grid: number; channels: number } | { layout: 'nhwc'; side: number };

/** The input's spatial side. */
export function convInputSide(input: ConvInput): number {
  return input.layout === 'tokens' ? input.grid : input.side;
}

/** The input's dims for a batch of `batch`: [B, 3, T, C] or [B, side, side, Cin]. */
export function convInputDims(input: ConvInput, config: Conv2dConfig, batch: Dim): Dim[] {
  return input.layout === 'tokens' ? [batch, 3, input.grid * input.grid, input.channels] : [batch, input.side, input.side, config.inChannels];
}

/** The output side Ho = Wo; errors unless a token input has the 3C channels the convolution takes. */
export function convOutputSide(input: ConvInput, config: Conv2dConfig): number {
  if (input.layout === 'tokens' && config.inChannels !== 3 * input.channels) {
    throw new Error(`conv graph: the convolution takes ${config.inChannels} channels, a fused grid of ${input.channels} gives ${3 * input.channels}`);
  }
  return convOutputSize(convInputSide(input), config.kernel, config.stride, config.padding);
}

/** weight [k, k, Cin, Cout] -> [Cout, Cin, k, k], the layout of Conv's and ConvTranspose's weight. */
export function torchWeight(g: GraphBuilder, weight: string): string {
  return g.op('Transpose', [weight], { perm: ints([3, 2, 0, 1]) });
}

/** x (the input layout) as NCHW [B, Cin, H, W], what `convForward` and `convWeightGradient` read. */
export function convChannelsFirst(g: GraphBuilder, input: ConvInput, x: string): string {
  if (input.layout === 'nhwc') return g.op('Transpose', [x], { perm: ints([0, 3, 1, 2]) });
  const { grid, channels } = input;
  const grids = g.op('Reshape', [x, g.int64Tensor('grid_shape', [-1, 3, grid, grid, channels])]);
  // [B, 3, g, g, C] -> [B, 3, C, g, g] -> [B, 3C, g, g]
  const moved = g.op('Transpose', [grids], { perm: ints([0, 1, 4, 2, 3]) });
  return g.op('Reshape', [moved, g.int64Tensor('channels_shape', [-1, 3 * channels, grid, grid])]);
}

/** x NCHW [B, Cin, H, W] (`convChannelsFirst`), `torchWeight` of the weight, bias [Cout] -> y [B, Ho, Wo, Cout]. */
export function convForward(g: GraphBuilder, config: Conv2dConfig, xChannelsFirst: string, weightCoutFirst: string, bias: string): string {
  const { kernel, stride, padding } = config;
  const y = g.op('Conv', [xChannelsFirst, weightCoutFirst, bias], {
    kernel_shape: ints([kernel, kernel]),
    strides: ints([stride, stride]),
    pads: ints([padding, padding, padding, padding]),
  });
  return g.op('Transpose', [y], { perm: ints([0, 2, 3, 1]) });
}

/**
 * x NCHW [B, Cin, H, W] (`convChannelsFirst`), dy [B, Ho, Wo, Cout] -> dWeight [k, k, Cin, Cout]. The batch moves
 * to the channels from NCHW, whole H x W planes at a time (measured: 4x faster than from the token layout).
 */
export function convWeightGradient(g: GraphBuilder, input: ConvInput, config: Conv2dConfig, xChannelsFirst: string, dy: string): string {
  const { kernel, stride, padding } = config;
  const side = convInputSide(input);
  const outSide = convOutputSide(input, config);
  const reach = side + 2 * padding - stride * (outSide - 1);
  const batchAsChannels = g.op('Transpose', [xChannelsFirst], { perm: ints([1, 0, 2, 3]) });
  let dW = g.op('Conv', [batchAsChannels, g.op('Transpose', [dy], { perm: ints([3, 0, 1, 2]) })], {
    kernel_shape: ints([outSide, outSide]),
    dilations: ints([stride, stride]),
    pads: ints([padding, padding, padding, padding]),
  });
  if (reach > kernel) {
    dW = g.op('Slice', [dW, g.int64Tensor('tap_start', [0, 0]), g.int64Tensor('tap_end', [kernel, kernel]), g.int64Tensor('tap_axes', [2, 3])]);
  }
  return g.op('Transpose', [dW], { perm: ints([2, 3, 0, 1]) });
}

/** dy [B, Ho, Wo, Cout], `torchWeight` of the weight -> dx [B, side, side, Cin] (map input of `side`). */
export function convInputGradient(g: GraphBuilder, side: number, config: Conv2dConfig, dy: string, weightCoutFirst: string): string {
  const { kernel, stride, padding } = config;
  const outSide = convOutputSize(side, kernel, stride, padding);
  // ConvTranspose gives s(Ho - 1) + op + k - 2p pixels per side; op restores the rows the floor rule dropped.
  const outputPadding = side - (stride * (outSide - 1) + kernel - 2 * padding);
  const dx = g.op('ConvTranspose', [g.op('Transpose', [dy], { perm: ints([0, 3, 1, 2]) }), weightCoutFirst], {
    kernel_shape: ints([kernel, kernel]),
    strides: ints([stride, stride]),
    pads: ints([padding, padding, padding, padding]),
    output_padding: ints([outputPadding, outputPadding]),
  });
  return g.op('Transpose', [dx], { perm: ints([0, 2, 3, 1]) });
}

