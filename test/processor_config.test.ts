/**
 * Reading HF preprocessor_config.json files: each processor class's defaults as transformers defines them, every
 * key a file may set, the sizes each rule produces, and every refusal naming the file and the key.
 */
import { describe, expect, it } from 'vitest';
import { pilResize } from '../src/encoders/preprocess/pil_resize.js';
import { byteToPixelValueTables, centerCrop, preprocessFrames, preprocessImageUint8 } from '../src/encoders/preprocess/pixel_values.js';
import {
  parsePreprocessorConfig,
  recipeOutputSize,
  recipeSquareSide,
  resizedSize,
  torchvisionResizeCropRecipe,
  type PreprocessRecipe,
} from '../src/encoders/preprocess/processor_config.js';
import { recipePreprocessor } from '../src/encoders/preprocess/recipe_preprocessor.js';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const HALF = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const CLIP = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };
const parse = (config: object, fallback: Parameters<typeof parsePreprocessorConfig>[2] = 'ViTImageProcessor'): PreprocessRecipe =>
  parsePreprocessorConfig(config, 'p.json', fallback);

describe('processor defaults (transformers)', () => {
  it('ViT: 224 x 224 bilinear, no crop, mean = std = 0.5', () => {
    expect(parse({ image_processor_type: 'ViTImageProcessor' }, 'CLIPImageProcessor')).toEqual({
      processor: 'ViTImageProcessor',
      resize: { mode: 'exact', height: 224, width: 224 },
      resample: 'bilinear',
      centerCrop: null,
      rescaleFactor: 1 / 255,
      normalisation: HALF,
    });
  });

  it('DeiT: 256 x 256 bicubic, centre crop 224, ImageNet mean/std', () => {
    expect(parse({}, 'DeiTImageProcessor')).toEqual({
      processor: 'DeiTImageProcessor',
      resize: { mode: 'exact', height: 256, width: 256 },
      resample: 'bicubic',
      centerCrop: { height: 224, width: 224 },
      rescaleFactor: 1 / 255,
      normalisation: IMAGENET,
    });
  });

  it('CLIP and Bit: shortest edge 224, bicubic, centre crop 224, OpenAI CLIP mean/std', () => {
    for (const processor of ['CLIPImageProcessor', 'BitImageProcessor'] as const) {
      expect(parse({ image_processor_type: processor })).toEqual({
        processor,
        resize: { mode: 'shortest_edge', size: 224 },
        resample: 'bicubic',
        centerCrop: { height: 224, width: 224 },
        rescaleFactor: 1 / 255,
        normalisation: CLIP,
      });
    }
  });

  it('SAM: longest edge 1024, bilinear, ImageNet, padded to 1024 x 1024', () => {
    expect(parse({}, 'SamImageProcessor')).toEqual({
      processor: 'SamImageProcessor',
      resize: { mode: 'longest_edge', size: 1024 },
      resample: 'bilinear',
      centerCrop: null,
      rescaleFactor: 1 / 255,
      normalisation: IMAGENET,
      pad: { height: 1024, width: 1024 },
    });
    expect(parse({ do_pad: false }, 'SamImageProcessor').pad).toBeUndefined();
  });

  it('DPT: 384 x 384 bicubic, aspect not kept, multiple of 1, mean = std = 0.5', () => {
    expect(parse({}, 'DPTImageProcessor')).toEqual({
      processor: 'DPTImageProcessor',
      resize: { mode: 'fit_multiple', height: 384, width: 384, keepAspectRatio: false, multiple: 1 },
      resample: 'bicubic',
      centerCrop: null,
      rescaleFactor: 1 / 255,
      normalisation: HALF,
    });
  });

  it('reads older and fast class names as their image processor', () => {
    expect(parse({ feature_extractor_type: 'ViTFeatureExtractor' }, 'CLIPImageProcessor').processor).toBe('ViTImageProcessor');
    expect(parse({ image_processor_type: 'CLIPImageProcessorFast' }).processor).toBe('CLIPImageProcessor');
    expect(parse({ image_processor_type: 'DeiTImageProcessor', feature_extractor_type: 'ViTFeatureExtractor' }).processor).toBe('DeiTImageProcessor');
  });
});

