/**
 * A small typed MJCF builder for task scenes. Factor-World-style visual factors are parameters of the built
 * scene instead of rewrites of its XML:
 *   - every texture of a texture set is compiled into the model, and each named material (table, floor, object,
 *     ...) picks one of them, so a factor sweep can also swap a material's texture at reset (`setMaterialTexture`);
 *   - cameras are posed on a sphere around a look-at point, so the main camera can be re-posed (`SceneOptions.camera`
 *     at build time, `poseCamera` at run time);
 *   - the headlight, and extra static bodies (distractors) are options of `build`.
 * Object scale is read by the task's own object builder through `resolveObjectScale`, since only the task knows
 * which geoms make up its manipulated object.
 */
import type { Physics } from './mujoco.js';
import type { SceneOptions } from './task.js';

export type Vec3 = [number, number, number];
export type Rgb = [number, number, number];
export type Rgba = [number, number, number, number];

// ---------------------------------------------------------------------------------------------------------------
// XML elements

export type AttributeValue = string | number | boolean | readonly number[];

/** One MJCF element: tag, attributes (undefined ones are left out) and child elements. */
export interface XmlElement {
  tag: string;
  attrs: Record<string, AttributeValue | undefined>;
  children: XmlElement[];
}

export function el(tag: string, attrs: Record<string, AttributeValue | undefined> = {}, children: XmlElement[] = []): XmlElement {
  return { tag, attrs, children };
}

/** Numbers are written with at most 6 decimals so the XML (and therefore cache keys built from it) is stable. */
function formatNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`MJCF attribute value must be finite, got ${x}`);
  const s = x.toFixed(6).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

function formatAttribute(value: AttributeValue): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return value.map(formatNumber).join(' ');
}

