/**
 * How a task's frames are rendered in a run. One value serves the demo features and the evaluation rollouts, so the
 * policy is always trained and tested on the same picture; every field is part of the feature cache key. (The
 * entropy probe has its own, fixed settings: protocol/entropy_probe.ts.)
 */
import type { RenderOptions, Supersample, TextureFilter } from '../envs/index.js';

export interface RenderSettings {
  /** Side of the square frame in pixels (the encoder then applies its own preprocessing). */
  imageSize: number;
  /** Camera name in the task's scene. */
  camera: string;
  /** Samples per pixel (1 = none; 4 = native MuJoCo's 4x multisampling positions). */
  supersample: Supersample;
  textureFilter: TextureFilter;
}

/** Frames smaller than this take 4 samples per pixel (see `observationLook`). */
export const SUPERSAMPLE_BELOW = 96;

/**
 * The look of observation frames of `imageSize` pixels: linear texture filtering, and 4 samples per pixel (native
 * MuJoCo's 4x multisampling positions) below SUPERSAMPLE_BELOW pixels, where silhouette edges are a large share of
 * the pixels. Measured against native MuJoCo with benchmarks/render_fidelity.ts on every task's default view: one
 * sample is at most 1.81/255 off at 96 px and 0.77 at 256, but 2.89 at 64 px (bin-picking); 4 samples are at most
 * 0.46 at 64 px, at 4-5x the cost, which only the small frames need.
 */
export function observationLook(imageSize: number): Pick<RenderSettings, 'supersample' | 'textureFilter'> {
  return { supersample: imageSize < SUPERSAMPLE_BELOW ? 4 : 1, textureFilter: 'linear' };
}

/** The renderer options of one observation frame. */
export function frameOptions(settings: RenderSettings): RenderOptions & { width: number; height: number } {
  const { imageSize, camera, supersample, textureFilter } = settings;
  return { width: imageSize, height: imageSize, camera, supersample, textureFilter };
}