describe('keys a file sets', () => {
  it('sizes: an integer is square for ViT/DeiT/DPT and the shortest edge for CLIP/Bit; objects as written', () => {
    expect(parse({ size: 160 }).resize).toEqual({ mode: 'exact', height: 160, width: 160 });
    expect(parse({ size: 160 }, 'CLIPImageProcessor').resize).toEqual({ mode: 'shortest_edge', size: 160 });
    expect(parse({ size: { height: 100, width: 120 } }).resize).toEqual({ mode: 'exact', height: 100, width: 120 });
    expect(parse({ size: { shortest_edge: 96 } }).resize).toEqual({ mode: 'shortest_edge', size: 96 });
    expect(parse({ size: { shortest_edge: 96, longest_edge: null } }).resize).toEqual({ mode: 'shortest_edge', size: 96 });
    expect(parse({ size: { longest_edge: 512 } }, 'SamImageProcessor').resize).toEqual({ mode: 'longest_edge', size: 512 });
    expect(parse({ size: { height: 518, width: 518 }, keep_aspect_ratio: true, ensure_multiple_of: 14 }, 'DPTImageProcessor').resize).toEqual({
      mode: 'fit_multiple', height: 518, width: 518, keepAspectRatio: true, multiple: 14,
    });
  });

  it('crop sizes, resample, rescale and normalisation, and switching steps off', () => {
    expect(parse({ crop_size: 200 }, 'CLIPImageProcessor').centerCrop).toEqual({ height: 200, width: 200 });
    expect(parse({ crop_size: { height: 180, width: 190 } }, 'CLIPImageProcessor').centerCrop).toEqual({ height: 180, width: 190 });
    expect(parse({ do_center_crop: false }, 'CLIPImageProcessor').centerCrop).toBeNull();
    // ViT has no crop step, whatever the file says.
    expect(parse({ do_center_crop: true, crop_size: 100 }).centerCrop).toBeNull();
    expect(parse({ resample: 3 }).resample).toBe('bicubic');
    expect(parse({ do_resize: false, resample: 3 })).toMatchObject({ resize: null, resample: 'bilinear' });
    expect(parse({ rescale_factor: 0.5 }).rescaleFactor).toBe(0.5);
    expect(parse({ do_rescale: false }).rescaleFactor).toBeNull();
    expect(parse({ do_normalize: false }).normalisation).toBeNull();
    expect(parse({ image_mean: 0.25, image_std: [1, 2, 3] }).normalisation).toEqual({ mean: [0.25, 0.25, 0.25], std: [1, 2, 3] });
    expect(parse({ pad_size: { height: 64, width: 96 } }, 'SamImageProcessor').pad).toEqual({ height: 64, width: 96 });
    expect(parse({ do_pad: false }, 'DPTImageProcessor').resize).toMatchObject({ mode: 'fit_multiple' });
    // A null flag is the processor's default.
    expect(parse({ do_resize: null, do_normalize: null }).resize).toEqual({ mode: 'exact', height: 224, width: 224 });
    expect(parse({ do_center_crop: null }, 'CLIPImageProcessor').centerCrop).toEqual({ height: 224, width: 224 });
  });

  it('refuses what it cannot reproduce, naming the file and the key', () => {
    const refused: [object, string, Parameters<typeof parsePreprocessorConfig>[2]?][] = [
      [{ image_processor_type: 'LlavaImageProcessor' }, 'p.json: image processor "LlavaImageProcessor" is not supported (supported: ViTImageProcessor, DeiTImageProcessor, BitImageProcessor, CLIPImageProcessor, SamImageProcessor, DPTImageProcessor)'],
      [{ size: 0 }, 'p.json: size must be a positive integer, got 0'],
      [{ size: 2.5 }, 'p.json: size must be a positive integer, got 2.5'],
      [{ size: { height: 10 } }, 'p.json: size.width must be a positive integer, got undefined'],
      [{ size: { width: 10, height: -1 } }, 'p.json: size.height must be a positive integer, got -1'],
      [{ size: { width: 10 } }, 'p.json: size.height must be a positive integer, got undefined'],
      [{ size: { shortest_edge: 0 } }, 'p.json: size.shortest_edge must be a positive integer, got 0'],
      [{ size: { shortest_edge: 10, longest_edge: 20 } }, 'p.json: size with both shortest_edge and longest_edge is not supported'],
      [{ size: { longest_edge: 'x' } }, 'p.json: size.longest_edge must be a positive integer, got "x"'],
      [{ size: 'big' }, 'p.json: size must be an integer, {height, width}, {shortest_edge} or {longest_edge}, got "big"'],
      [{ size: { depth: 3 } }, 'p.json: size must be an integer, {height, width}, {shortest_edge} or {longest_edge}, got {"depth":3}'],
      [{ crop_size: 0 }, 'p.json: crop_size must be a positive integer, got 0', 'CLIPImageProcessor'],
      [{ crop_size: { height: 3 } }, 'p.json: crop_size.width must be a positive integer, got undefined', 'CLIPImageProcessor'],
      [{ crop_size: { width: 3 } }, 'p.json: crop_size.height must be a positive integer, got undefined', 'CLIPImageProcessor'],
      [{ crop_size: 'x' }, 'p.json: crop_size must be an integer or {height, width}, got "x"', 'CLIPImageProcessor'],
      [{ image_mean: [0.5, 0.5] }, 'p.json: image_mean must be a number or 3 numbers, got [0.5,0.5]'],
      [{ image_mean: [0.5, 'a', 0.5] }, 'p.json: image_mean must be a number or 3 numbers, got [0.5,"a",0.5]'],
      [{ image_std: Number.NaN }, 'p.json: image_std must be a number or 3 numbers, got null'],
      [{ image_std: [1, 0, 1] }, 'p.json: image_std must not contain 0'],
      [{ rescale_factor: '1/255' }, 'p.json: rescale_factor must be a number, got "1/255"'],
      [{ do_resize: 'yes' }, 'p.json: do_resize must be true or false, got "yes"'],
      [{ resample: 1 }, 'p.json: resample 1 (lanczos) is not supported (supported: 2 = bilinear, 3 = bicubic)'],
      [{ resample: 'bilinear' }, 'p.json: resample "bilinear" is not supported (supported: 2 = bilinear, 3 = bicubic)'],
      [{ resample: 9 }, 'p.json: resample 9 is not supported (supported: 2 = bilinear, 3 = bicubic)'],
      // A string that looks like a code is not one.
      [{ resample: '1' }, 'p.json: resample "1" is not supported (supported: 2 = bilinear, 3 = bicubic)'],
      [{ rescale_factor: Number.NaN }, 'p.json: rescale_factor must be a number, got null'],
      // Only a trailing FeatureExtractor / ImageProcessorFast names the class.
      [{ image_processor_type: 'ViTFeatureExtractorFast' }, 'p.json: image processor "ViTFeatureExtractorFast" is not supported'],
      [{ size: 512 }, 'p.json: SamImageProcessor size must be {longest_edge}, got 512', 'SamImageProcessor'],
      [{ pad_size: { height: 0, width: 4 } }, 'p.json: pad_size.height must be a positive integer, got 0', 'SamImageProcessor'],
      [{ pad_size: { height: 4 } }, 'p.json: pad_size.width must be a positive integer, got undefined', 'SamImageProcessor'],
      [{ size: { shortest_edge: 384 } }, 'p.json: DPTImageProcessor size must be {height, width}, got {"shortest_edge":384}', 'DPTImageProcessor'],
      [{ ensure_multiple_of: 0 }, 'p.json: ensure_multiple_of must be a positive integer, got 0', 'DPTImageProcessor'],
      [{ do_pad: true }, 'p.json: DPTImageProcessor do_pad (padding to a multiple of size_divisor) is not supported', 'DPTImageProcessor'],
    ];
    for (const [config, message, fallback] of refused) expect(() => parse(config, fallback), JSON.stringify(config)).toThrow(message);
    for (const bad of [null, [], 'x']) expect(() => parsePreprocessorConfig(bad, 'q.json', 'ViTImageProcessor')).toThrow('q.json: expected a JSON object');
  });
});

