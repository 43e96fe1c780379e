/**
 * The lights of a frame in camera space: MuJoCo's headlight (a directional light along the view direction) plus
 * the model's active directional, spot and point lights, with OpenGL fixed-function semantics
 * (ambient + diffuse * max(n.l, 0) + specular * max(n.h, 0)^shininess, distance attenuation and spot cones).
 */
import type { Physics } from '../mujoco.js';

export const MAX_LIGHTS = 9;

/** Light kinds in `FrameLights.kind`. */
export const DIRECTIONAL = 0;
export const POSITIONAL = 1;

/** Struct-of-arrays light list; vectors are [MAX_LIGHTS, 3] in camera space. */
export class FrameLights {
  count = 0;
  kind = new Int32Array(MAX_LIGHTS);
  /** Directional: unit vector towards the light. Positional: light position. */
  vec = new Float64Array(MAX_LIGHTS * 3);
  /** Spot axis (unit, pointing away from the light); zero for point lights. */
  spotDir = new Float64Array(MAX_LIGHTS * 3);
  /** cos(cutoff) of spot lights; -2 disables the cone test. */
  spotCos = new Float64Array(MAX_LIGHTS);
  spotExponent = new Float64Array(MAX_LIGHTS);
  attenuation = new Float64Array(MAX_LIGHTS * 3);
  ambient = new Float64Array(MAX_LIGHTS * 3);
  diffuse = new Float64Array(MAX_LIGHTS * 3);
  specular = new Float64Array(MAX_LIGHTS * 3);
}

/** MuJoCo's mjtLightType values. */
const LIGHT_SPOT = 0;
const LIGHT_DIRECTIONAL = 1;
const LIGHT_POINT = 2;

/**
 * Fills `out` for a camera with position `camPos` and camera-to-world rotation `camRot` (row-major 3x3).
 * `headlightFrom` is the world direction towards the headlight: the backward axis of the camera the headlight
 * belongs to (a mirrored view keeps the real camera's headlight). `lightActive` holds the model's per-light
 * `active` flags (read once: the binding cannot read byte arrays).
 */
export function collectLights(
  physics: Physics,
  camPos: Float64Array,
  camRot: Float64Array,
  headlightFrom: Float64Array,
  lightActive: Uint8Array,
  out: FrameLights,
): void {
  const { model, data } = physics;
  let n = 0;
  const vis = model.vis;
  const head = vis.headlight;
  if (head.active) {
    out.kind[n] = DIRECTIONAL;
    const hx = headlightFrom[0]!, hy = headlightFrom[1]!, hz = headlightFrom[2]!;
    out.vec.set(
      [
        camRot[0]! * hx + camRot[3]! * hy + camRot[6]! * hz,
        camRot[1]! * hx + camRot[4]! * hy + camRot[7]! * hz,
        camRot[2]! * hx + camRot[5]! * hy + camRot[8]! * hz,
      ],
      3 * n,
    );
    setColour(out.ambient, n, head.ambient as Float32Array, 0);
    setColour(out.diffuse, n, head.diffuse as Float32Array, 0);
    setColour(out.specular, n, head.specular as Float32Array, 0);
    out.attenuation.set([1, 0, 0], 3 * n);
    out.spotCos[n] = -2;
    n++;
  }
  // Embind handles to nested structs must be released explicitly.
  head.delete();
  vis.delete();
  const types = model.light_type as Int32Array;
  const xpos = data.light_xpos as Float64Array;
  const xdir = data.light_xdir as Float64Array;
  const ambient = model.light_ambient as Float32Array;
  const diffuse = model.light_diffuse as Float32Array;
  const specular = model.light_specular as Float32Array;
  const attenuation = model.light_attenuation as Float32Array;
  const cutoff = model.light_cutoff as Float32Array;
  const exponent = model.light_exponent as Float32Array;
  for (let i = 0; i < model.nlight && n < MAX_LIGHTS; i++) {
    if (!lightActive[i]) continue;
    const type = types[i]!;
    if (type !== LIGHT_SPOT && type !== LIGHT_DIRECTIONAL && type !== LIGHT_POINT) continue;
    const dx = xdir[3 * i]!, dy = xdir[3 * i + 1]!, dz = xdir[3 * i + 2]!;
    // World -> camera: v_cam = R^T v_world (R's columns are the camera axes).
    const dcx = camRot[0]! * dx + camRot[3]! * dy + camRot[6]! * dz;
    const dcy = camRot[1]! * dx + camRot[4]! * dy + camRot[7]! * dz;
    const dcz = camRot[2]! * dx + camRot[5]! * dy + camRot[8]! * dz;
    const len = Math.hypot(dcx, dcy, dcz) || 1;
    if (type === LIGHT_DIRECTIONAL) {
      out.kind[n] = DIRECTIONAL;
      out.vec.set([-dcx / len, -dcy / len, -dcz / len], 3 * n);
      out.spotCos[n] = -2;
      out.attenuation.set([1, 0, 0], 3 * n);
    } else {
      const px = xpos[3 * i]! - camPos[0]!, py = xpos[3 * i + 1]! - camPos[1]!, pz = xpos[3 * i + 2]! - camPos[2]!;
      out.kind[n] = POSITIONAL;
      out.vec.set(
        [
          camRot[0]! * px + camRot[3]! * py + camRot[6]! * pz,
          camRot[1]! * px + camRot[4]! * py + camRot[7]! * pz,
          camRot[2]! * px + camRot[5]! * py + camRot[8]! * pz,
        ],
        3 * n,
      );
      out.spotDir.set([dcx / len, dcy / len, dcz / len], 3 * n);
      out.spotCos[n] = type === LIGHT_SPOT ? Math.cos((Math.min(cutoff[i]!, 90) * Math.PI) / 180) : -2;
      out.spotExponent[n] = exponent[i]!;
      out.attenuation.set([attenuation[3 * i]!, attenuation[3 * i + 1]!, attenuation[3 * i + 2]!], 3 * n);
    }
    setColour(out.ambient, n, ambient, 3 * i);
    setColour(out.diffuse, n, diffuse, 3 * i);
    setColour(out.specular, n, specular, 3 * i);
    n++;
  }
  out.count = n;
}

function setColour(dst: Float64Array, n: number, src: Float32Array, offset: number): void {
  dst[3 * n] = src[offset]!;
  dst[3 * n + 1] = src[offset + 1]!;
  dst[3 * n + 2] = src[offset + 2]!;
}