export function renderXml(element: XmlElement, indent = ''): string {
  const attrs = Object.entries(element.attrs)
    .filter((entry): entry is [string, AttributeValue] => entry[1] !== undefined)
    .map(([k, v]) => ` ${k}="${formatAttribute(v)}"`)
    .join('');
  if (element.children.length === 0) return `${indent}<${element.tag}${attrs}/>`;
  const inner = element.children.map((c) => renderXml(c, `${indent}  `)).join('\n');
  return `${indent}<${element.tag}${attrs}>\n${inner}\n${indent}</${element.tag}>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Textures

export type TextureKind = 'flat' | 'checker' | 'gradient';

/** A procedurally generated 2D texture (MuJoCo builtin). */
export interface TextureSpec {
  name: string;
  kind: TextureKind;
  rgb1: Rgb;
  /** Second colour for checker and gradient textures. */
  rgb2: Rgb;
  /** Texels per side. */
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
 * The standard texture set: {flat, checker, gradient} x (12 hues x 3 tones + 4 neutrals) = 120 textures named
 * `<kind>-<hue>-<tone>` (e.g. `checker-blue-dark`) and `<kind>-<neutral>` (e.g. `flat-grey`). Deterministic: no
 * random draws, so the compiled model is the same everywhere.
 */
export function standardTextureSet(): TextureSpec[] {
  const colours: [string, Rgb][] = [];
  for (const [hue, deg] of HUES) for (const [tone, s, v] of TONES) colours.push([`${hue}-${tone}`, hsvToRgb(deg, s, v)]);
  for (const [name, v] of NEUTRALS) colours.push([name, [v, v, v]]);
  const set: TextureSpec[] = [];
  for (const kind of KINDS) {
    for (const [colour, rgb] of colours) {
      // Checkers and gradients pair the colour with a darker (or, for dark colours, lighter) version of itself.
      const mean = (rgb[0] + rgb[1] + rgb[2]) / 3;
      const rgb2 = mean < 0.2 ? scaleRgb(rgb, 2.2).map((u) => Math.min(1, u)) as Rgb : scaleRgb(rgb, 0.6);
      set.push({ name: `${kind}-${colour}`, kind, rgb1: rgb, rgb2: kind === 'flat' ? rgb : rgb2, size: kind === 'flat' ? 16 : 64 });
    }
  }
  return set;
}

// ---------------------------------------------------------------------------------------------------------------
// Cameras

/** A camera on a sphere around `lookAt`: azimuth in the xy-plane from +x (counter-clockwise, degrees), elevation
 * above the horizontal plane (degrees; Factor-World's inclination from the vertical is 90 - elevation), distance in
 * metres. */
export interface CameraPose {
  azimuth: number;
  elevation: number;
  distance: number;
}

export interface CameraSpec extends CameraPose {
  name: string;
  lookAt: Vec3;
  /** Vertical field of view, degrees. */
  fovy: number;
}

/** World position and frame (MuJoCo camera: looks along -z, y up) of a camera posed around `lookAt`. */
export function cameraFrame(lookAt: Vec3, pose: CameraPose): { pos: Vec3; xaxis: Vec3; yaxis: Vec3; quat: [number, number, number, number] } {
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
function matrixToQuat(x: Vec3, y: Vec3, z: Vec3): [number, number, number, number] {
  const [m00, m10, m20] = x;
  const [m01, m11, m21] = y;
  const [m02, m12, m22] = z;
  const trace = m00 + m11 + m22;
  let q: [number, number, number, number];
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
  if (q[0] < 0) q = q.map((u) => -u) as [number, number, number, number];
  return q;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of SceneOptions

const SCENE_OPTION_KEYS = new Set(['camera', 'light', 'textures', 'objectScale', 'distractors']);
export const OBJECT_SCALE_RANGE: readonly [number, number] = [0.25, 4];
const DISTRACTOR_SHAPES = new Set(['box', 'sphere', 'cylinder']);

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function validateCameraPose(what: string, pose: CameraPose): void {
  if (!pose || typeof pose !== 'object') throw new Error(`${what} must be { azimuth, elevation, distance }, got ${String(pose)}`);
  if (!isFiniteNumber(pose.azimuth)) throw new Error(`${what}.azimuth must be a finite number of degrees, got ${pose.azimuth}`);
  if (!isFiniteNumber(pose.elevation) || pose.elevation < -90 || pose.elevation > 90) {
    throw new Error(`${what}.elevation must be in [-90, 90] degrees, got ${pose.elevation}`);
  }
  if (!isFiniteNumber(pose.distance) || pose.distance <= 0 || pose.distance > 20) {
    throw new Error(`${what}.distance must be in (0, 20] metres, got ${pose.distance}`);
  }
}

function validateUnitVector(what: string, values: unknown, length: number): void {
  if (!Array.isArray(values) || values.length !== length || !values.every((v) => isFiniteNumber(v) && v >= 0 && v <= 1)) {
    throw new Error(`${what} must be ${length} numbers in [0, 1], got ${JSON.stringify(values)}`);
  }
}

/** The object scale asked for (1 by default); throws on values outside `OBJECT_SCALE_RANGE`. */
export function resolveObjectScale(options: SceneOptions | undefined): number {
  const scale = options?.objectScale ?? 1;
  if (!isFiniteNumber(scale) || scale < OBJECT_SCALE_RANGE[0] || scale > OBJECT_SCALE_RANGE[1]) {
    throw new Error(`scene option objectScale must be a number in [${OBJECT_SCALE_RANGE.join(', ')}], got ${scale}`);
  }
  return scale;
}

// ---------------------------------------------------------------------------------------------------------------
// The builder

export interface MaterialSpec {
  /** Texture name from the builder's texture set. */
  texture: string;
  /** Texture repetitions per metre (with texuniform) or per face. */
  texrepeat?: [number, number];
  texuniform?: boolean;
  rgba?: Rgba;
  specular?: number;
  shininess?: number;
  reflectance?: number;
}

export interface SceneBuilderOptions {
  /** Physics timestep, seconds. */
  timestep: number;
  /** Textures compiled into the model; `standardTextureSet()` by default. */
  textures?: TextureSpec[];
  /** Extra attributes of <option> (e.g. integrator). */
  option?: Record<string, AttributeValue>;
}

export interface Headlight {
  ambient: number;
  diffuse: number;
}

/**
 * Collects the parts of an MJCF scene and writes it with `build(options)`. Tasks add their bodies with `world()`,
 * constraints with `equality()`, and so on; materials and cameras are declared through typed methods so that
 * `SceneOptions` can address them by name.
 */
export class SceneBuilder {
  private readonly textures: TextureSpec[];
  private readonly textureNames: Set<string>;
  private readonly materials = new Map<string, MaterialSpec>();
  private readonly cameras: CameraSpec[] = [];
  private mainCamera: string | null = null;
  private headlight: Headlight = { ambient: 0.4, diffuse: 0.6 };
  private readonly worldElements: XmlElement[] = [];
  private readonly equalities: XmlElement[] = [];
  private readonly actuators: XmlElement[] = [];
  private readonly contacts: XmlElement[] = [];
  private readonly defaultElements: XmlElement[] = [];

  constructor(
    readonly modelName: string,
    private readonly options: SceneBuilderOptions,
  ) {
    if (!isFiniteNumber(options.timestep) || options.timestep <= 0) {
      throw new Error(`scene '${modelName}': timestep must be a positive number of seconds, got ${options.timestep}`);
    }
    this.textures = options.textures ?? standardTextureSet();
    this.textureNames = new Set();
    for (const t of this.textures) {
      if (this.textureNames.has(t.name)) throw new Error(`scene '${modelName}': texture '${t.name}' is defined twice`);
      this.textureNames.add(t.name);
    }
  }

  /** Names of the textures compiled into the model, in texture-id order. */
  get textureSet(): string[] {
    return this.textures.map((t) => t.name);
  }

  get materialNames(): string[] {
    return [...this.materials.keys()];
  }

  material(name: string, spec: MaterialSpec): this {
    if (this.materials.has(name)) throw new Error(`scene '${this.modelName}': material '${name}' is defined twice`);
    this.checkTexture(`material '${name}'`, spec.texture);
    this.materials.set(name, spec);
    return this;
  }

  /** Adds a camera; the first camera added with `main` is the one `SceneOptions.camera` re-poses. */
  camera(spec: CameraSpec, { main = false }: { main?: boolean } = {}): this {
    if (this.cameras.some((c) => c.name === spec.name)) throw new Error(`scene '${this.modelName}': camera '${spec.name}' is defined twice`);
    validateCameraPose(`camera '${spec.name}'`, spec);
    if (!isFiniteNumber(spec.fovy) || spec.fovy <= 0 || spec.fovy >= 180) {
      throw new Error(`camera '${spec.name}': fovy must be in (0, 180) degrees, got ${spec.fovy}`);
    }
    this.cameras.push(spec);
    if (main && this.mainCamera === null) this.mainCamera = spec.name;
    return this;
  }

  setHeadlight(headlight: Headlight): this {
    validateUnitVector('headlight', [headlight.ambient, headlight.diffuse], 2);
    this.headlight = { ...headlight };
    return this;
  }

  world(...elements: XmlElement[]): this {
    this.worldElements.push(...elements);
    return this;
  }

  equality(...elements: XmlElement[]): this {
    this.equalities.push(...elements);
    return this;
  }

  actuator(...elements: XmlElement[]): this {
    this.actuators.push(...elements);
    return this;
  }

  /** Elements of the top-level <default> class (e.g. geom solref for every contact). */
  defaults(...elements: XmlElement[]): this {
    this.defaultElements.push(...elements);
    return this;
  }

  contact(...elements: XmlElement[]): this {
    this.contacts.push(...elements);
    return this;
  }

  /** The MJCF text of the scene with the given visual options applied. The builder itself is not modified. */
  build(options: SceneOptions = {}): string {
    this.validateOptions(options);
    const headlight = options.light !== undefined ? { ambient: options.light, diffuse: options.light } : this.headlight;
    const assets: XmlElement[] = this.textures.map((t) =>
      el('texture', {
        name: t.name,
        type: '2d',
        builtin: t.kind,
        rgb1: t.rgb1,
        rgb2: t.rgb2,
        width: t.size,
        height: t.size,
      }),
    );
    for (const [name, spec] of this.materials) {
      assets.push(
        el('material', {
          name,
          texture: options.textures?.[name] ?? spec.texture,
          texrepeat: spec.texrepeat,
          texuniform: spec.texuniform,
          rgba: spec.rgba,
          specular: spec.specular,
          shininess: spec.shininess,
          reflectance: spec.reflectance,
        }),
      );
    }
    const cameras = this.cameras.map((c) => {
      const pose = options.camera && c.name === this.mainCamera ? options.camera : c;
      const frame = cameraFrame(c.lookAt, pose);
      return el('camera', { name: c.name, pos: frame.pos, xyaxes: [...frame.xaxis, ...frame.yaxis], fovy: c.fovy });
    });
    const distractors = (options.distractors ?? []).map((d, i) => {
      const size = d.shape === 'box' ? [d.size, d.size, d.size] : d.shape === 'sphere' ? [d.size] : [d.size, d.size];
      // Visual only: distractors change what the camera sees, not the task's physics.
      return el('body', { name: `distractor${i}`, pos: d.pos }, [
        el('geom', { name: `distractor${i}`, type: d.shape, size, rgba: d.rgba, contype: 0, conaffinity: 0, group: 1 }),
      ]);
    });
    const root = el('mujoco', { model: this.modelName }, [
      el('option', { timestep: this.options.timestep, ...this.options.option }),
      el('visual', {}, [el('headlight', { ambient: [headlight.ambient, headlight.ambient, headlight.ambient], diffuse: [headlight.diffuse, headlight.diffuse, headlight.diffuse], specular: [0.1, 0.1, 0.1] })]),
      ...(this.defaultElements.length ? [el('default', {}, this.defaultElements)] : []),
      el('asset', {}, assets),
      el('worldbody', {}, [...cameras, ...this.worldElements, ...distractors]),
    ]);
    if (this.contacts.length) root.children.push(el('contact', {}, this.contacts));
    if (this.equalities.length) root.children.push(el('equality', {}, this.equalities));
    if (this.actuators.length) root.children.push(el('actuator', {}, this.actuators));
    return renderXml(root) + '\n';
  }

  private checkTexture(what: string, texture: string): void {
    if (!this.textureNames.has(texture)) {
      const some = this.textureSet.slice(0, 6).join(', ');
      throw new Error(`${what}: unknown texture '${texture}'; the scene has ${this.textures.length} textures (e.g. ${some}, ...)`);
    }
  }

  private validateOptions(options: SceneOptions): void {
    if (!options || typeof options !== 'object') throw new Error(`scene options must be an object, got ${String(options)}`);
    for (const key of Object.keys(options)) {
      if (!SCENE_OPTION_KEYS.has(key)) {
        throw new Error(`unknown scene option '${key}'; expected one of ${[...SCENE_OPTION_KEYS].join(', ')}`);
      }
    }
    if (options.camera !== undefined) {
      if (this.mainCamera === null) throw new Error(`scene '${this.modelName}' has no main camera to re-pose`);
      validateCameraPose('scene option camera', options.camera);
    }
    if (options.light !== undefined && (!isFiniteNumber(options.light) || options.light < 0 || options.light > 1)) {
      throw new Error(`scene option light must be a number in [0, 1], got ${options.light}`);
    }
    for (const [material, texture] of Object.entries(options.textures ?? {})) {
      if (!this.materials.has(material)) {
        throw new Error(`scene option textures: unknown material '${material}'; materials: ${this.materialNames.join(', ')}`);
      }
      this.checkTexture(`scene option textures.${material}`, texture);
    }
    resolveObjectScale(options);
    const distractors = options.distractors ?? [];
    if (!Array.isArray(distractors)) throw new Error(`scene option distractors must be an array, got ${typeof distractors}`);
    distractors.forEach((d, i) => {
      const what = `scene option distractors[${i}]`;
      if (!DISTRACTOR_SHAPES.has(d.shape)) throw new Error(`${what}.shape must be one of box, sphere, cylinder, got '${d.shape}'`);
      if (!Array.isArray(d.pos) || d.pos.length !== 3 || !d.pos.every(isFiniteNumber)) {
        throw new Error(`${what}.pos must be 3 finite numbers, got ${JSON.stringify(d.pos)}`);
      }
      if (!isFiniteNumber(d.size) || d.size <= 0 || d.size > 0.5) throw new Error(`${what}.size must be in (0, 0.5] metres, got ${d.size}`);
      validateUnitVector(`${what}.rgba`, d.rgba, 4);
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Run-time changes of a compiled model (no rebuild): what a factor sweep does at reset.

function objectId(physics: Physics, type: 'mjOBJ_MATERIAL' | 'mjOBJ_TEXTURE' | 'mjOBJ_CAMERA', name: string, what: string): number {
  const { mj, model } = physics;
  const id = mj.mj_name2id(model, mj.mjtObj[type].value, name);
  if (id < 0) throw new Error(`unknown ${what} '${name}' in the compiled model`);
  return id;
}

/** Points a material's RGB texture slot at another texture of the compiled texture set. */
export function setMaterialTexture(physics: Physics, material: string, texture: string): void {
  const { mj, model } = physics;
  const matId = objectId(physics, 'mjOBJ_MATERIAL', material, 'material');
  const texId = objectId(physics, 'mjOBJ_TEXTURE', texture, 'texture');
  const roles = mj.mjtTextureRole.mjNTEXROLE.value;
  (model.mat_texid as Int32Array)[matId * roles + mj.mjtTextureRole.mjTEXROLE_RGB.value] = texId;
}

/** The texture name in a material's RGB slot, or null when it has none. */
export function materialTexture(physics: Physics, material: string): string | null {
  const { mj, model } = physics;
  const matId = objectId(physics, 'mjOBJ_MATERIAL', material, 'material');
  const roles = mj.mjtTextureRole.mjNTEXROLE.value;
  const texId = (model.mat_texid as Int32Array)[matId * roles + mj.mjtTextureRole.mjTEXROLE_RGB.value]!;
  return texId < 0 ? null : mj.mj_id2name(model, mj.mjtObj.mjOBJ_TEXTURE.value, texId);
}

/** Sets headlight ambient = diffuse = `value` (grey), as Factor-World's lighting factor does. */
export function setHeadlight(physics: Physics, value: number): void {
  if (!isFiniteNumber(value) || value < 0 || value > 1) throw new Error(`headlight value must be in [0, 1], got ${value}`);
  const headlight = physics.model.vis.headlight;
  for (let i = 0; i < 3; i++) {
    (headlight.ambient as Float32Array)[i] = value;
    (headlight.diffuse as Float32Array)[i] = value;
  }
}

/** Re-poses a camera fixed to the world body on a sphere around `lookAt` (takes effect at the next mj_forward). */
export function poseCamera(physics: Physics, camera: string, lookAt: Vec3, pose: CameraPose): void {
  const { model } = physics;
  const id = objectId(physics, 'mjOBJ_CAMERA', camera, 'camera');
  if ((model.cam_bodyid as Int32Array)[id] !== 0) throw new Error(`camera '${camera}' is attached to a moving body; only world cameras can be re-posed`);
  const frame = cameraFrame(lookAt, pose);
  (model.cam_pos as Float64Array).set(frame.pos, 3 * id);
  (model.cam_quat as Float64Array).set(frame.quat, 4 * id);
}
