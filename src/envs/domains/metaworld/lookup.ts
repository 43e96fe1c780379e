/** Position reads and placements in a compiled model that the MetaWorld-style tasks share. */
import type { Physics } from '../../mujoco.js';
import { objectId } from '../../named.js';
import type { Vec3 } from '../../scene.js';

export function sitePos(physics: Physics, siteId: number): Vec3 {
  const x = physics.views.siteXpos;
  return [x[3 * siteId]!, x[3 * siteId + 1]!, x[3 * siteId + 2]!];
}

export function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** Moves a body that has no joints (a fixture) by writing its model position; call before mj_forward. */
export function placeStaticBody(physics: Physics, body: string, pos: Vec3): void {
  (physics.model.body_pos as Float64Array).set(pos, 3 * objectId(physics, 'body', body));
}
