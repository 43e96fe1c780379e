import { describe, expect, it } from 'vitest';
import { createEncoder, parseEncoderSpec } from '../src/encoders/registry.js';

describe('encoder specs', () => {
  it('parse into the loader, its inputs, the features the encoder prefers to feed a policy and its CortexBench frame path', () => {
    const viaProcessor = { preferredFeatures: 'pooled', protocolPreprocessing: 'processor' } as const;
    expect(parseEncoderSpec('pixels')).toEqual({ text: 'pixels', kind: 'pixels', ...viaProcessor });
    expect(parseEncoderSpec('vit-tiny-random')).toEqual({ text: 'vit-tiny-random', kind: 'random-vit', model: 'vit-tiny-random', seed: null, ...viaProcessor });
    expect(parseEncoderSpec('vit-small-random:7')).toMatchObject({ kind: 'random-vit', model: 'vit-small-random', seed: 7 });
    expect(parseEncoderSpec('onnx:dir/model.onnx')).toEqual({ text: 'onnx:dir/model.onnx', kind: 'onnx', path: 'dir/model.onnx', ...viaProcessor });
    // Paths keep their own colons.
    expect(parseEncoderSpec('hf:C:/models/vit')).toEqual({ text: 'hf:C:/models/vit', kind: 'hf', dir: 'C:/models/vit', ...viaProcessor });
    expect(parseEncoderSpec('theia:ckpt')).toEqual({ text: 'theia:ckpt', kind: 'theia', dir: 'ckpt', preferredFeatures: 'spatial', protocolPreprocessing: 'bicubic-resize' });
    expect(parseEncoderSpec('tfjs:models/mobilenet')).toEqual({ text: 'tfjs:models/mobilenet', kind: 'tfjs', dir: 'models/mobilenet', ...viaProcessor });
    expect(parseEncoderSpec('r3m:r3m/model.pt')).toEqual({ text: 'r3m:r3m/model.pt', kind: 'r3m', path: 'r3m/model.pt', ...viaProcessor });
    expect(parseEncoderSpec('vc1:vc1_vitb.pth')).toEqual({ text: 'vc1:vc1_vitb.pth', kind: 'vc1', path: 'vc1_vitb.pth', ...viaProcessor });
  });

  it('reject malformed and unknown specs, naming the spec and the known forms', () => {
    expect(() => parseEncoderSpec('pixels:2')).toThrow(/unknown encoder spec 'pixels:2' \(known: pixels, /);
    expect(() => parseEncoderSpec('theia')).toThrow(/unknown encoder spec 'theia'/);
    expect(() => parseEncoderSpec('onnx:')).toThrow(/encoder 'onnx:': expected onnx:PATH/);
    expect(() => parseEncoderSpec('hf:')).toThrow(/encoder 'hf:': expected hf:DIR/);
    expect(() => parseEncoderSpec('r3m:')).toThrow(/encoder 'r3m:': expected r3m:PATH with a checkpoint file or folder/);
    expect(() => parseEncoderSpec('tfjs:')).toThrow(/encoder 'tfjs:': expected tfjs:DIR/);
    expect(() => parseEncoderSpec('vit-tiny-random:-1')).toThrow(/seed suffix must be a non-negative integer, got '-1'/);
    expect(() => parseEncoderSpec(' ')).toThrow(/encoder spec must be a non-empty string/);
  });

  it('build the same encoder from a string or its parsed spec, the seed from the suffix or the options', async () => {
    const digests = [];
    for (const spec of [parseEncoderSpec('vit-tiny-random:3'), 'vit-tiny-random:3', 'vit-tiny-random']) {
      const encoder = await createEncoder(spec, { threads: 1, seed: 3 });
      digests.push(encoder.info.digest);
      await encoder.dispose();
    }
    expect(new Set(digests).size).toBe(1);
  });
});
