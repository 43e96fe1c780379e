/**
 * Textures decoded from the compiled model (tex_data) into packed 0xRRGGBB texels with their mip chains, and
 * their sampling: nearest texel, or linear (bilinear within a mip level, as native MuJoCo's GL_LINEAR filters).
 * Cube and skybox textures hold six square faces stacked vertically in OpenGL order (+X, -X, +Y, -Y, +Z, -Z).
 */
import type { MjModel } from '../mujoco.js';

/** MuJoCo's mjtTexture values. */
export const TEXTURE_2D = 0;
export const TEXTURE_CUBE = 1;
export const TEXTURE_SKYBOX = 2;

/**
 * How texels are looked up: `nearest` takes the texel under the sample; `linear` blends the four nearest texels
 * (bilinear) and, between mip levels, the two nearest levels, as native MuJoCo's GL_LINEAR_MIPMAP_LINEAR does.
 */
export type TextureFilter = 'nearest' | 'linear';
export const TEXTURE_FILTERS: readonly TextureFilter[] = ['nearest', 'linear'];

/** A 2-D image of packed texels, row 0 at texture coordinate v = 0. */
export interface TextureImage {
  width: number;
  height: number;
  /** [height, width] packed 0xRRGGBB. */
  texels: Uint32Array;
  /** width - 1 when width is a power of two (wrap by mask), else -1. */
  widthMask: number;
  heightMask: number;
  /** Coordinates outside [0, 1) clamp to the edge texels (cube faces) instead of repeating (2-D textures). */
  clampToEdge: boolean;
  /** Mip chain: levels[0] is this image, each next level half the size (2x2 box filter), down to 1x1. */
  levels: TextureImage[];
}

export interface Texture {
  id: number;
  type: number;
  /** The whole image (for 2-D textures). */
  image: TextureImage;
  /** Six faces for cube and skybox textures (+X, -X, +Y, -Y, +Z, -Z); for 2-D textures, empty. */
  faces: TextureImage[];
}

function makeLevel(width: number, height: number, texels: Uint32Array, clampToEdge: boolean): TextureImage {
  const pot = (n: number) => (n & (n - 1)) === 0;
  const widthMask = pot(width) ? width - 1 : -1, heightMask = pot(height) ? height - 1 : -1;
  const image: TextureImage = { width, height, texels, widthMask, heightMask, clampToEdge, levels: [] };
  image.levels.push(image);
  return image;
}

/** An image with its mip chain (so distant, dense texture patterns average instead of aliasing). */
function makeImage(width: number, height: number, texels: Uint32Array, clampToEdge: boolean): TextureImage {
  const image = makeLevel(width, height, texels, clampToEdge);
  let prev = image;
  while (prev.width > 1 || prev.height > 1) {
    const w = Math.max(1, prev.width >> 1), h = Math.max(1, prev.height >> 1);
    const out = new Uint32Array(w * h);
    for (let j = 0; j < h; j++) {
      const j0 = Math.min(2 * j, prev.height - 1) * prev.width, j1 = Math.min(2 * j + 1, prev.height - 1) * prev.width;
      for (let i = 0; i < w; i++) {
        const i0 = Math.min(2 * i, prev.width - 1), i1 = Math.min(2 * i + 1, prev.width - 1);
        const a = prev.texels[j0 + i0]!, b = prev.texels[j0 + i1]!, c = prev.texels[j1 + i0]!, d = prev.texels[j1 + i1]!;
        const r = ((a >>> 16) + (b >>> 16) + (c >>> 16) + (d >>> 16) + 2) >> 2;
        const g = (((a >>> 8) & 255) + ((b >>> 8) & 255) + ((c >>> 8) & 255) + ((d >>> 8) & 255) + 2) >> 2;
        const bl = ((a & 255) + (b & 255) + (c & 255) + (d & 255) + 2) >> 2;
        out[j * w + i] = (r << 16) | (g << 8) | bl;
      }
    }
    const level = makeLevel(w, h, out, clampToEdge);
    image.levels.push(level);
    prev = level;
  }
  return image;
}

/** Decodes texture `id` of `model` (1, 3 or 4 channels; alpha ignored). */
export function decodeTexture(model: MjModel, id: number): Texture {
  const width = model.tex_width[id] as number;
  const height = model.tex_height[id] as number;
  const channels = model.tex_nchannel[id] as number;
  const adr = model.tex_adr[id] as number;
  const type = model.tex_type[id] as number;
  const data = model.tex_data as Uint8Array;
  if (width <= 0 || height <= 0) throw new Error(`texture ${id} has an empty image (${width}x${height})`);
  const texels = new Uint32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const p = adr + i * channels;
    const r = data[p]!;
    const g = channels >= 3 ? data[p + 1]! : r;
    const b = channels >= 3 ? data[p + 2]! : r;
    texels[i] = (r << 16) | (g << 8) | b;
  }
  const cube = type !== TEXTURE_2D;
  const image = makeImage(width, height, texels, cube);
  const faces: TextureImage[] = [];
  if (cube) {
    if (height === 6 * width) {
      const size = width * width;
      for (let f = 0; f < 6; f++) faces.push(makeImage(width, width, texels.subarray(f * size, (f + 1) * size), true));
    } else {
      // A single image used for every face.
      for (let f = 0; f < 6; f++) faces.push(image);
    }
  }
  return { id, type, image, faces };
}

