/** What the software renderer produces and how it is asked for it. */
import type { TextureFilter } from './texture.js';

export type { TextureFilter };

/**
 * Samples averaged per pixel: 1 (the centre), 4 (the positions of native MuJoCo's 4x multisampling, Mesa's
 * rotated grid) or 16 (a 4 x 4 grid).
 */
export type Supersample = 1 | 4 | 16;
export const SUPERSAMPLES: readonly Supersample[] = [1, 4, 16];

/** Image sides the renderer draws, in pixels (Env checks observation sizes against them when it is made). */
export const MIN_RENDER_SIZE = 64;
export const MAX_RENDER_SIZE = 512;

/** Throws unless width and height are integers in [MIN_RENDER_SIZE, MAX_RENDER_SIZE]; `what` prefixes the message. */
export function checkRenderSize(what: string, size: { width: number; height: number }): void {
  for (const key of ['width', 'height'] as const) {
    const value = size[key];
    if (!Number.isInteger(value) || value < MIN_RENDER_SIZE || value > MAX_RENDER_SIZE) {
      throw new Error(`${what}${key} must be an integer in [${MIN_RENDER_SIZE}, ${MAX_RENDER_SIZE}], got ${value}`);
    }
  }
}

export interface RenderOptions {
  width: number;
  height: number;
  /** Camera name or id in the compiled model; -1 means the free default camera. */
  camera: string | number;
  depth?: boolean;
  segmentation?: boolean;
  /**
   * Anti-aliasing of the RGB frame: the scene is drawn once per sample position (see `Supersample`) and the
   * samples averaged. Depth and segmentation stay single samples at pixel centres. Default 1 (see
   * `DEFAULT_SUPERSAMPLE`).
   */
  supersample?: Supersample;
  /** Texture lookup (see `TextureFilter`). Default 'linear'. */
  textureFilter?: TextureFilter;
}

export interface RenderResult {
  width: number;
  height: number;
  /** [H, W, 3] uint8, row-major, top row first. */
  rgb: Uint8Array;
  /** [H, W] metres along the camera's optical axis (z-depth); Infinity where nothing is hit. */
  depth?: Float32Array;
  /** [H, W] geom id per pixel, -1 where no geom. */
  segmentation?: Int32Array;
}
