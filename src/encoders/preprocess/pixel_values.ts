/**
 * Turns uint8 RGB frames into the `pixel_values` an HF image processor produces, bit for bit:
 * PIL resize (uint8) -> centre crop (uint8, zero padding when the image is smaller) -> float32(k * rescale) with
 * the product in float64 -> (v - mean) / std in float32 -> CHW.
 */
import type { FrameBatch } from '../encoder.js';
import { pilResize } from './pil_resize.js';
import type { PreprocessRecipe } from './processor_config.js';
import { recipeOutputSize, resizedSize } from './processor_config.js';

export interface PixelValues {
  /** [N, 3, height, width] float32, row-major. */
  data: Float32Array;
  n: number;
  height: number;
  width: number;
}

/** transformers' center_crop on an HWC uint8 image (pads with zeros where the crop exceeds the image). */
export function centerCrop(rgb: Uint8Array, height: number, width: number, cropH: number, cropW: number): Uint8Array {
  if (height === cropH && width === cropW) return rgb;
  const padTop = Math.ceil(Math.max(0, cropH - height) / 2);
  const padLeft = Math.ceil(Math.max(0, cropW - width) / 2);
  // Offsets of the crop in the (possibly padded) image, as Python floor division computes them.
  const top = Math.floor((height - cropH) / 2) + padTop;
  const left = Math.floor((width - cropW) / 2) + padLeft;
  const out = new Uint8Array(cropH * cropW * 3);
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
    image = pilResize(image, h, w, size.height, size.width, recipe.resample);
    h = size.height;
    w = size.width;
  }
  if (recipe.centerCrop) {
    image = centerCrop(image, h, w, recipe.centerCrop.height, recipe.centerCrop.width);
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
  const data = new Float32Array(n * 3 * plane);
  const tables = byteToPixelValueTables(recipe);
  const frameBytes = height * width * 3;
  for (let i = 0; i < n; i++) {
    const image = preprocessImageUint8(frames.data.subarray(i * frameBytes, (i + 1) * frameBytes), height, width, recipe);
    const base = i * 3 * plane;
    for (let ch = 0; ch < 3; ch++) {
      const table = tables[ch]!;
      const o = base + ch * plane;
      for (let p = 0; p < plane; p++) data[o + p] = table[image.data[p * 3 + ch]!]!;
    }
  }
  return { data, n, height: out.height, width: out.width };
}
