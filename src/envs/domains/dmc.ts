/** What the DMC-style domains share on top of the scene builder: dm_control's sky, and no manipulated object. */
import type { SkyboxSpec } from '../scene.js';
import type { FactorTargets, SceneOptions } from '../task.js';

/** dm_control's gradient skybox (light blue above, black below), at 128 texels per face. */
export const DMC_SKYBOX: SkyboxSpec = { kind: 'gradient', rgb1: [0.4, 0.6, 0.8], rgb2: [0, 0, 0], size: 128 };

/** DMC scenes have no manipulated object, so an object scale would silently do nothing: refuse it. */
export function rejectObjectScale(domain: string, options: SceneOptions): void {
  if (options.objectScale !== undefined) {
    throw new Error(`scene option objectScale: ${domain} scenes have no manipulated object to scale`);
  }
}

/**
 * What the Distracting-Control-style factors address in a DMC scene: the ground (material `floor`) as the
 * background, and the body materials whose colours the colour factor shifts.
 */
export function dmcFactorTargets(bodyMaterials: readonly string[]): FactorTargets {
  return { materials: { background: 'floor' }, colourMaterials: bodyMaterials };
}
