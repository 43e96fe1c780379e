/**
 * Reads an HF `preprocessor_config.json` into an explicit preprocessing recipe, applying the defaults of the
 * image-processor class that transformers would build (ViTImageProcessor, DeiTImageProcessor, BitImageProcessor,
 * CLIPImageProcessor, SamImageProcessor, DPTImageProcessor). Only the settings are read; nothing from the checkpoint
 * is executed. Non-HF pipelines (R3M's, VC-1's torchvision transforms) are written as recipes directly.
 */
import type { PilFilter } from './pil_resize.js';
import { PIL_RESAMPLE_CODES } from './pil_resize.js';

export type ImageProcessorType =
  | 'ViTImageProcessor'
  | 'DeiTImageProcessor'
  | 'BitImageProcessor'
  | 'CLIPImageProcessor'
  | 'SamImageProcessor'
  | 'DPTImageProcessor';
export const SUPPORTED_PROCESSORS: readonly ImageProcessorType[] = [
  'ViTImageProcessor', 'DeiTImageProcessor', 'BitImageProcessor', 'CLIPImageProcessor', 'SamImageProcessor', 'DPTImageProcessor',
];

/** Which pipeline a recipe reproduces: an HF image processor, or a named torchvision pipeline (r3m, vc1). */
export type PreprocessPipeline = ImageProcessorType | 'r3m' | 'vc_models.vit_transforms';

export type ResizeRule =
  /** Resize to exactly height x width (aspect not kept). */
  | { mode: 'exact'; height: number; width: number }
  /** Resize so the shorter side is `size`, the longer int(size * long / short) (transformers' and torchvision's rule). */
  | { mode: 'shortest_edge'; size: number }
  /** Resize so the longer side is `size`: each side int(side * size / long + 0.5) (SAM). */
  | { mode: 'longest_edge'; size: number }
  /**
   * DPT: towards height x width, each side rounded to a multiple of `multiple` (Python round); with
   * `keepAspectRatio` both sides use the scale closer to 1 ("scale as little as possible").
   */
  | { mode: 'fit_multiple'; height: number; width: number; keepAspectRatio: boolean; multiple: number };

export interface CenterCrop {
  height: number;
  width: number;
  /**
   * How the offset (size - crop) / 2 is rounded: absent = floor (transformers), 'round' = Python's round half to
   * even (torchvision's CenterCrop). They differ only for odd differences.
   */
  offsetRounding?: 'round';
}

export interface PreprocessRecipe {
  processor: PreprocessPipeline;
  resize: ResizeRule | null;
  resample: PilFilter;
  centerCrop: CenterCrop | null;
  /** Multiplier applied in float64 before the cast to float32 (transformers' rescale), or null. */
  rescaleFactor: number | null;
  normalisation: { mean: [number, number, number]; std: [number, number, number] } | null;
  /** Zero padding at the bottom and right up to height x width, after normalisation (SAM's pad_size). */
  pad?: { height: number; width: number };
}

export const IMAGENET_DEFAULT = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/**
 * A torchvision pipeline on a PIL image: Resize(256) of the shorter side with `resample`, CenterCrop(224) (its
 * rounding), ToTensor (k / 255) and Normalize with ImageNet mean/std (R3M's and VC-1's CortexBench transforms).
 */
export function torchvisionResizeCropRecipe(pipeline: PreprocessPipeline, resample: PilFilter): PreprocessRecipe {
  return {
    processor: pipeline,
    resize: { mode: 'shortest_edge', size: 256 },
    resample,
    centerCrop: { height: 224, width: 224, offsetRounding: 'round' },
    rescaleFactor: 1 / 255,
    normalisation: { mean: [...IMAGENET_DEFAULT.mean], std: [...IMAGENET_DEFAULT.std] },
  };
}
const IMAGENET_STANDARD = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } as const;
const OPENAI_CLIP = {
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
} as const;

interface ProcessorDefaults {
  size: unknown;
  /** How an integer `size` is read: as height = width (ViT/DeiT) or as the shortest edge (CLIP/Bit). */
  intSizeIsSquare: boolean;
  resample: number;
  doCenterCrop: boolean;
  cropSize: number;
  stats: { readonly mean: readonly number[]; readonly std: readonly number[] };
}

const DEFAULTS: Readonly<Record<ImageProcessorType, ProcessorDefaults>> = {
  ViTImageProcessor: { size: 224, intSizeIsSquare: true, resample: 2, doCenterCrop: false, cropSize: 224, stats: IMAGENET_STANDARD },
  DeiTImageProcessor: { size: 256, intSizeIsSquare: true, resample: 3, doCenterCrop: true, cropSize: 224, stats: IMAGENET_DEFAULT },
  BitImageProcessor: { size: { shortest_edge: 224 }, intSizeIsSquare: false, resample: 3, doCenterCrop: true, cropSize: 224, stats: OPENAI_CLIP },
  CLIPImageProcessor: { size: { shortest_edge: 224 }, intSizeIsSquare: false, resample: 3, doCenterCrop: true, cropSize: 224, stats: OPENAI_CLIP },
  SamImageProcessor: { size: { longest_edge: 1024 }, intSizeIsSquare: false, resample: 2, doCenterCrop: false, cropSize: 0, stats: IMAGENET_DEFAULT },
  DPTImageProcessor: { size: { height: 384, width: 384 }, intSizeIsSquare: true, resample: 3, doCenterCrop: false, cropSize: 0, stats: IMAGENET_STANDARD },
};

