/**
 * Frames for `bench encode`: a PNG file, a directory of PNGs (sorted by name), or a safetensors file holding a uint8
 * `frames` tensor [N, H, W, 3]. All frames must share one size. PNG alpha is dropped (as PIL's convert("RGB")).
 *
 * Decoded sizes are capped before decoding: a PNG declares its size in its header, and a 1 MB file may declare
 * 20000x20000 pixels (gigabytes once decoded).
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameBatch } from '../encoders/encoder.js';
import { SafetensorsFile } from '../encoders/safetensors.js';
import { decodePng } from '../envs/render/image_io.js';

const FRAMES_TENSOR = 'frames';
/** Largest frame side accepted (encoders resize frames to a few hundred pixels anyway). */
export const MAX_FRAME_SIDE = 4096;
/** Largest decoded batch, in RGB bytes. */
export const MAX_FRAMES_BYTES = 2 ** 31;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk (bytes 16-23), checked against the caps before anything is decoded. */
function checkPngSize(path: string, bytes: Buffer): { width: number; height: number } {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE) || bytes.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error(`frames: ${path} is not a PNG file (no PNG signature and IHDR header)`);
  }
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width < 1 || height < 1 || width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE) {
    throw new Error(`frames: ${path} declares ${width}x${height} pixels; frames must be 1 to ${MAX_FRAME_SIDE} pixels a side`);
  }
  return { width, height };
}

function readPng(path: string): { rgb: Uint8Array; height: number; width: number } {
  const bytes = readFileSync(path);
  checkPngSize(path, bytes);
  try {
    return decodePng(bytes);
  } catch (error) {
    throw new Error(`frames: ${path} is not a readable PNG (${(error as Error).message})`);
  }
}

function pngBatch(paths: string[]): FrameBatch {
  // Every header is checked before the first decode, so a large directory fails before it fills memory.
  const declared = paths.map((path) => checkPngSize(path, readHead(path)));
  const total = declared.reduce((sum, d) => sum + d.width * d.height * 3, 0);
  if (total > MAX_FRAMES_BYTES) {
    throw new Error(`frames: ${paths.length} PNGs would decode to ${(total / 2 ** 30).toFixed(1)} GiB, more than the ${MAX_FRAMES_BYTES / 2 ** 30} GiB a batch may hold; encode them in parts`);
  }
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

/** The first 24 bytes of a file (a PNG's signature and IHDR size). */
function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(24);
    return head.subarray(0, readSync(fd, head, 0, 24, 0));
  } finally {
    closeSync(fd);
  }
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
      const { shape } = file.entry(FRAMES_TENSOR);
      if (shape.length !== 4 || shape[3] !== 3 || shape[0]! < 1) {
        throw new Error(`frames: ${path} tensor "${FRAMES_TENSOR}" must be uint8 [N, H, W, 3] with N >= 1, got [${shape}]`);
      }
      if (shape[1]! < 1 || shape[2]! < 1 || shape[1]! > MAX_FRAME_SIDE || shape[2]! > MAX_FRAME_SIDE) {
        throw new Error(`frames: ${path} tensor "${FRAMES_TENSOR}" holds ${shape[2]}x${shape[1]} frames; frames must be 1 to ${MAX_FRAME_SIDE} pixels a side`);
      }
      return { data: file.readUint8(FRAMES_TENSOR).data, n: shape[0]!, height: shape[1]!, width: shape[2]! };
    } finally {
      file.close();
    }
  }
  throw new Error(`frames: ${path} must be a .png, a directory of .png files, or a .safetensors file with a uint8 "${FRAMES_TENSOR}" tensor`);
}
