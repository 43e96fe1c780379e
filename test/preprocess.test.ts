import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FrameBatch } from '../src/encoders/encoder.js';
import { createEncoder, parseEncoderSpec } from '../src/encoders/registry.js';
import { SafetensorsFile } from '../src/encoders/safetensors.js';
import { getProfile } from '../src/protocol/profiles.js';
import type { RunConfig } from '../src/run/config.js';
import { resolveFramePreprocessing } from '../src/run/resolved.js';
import { pilResize, resampleCoefficients } from '../src/encoders/preprocess/pil_resize.js';
import { centerCrop, preprocessFrames, preprocessImageUint8 } from '../src/encoders/preprocess/pixel_values.js';
import type { ImageProcessorType } from '../src/encoders/preprocess/processor_config.js';
import { DEIT_HUB_PREPROCESSOR_CONFIG, parsePreprocessorConfig, recipeSquareSide, resizedSize, roundHalfEven } from '../src/encoders/preprocess/processor_config.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function recipeOf(folder: string, fallback: ImageProcessorType) {
  const config = JSON.parse(readFileSync(join(FIXTURES, folder, 'preprocessor_config.json'), 'utf8'));
  return parsePreprocessorConfig(config, `${folder}/preprocessor_config.json`, fallback);
}

function inputBatch(folder: string, file: string, side: number) {
  return { data: new Uint8Array(readFileSync(join(FIXTURES, folder, file))), n: 2, height: side, width: side };
}

/** Max abs difference and the number of differing values. */
function compare(actual: Float32Array, expected: Float32Array): { max: number; count: number } {
  expect(actual.length).toBe(expected.length);
  let max = 0;
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (d > 0) count++;
    if (d > max) max = d;
  }
  return { max, count };
}

describe('pixel_values parity with the HF image processors (bit-exact)', () => {
  const cases: [string, string, number, string, ImageProcessorType][] = [
    ['theia-micro', 'input.bin', 224, 'expected.safetensors', 'ViTImageProcessor'],
    ['theia-micro', 'input256.bin', 256, 'expected256.safetensors', 'ViTImageProcessor'],
    ['vit-micro', 'input.bin', 224, 'expected.safetensors', 'ViTImageProcessor'],
    ['clip-vision-micro', 'input.bin', 224, 'expected.safetensors', 'ViTImageProcessor'],
    ['dinov2-micro', 'input.bin', 224, 'expected.safetensors', 'ViTImageProcessor'],
  ];
  for (const [folder, input, side, expectedFile, fallback] of cases) {
    it(`${folder} ${input}`, () => {
      const recipe = recipeOf(folder, fallback);
      const pixels = preprocessFrames(inputBatch(folder, input, side), recipe);
      const file = SafetensorsFile.open(join(FIXTURES, folder, expectedFile));
      const expected = file.readFloat32('pixel_values');
      expect(expected.shape).toEqual([2, 3, pixels.height, pixels.width]);
      expect(compare(pixels.data, expected.data)).toEqual({ max: 0, count: 0 });
      file.close();
    });
  }

  it('the Theia 256 set really exercises the resize (a centre crop would not match)', () => {
    const recipe = recipeOf('theia-micro', 'ViTImageProcessor');
    const cropped = preprocessFrames(inputBatch('theia-micro', 'input256.bin', 256), { ...recipe, resize: null, centerCrop: { height: 224, width: 224 } });
    const expected = SafetensorsFile.open(join(FIXTURES, 'theia-micro', 'expected256.safetensors')).readFloat32('pixel_values');
    expect(compare(cropped.data, expected.data).max).toBeGreaterThan(0.5);
  });

  it('DINOv2: PIL bicubic 224 -> 256 uint8 intermediate matches exactly', () => {
    const recipe = recipeOf('dinov2-micro', 'BitImageProcessor');
    expect(recipe).toMatchObject({ processor: 'BitImageProcessor', resample: 'bicubic', resize: { mode: 'shortest_edge', size: 256 } });
    const debug = SafetensorsFile.open(join(FIXTURES, 'dinov2-micro', 'preprocess_debug.safetensors')).readUint8('resized_uint8');
    expect(debug.shape).toEqual([2, 256, 256, 3]);
    const batch = inputBatch('dinov2-micro', 'input.bin', 224);
    const frame = 224 * 224 * 3;
    let differing = 0;
    for (let i = 0; i < 2; i++) {
      const resized = preprocessImageUint8(batch.data.subarray(i * frame, (i + 1) * frame), 224, 224, { ...recipe, centerCrop: null });
      expect([resized.height, resized.width]).toEqual([256, 256]);
      const expected = debug.data.subarray(i * 256 * 256 * 3, (i + 1) * 256 * 256 * 3);
      for (let j = 0; j < expected.length; j++) if (resized.data[j] !== expected[j]) differing++;
    }
    expect(differing).toBe(0);
  });
});