describe('sizes', () => {
  it('resizes by each rule as transformers computes it', () => {
    expect(resizedSize({ mode: 'exact', height: 7, width: 9 }, 100, 50)).toEqual({ height: 7, width: 9 });
    // Shortest edge: the long side is int(size * long / short); portrait and landscape.
    expect(resizedSize({ mode: 'shortest_edge', size: 224 }, 256, 341)).toEqual({ height: 224, width: 298 });
    expect(resizedSize({ mode: 'shortest_edge', size: 100 }, 300, 200)).toEqual({ height: 150, width: 100 });
    expect(resizedSize({ mode: 'shortest_edge', size: 64 }, 96, 96)).toEqual({ height: 64, width: 64 });
    // Longest edge: int(side * size / long + 0.5).
    expect(resizedSize({ mode: 'longest_edge', size: 100 }, 30, 200)).toEqual({ height: 15, width: 100 });
    expect(resizedSize({ mode: 'longest_edge', size: 100 }, 201, 67)).toEqual({ height: 100, width: 33 });
    // DPT: each side rounded (half to even) to a multiple, at least one multiple.
    expect(resizedSize({ mode: 'fit_multiple', height: 32, width: 32, keepAspectRatio: false, multiple: 14 }, 64, 64)).toEqual({ height: 28, width: 28 });
    expect(resizedSize({ mode: 'fit_multiple', height: 5, width: 5, keepAspectRatio: false, multiple: 14 }, 64, 64)).toEqual({ height: 14, width: 14 });
    expect(resizedSize({ mode: 'fit_multiple', height: 21, width: 35, keepAspectRatio: false, multiple: 14 }, 10, 10)).toEqual({ height: 28, width: 28 });
    // Aspect kept: the scale closer to 1 for both sides (here the width's, 1.25 vs the height's 2).
    expect(resizedSize({ mode: 'fit_multiple', height: 200, width: 250, keepAspectRatio: true, multiple: 1 }, 100, 200)).toEqual({ height: 125, width: 250 });
  });

  it("DPT's aspect-keeping fit takes the height scale when both scales are as far from 1", () => {
    const fit = { mode: 'fit_multiple', height: 480, width: 480, keepAspectRatio: true, multiple: 1 } as const;
    // 480 / 400 = 1.2 and 480 / 600 = 0.8: a tie, so the height scale 1.2 applies to both sides.
    expect(Math.abs(1 - 480 / 600)).toBe(Math.abs(1 - 480 / 400));
    expect(resizedSize(fit, 400, 600)).toEqual({ height: 480, width: 720 });
  });

  it('gives the output size and the square side the network sees', () => {
    const base = parse({});
    expect(recipeOutputSize(base, 50, 80)).toEqual({ height: 224, width: 224 });
    expect(recipeOutputSize({ ...base, resize: null }, 50, 80)).toEqual({ height: 50, width: 80 });
    expect(recipeOutputSize(parse({}, 'CLIPImageProcessor'), 50, 80)).toEqual({ height: 224, width: 224 });
    expect(recipeOutputSize(parse({ do_center_crop: false }, 'CLIPImageProcessor'), 50, 100)).toEqual({ height: 224, width: 448 });
    expect(recipeOutputSize(parse({}, 'SamImageProcessor'), 50, 80)).toEqual({ height: 1024, width: 1024 });
    expect(recipeSquareSide(base)).toBe(224);
    expect(recipeSquareSide(parse({ size: { height: 100, width: 120 } }))).toBeNull();
    expect(recipeSquareSide(parse({}, 'CLIPImageProcessor'))).toBe(224);
    expect(recipeSquareSide(parse({ do_center_crop: false }, 'CLIPImageProcessor'))).toBeNull();
    expect(recipeSquareSide(parse({ do_pad: false }, 'SamImageProcessor'))).toBe(1024);
    expect(recipeSquareSide(parse({ size: { height: 518, width: 518 }, ensure_multiple_of: 14, keep_aspect_ratio: true }, 'DPTImageProcessor'))).toBe(518);
    expect(recipeSquareSide(parse({ size: { height: 518, width: 600 } }, 'DPTImageProcessor'))).toBeNull();
    expect(recipeSquareSide({ ...base, resize: null })).toBeNull();
    expect(torchvisionResizeCropRecipe('r3m', 'bilinear')).toEqual({
      processor: 'r3m',
      resize: { mode: 'shortest_edge', size: 256 },
      resample: 'bilinear',
      centerCrop: { height: 224, width: 224, offsetRounding: 'round' },
      rescaleFactor: 1 / 255,
      normalisation: IMAGENET,
    });
  });
});