/**
 * Cube-map face and in-face coordinates for direction (x, y, z), following the OpenGL cube-map rules.
 * Writes [face, s, t] into `out` (s, t in [0, 1]).
 */
export function cubeFaceCoords(x: number, y: number, z: number, out: Float64Array): void {
  const ax = Math.abs(x), ay = Math.abs(y), az = Math.abs(z);
  let face: number, sc: number, tc: number, ma: number;
  if (ax >= ay && ax >= az) {
    ma = ax;
    if (x > 0) { face = 0; sc = -z; tc = -y; } else { face = 1; sc = z; tc = -y; }
  } else if (ay >= az) {
    ma = ay;
    if (y > 0) { face = 2; sc = x; tc = z; } else { face = 3; sc = x; tc = -z; }
  } else {
    ma = az;
    if (z > 0) { face = 4; sc = x; tc = -y; } else { face = 5; sc = -x; tc = -y; }
  }
  const inv = ma > 0 ? 0.5 / ma : 0;
  out[0] = face;
  out[1] = sc * inv + 0.5;
  out[2] = tc * inv + 0.5;
}

/** Texel column (or row) `i` of an image `size` wide: wrapped by `mask` or modulo, or clamped to the edge. */
function texelIndex(i: number, size: number, mask: number, clampToEdge: boolean): number {
  if (clampToEdge) return i < 0 ? 0 : i >= size ? size - 1 : i;
  if (mask >= 0) return i & mask;
  const k = i % size;
  return k < 0 ? k + size : k;
}

/** Nearest texel of `image` at (s, t) (1 = one image width or height). */
export function sampleNearest(image: TextureImage, s: number, t: number): number {
  const { width, height, widthMask, heightMask, clampToEdge } = image;
  const i = texelIndex(Math.floor(s * width), width, widthMask, clampToEdge);
  const j = texelIndex(Math.floor(t * height), height, heightMask, clampToEdge);
  return image.texels[j * width + i]!;
}

/**
 * Adds `weight` times the bilinear sample of `image` at (s, t) to `acc` ([r, g, b], 0-255). Texel centres lie at
 * ((i + 0.5) / width, (j + 0.5) / height), as in OpenGL.
 */
export function accumulateBilinear(image: TextureImage, s: number, t: number, weight: number, acc: Float64Array): void {
  const { width, height, widthMask, heightMask, clampToEdge, texels } = image;
  const x = s * width - 0.5, y = t * height - 0.5;
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const i0 = texelIndex(x0, width, widthMask, clampToEdge), i1 = texelIndex(x0 + 1, width, widthMask, clampToEdge);
  const row0 = texelIndex(y0, height, heightMask, clampToEdge) * width, row1 = texelIndex(y0 + 1, height, heightMask, clampToEdge) * width;
  const a = texels[row0 + i0]!, b = texels[row0 + i1]!, c = texels[row1 + i0]!, d = texels[row1 + i1]!;
  const wa = (1 - fx) * (1 - fy) * weight, wb = fx * (1 - fy) * weight, wc = (1 - fx) * fy * weight, wd = fx * fy * weight;
  acc[0] = acc[0]! + wa * (a >>> 16) + wb * (b >>> 16) + wc * (c >>> 16) + wd * (d >>> 16);
  acc[1] = acc[1]! + wa * ((a >>> 8) & 255) + wb * ((b >>> 8) & 255) + wc * ((c >>> 8) & 255) + wd * ((d >>> 8) & 255);
  acc[2] = acc[2]! + wa * (a & 255) + wb * (b & 255) + wc * (c & 255) + wd * (d & 255);
}

/**
 * Skybox colour ([r, g, b], 0-255, into `out`) seen along world direction (x, y, z), from the full-size faces.
 * MuJoCo draws its skybox rotated so that the cube's +Y (OpenGL up) is world +Z: cube coordinates are (x, z, -y).
 */
export function sampleSkybox(texture: Texture, x: number, y: number, z: number, filter: TextureFilter, scratch: Float64Array, out: Float64Array): void {
  cubeFaceCoords(x, z, -y, scratch);
  const face = texture.faces[scratch[0]!]!;
  if (filter === 'linear') {
    out.fill(0);
    accumulateBilinear(face, scratch[1]!, scratch[2]!, 1, out);
    return;
  }
  const texel = sampleNearest(face, scratch[1]!, scratch[2]!);
  out[0] = texel >>> 16;
  out[1] = (texel >>> 8) & 255;
  out[2] = texel & 255;
}

/** Coordinates of direction (x, y, z) projected onto cube face `face` (even if another face is major), clamped. */
export function projectOntoCubeFace(face: number, x: number, y: number, z: number, out: Float64Array): void {
  const axis = face >> 1;
  const ma = Math.abs(axis === 0 ? x : axis === 1 ? y : z) || 1e-12;
  let sc: number, tc: number;
  switch (face) {
    case 0: sc = -z; tc = -y; break;
    case 1: sc = z; tc = -y; break;
    case 2: sc = x; tc = z; break;
    case 3: sc = x; tc = -z; break;
    case 4: sc = x; tc = -y; break;
    default: sc = -x; tc = -y; break;
  }
  out[0] = face;
  out[1] = Math.min(Math.max((sc / ma) * 0.5 + 0.5, 0), 0.99999);
  out[2] = Math.min(Math.max((tc / ma) * 0.5 + 0.5, 0), 0.99999);
}