/** Processors without a centre-crop step. */
const NO_CROP: ReadonlySet<ImageProcessorType> = new Set(['ViTImageProcessor', 'SamImageProcessor', 'DPTImageProcessor']);

/** The facebook/deit-*-patch16-224 hub preprocessor_config.json that Theia's backbone loads (no processor type key). */
export const DEIT_HUB_PREPROCESSOR_CONFIG = {
  do_normalize: true,
  do_resize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
  size: 224,
} as const;

function positiveInt(value: unknown, what: string, source: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new Error(`${source}: ${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function parseSize(value: unknown, intIsSquare: boolean, source: string): ResizeRule {
  if (typeof value === 'number') {
    const s = positiveInt(value, 'size', source);
    return intIsSquare ? { mode: 'exact', height: s, width: s } : { mode: 'shortest_edge', size: s };
  }
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('height' in v || 'width' in v) {
      return { mode: 'exact', height: positiveInt(v.height, 'size.height', source), width: positiveInt(v.width, 'size.width', source) };
    }
    if ('shortest_edge' in v) {
      if ('longest_edge' in v && v.longest_edge != null) throw new Error(`${source}: size with both shortest_edge and longest_edge is not supported`);
      return { mode: 'shortest_edge', size: positiveInt(v.shortest_edge, 'size.shortest_edge', source) };
    }
    if ('longest_edge' in v) return { mode: 'longest_edge', size: positiveInt(v.longest_edge, 'size.longest_edge', source) };
  }
  throw new Error(`${source}: size must be an integer, {height, width}, {shortest_edge} or {longest_edge}, got ${JSON.stringify(value)}`);
}

function parseCrop(value: unknown, source: string): { height: number; width: number } {
  if (typeof value === 'number') {
    const s = positiveInt(value, 'crop_size', source);
    return { height: s, width: s };
  }
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    return { height: positiveInt(v.height, 'crop_size.height', source), width: positiveInt(v.width, 'crop_size.width', source) };
  }
  throw new Error(`${source}: crop_size must be an integer or {height, width}, got ${JSON.stringify(value)}`);
}

function parseTriple(value: unknown, what: string, source: string): [number, number, number] {
  if (typeof value === 'number' && Number.isFinite(value)) return [value, value, value];
  if (Array.isArray(value) && value.length === 3 && value.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    return [value[0], value[1], value[2]];
  }
  throw new Error(`${source}: ${what} must be a number or 3 numbers, got ${JSON.stringify(value)}`);
}

function parseResample(code: unknown, source: string): PilFilter {
  if (code === 2) return 'bilinear';
  if (code === 3) return 'bicubic';
  const name = typeof code === 'number' ? PIL_RESAMPLE_CODES[code] : undefined;
  throw new Error(`${source}: resample ${JSON.stringify(code)}${name ? ` (${name})` : ''} is not supported (supported: 2 = bilinear, 3 = bicubic)`);
}

/**
 * @param config  the parsed preprocessor_config.json
 * @param source  file name for error messages
 * @param fallbackType  processor class transformers would pick from the model type when the file names none
 */
export function parsePreprocessorConfig(config: unknown, source: string, fallbackType: ImageProcessorType): PreprocessRecipe {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error(`${source}: expected a JSON object`);
  const c = config as Record<string, unknown>;
  const declared = c.image_processor_type ?? c.feature_extractor_type;
  let processor: ImageProcessorType = fallbackType;
  if (declared !== undefined) {
    const name = String(declared).replace(/FeatureExtractor$/, 'ImageProcessor').replace(/ImageProcessorFast$/, 'ImageProcessor');
    if (!(SUPPORTED_PROCESSORS as readonly string[]).includes(name)) {
      throw new Error(`${source}: image processor ${JSON.stringify(declared)} is not supported (supported: ${SUPPORTED_PROCESSORS.join(', ')})`);
    }
    processor = name as ImageProcessorType;
  }
  const d = DEFAULTS[processor];
  const flag = (key: string, fallback: boolean): boolean => {
    const v = c[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new Error(`${source}: ${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const hasCrop = !NO_CROP.has(processor);
  const doResize = flag('do_resize', true);
  const doCrop = hasCrop && flag('do_center_crop', d.doCenterCrop);
  const doRescale = flag('do_rescale', true);
  const doNormalise = flag('do_normalize', true);
  const rescaleFactor = c.rescale_factor ?? 1 / 255;
  if (typeof rescaleFactor !== 'number' || !Number.isFinite(rescaleFactor)) {
    throw new Error(`${source}: rescale_factor must be a number, got ${JSON.stringify(rescaleFactor)}`);
  }
  const std = parseTriple(c.image_std ?? d.stats.std, 'image_std', source);
  if (std.some((s) => s === 0)) throw new Error(`${source}: image_std must not contain 0`);
  let resize = doResize ? parseSize(c.size ?? d.size, d.intSizeIsSquare, source) : null;
  if (processor === 'SamImageProcessor' && resize && resize.mode !== 'longest_edge') {
    throw new Error(`${source}: SamImageProcessor size must be {longest_edge}, got ${JSON.stringify(c.size)}`);
  }
  if (processor === 'DPTImageProcessor' && resize) {
    if (resize.mode !== 'exact') throw new Error(`${source}: DPTImageProcessor size must be {height, width}, got ${JSON.stringify(c.size)}`);
    const multiple = c.ensure_multiple_of ?? 1;
    resize = {
      mode: 'fit_multiple',
      height: resize.height,
      width: resize.width,
      keepAspectRatio: flag('keep_aspect_ratio', false),
      multiple: positiveInt(multiple, 'ensure_multiple_of', source),
    };
  }
  const recipe: PreprocessRecipe = {
    processor,
    resize,
    resample: doResize ? parseResample(c.resample ?? d.resample, source) : 'bilinear',
    centerCrop: doCrop ? parseCrop(c.crop_size ?? d.cropSize, source) : null,
    rescaleFactor: doRescale ? rescaleFactor : null,
    normalisation: doNormalise ? { mean: parseTriple(c.image_mean ?? d.stats.mean, 'image_mean', source), std } : null,
  };
  if (processor === 'SamImageProcessor' && flag('do_pad', true)) {
    const pad = (c.pad_size ?? { height: 1024, width: 1024 }) as Record<string, unknown>;
    recipe.pad = { height: positiveInt(pad.height, 'pad_size.height', source), width: positiveInt(pad.width, 'pad_size.width', source) };
  }
  if (processor === 'DPTImageProcessor' && flag('do_pad', false)) {
    throw new Error(`${source}: DPTImageProcessor do_pad (padding to a multiple of size_divisor) is not supported`);
  }
  return recipe;
}

/** Output (height, width) of the recipe for an input of the given size. */
export function recipeOutputSize(recipe: PreprocessRecipe, height: number, width: number): { height: number; width: number } {
  if (recipe.pad) return { ...recipe.pad };
  if (recipe.centerCrop) return { height: recipe.centerCrop.height, width: recipe.centerCrop.width };
  if (recipe.resize) return resizedSize(recipe.resize, height, width);
  return { height, width };
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** DPT's constrain_to_multiple_of (no bounds): round(value / multiple) * multiple, at least one multiple. */
function toMultiple(value: number, multiple: number): number {
  const x = roundHalfEven(value / multiple) * multiple;
  return x > 0 ? x : Math.ceil(value / multiple) * multiple;
}

/** The resized (height, width), as transformers' (and torchvision's) size rules compute it. */
export function resizedSize(rule: ResizeRule, height: number, width: number): { height: number; width: number } {
  switch (rule.mode) {
    case 'exact':
      return { height: rule.height, width: rule.width };
    case 'shortest_edge': {
      const short = Math.min(height, width);
      const long = Math.max(height, width);
      const newLong = Math.trunc((rule.size * long) / short);
      return width <= height ? { height: newLong, width: rule.size } : { height: rule.size, width: newLong };
    }
    case 'longest_edge': {
      const scale = rule.size / Math.max(height, width);
      return { height: Math.trunc(height * scale + 0.5), width: Math.trunc(width * scale + 0.5) };
    }
    case 'fit_multiple': {
      let scaleH = rule.height / height;
      let scaleW = rule.width / width;
      if (rule.keepAspectRatio) {
        if (Math.abs(1 - scaleW) < Math.abs(1 - scaleH)) scaleH = scaleW;
        else scaleW = scaleH;
      }
      return { height: toMultiple(scaleH * height, rule.multiple), width: toMultiple(scaleW * width, rule.multiple) };
    }
  }
}

/**
 * The square side the network sees. Fixed by a pad, a centre crop or an exact resize; aspect-keeping resizes to a
 * square target (DPT's fit, SAM's longest edge without pad) give a square only for square frames, so their side for
 * square frames is returned and other frames fail at preprocessing time (see recipePreprocessor). null when the
 * recipe gives no square input.
 */
export function recipeSquareSide(recipe: PreprocessRecipe): number | null {
  const rule = recipe.resize;
  let fixed: { height: number; width: number } | null = recipe.pad ?? recipe.centerCrop ?? null;
  if (!fixed && rule?.mode === 'exact') fixed = rule;
  if (!fixed && rule?.mode === 'longest_edge') fixed = { height: rule.size, width: rule.size };
  if (!fixed && rule?.mode === 'fit_multiple' && rule.height === rule.width) fixed = resizedSize(rule, rule.height, rule.width);
  return fixed && fixed.height === fixed.width ? fixed.height : null;
}
