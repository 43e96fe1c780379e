/**
 * The lights of a frame in camera space: MuJoCo's headlight (a directional light along the view direction) plus
 * the model's active directional, spot and point lights, with OpenGL fixed-function semantics
 * (ambient + diffuse * max(n.l, 0) + specular * max(n.h, 0)^shininess, distance attenuation and spot cones).
 *
 * Native MuJoCo lights a frame in passes: the lights that cast no shadow together, then each shadow-casting light
 * on its own, masked by its shadow map and added. Each pass's colour saturates separately, so the split shows
 * even where nothing is shadowed; `pass` records which pass a light belongs to.
 */

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
  /** MAIN_PASS, or k for the k-th shadow-casting light, drawn in a pass of its own. */
  pass = new Int32Array(MAX_LIGHTS);
  /** Model light id per slot; -1 for the headlight. */
  modelLight = new Int32Array(MAX_LIGHTS);
  /** Number of shadow-casting lights (passes 0 .. shadowPasses - 1). */
  shadowPasses = 0;
}

/** The pass of the lights that cast no shadow (and of every light where shadows are off). */
export const MAIN_PASS = -1;

/** MuJoCo's mjtLightType values. */
export const LIGHT_SPOT = 0;
export const LIGHT_DIRECTIONAL = 1;
const LIGHT_POINT = 2;

/** What `collectLights` reads from the model and data, fetched once per frame. */
export interface LightSources {
  /** The headlight's colours ([3] each), or null when it is off. */
  headlight: { ambient: Float32Array; diffuse: Float32Array; specular: Float32Array } | null;
  /** Per model light: the `active` and `castshadow` flags (the binding cannot view byte arrays; read once). */
  active: Uint8Array;
  castsShadow: Uint8Array;
  /** The model's light_* arrays and the data's light_xpos / light_xdir. */
  type: Int32Array;
  ambient: Float32Array;
  diffuse: Float32Array;
  specular: Float32Array;
  attenuation: Float32Array;
  cutoff: Float32Array;
  exponent: Float32Array;
  xpos: Float64Array;
  xdir: Float64Array;
}

/**
 * Fills `out` for a camera with position `camPos` and camera-to-world rotation `camRot` (row-major 3x3).
 * `headlightFrom` is the world direction towards the headlight: the backward axis of the camera the headlight
 * belongs to (a mirrored view keeps the real camera's headlight). With `shadows` false, every light is lit in the
 * main pass (a mirrored view, or a model without shadow maps).
 */
export function collectLights(
  sources: LightSources,
  camPos: Float64Array,
  camRot: Float64Array,
  headlightFrom: Float64Array,
  shadows: boolean,
  out: FrameLights,
): void {
  let n = 0;
  out.shadowPasses = 0;
  const head = sources.headlight;
  if (head) {
    out.kind[n] = DIRECTIONAL;
    const hx = headlightFrom[0]!, hy = headlightFrom[1]!, hz = headlightFrom[2]!;
    const v = 3 * n;
    out.vec[v] = camRot[0]! * hx + camRot[3]! * hy + camRot[6]! * hz;
    out.vec[v + 1] = camRot[1]! * hx + camRot[4]! * hy + camRot[7]! * hz;
    out.vec[v + 2] = camRot[2]! * hx + camRot[5]! * hy + camRot[8]! * hz;
    setColour(out.ambient, n, head.ambient, 0);
    setColour(out.diffuse, n, head.diffuse, 0);
    setColour(out.specular, n, head.specular, 0);
    setAttenuation(out.attenuation, n, 1, 0, 0);
    out.spotCos[n] = -2;
    out.pass[n] = MAIN_PASS;
    out.modelLight[n] = -1;
    n++;
  }
  const { type: types, xpos, xdir, ambient, diffuse, specular, attenuation, cutoff, exponent, active, castsShadow } = sources;
  for (let i = 0; i < active.length && n < MAX_LIGHTS; i++) {
    if (!active[i]) continue;
    const type = types[i]!;
    if (type !== LIGHT_SPOT && type !== LIGHT_DIRECTIONAL && type !== LIGHT_POINT) continue;
    const dx = xdir[3 * i]!, dy = xdir[3 * i + 1]!, dz = xdir[3 * i + 2]!;
    // World -> camera: v_cam = R^T v_world (R's columns are the camera axes).
    const dcx = camRot[0]! * dx + camRot[3]! * dy + camRot[6]! * dz;
    const dcy = camRot[1]! * dx + camRot[4]! * dy + camRot[7]! * dz;
    const dcz = camRot[2]! * dx + camRot[5]! * dy + camRot[8]! * dz;
    const len = Math.hypot(dcx, dcy, dcz) || 1;
    const v = 3 * n;
    if (type === LIGHT_DIRECTIONAL) {
      out.kind[n] = DIRECTIONAL;
      out.vec[v] = -dcx / len;
      out.vec[v + 1] = -dcy / len;
      out.vec[v + 2] = -dcz / len;
      out.spotCos[n] = -2;
      setAttenuation(out.attenuation, n, 1, 0, 0);
    } else {
      const px = xpos[3 * i]! - camPos[0]!, py = xpos[3 * i + 1]! - camPos[1]!, pz = xpos[3 * i + 2]! - camPos[2]!;
      out.kind[n] = POSITIONAL;
      out.vec[v] = camRot[0]! * px + camRot[3]! * py + camRot[6]! * pz;
      out.vec[v + 1] = camRot[1]! * px + camRot[4]! * py + camRot[7]! * pz;
      out.vec[v + 2] = camRot[2]! * px + camRot[5]! * py + camRot[8]! * pz;
      out.spotDir[v] = dcx / len;
      out.spotDir[v + 1] = dcy / len;
      out.spotDir[v + 2] = dcz / len;
      out.spotCos[n] = type === LIGHT_SPOT ? Math.cos((Math.min(cutoff[i]!, 90) * Math.PI) / 180) : -2;
      out.spotExponent[n] = exponent[i]!;
      setAttenuation(out.attenuation, n, attenuation[3 * i]!, attenuation[3 * i + 1]!, attenuation[3 * i + 2]!);
    }
    setColour(out.ambient, n, ambient, 3 * i);
    setColour(out.diffuse, n, diffuse, 3 * i);
    setColour(out.specular, n, specular, 3 * i);
    out.pass[n] = shadows && castsShadow[i] ? out.shadowPasses++ : MAIN_PASS;
    out.modelLight[n] = i;
    n++;
  }
  out.count = n;
}

function setAttenuation(dst: Float64Array, n: number, constant: number, linear: number, quadratic: number): void {
  dst[3 * n] = constant;
  dst[3 * n + 1] = linear;
  dst[3 * n + 2] = quadratic;
}

function setColour(dst: Float64Array, n: number, src: Float32Array, offset: number): void {
  dst[3 * n] = src[offset]!;
  dst[3 * n + 1] = src[offset + 1]!;
  dst[3 * n + 2] = src[offset + 2]!;
}
