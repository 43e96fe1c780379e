/** Name lookups and position reads in a compiled model, with errors that name what is missing. */
import type { Physics } from '../../mujoco.js';
import type { Vec3 } from '../../scene.js';

export type ObjectType = 'mjOBJ_BODY' | 'mjOBJ_JOINT' | 'mjOBJ_SITE' | 'mjOBJ_GEOM';

export function requireId(physics: Physics, type: ObjectType, name: string): number {
  const { mj, model } = physics;
  const id = mj.mj_name2id(model, mj.mjtObj[type].value, name);
  if (id < 0) throw new Error(`the compiled model has no ${type.slice(6).toLowerCase()} named '${name}'`);
  return id;
}

export function jointQposAddress(physics: Physics, joint: string): number {
  return (physics.model.jnt_qposadr as Int32Array)[requireId(physics, 'mjOBJ_JOINT', joint)]!;
}

export function sitePos(physics: Physics, siteId: number): Vec3 {
  const x = physics.data.site_xpos as Float64Array;
  return [x[3 * siteId]!, x[3 * siteId + 1]!, x[3 * siteId + 2]!];
}

export function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** Moves a body that has no joints (a fixture) by writing its model position; call before mj_forward. */
export function placeStaticBody(physics: Physics, body: string, pos: Vec3): void {
  const id = requireId(physics, 'mjOBJ_BODY', body);
  (physics.model.body_pos as Float64Array).set(pos, 3 * id);
}
