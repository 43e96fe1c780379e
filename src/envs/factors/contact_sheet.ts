/** Contact sheets: one frame per scene variant, tiled row by row, so a person can see what a factor does. */
import { Env } from '../env.js';
import type { TaskDefinition } from '../task.js';
import type { SceneVariant } from './variant.js';

export interface ContactSheet {
  /** [rows * size, cols * size, 3] RGB. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

/**
 * The frame after `reset({ seed })` in each variant (at most cols x rows), `size` pixels square, from `camera`
 * (the task's observation camera by default); tiles left empty (black) when there are fewer variants.
 */
export async function renderContactSheet(
  definition: TaskDefinition,
  variants: readonly SceneVariant[],
  options: { seed: number; size: number; cols: number; rows: number; camera?: string },
): Promise<ContactSheet> {
  const { size, cols, rows } = options;
  const width = size * cols, height = size * rows;
  const rgb = new Uint8Array(width * height * 3);
  const env = await Env.make(definition, variants[0] ? { variant: variants[0] } : {});
  try {
    variants.slice(0, cols * rows).forEach((variant, i) => {
      env.reset({ seed: options.seed, variant });
      const tile = env.render({ width: size, height: size, ...(options.camera ? { camera: options.camera } : {}) }).rgb;
      const x0 = (i % cols) * size, y0 = Math.floor(i / cols) * size;
      for (let y = 0; y < size; y++) rgb.set(tile.subarray(y * size * 3, (y + 1) * size * 3), ((y0 + y) * width + x0) * 3);
    });
  } finally {
    env.close();
  }
  return { rgb, width, height };
}
