/**
 * Turns uint8 RGB frames into the `pixel_values` an HF image processor (or a torchvision pipeline) produces, bit for
 * bit: PIL resize (uint8) -> centre crop (uint8, zero padding when the image is smaller) -> float32(k * rescale) with
 * the product in float64 -> (v - mean) / std in float32 -> CHW -> zero padding at the bottom and right (SAM).
 */
import type { FrameBatch } from '../encoder.js';
import { pilResize } from './pil_resize.js';
import type { CenterCrop, PreprocessRecipe } from './processor_config.js';
import { recipeOutputSize, resizedSize, roundHalfEven } from './processor_config.js';

export interface PixelValues {
  /** [N, 3, height, width] float32, row-major. */
  data: Float32Array;
  n: number;
  height: number;
  width: number;
}

/**
 * transformers' center_crop on an HWC uint8 image (pads with zeros where the crop exceeds the image); with
 * `offsetRounding: 'round'` the offsets are torchvision's int(round((size - crop) / 2)).
 */
export function centerCrop(rgb: Uint8Array, height: number, width: number, crop: CenterCrop): Uint8Array {
  const { height: cropH, width: cropW } = crop;
  if (height === cropH && width === cropW) return rgb;
  const padTop = Math.ceil(Math.max(0, cropH - height) / 2);
  const padLeft = Math.ceil(Math.max(0, cropW - width) / 2);
  // Offsets of the crop in the (possibly padded) image, as Python floor division (or round) computes them.
  const offset = (d: number): number => (crop.offsetRounding === 'round' ? roundHalfEven(d / 2) : Math.floor(d / 2));
  const top = offset(height - cropH) + padTop;
  const left = offset(width - cropW) + padLeft;
  const out = new Uint8Array(cropH * cropW * 3);
  if (padTop === 0 && padLeft === 0) {
    // The crop lies inside the image: whole rows.
    for (let y = 0; y < cropH; y++) out.set(rgb.subarray(((top + y) * width + left) * 3, ((top + y) * width + left + cropW) * 3), y * cropW * 3);
    return out;
  }
  for (let y = 0; y < cropH; y++) {
    const sy = top + y - padTop;
    if (sy < 0 || sy >= height) continue;
    for (let x = 0; x < cropW; x++) {
      const sx = left + x - padLeft;
      if (sx < 0 || sx >= width) continue;
      const s = (sy * width + sx) * 3;
      const o = (y * cropW + x) * 3;
      out[o] = rgb[s]!;
      out[o + 1] = rgb[s + 1]!;
      out[o + 2] = rgb[s + 2]!;
    }
  }
  return out;
}

/** Per-channel lookup tables byte -> normalised float32 (the float path depends only on the byte value). */
export function byteToPixelValueTables(recipe: PreprocessRecipe): Float32Array[] {
  const tables: Float32Array[] = [];
  for (let ch = 0; ch < 3; ch++) {
    const table = new Float32Array(256);
    const mean = recipe.normalisation ? Math.fround(recipe.normalisation.mean[ch]!) : 0;
    const std = recipe.normalisation ? Math.fround(recipe.normalisation.std[ch]!) : 1;
    for (let k = 0; k < 256; k++) {
      const v = recipe.rescaleFactor === null ? k : Math.fround(k * recipe.rescaleFactor);
      table[k] = recipe.normalisation ? Math.fround(Math.fround(v - mean) / std) : v;
    }
    tables.push(table);
  }
  return tables;
}

/** The uint8 HWC image after resize and crop, before the float conversion (useful for debugging parity). */
export function preprocessImageUint8(rgb: Uint8Array, height: number, width: number, recipe: PreprocessRecipe): {
  data: Uint8Array;
  height: number;
  width: number;
} {
  let image = rgb;
  let h = height;
  let w = width;
  if (recipe.resize) {
    const size = resizedSize(recipe.resize, h, w);
    // Same size: Pillow returns a copy, which the read-only steps below do not need.
    if (size.height !== h || size.width !== w) image = pilResize(image, h, w, size.height, size.width, recipe.resample);
    h = size.height;
    w = size.width;
  }
  if (recipe.centerCrop) {
    image = centerCrop(image, h, w, recipe.centerCrop);
    h = recipe.centerCrop.height;
    w = recipe.centerCrop.width;
  }
  return { data: image, height: h, width: w };
}

export function preprocessFrames(frames: FrameBatch, recipe: PreprocessRecipe): PixelValues {
  const { n, height, width } = frames;
  if (frames.data.length !== n * height * width * 3) {
    throw new Error(`preprocessFrames: frames hold ${frames.data.length} bytes, expected n*height*width*3 = ${n * height * width * 3}`);
  }
  const out = recipeOutputSize(recipe, height, width);
  const plane = out.height * out.width;
  const data = new Float32Array(n * 3 * plane); // zeros: the padding, where the recipe pads
  const tables = byteToPixelValueTables(recipe);
  const frameBytes = height * width * 3;
  for (let i = 0; i < n; i++) {
    const image = preprocessImageUint8(frames.data.subarray(i * frameBytes, (i + 1) * frameBytes), height, width, recipe);
    if (image.height > out.height || image.width > out.width) {
      throw new Error(`preprocessing: a ${width}x${height} frame resizes to ${image.width}x${image.height}, larger than the ${out.width}x${out.height} pad size`);
    }
    const [red, green, blue] = tables as [Float32Array, Float32Array, Float32Array];
    const pixels = image.data;
    for (let y = 0; y < image.height; y++) {
      const o = i * 3 * plane + y * out.width;
      let p = y * image.width * 3;
      for (let x = 0; x < image.width; x++, p += 3) {
        data[o + x] = red[pixels[p]!]!;
        data[o + plane + x] = green[pixels[p + 1]!]!;
        data[o + 2 * plane + x] = blue[pixels[p + 2]!]!;
      }
    }
  }
  return { data, n, height: out.height, width: out.width };
}
