/** Name lookups and position reads in a compiled model, with errors that name what is missing. */
import type { Physics } from '../../mujoco.js';
import type { Vec3 } from '../../scene.js';

export type ObjectType = 'mjOBJ_BODY' | 'mjOBJ_JOINT' | 'mjOBJ_SITE' | 'mjOBJ_GEOM' | 'mjOBJ_ACTUATOR';
/** A unit quaternion (w, x, y, z). */
export type Quat = [number, number, number, number];

export function requireId(physics: Physics, type: ObjectType, name: string): number {
  const { mj, model } = physics;
  const id = mj.mj_name2id(model, mj.mjtObj[type].value, name);
  if (id < 0) throw new Error(`the compiled model has no ${type.slice(6).toLowerCase()} named '${name}'`);
  return id;
}

export function jointQposAddress(physics: Physics, joint: string): number {
  return (physics.model.jnt_qposadr as Int32Array)[requireId(physics, 'mjOBJ_JOINT', joint)]!;
}

/** qpos and qvel addresses of the named joints, in order. */
export function jointAddresses(physics: Physics, joints: readonly string[]): { qpos: number[]; qvel: number[] } {
  const ids = joints.map((n) => requireId(physics, 'mjOBJ_JOINT', n));
  return { qpos: ids.map((j) => (physics.model.jnt_qposadr as Int32Array)[j]!), qvel: ids.map((j) => (physics.model.jnt_dofadr as Int32Array)[j]!) };
}

export function sitePos(physics: Physics, siteId: number): Vec3 {
  const x = physics.data.site_xpos as Float64Array;
  return [x[3 * siteId]!, x[3 * siteId + 1]!, x[3 * siteId + 2]!];
}

export function bodyPos(physics: Physics, bodyId: number): Vec3 {
  const x = physics.data.xpos as Float64Array;
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
  const id = requireId(physics, 'mjOBJ_BODY', body);
  (physics.model.body_pos as Float64Array).set(pos, 3 * id);
}

/** Puts a free-jointed body at rest at `pos` with orientation `quat`; call before mj_forward. */
export function placeFreeBody(physics: Physics, joint: string, pos: Vec3, quat: Quat = [1, 0, 0, 0]): void {
  const { model, data } = physics;
  const id = requireId(physics, 'mjOBJ_JOINT', joint);
  if ((model.jnt_type as Int32Array)[id] !== physics.mj.mjtJoint.mjJNT_FREE.value) throw new Error(`joint '${joint}' is not a free joint`);
  const qpos = data.qpos as Float64Array;
  const qadr = (model.jnt_qposadr as Int32Array)[id]!;
  qpos.set(pos, qadr);
  qpos.set(quat, qadr + 3);
  (data.qvel as Float64Array).fill(0, (model.jnt_dofadr as Int32Array)[id]!, (model.jnt_dofadr as Int32Array)[id]! + 6);
}

/** Quaternion of a rotation by `degrees` about the world z axis. */
export function yawQuat(degrees: number): Quat {
  const half = (degrees * Math.PI) / 360;
  return [Math.cos(half), 0, 0, Math.sin(half)];
}

/**
 * Memoises `make(physics)` for the last physics it saw: ids are looked up once per compiled model, and a task or
 * expert object that moves to another physics looks them up again.
 */
export function perPhysics<T>(make: (physics: Physics) => T): (physics: Physics) => T {
  let last: Physics | null = null;
  let value: T | undefined;
  return (physics) => {
    if (physics !== last || value === undefined) {
      value = make(physics);
      last = physics;
    }
    return value;
  };
}
