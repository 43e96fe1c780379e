/** World positions of bodies and sites of a compiled model, by id, and distances between them. */
import type { Physics } from '../../mujoco.js';
import type { Vec3 } from '../../scene.js';

export function bodyPos(physics: Physics, bodyId: number): Vec3 {
  const x = physics.views.xpos;
  return [x[3 * bodyId]!, x[3 * bodyId + 1]!, x[3 * bodyId + 2]!];
}

export function sitePos(physics: Physics, siteId: number): Vec3 {
  const x = physics.views.siteXpos;
  return [x[3 * siteId]!, x[3 * siteId + 1]!, x[3 * siteId + 2]!];
}

export function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
