/** Position reads and placements in a compiled model (world positions and axes by id, distances, placing bodies). */
import type { Physics } from './mujoco.js';
import { jointDofAddress, jointQposAddress, objectId } from './named.js';
import type { Quat, Vec3 } from './scene.js';

export function sitePos(physics: Physics, siteId: number): Vec3 {
  const x = physics.views.siteXpos;
  return [x[3 * siteId]!, x[3 * siteId + 1]!, x[3 * siteId + 2]!];
}

export function bodyPos(physics: Physics, bodyId: number): Vec3 {
  const x = physics.views.xpos;
  return [x[3 * bodyId]!, x[3 * bodyId + 1]!, x[3 * bodyId + 2]!];
}

/** Column `axis` (0 = x, 1 = y, 2 = z) of a body's world rotation: where its local axis points. */
export function bodyAxis(physics: Physics, bodyId: number, axis: 0 | 1 | 2): Vec3 {
  const m = physics.data.xmat as Float64Array;
  const b = 9 * bodyId;
  return [m[b + axis]!, m[b + 3 + axis]!, m[b + 6 + axis]!];
}

export function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export function horizontalDistance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Moves a body that has no joints (a fixture) by writing its model position; call before mj_forward. */
export function placeStaticBody(physics: Physics, body: string, pos: Vec3): void {
  (physics.model.body_pos as Float64Array).set(pos, 3 * objectId(physics, 'body', body));
}

/** Puts a free-jointed body at rest at `pos` with orientation `quat`; call before mj_forward. */
export function placeFreeBody(physics: Physics, joint: string, pos: Vec3, quat: Quat = [1, 0, 0, 0]): void {
  const { model, mj, views } = physics;
  if ((model.jnt_type as Int32Array)[objectId(physics, 'joint', joint)] !== mj.mjtJoint.mjJNT_FREE.value) throw new Error(`joint '${joint}' is not a free joint`);
  const qadr = jointQposAddress(physics, joint);
  const dof = jointDofAddress(physics, joint);
  views.qpos.set(pos, qadr);
  views.qpos.set(quat, qadr + 3);
  views.qvel.fill(0, dof, dof + 6);
}