describe('PIL resampler', () => {
  it('bilinear 4 -> 2 matches the antialiased fixed-point result derived by hand', () => {
    // Output 0: taps 0..2 with weights 0.75, 0.75, 0.25 (/1.75) -> 71.43 -> 71; output 1: taps 1..3 -> 209.29 -> 209.
    const row = Uint8Array.from([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
    expect([...pilResize(row, 1, 4, 1, 2, 'bilinear')]).toEqual([71, 71, 71, 209, 209, 209]);
    const column = pilResize(row, 4, 1, 2, 1, 'bilinear');
    expect([...column]).toEqual([71, 71, 71, 209, 209, 209]);
  });

  it('fixed-point weights sum to 2^22 (within rounding) and the support widens when downscaling', () => {
    for (const [inSize, outSize, filter] of [[256, 224, 'bilinear'], [224, 256, 'bicubic'], [480, 224, 'bicubic']] as const) {
      const c = resampleCoefficients(inSize, outSize, filter);
      for (let i = 0; i < outSize; i++) {
        let sum = 0;
        for (let k = 0; k < c.count[i]!; k++) sum += c.weights[i * c.kernelSize + k]!;
        expect(Math.abs(sum - 2 ** 22)).toBeLessThanOrEqual(c.count[i]!);
      }
    }
    expect(resampleCoefficients(512, 224, 'bilinear').kernelSize).toBe(2 * Math.ceil(512 / 224) + 1);
    expect(resampleCoefficients(224, 512, 'bicubic').kernelSize).toBe(5);
  });

  it('keeps a constant image constant, returns a copy at the same size, and rejects bad sizes', () => {
    const flat = new Uint8Array(30 * 20 * 3).fill(77);
    expect(pilResize(flat, 30, 20, 17, 41, 'bicubic').every((v) => v === 77)).toBe(true);
    const copy = pilResize(flat, 30, 20, 30, 20, 'bilinear');
    expect(copy).not.toBe(flat);
    expect(copy).toEqual(flat);
    expect(() => pilResize(flat, 30, 20, 0, 5, 'bilinear')).toThrow(/outHeight must be a positive integer/);
    expect(() => pilResize(flat, 31, 20, 5, 5, 'bilinear')).toThrow('pilResize: expected 31x20x3 = 1860 bytes, got 1800');
    expect(() => pilResize(flat, 30, 20, 5, 5, 'lanczos' as 'bilinear')).toThrow('pilResize: unsupported filter "lanczos" (supported: bilinear, bicubic)');
  });

  it('bicubic overshoot is clipped to 0..255', () => {
    const edge = Uint8Array.from([0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
    const up = pilResize(edge, 1, 4, 1, 16, 'bicubic');
    expect(Math.min(...up)).toBe(0);
    expect(Math.max(...up)).toBe(255);
  });
});

describe('image-processor configs', () => {
  it('reads the DeiT hub config Theia uses as a ViTImageProcessor (bilinear 224x224, mean = std = 0.5)', () => {
    const recipe = parsePreprocessorConfig(DEIT_HUB_PREPROCESSOR_CONFIG, 'deit', 'ViTImageProcessor');
    expect(recipe).toEqual({
      processor: 'ViTImageProcessor',
      resize: { mode: 'exact', height: 224, width: 224 },
      resample: 'bilinear',
      centerCrop: null,
      rescaleFactor: 1 / 255,
      normalisation: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    });
    expect(recipeOf('theia-micro', 'ViTImageProcessor')).toEqual(recipe);
  });

  it('applies transformers shortest-edge sizing and centre cropping with padding', () => {
    expect(resizedSize({ mode: 'shortest_edge', size: 256 }, 480, 640)).toEqual({ height: 256, width: 341 });
    expect(resizedSize({ mode: 'shortest_edge', size: 224 }, 300, 100)).toEqual({ height: 672, width: 224 });
    const image = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i + 1);
    const padded = centerCrop(image, 2, 2, { height: 4, width: 4 });
    // Pad 1 on each side: the 2x2 image sits at rows/cols 1..2.
    expect([...padded.subarray((1 * 4 + 1) * 3, (1 * 4 + 1) * 3 + 3)]).toEqual([1, 2, 3]);
    expect([...padded.subarray(0, 3)]).toEqual([0, 0, 0]);
    const cropped = centerCrop(Uint8Array.from({ length: 5 * 1 * 3 }, (_, i) => i), 5, 1, { height: 3, width: 1 });
    expect([...cropped]).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('reads SAM and DPT processors: longest edge + pad, and aspect-keeping sizes rounded to a multiple', () => {
    const sam = recipeOf('sam-vision-micro', 'SamImageProcessor');
    expect(sam).toMatchObject({ processor: 'SamImageProcessor', resize: { mode: 'longest_edge', size: 256 }, resample: 'bilinear', pad: { height: 256, width: 256 }, centerCrop: null });
    expect(resizedSize({ mode: 'longest_edge', size: 1024 }, 480, 640)).toEqual({ height: 768, width: 1024 });
    expect(resizedSize({ mode: 'longest_edge', size: 256 }, 100, 33)).toEqual({ height: 256, width: 84 }); // int(84.48 + 0.5)
    const wide = preprocessFrames({ data: new Uint8Array(2 * 40 * 80 * 3).fill(200), n: 2, height: 40, width: 80 }, sam);
    expect([wide.height, wide.width]).toEqual([256, 256]);
    // The 128 x 256 image sits at the top; the rest is zero padding (after normalisation).
    expect(wide.data[127 * 256 + 10]).not.toBe(0);
    expect(wide.data[128 * 256 + 10]).toBe(0);
    const dpt = recipeOf('depth-anything-micro', 'DPTImageProcessor');
    expect(dpt).toMatchObject({ processor: 'DPTImageProcessor', resize: { mode: 'fit_multiple', height: 518, width: 518, keepAspectRatio: true, multiple: 14 }, resample: 'bicubic' });
    expect(recipeSquareSide(dpt)).toBe(518);
    // 480x640: the height scale (1.079) is closer to 1 than the width scale (0.809), so both use it.
    expect(resizedSize(dpt.resize!, 480, 640)).toEqual({ height: 518, width: 686 });
    expect(resizedSize({ ...dpt.resize!, keepAspectRatio: false } as typeof dpt.resize & object, 480, 640)).toEqual({ height: 518, width: 518 });
  });

  it("rounds centre-crop offsets as torchvision does where asked (Python's round half to even)", () => {
    expect([2.5, 3.5, -2.5, 17.5, 16].map(roundHalfEven)).toEqual([2, 4, -2, 18, 16]);
    const column = Uint8Array.from({ length: 259 * 3 }, (_, i) => Math.floor(i / 3) % 256);
    const floor = centerCrop(column, 259, 1, { height: 224, width: 1 });
    const round = centerCrop(column, 259, 1, { height: 224, width: 1, offsetRounding: 'round' });
    expect([floor[0], round[0]]).toEqual([17, 18]);
  });

  it('rejects unsupported processors and resample filters, naming the file', () => {
    expect(() => parsePreprocessorConfig({ image_processor_type: 'LlavaImageProcessor' }, 'p.json', 'ViTImageProcessor'))
      .toThrow(/p.json: image processor "LlavaImageProcessor" is not supported/);
    expect(() => parsePreprocessorConfig({ image_processor_type: 'DPTImageProcessor', do_pad: true }, 'p.json', 'ViTImageProcessor'))
      .toThrow(/p.json: DPTImageProcessor do_pad .* is not supported/);
    expect(() => parsePreprocessorConfig({ resample: 0 }, 'p.json', 'ViTImageProcessor')).toThrow(/resample 0 \(nearest\) is not supported/);
    expect(() => parsePreprocessorConfig({ image_std: [1, 0, 1] }, 'p.json', 'ViTImageProcessor')).toThrow(/image_std must not contain 0/);
  });
});

describe("Theia's CortexBench frame path (bicubic resize to 224 before the processor)", () => {
  const theia = `theia:${join(FIXTURES, 'theia-micro')}`;
  const frames256 = (): FrameBatch => inputBatch('theia-micro', 'input256.bin', 256);

  it('is what the registry names for theia: encoders only, and what the paper profile follows', () => {
    expect(parseEncoderSpec(theia).protocolPreprocessing).toBe('bicubic-resize');
    for (const other of ['pixels', 'vit-tiny-random', 'hf:x', 'onnx:x.onnx']) expect(parseEncoderSpec(other).protocolPreprocessing).toBe('processor');
    const config = (profile: string): RunConfig => ({ benchmark: 'cortexbench', profile: getProfile(profile), head: 'auto', shuffleActions: false });
    expect(resolveFramePreprocessing(config('paper'), parseEncoderSpec(theia))).toBe('bicubic-resize');
    expect(resolveFramePreprocessing(config('paper'), parseEncoderSpec('vit-tiny-random'))).toBe('processor');
    expect(resolveFramePreprocessing(config('quick'), parseEncoderSpec(theia))).toBe('processor');
  });

  it("equals Pillow's bicubic 256 -> 224 followed by the processor, and differs from the processor's own resize", async () => {
    const viaBicubic = await createEncoder(theia, { framePreprocessing: 'bicubic-resize', threads: 1 });
    const viaProcessor = await createEncoder(theia, { threads: 1 });
    try {
      const frames = frames256();
      const resized = new Uint8Array(2 * 224 * 224 * 3);
      for (let i = 0; i < 2; i++) {
        resized.set(pilResize(frames.data.subarray(i * 256 * 256 * 3, (i + 1) * 256 * 256 * 3), 256, 256, 224, 224, 'bicubic'), i * 224 * 224 * 3);
      }
      const a = await viaBicubic.encode(frames, { spatial: true });
      const b = await viaProcessor.encode({ data: resized, n: 2, height: 224, width: 224 }, { spatial: true });
      expect(compare(a.spatial!, b.spatial!)).toEqual({ max: 0, count: 0 });
      // The processor's bilinear 256 -> 224 is another picture; the digests (which key feature caches) tell them apart.
      const c = await viaProcessor.encode(frames, { spatial: true });
      expect(compare(a.spatial!, c.spatial!).max).toBeGreaterThan(1e-3);
      expect(viaBicubic.info.digest).not.toBe(viaProcessor.info.digest);
    } finally {
      await viaBicubic.dispose();
      await viaProcessor.dispose();
    }
  });

  it('is refused by encoders without an image processor to precede', async () => {
    await expect(createEncoder('pixels', { framePreprocessing: 'bicubic-resize' })).rejects.toThrow(/encoder 'pixels': framePreprocessing 'bicubic-resize' is offered by checkpoint encoders only/);
  });
});
