/**
 * `conv-random[:SEED]`: a small convolutional network with seeded random weights, the local, translation-equivariant
 * baseline beside `pixels` (no network) and `vit-tiny-random` (global attention). Random conv features are a
 * classic RL baseline (e.g. RE3's random encoder); they keep where things are in the image while mixing colours.
 *
 *   frames -> box-resize to 64 x 64, [0, 1] -> (x - 0.5) / 0.5
 *   3 x [conv 3x3, stride 2, pad 1, ReLU]: 3 -> 16 (32 x 32) -> 32 (16 x 16) -> 32 (8 x 8)
 *   spatial = the 8 x 8 map as 64 tokens [64, 32]; pooled = 2 x 2 average pool, flattened channel-first [32 * 4 * 4]
 *
 * Weights: He-normal (std sqrt(2 / fan_in), the ReLU-preserving scale), biases 0, one sub-stream per layer.
 * Runs in plain TypeScript (about 2.2 M multiply-adds per frame): no session, no native code.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../../util/rng.js';
import type { EncodedBatch, EncodeOptions, Encoder, EncoderInfo, FrameBatch } from '../encoder.js';
import { checkFrameBatch } from './image_ops.js';
import { HALF_NORMALISATION, resizeNormalise } from './preprocess.js';

export const CONV_RANDOM_INPUT = 64;
/** Output channels of the three stride-2 convolutions. */
export const CONV_RANDOM_CHANNELS = [16, 32, 32] as const;
const KERNEL = 3;
/** Side of the final pooled grid (2 x 2 average pooling of the 8 x 8 map). */
const POOLED_GRID = 4;

interface ConvLayer {
  inChannels: number;
  outChannels: number;
  /** [out, in, 3, 3] */
  weight: Float32Array;
}

function heNormalLayers(seed: number): ConvLayer[] {
  const root = new Rng(seed);
  let inChannels = 3;
  return CONV_RANDOM_CHANNELS.map((outChannels, index) => {
    const rng = root.fork(index);
    const fanIn = inChannels * KERNEL * KERNEL;
    const std = Math.sqrt(2 / fanIn);
    const weight = new Float32Array(outChannels * fanIn);
    for (let i = 0; i < weight.length; i++) weight[i] = rng.normal() * std;
    const layer = { inChannels, outChannels, weight };
    inChannels = outChannels;
    return layer;
  });
}

/** 3x3 convolution, stride 2, zero padding 1, then ReLU: [C, S, S] -> [O, S/2, S/2]. */
function convStride2Relu(input: Float32Array, size: number, layer: ConvLayer): Float32Array {
  const { inChannels: C, outChannels: O, weight } = layer;
  const out = size / 2;
  const side = size + 2;
  // Zero-padded copy [C, S+2, S+2], so the inner loops need no bounds checks.
  const padded = new Float32Array(C * side * side);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < size; y++) padded.set(input.subarray((c * size + y) * size, (c * size + y + 1) * size), (c * side + y + 1) * side + 1);
  }
  const result = new Float32Array(O * out * out);
  for (let o = 0; o < O; o++) {
    const plane = o * out * out;
    for (let c = 0; c < C; c++) {
      for (let ky = 0; ky < KERNEL; ky++) {
        for (let kx = 0; kx < KERNEL; kx++) {
          const w = weight[((o * C + c) * KERNEL + ky) * KERNEL + kx]!;
          for (let y = 0; y < out; y++) {
            const src = (c * side + 2 * y + ky) * side + kx;
            const dst = plane + y * out;
            for (let x = 0; x < out; x++) result[dst + x]! += w * padded[src + 2 * x]!;
          }
        }
      }
    }
  }
  for (let i = 0; i < result.length; i++) if (result[i]! < 0) result[i] = 0;
  return result;
}

export class ConvRandomEncoder implements Encoder {
  readonly info: EncoderInfo;
  private readonly layers: ConvLayer[];
  private readonly preprocess = resizeNormalise(CONV_RANDOM_INPUT, 'box', HALF_NORMALISATION);

  /** `id` is the full spec string (it may carry a seed suffix); `seed` picks the weights. */
  constructor(id: string, seed: number) {
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`encoder '${id}': seed must be a non-negative integer, got ${seed}`);
    this.layers = heNormalLayers(seed);
    const channels = CONV_RANDOM_CHANNELS[CONV_RANDOM_CHANNELS.length - 1];
    const grid = CONV_RANDOM_INPUT >> CONV_RANDOM_CHANNELS.length;
    const digest = createHash('sha256').update(`conv-random;${this.preprocess.id};3x3s2relu:${CONV_RANDOM_CHANNELS.join(',')};avgpool:${POOLED_GRID}`);
    for (const layer of this.layers) digest.update(new Uint8Array(layer.weight.buffer, layer.weight.byteOffset, layer.weight.byteLength));
    this.info = {
      id,
      inputSize: CONV_RANDOM_INPUT,
      normalisation: HALF_NORMALISATION,
      pooledDim: channels * POOLED_GRID * POOLED_GRID,
      spatial: { tokens: grid * grid, channels, grid },
      parameterCount: this.layers.reduce((n, l) => n + l.weight.length, 0),
      digest: digest.digest('hex'),
    };
  }

  async encode(frames: FrameBatch, options: EncodeOptions = {}): Promise<EncodedBatch> {
    checkFrameBatch(frames, `encoder '${this.info.id}'`);
    const input = this.preprocess.run(frames); // [N, 3, 64, 64]
    const { pooledDim, spatial } = this.info;
    const { tokens, channels, grid } = spatial!;
    const pooled = new Float32Array(frames.n * pooledDim);
    const tokensOut = options.spatial ? new Float32Array(frames.n * tokens * channels) : null;
    const inputPlane = 3 * CONV_RANDOM_INPUT * CONV_RANDOM_INPUT;
    for (let i = 0; i < frames.n; i++) {
      let map = input.subarray(i * inputPlane, (i + 1) * inputPlane);
      let size = CONV_RANDOM_INPUT;
      for (const layer of this.layers) {
        map = convStride2Relu(map, size, layer);
        size /= 2;
      }
      // map: [channels, grid, grid]
      const step = grid / POOLED_GRID;
      for (let c = 0; c < channels; c++) {
        for (let py = 0; py < POOLED_GRID; py++) {
          for (let px = 0; px < POOLED_GRID; px++) {
            let sum = 0;
            for (let dy = 0; dy < step; dy++) for (let dx = 0; dx < step; dx++) sum += map[(c * grid + py * step + dy) * grid + px * step + dx]!;
            pooled[i * pooledDim + (c * POOLED_GRID + py) * POOLED_GRID + px] = sum / (step * step);
          }
        }
      }
      if (tokensOut) {
        // channel-first map -> token-major [grid * grid, channels]
        for (let t = 0; t < tokens; t++) for (let c = 0; c < channels; c++) tokensOut[(i * tokens + t) * channels + c] = map[c * tokens + t]!;
      }
    }
    return { pooled, ...(tokensOut ? { spatial: tokensOut } : {}) };
  }

  async dispose(): Promise<void> {}
}
