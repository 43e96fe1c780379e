/**
 * What the DMC-style domains share on top of the scene builder: dm_control's sky, no manipulated object, no
 * proprioception, and actions that are one command per motor.
 */
import type { Physics } from '../mujoco.js';
import type { SkyboxSpec } from '../scene.js';
import type { FactorTargets, SceneOptions } from '../task.js';

/** DMC tasks observe no proprioception (CortexBench feeds DMC policies pixels only). */
export const NO_PROPRIO = new Float32Array(0);

/** Writes action[i] into the ctrl of motor `motors[i]` (actuator ids in action order). */
export function applyMotorCommands(physics: Physics, motors: readonly number[], action: Float64Array): void {
  const ctrl = physics.views.ctrl;
  for (let i = 0; i < motors.length; i++) ctrl[motors[i]!] = action[i]!;
}

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
