/** What the software renderer produces and how it is asked for it. */

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
