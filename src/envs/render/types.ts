/** What the software renderer produces and how it is asked for it. */

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
