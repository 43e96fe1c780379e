/**
 * MJCF pieces shared by the DMC-style domains: a compiled texture set that materials can switch between, a
 * headlight whose brightness is a scene option, and cameras posed on a sphere (azimuth, elevation, distance)
 * around a look-at point, so that `SceneOptions` can vary the scene without callers rewriting MJCF.
 */
import type { SceneOptions } from '../task.js';

/** Every 2D texture compiled into a DMC scene; materials pick one of them by name. */
export const DMC_TEXTURES: Readonly<Record<string, string>> = {
  grid_blue: 'builtin="checker" rgb1=".1 .2 .3" rgb2=".2 .3 .4" mark="edge" markrgb=".2 .3 .4"',
  grid_grey: 'builtin="checker" rgb1=".25 .25 .25" rgb2=".35 .35 .35" mark="edge" markrgb=".4 .4 .4"',
  grid_green: 'builtin="checker" rgb1=".15 .3 .15" rgb2=".25 .4 .2" mark="edge" markrgb=".3 .45 .3"',
  checker_sand: 'builtin="checker" rgb1=".55 .45 .3" rgb2=".65 .55 .4"',
  checker_red: 'builtin="checker" rgb1=".45 .15 .15" rgb2=".6 .25 .2"',
  flat_white: 'builtin="flat" rgb1=".8 .8 .8" rgb2=".8 .8 .8"',
  noise_dirt: 'builtin="flat" rgb1=".4 .33 .25" rgb2=".4 .33 .25" mark="random" markrgb=".55 .5 .4" random="0.08"',
  body_tan: 'builtin="flat" rgb1=".7 .5 .3" rgb2=".7 .5 .3"',
  body_blue: 'builtin="flat" rgb1=".2 .35 .6" rgb2=".2 .35 .6"',
  body_grey: 'builtin="flat" rgb1=".5 .5 .5" rgb2=".5 .5 .5"',
};

/** Side length in texels of every builtin texture (small: textures cost compile time and renderer memory). */
const TEXTURE_SIZE = 128;

export interface MaterialSpec {
  /** Texture used unless `SceneOptions.textures` names another one for this material. */
  texture: string;
  /** How many times the texture repeats across the geom (MuJoCo `texrepeat`). */
  repeat?: [number, number];
  /** Repeat per metre instead of per geom (MuJoCo `texuniform`). */
  uniform?: boolean;
  reflectance?: number;
}

/**
 * `<asset>` content: the texture set, a gradient sky, and one named material per entry of `materials`, each
 * bound to its default texture or the one `options.textures` asks for.
 */
export function dmcAssets(materials: Record<string, MaterialSpec>, options: SceneOptions = {}): string {
  const requested = options.textures ?? {};
  for (const [material, texture] of Object.entries(requested)) {
    if (!(material in materials)) {
      throw new Error(`SceneOptions.textures: unknown material '${material}'; materials: ${Object.keys(materials).join(', ')}`);
    }
    if (!(texture in DMC_TEXTURES)) {
      throw new Error(`SceneOptions.textures.${material}: unknown texture '${texture}'; textures: ${Object.keys(DMC_TEXTURES).join(', ')}`);
    }
  }
  const lines = [
    `<texture name="skybox" type="skybox" builtin="gradient" rgb1=".4 .6 .8" rgb2="0 0 0" width="${TEXTURE_SIZE}" height="${TEXTURE_SIZE * 6}"/>`,
  ];
  for (const [name, spec] of Object.entries(DMC_TEXTURES)) {
    lines.push(`<texture name="${name}" type="2d" ${spec} width="${TEXTURE_SIZE}" height="${TEXTURE_SIZE}"/>`);
  }
  for (const [name, spec] of Object.entries(materials)) {
    const texture = requested[name] ?? spec.texture;
    if (!(texture in DMC_TEXTURES)) throw new Error(`material '${name}': unknown default texture '${texture}'`);
    const repeat = spec.repeat ? ` texrepeat="${spec.repeat[0]} ${spec.repeat[1]}"` : '';
    const uniform = spec.uniform ? ' texuniform="true"' : '';
    const reflectance = spec.reflectance !== undefined ? ` reflectance="${spec.reflectance}"` : '';
    lines.push(`<material name="${name}" texture="${texture}"${repeat}${uniform}${reflectance}/>`);
  }
  return lines.join('\n    ');
}

/** Default headlight grey level (ambient = diffuse) when `SceneOptions.light` is not given. */
export const DEFAULT_HEADLIGHT = 0.4;

/** `<visual>` block with the headlight; `options.light` sets ambient = diffuse (grey, in [0, 1]). */
export function dmcVisual(options: SceneOptions = {}): string {
  const level = options.light ?? DEFAULT_HEADLIGHT;
  if (!Number.isFinite(level) || level < 0 || level > 1) {
    throw new Error(`SceneOptions.light must be a number in [0, 1], got ${level}`);
  }
  const v = fmt(level);
  return `<visual>
    <headlight ambient="${v} ${v} ${v}" diffuse="${v} ${v} ${v}" specular=".1 .1 .1"/>
    <quality shadowsize="2048"/>
  </visual>`;
}

export interface OrbitPose {
  /** Degrees; 90 looks along +y (MuJoCo free-camera convention). */
  azimuth: number;
  /** Degrees; negative looks down, -90 is straight down. */
  elevation: number;
  /** Metres from the look-at point. */
  distance: number;
}

/**
 * Position (relative to the look-at point) and `xyaxes` of a camera on a sphere around that point, looking at it.
 * Image right is horizontal, so the view never rolls; straight-down views keep image up along the azimuth.
 */
export function orbitCamera(pose: OrbitPose, label = 'SceneOptions.camera'): { pos: string; xyaxes: string } {
  const { azimuth, elevation, distance } = pose;
  if (!Number.isFinite(azimuth)) throw new Error(`${label}.azimuth must be a finite number of degrees, got ${azimuth}`);
  if (!Number.isFinite(elevation) || elevation < -90 || elevation > 90) {
    throw new Error(`${label}.elevation must be in [-90, 90] degrees, got ${elevation}`);
  }
  if (!Number.isFinite(distance) || distance <= 0) throw new Error(`${label}.distance must be > 0 metres, got ${distance}`);
  const az = (azimuth * Math.PI) / 180;
  const el = (elevation * Math.PI) / 180;
  const forward = [Math.cos(el) * Math.cos(az), Math.cos(el) * Math.sin(az), Math.sin(el)] as const;
  const pos = forward.map((f) => -distance * f);
  const right = [Math.sin(az), -Math.cos(az), 0] as const;
  // Camera looks along -z; z = -forward, y = z x right.
  const z = forward.map((f) => -f);
  const up = [z[1]! * right[2] - z[2]! * right[1], z[2]! * right[0] - z[0]! * right[2], z[0]! * right[1] - z[1]! * right[0]];
  return { pos: pos.map(fmt).join(' '), xyaxes: [...right, ...up].map(fmt).join(' ') };
}

/** A number for MJCF: fixed precision, no "-0". */
export function fmt(x: number): string {
  const s = (Math.abs(x) < 1e-12 ? 0 : x).toFixed(6);
  return s.replace(/\.?0+$/, '') || '0';
}