describe('pixel values', () => {
  it('maps each byte to float32((float32(k * rescale) - mean) / std) per channel, or leaves steps out', () => {
    const recipe = parse({ image_mean: [0.5, 0.25, 0], image_std: [0.5, 2, 1] });
    const tables = byteToPixelValueTables(recipe);
    const f = Math.fround;
    for (const k of [0, 1, 128, 255]) {
      const v = f(k / 255);
      expect([tables[0]![k], tables[1]![k], tables[2]![k]]).toEqual([f(f(v - f(0.5)) / f(0.5)), f(f(v - f(0.25)) / f(2)), f(f(v - 0) / 1)]);
    }
    expect(byteToPixelValueTables({ ...recipe, normalisation: null })[1]![51]).toBe(f(51 / 255));
    expect(byteToPixelValueTables({ ...recipe, rescaleFactor: null, normalisation: null })[2]![51]).toBe(51);
    expect(byteToPixelValueTables({ ...recipe, rescaleFactor: null })[0]![51]).toBe(f(f(51 - 0.5) / 0.5));
    expect(tables).toHaveLength(3);
  });

  it('lays frames out [N, 3, H, W] and checks the frame bytes and the pad size', () => {
    const recipe: PreprocessRecipe = { ...parse({ do_normalize: false, do_rescale: false }), resize: null };
    // Two 1x2 frames: (1,2,3),(4,5,6) and (7,8,9),(10,11,12).
    const out = preprocessFrames({ data: Uint8Array.from({ length: 12 }, (_, i) => i + 1), n: 2, height: 1, width: 2 }, recipe);
    expect([out.n, out.height, out.width]).toEqual([2, 1, 2]);
    expect(Array.from(out.data)).toEqual([1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12]);
    expect(() => preprocessFrames({ data: new Uint8Array(5), n: 2, height: 2, width: 3 }, recipe)).toThrow('preprocessFrames: frames hold 5 bytes, expected n*height*width*3 = 36');
    const tooSmallPad: PreprocessRecipe = { ...recipe, resize: { mode: 'longest_edge', size: 8 }, pad: { height: 4, width: 4 } };
    expect(() => preprocessFrames({ data: new Uint8Array(4 * 4 * 3), n: 1, height: 4, width: 4 }, tooSmallPad)).toThrow('preprocessing: a 4x4 frame resizes to 8x8, larger than the 4x4 pad size');
    // Too tall or too wide alone is refused too.
    for (const [height, width] of [[6, 2], [2, 6]] as const) {
      const oneSide: PreprocessRecipe = { ...recipe, resize: { mode: 'exact', height, width }, pad: { height: 4, width: 4 } };
      expect(() => preprocessFrames({ data: new Uint8Array(4 * 4 * 3), n: 1, height: 4, width: 4 }, oneSide)).toThrow(`a 4x4 frame resizes to ${width}x${height}, larger than the 4x4 pad size`);
    }
  });

  it('serves a recipe as a preprocessor for square frames and refuses frames that would not fit its graph', () => {
    const recipe = parse({ size: { height: 518, width: 518 }, ensure_multiple_of: 14, keep_aspect_ratio: true }, 'DPTImageProcessor');
    const pre = recipePreprocessor(recipe, 518);
    expect(pre.inputSize).toBe(518);
    expect(pre.id).toBe(`hf-image-processor:${JSON.stringify(recipe)}`);
    expect(pre.normalisation).toEqual(HALF);
    expect(pre.run({ data: new Uint8Array(64 * 64 * 3), n: 1, height: 64, width: 64 })).toHaveLength(3 * 518 * 518);
    expect(() => pre.run({ data: new Uint8Array(64 * 96 * 3), n: 1, height: 64, width: 96 })).toThrow(
      'preprocessing (DPTImageProcessor) turns 96x64 frames into 518x350 images, but the graph is built for 518x518; this preprocessing keeps the aspect ratio, so the frames must be square',
    );
    // Portrait frames keep the height at 518 and give another width.
    expect(() => pre.run({ data: new Uint8Array(96 * 64 * 3), n: 1, height: 96, width: 64 })).toThrow('turns 64x96 frames into 350x518 images');
    expect(recipePreprocessor(parse({ do_normalize: false }), 224).normalisation).toBeNull();
  });
});

