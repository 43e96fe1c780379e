/**
 * Camera poses from MjData. MuJoCo computes cam_xpos / cam_xmat for fixed, tracking and targeting cameras in
 * mj_forward and mj_step, so reading them covers every camera mode. Camera frame: x right, y up, looking along -z.
 */
import type { Physics } from '../mujoco.js';
import { findObjectId, objectNames } from '../named.js';

export interface CameraPose {
  /** Camera position in world coordinates. */
  pos: Float64Array;
  /** [3, 3] row-major camera-to-world rotation; its columns are the camera's right, up and backward axes. */
  rot: Float64Array;
  /** Vertical field of view in degrees. */
  fovyDeg: number;
}

/** Camera id for a name or id; -1 is MuJoCo's free camera. Unknown cameras raise an error listing the model's cameras. */
export function resolveCameraId(physics: Physics, camera: string | number): number {
  const { model } = physics;
  const known = () => objectNames(physics, 'camera').map((n, i) => `${i}:${n}`).join(', ') || '(none)';
  if (typeof camera === 'number') {
    if (!Number.isInteger(camera) || camera < -1 || camera >= model.ncam) {
      throw new Error(`render: camera id ${camera} is out of range; expected -1 (free camera) or one of ${known()}`);
    }
    return camera;
  }
  if (typeof camera !== 'string') throw new Error(`render: camera must be a name or an id, got ${String(camera)}`);
  const id = findObjectId(physics, 'camera', camera);
  if (id < 0) throw new Error(`render: unknown camera '${camera}'; cameras: ${known()}`);
  return id;
}

/** Writes the pose of camera `id` (or the free camera for -1) into `out`. */
export function cameraPose(physics: Physics, id: number, out: CameraPose): void {
  const { model, data } = physics;
  if (id >= 0) {
    if ((model.cam_projection[id] as number) !== 0) {
      throw new Error(`render: camera ${id} is orthographic; only perspective cameras are supported`);
    }
    const xpos = data.cam_xpos as Float64Array;
    const xmat = data.cam_xmat as Float64Array;
    for (let k = 0; k < 3; k++) out.pos[k] = xpos[3 * id + k]!;
    for (let k = 0; k < 9; k++) out.rot[k] = xmat[9 * id + k]!;
    out.fovyDeg = model.cam_fovy[id] as number;
    return;
  }
  freeCameraPose(physics, out);
}

/**
 * MuJoCo's default free camera: looks at stat.center from 1.5 * stat.extent away, at vis.global azimuth and
 * elevation (degrees), with vis.global.fovy.
 */
function freeCameraPose(physics: Physics, out: CameraPose): void {
  const { model } = physics;
  const stat = model.stat;
  const vis = model.vis;
  const global = vis.global;
  const center = stat.center as Float64Array;
  const distance = 1.5 * stat.extent;
  const az = (global.azimuth * Math.PI) / 180;
  const el = (global.elevation * Math.PI) / 180;
  const fwd = [Math.cos(el) * Math.cos(az), Math.cos(el) * Math.sin(az), Math.sin(el)];
  // right = forward x world-up, up = right x forward.
  const right = [fwd[1]!, -fwd[0]!, 0];
  const rn = Math.hypot(right[0]!, right[1]!) || 1;
  right[0] /= rn;
  right[1] /= rn;
  const up = [
    right[1]! * fwd[2]! - right[2]! * fwd[1]!,
    right[2]! * fwd[0]! - right[0]! * fwd[2]!,
    right[0]! * fwd[1]! - right[1]! * fwd[0]!,
  ];
  for (let k = 0; k < 3; k++) {
    out.pos[k] = center[k]! - distance * fwd[k]!;
    out.rot[3 * k] = right[k]!;
    out.rot[3 * k + 1] = up[k]!;
    out.rot[3 * k + 2] = -fwd[k]!;
  }
  out.fovyDeg = global.fovy;
  // Embind handles to nested structs must be released explicitly.
  global.delete();
  vis.delete();
  stat.delete();
}
