/**
 * Named access to a compiled model: ids and array addresses of bodies, joints, geoms, sites, sensors, actuators
 * (and the other named kinds) by name, with errors that name what is missing and what the model has; and ONE
 * memo, `perPhysics`, for handles looked up once per compiled physics and reused on every step.
 */
import type { Physics } from './mujoco.js';

export type ObjectKind =
  | 'body' | 'joint' | 'geom' | 'site' | 'camera' | 'light' | 'material' | 'texture' | 'mesh'
  | 'actuator' | 'sensor' | 'tendon' | 'equality';

const MJ_OBJECT = {
  body: 'mjOBJ_BODY',
  joint: 'mjOBJ_JOINT',
  geom: 'mjOBJ_GEOM',
  site: 'mjOBJ_SITE',
  camera: 'mjOBJ_CAMERA',
  light: 'mjOBJ_LIGHT',
  material: 'mjOBJ_MATERIAL',
  texture: 'mjOBJ_TEXTURE',
  mesh: 'mjOBJ_MESH',
  actuator: 'mjOBJ_ACTUATOR',
  sensor: 'mjOBJ_SENSOR',
  tendon: 'mjOBJ_TENDON',
  equality: 'mjOBJ_EQUALITY',
} as const;

const COUNT = {
  body: 'nbody',
  joint: 'njnt',
  geom: 'ngeom',
  site: 'nsite',
  camera: 'ncam',
  light: 'nlight',
  material: 'nmat',
  texture: 'ntex',
  mesh: 'nmesh',
  actuator: 'nu',
  sensor: 'nsensor',
  tendon: 'ntendon',
  equality: 'neq',
} as const;

/** Id of the named object, or -1 when the model has none of that name. */
export function findObjectId(physics: Physics, kind: ObjectKind, name: string): number {
  const { mj, model } = physics;
  return mj.mj_name2id(model, mj.mjtObj[MJ_OBJECT[kind]].value, name);
}

/** Names of every object of a kind, in id order (unnamed ones as `#id`). */
export function objectNames(physics: Physics, kind: ObjectKind): string[] {
  const { mj, model } = physics;
  const type = mj.mjtObj[MJ_OBJECT[kind]].value;
  const count = model[COUNT[kind]] as number;
  return Array.from({ length: count }, (_, i) => mj.mj_id2name(model, type, i) || `#${i}`);
}

/** Id of the named object; throws naming the kind, the name and the names the model has. */
export function objectId(physics: Physics, kind: ObjectKind, name: string): number {
  const id = findObjectId(physics, kind, name);
  if (id < 0) {
    const names = objectNames(physics, kind);
    const listed = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ... (${names.length})` : names.join(', ') || '(none)';
    throw new Error(`the compiled model has no ${kind} named '${name}'; ${kind}s: ${listed}`);
  }
  return id;
}

/** Index of a joint's first value in qpos. */
export function jointQposAddress(physics: Physics, joint: string): number {
  return (physics.model.jnt_qposadr as Int32Array)[objectId(physics, 'joint', joint)]!;
}

/** Index of a joint's first value in qvel (and every other per-dof array). */
export function jointDofAddress(physics: Physics, joint: string): number {
  return (physics.model.jnt_dofadr as Int32Array)[objectId(physics, 'joint', joint)]!;
}

/** Index of a sensor's first value in sensordata. */
export function sensorAddress(physics: Physics, sensor: string): number {
  return (physics.model.sensor_adr as Int32Array)[objectId(physics, 'sensor', sensor)]!;
}

/** Index of a mocap body in mocap_pos / mocap_quat; throws when the body is not a mocap body. */
export function mocapIndex(physics: Physics, body: string): number {
  const index = (physics.model.body_mocapid as Int32Array)[objectId(physics, 'body', body)]!;
  if (index < 0) throw new Error(`body '${body}' is not a mocap body`);
  return index;
}

/**
 * Memoises `lookup` per compiled physics: the handles it returns (ids, addresses, objects reading that physics)
 * are made once per `Physics` and returned on every later call for the same one, with no allocation on the way.
 * Planner rollouts get their own entry for their own `Physics`.
 */
export function perPhysics<T>(lookup: (physics: Physics) => T): (physics: Physics) => T {
  const memo = new WeakMap<Physics, T>();
  let last: Physics | null = null;
  let lastValue: T | undefined;
  return (physics) => {
    if (physics === last) return lastValue as T;
    let value = memo.get(physics);
    if (value === undefined) {
      value = lookup(physics);
      memo.set(physics, value);
    }
    last = physics;
    lastValue = value;
    return value;
  };
}
