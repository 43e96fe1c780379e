/**
 * Frames for `bench encode`: a PNG file, a directory of PNGs (sorted by name), or a safetensors file holding a uint8
 * `frames` tensor [N, H, W, 3]. All frames must share one size. PNG alpha is dropped (as PIL's convert("RGB")).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameBatch } from '../encoders/encoder.js';
import { SafetensorsFile } from '../encoders/safetensors.js';
import { decodePng } from '../envs/render/image_io.js';

const FRAMES_TENSOR = 'frames';

function readPng(path: string): { rgb: Uint8Array; height: number; width: number } {
  try {
    return decodePng(readFileSync(path));
  } catch (error) {
    throw new Error(`frames: ${path} is not a readable PNG (${(error as Error).message})`);
  }
}

function pngBatch(paths: string[]): FrameBatch {
  const images = paths.map(readPng);
  const { height, width } = images[0]!;
  images.forEach((image, i) => {
    if (image.height !== height || image.width !== width) {
      throw new Error(`frames: ${paths[i]} is ${image.width}x${image.height} but ${paths[0]} is ${width}x${height}; all frames must share one size`);
    }
  });
  const data = new Uint8Array(images.length * height * width * 3);
  images.forEach((image, i) => data.set(image.rgb, i * height * width * 3));
  return { data, n: images.length, height, width };
}

export function readFrames(path: string): FrameBatch {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new Error(`frames: ${path} does not exist (expected a .png, a directory of .png files, or a .safetensors file)`);
  }
  if (stats.isDirectory()) {
    const names = readdirSync(path).filter((n) => n.toLowerCase().endsWith('.png')).sort();
    if (names.length === 0) throw new Error(`frames: directory ${path} holds no .png files`);
    return pngBatch(names.map((n) => join(path, n)));
  }
  const lower = path.toLowerCase();
  if (lower.endsWith('.png')) return pngBatch([path]);
  if (lower.endsWith('.safetensors')) {
    const file = SafetensorsFile.open(path);
    try {
      const { shape, data } = file.readUint8(FRAMES_TENSOR);
      if (shape.length !== 4 || shape[3] !== 3 || shape[0]! < 1) {
        throw new Error(`frames: ${path} tensor "${FRAMES_TENSOR}" must be uint8 [N, H, W, 3] with N >= 1, got [${shape}]`);
      }
      return { data, n: shape[0]!, height: shape[1]!, width: shape[2]! };
    } finally {
      file.close();
    }
  }
  throw new Error(`frames: ${path} must be a .png, a directory of .png files, or a .safetensors file with a uint8 "${FRAMES_TENSOR}" tensor`);
}