/**
 * transformers' center_crop written as it is documented: pad the image with zeros to at least the crop size (the
 * extra split with the larger half before: ceil), then slice rows [top, top + cropH) and columns [left, left + cropW)
 * of the padded image, top = floor((H - cropH) / 2) + padTop (torchvision: round half to even of (H - cropH) / 2).
 */
function referenceCrop(rgb: Uint8Array, height: number, width: number, cropH: number, cropW: number, round: boolean): number[] {
  const paddedH = Math.max(height, cropH);
  const paddedW = Math.max(width, cropW);
  const padTop = Math.ceil((paddedH - height) / 2);
  const padLeft = Math.ceil((paddedW - width) / 2);
  const padded: number[][][] = Array.from({ length: paddedH }, () => Array.from({ length: paddedW }, () => [0, 0, 0]));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) padded[y + padTop]![x + padLeft] = [...rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
  const half = (d: number): number => (round ? roundHalfEvenReference(d / 2) : Math.floor(d / 2));
  const top = half(height - cropH) + padTop;
  const left = half(width - cropW) + padLeft;
  const out: number[] = [];
  for (let y = top; y < top + cropH; y++) for (let x = left; x < left + cropW; x++) out.push(...padded[y]![x]!);
  return out;
}
/** Python's round() on halves: to the even neighbour. */
const roundHalfEvenReference = (v: number): number => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));

