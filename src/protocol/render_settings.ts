/**
 * How a task's frames are rendered in a run. One value serves the demo features, the entropy probe and the
 * evaluation rollouts, so the policy is always trained and tested on the same picture; every field is part of the
 * feature cache key.
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

/**
 * The look of observation frames in every profile: the renderer's defaults (linear filtering, one sample), within
 * 2/255 of native MuJoCo on every task's default view (see the README's renderer entry).
 */
export const OBSERVATION_LOOK: Pick<RenderSettings, 'supersample' | 'textureFilter'> = { supersample: 1, textureFilter: 'linear' };

/** The renderer options of one observation frame. */
export function frameOptions(settings: RenderSettings): RenderOptions & { width: number; height: number } {
  const { imageSize, camera, supersample, textureFilter } = settings;
  return { width: imageSize, height: imageSize, camera, supersample, textureFilter };
}
