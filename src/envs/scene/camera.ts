/**
 * The one camera convention of every scene. A camera sits on a sphere around a look-at point and looks at it:
 *
 *   position = lookAt + distance * (cos(elevation) cos(azimuth), cos(elevation) sin(azimuth), sin(elevation))
 *
 * azimuth: degrees counter-clockwise from +x, in the xy-plane, of the direction from the look-at point to the
 *   camera (azimuth -90 puts the camera on the -y side, looking towards +y);
 * elevation: degrees of the camera above the horizontal plane through the look-at point (positive: above,
 *   looking down; 90: straight down); Factor-World's inclination from the vertical is 90 - elevation;
 * distance: metres.
 * Image right is horizontal, (-sin(azimuth), cos(azimuth), 0), so the view never rolls; straight-down views keep
 * image up along the azimuth's opposite. For a camera attached to a body, the look-at point, the position and the
 * axes are in that body's frame.
 *
 * This is not MuJoCo's free-camera (mjvCamera) convention, whose azimuth is the viewing direction and whose
 * negative elevations look down: our (azimuth, elevation) is its (azimuth + 180, -elevation).
 */
import { isFiniteNumber } from './checks.js';

export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export interface CameraPose {
  azimuth: number;
  elevation: number;
  distance: number;
}

/** MuJoCo camera modes: fixed to its body, tracking it (position, or the subtree's centre of mass), or aimed at a target body. */
export type CameraMode = 'fixed' | 'track' | 'trackcom' | 'targetbody' | 'targetbodycom';

export interface CameraSpec extends CameraPose {
  name: string;
  lookAt: Vec3;
  /** Vertical field of view, degrees. */
  fovy: number;
  /** Body the camera is attached to (its pose is then in that body's frame); the world body when omitted. */
  body?: string;
  /** MuJoCo camera mode; 'fixed' when omitted. */
  mode?: CameraMode;
  /** Body a 'targetbody' / 'targetbodycom' camera keeps aimed at (MuJoCo then overrides the orientation). */
  target?: string;
}

export function validateCameraPose(what: string, pose: CameraPose): void {
  if (!pose || typeof pose !== 'object') throw new Error(`${what} must be { azimuth, elevation, distance }, got ${String(pose)}`);
  if (!isFiniteNumber(pose.azimuth)) throw new Error(`${what}.azimuth must be a finite number of degrees, got ${pose.azimuth}`);
  if (!isFiniteNumber(pose.elevation) || pose.elevation < -90 || pose.elevation > 90) {
    throw new Error(`${what}.elevation must be in [-90, 90] degrees, got ${pose.elevation}`);
  }
  if (!isFiniteNumber(pose.distance) || pose.distance <= 0 || pose.distance > 20) {
    throw new Error(`${what}.distance must be in (0, 20] metres, got ${pose.distance}`);
  }
}

/** Position and frame (MuJoCo camera: looks along -z, y up) of a camera posed around `lookAt`. */
export function cameraFrame(lookAt: Vec3, pose: CameraPose): { pos: Vec3; xaxis: Vec3; yaxis: Vec3; quat: Quat } {
  validateCameraPose('camera', pose);
  const az = (pose.azimuth * Math.PI) / 180;
  const elev = (pose.elevation * Math.PI) / 180;
  const z: Vec3 = [Math.cos(elev) * Math.cos(az), Math.cos(elev) * Math.sin(az), Math.sin(elev)];
  const pos: Vec3 = [lookAt[0] + pose.distance * z[0], lookAt[1] + pose.distance * z[1], lookAt[2] + pose.distance * z[2]];
  // x = normalise(up x z) = (-sin az, cos az, 0) for any elevation short of +-90, and the same limit at +-90, so
  // looking straight down keeps a well-defined "right".
  const x: Vec3 = [-Math.sin(az), Math.cos(az), 0];
  const y: Vec3 = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]];
  return { pos, xaxis: x, yaxis: y, quat: matrixToQuat(x, y, z) };
}

/** Unit quaternion (w, x, y, z) of the rotation whose columns are x, y, z (Shepperd's method). */
function matrixToQuat(x: Vec3, y: Vec3, z: Vec3): Quat {
  const [m00, m10, m20] = x;
  const [m01, m11, m21] = y;
  const [m02, m12, m22] = z;
  const trace = m00 + m11 + m22;
  let q: Quat;
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    q = [s / 4, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s];
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = [(m21 - m12) / s, s / 4, (m01 + m10) / s, (m02 + m20) / s];
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = [(m02 - m20) / s, (m01 + m10) / s, s / 4, (m12 + m21) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = [(m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, s / 4];
  }
  if (q[0] < 0) q = q.map((u) => -u) as Quat;
  return q;
}