describe('centre crop', () => {
  it('equals padding then slicing for crops smaller, larger and mixed on each side, both offset roundings', () => {
    const shapes: [number, number, number, number][] = [
      [5, 7, 5, 3], // same height, narrower
      [7, 5, 3, 5], // same width, shorter
      [4, 6, 8, 2], // taller, narrower: pads rows only
      [6, 4, 2, 8], // shorter, wider: pads columns only
      [3, 2, 7, 6], // larger both ways, odd pads
      [9, 8, 4, 3], // smaller both ways, odd differences
      [2, 3, 2, 3], // unchanged
    ];
    let seed = 1;
    for (const [height, width, cropH, cropW] of shapes) {
      const rgb = Uint8Array.from({ length: height * width * 3 }, () => (seed = (seed * 75 + 74) % 65537) % 255 + 1);
      for (const round of [false, true]) {
        const crop = round ? { height: cropH, width: cropW, offsetRounding: 'round' as const } : { height: cropH, width: cropW };
        expect([...centerCrop(rgb, height, width, crop)], `${height}x${width} -> ${cropH}x${cropW} ${round ? 'round' : 'floor'}`).toEqual(
          referenceCrop(rgb, height, width, cropH, cropW, round),
        );
      }
    }
  });
});

describe('resize before the crop', () => {
  it('resizes when only one side changes', () => {
    const frame = Uint8Array.from({ length: 4 * 6 * 3 }, (_, i) => (i * 37) % 256);
    for (const [height, width] of [[4, 3], [2, 6]] as const) {
      const recipe: PreprocessRecipe = { ...parse({ do_normalize: false, do_rescale: false }), resize: { mode: 'exact', height, width } };
      const image = preprocessImageUint8(frame, 4, 6, recipe);
      expect([image.height, image.width]).toEqual([height, width]);
      expect([...image.data]).toEqual([...pilResize(frame, 4, 6, height, width, 'bilinear')]);
    }
  });
});
