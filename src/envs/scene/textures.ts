/**
 * The one texture namespace of every scene: procedurally generated (MuJoCo builtin) 2-D textures, all compiled
 * into each model so that a material can switch between them by name at build time or at run time.
 */
import { el, type XmlElement } from './xml.js';

export type Rgb = [number, number, number];
export type Rgba = [number, number, number, number];

export type TextureKind = 'flat' | 'checker' | 'gradient';

/** A 2-D texture: MuJoCo builtin (`BuiltinTextureSpec`) or an image file (`FileTextureSpec`). */
export type TextureSpec = BuiltinTextureSpec | FileTextureSpec;

/** A 2-D texture read from a PNG file the scene supplies with its MJCF (see builder.ts `sceneFiles`). */
export interface FileTextureSpec {
  name: string;
  kind: 'file';
  /** File name in the model's virtual file system. */
  file: string;
}

/** A procedurally generated 2D texture (MuJoCo builtin). */
export interface BuiltinTextureSpec {
  name: string;
  kind: TextureKind;
  rgb1: Rgb;
  /** Second colour for checker and gradient textures. */
  rgb2: Rgb;
  /** Texels per side. */
  size: number;
  /** Marks drawn over the pattern (MuJoCo `mark`): the edges of checker cells, or a fraction of random texels. */
  mark?: { kind: 'edge'; rgb: Rgb } | { kind: 'random'; rgb: Rgb; fraction: number };
}

/** The sky behind the scene (a MuJoCo skybox texture): a gradient from `rgb1` above to `rgb2` below. */
export interface SkyboxSpec {
  kind: TextureKind;
  rgb1: Rgb;
  rgb2: Rgb;
  /** Texels per side of each cube face. */
  size: number;
}

/** Named hues of the standard texture set, in degrees. */
const HUES: readonly [string, number][] = [
  ['red', 0], ['orange', 30], ['yellow', 55], ['lime', 90], ['green', 125], ['teal', 165],
  ['cyan', 190], ['blue', 220], ['indigo', 250], ['purple', 280], ['magenta', 310], ['pink', 340],
];
/** Saturation and value per tone; the second colour of a pattern is the same hue, darker. */
const TONES: readonly [string, number, number][] = [
  ['light', 0.35, 0.9],
  ['mid', 0.65, 0.75],
  ['dark', 0.75, 0.45],
];
const NEUTRALS: readonly [string, number][] = [['white', 0.92], ['grey', 0.6], ['slate', 0.35], ['black', 0.12]];
const KINDS: readonly TextureKind[] = ['flat', 'checker', 'gradient'];

/**
 * The dm_control look (its grid floor and body colours), at 128 texels: `grid-*` are checkers with marked cell
 * edges, `noise-dirt` is a flat colour with 8% random lighter texels.
 */
const DMC_LOOK_SIZE = 128;
const DMC_LOOK: readonly Omit<BuiltinTextureSpec, 'size'>[] = [
  { name: 'grid-navy', kind: 'checker', rgb1: [0.1, 0.2, 0.3], rgb2: [0.2, 0.3, 0.4], mark: { kind: 'edge', rgb: [0.2, 0.3, 0.4] } },
  { name: 'grid-grey', kind: 'checker', rgb1: [0.25, 0.25, 0.25], rgb2: [0.35, 0.35, 0.35], mark: { kind: 'edge', rgb: [0.4, 0.4, 0.4] } },
  { name: 'grid-green', kind: 'checker', rgb1: [0.15, 0.3, 0.15], rgb2: [0.25, 0.4, 0.2], mark: { kind: 'edge', rgb: [0.3, 0.45, 0.3] } },
  { name: 'checker-sand', kind: 'checker', rgb1: [0.55, 0.45, 0.3], rgb2: [0.65, 0.55, 0.4] },
  { name: 'checker-brick', kind: 'checker', rgb1: [0.45, 0.15, 0.15], rgb2: [0.6, 0.25, 0.2] },
  { name: 'flat-silver', kind: 'flat', rgb1: [0.8, 0.8, 0.8], rgb2: [0.8, 0.8, 0.8] },
  { name: 'noise-dirt', kind: 'flat', rgb1: [0.4, 0.33, 0.25], rgb2: [0.4, 0.33, 0.25], mark: { kind: 'random', rgb: [0.55, 0.5, 0.4], fraction: 0.08 } },
  { name: 'flat-tan', kind: 'flat', rgb1: [0.7, 0.5, 0.3], rgb2: [0.7, 0.5, 0.3] },
  { name: 'flat-steel', kind: 'flat', rgb1: [0.2, 0.35, 0.6], rgb2: [0.2, 0.35, 0.6] },
  { name: 'flat-ash', kind: 'flat', rgb1: [0.5, 0.5, 0.5], rgb2: [0.5, 0.5, 0.5] },
];

