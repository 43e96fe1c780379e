/**
 * `pixels`: the no-network baseline. Each frame is area-averaged to 32 x 32, scaled to [0, 1] and flattened
 * channel-first, pooled [N, 3*32*32]. No spatial tokens.
 */
import { createHash } from 'node:crypto';
import type { EncodedBatch, EncodeOptions, Encoder, EncoderInfo, FrameBatch } from '../encoder.js';
import { checkFrameBatch, framesToTensor } from './image_ops.js';

export const PIXELS_SIZE = 32;

export class PixelsEncoder implements Encoder {
  readonly info: EncoderInfo;

  constructor(readonly size = PIXELS_SIZE) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`pixels encoder: size must be a positive integer, got ${size}`);
    const preprocessId = `pixels;resize-box-aa:${size};unit;nchw`;
    this.info = {
      id: size === PIXELS_SIZE ? 'pixels' : `pixels:${size}`,
      inputSize: size,
      normalisation: null,
      pooledDim: 3 * size * size,
      spatial: null,
      parameterCount: 0,
      digest: createHash('sha256').update(preprocessId).digest('hex'),
    };
  }

  async encode(frames: FrameBatch, _options: EncodeOptions = {}): Promise<EncodedBatch> {
    checkFrameBatch(frames, `encoder '${this.info.id}'`);
    return { pooled: framesToTensor(frames, this.size, 'box', null, 'nchw') };
  }

  async dispose(): Promise<void> {}
}