function hsvToRgb(hueDeg: number, s: number, v: number): Rgb {
  const h = (((hueDeg % 360) + 360) % 360) / 60;
  const c = v * s;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const m = v - c;
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return [r + m, g + m, b + m].map((u) => Math.round(u * 1000) / 1000) as Rgb;
}

function scaleRgb(rgb: Rgb, factor: number): Rgb {
  return rgb.map((u) => Math.round(u * factor * 1000) / 1000) as Rgb;
}

/**
 * The standard texture set, 130 textures: {flat, checker, gradient} x (12 hues x 3 tones + 4 neutrals) named
 * `<kind>-<hue>-<tone>` (e.g. `checker-blue-dark`) and `<kind>-<neutral>` (e.g. `flat-grey`), then the 10 of the
 * dm_control look (`grid-navy`, ...). Deterministic: no random draws, so the compiled model is the same everywhere.
 */
export function standardTextureSet(): BuiltinTextureSpec[] {
  const colours: [string, Rgb][] = [];
  for (const [hue, deg] of HUES) for (const [tone, s, v] of TONES) colours.push([`${hue}-${tone}`, hsvToRgb(deg, s, v)]);
  for (const [name, v] of NEUTRALS) colours.push([name, [v, v, v]]);
  const set: BuiltinTextureSpec[] = [];
  for (const kind of KINDS) {
    for (const [colour, rgb] of colours) {
      // Checkers and gradients pair the colour with a darker (or, for dark colours, lighter) version of itself.
      const mean = (rgb[0] + rgb[1] + rgb[2]) / 3;
      const rgb2 = mean < 0.2 ? scaleRgb(rgb, 2.2).map((u) => Math.min(1, u)) as Rgb : scaleRgb(rgb, 0.6);
      set.push({ name: `${kind}-${colour}`, kind, rgb1: rgb, rgb2: kind === 'flat' ? rgb : rgb2, size: kind === 'flat' ? 16 : 64 });
    }
  }
  for (const t of DMC_LOOK) set.push({ ...t, size: DMC_LOOK_SIZE });
  return set;
}

/** The `<texture>` asset of a 2-D texture. */
export function textureElement(t: TextureSpec): XmlElement {
  if (t.kind === 'file') return el('texture', { name: t.name, type: '2d', file: t.file });
  return el('texture', {
    name: t.name,
    type: '2d',
    builtin: t.kind,
    rgb1: t.rgb1,
    rgb2: t.rgb2,
    mark: t.mark?.kind,
    markrgb: t.mark?.rgb,
    random: t.mark?.kind === 'random' ? t.mark.fraction : undefined,
    width: t.size,
    height: t.size,
  });
}

/** The `<texture>` asset of a skybox (MuJoCo draws the first skybox texture behind the scene). */
export function skyboxElement(sky: SkyboxSpec): XmlElement {
  return el('texture', { name: 'skybox', type: 'skybox', builtin: sky.kind, rgb1: sky.rgb1, rgb2: sky.rgb2, width: sky.size, height: 6 * sky.size });
}
